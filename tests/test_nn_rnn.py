"""Recurrent layers (RNN, LSTM, GRU), their cells, packed sequences, and the fused recurrence primitive,
against PyTorch."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import minitorch
from minitorch.ops import recurrent
from helpers import (assert_same_state_dict, check_double_backward_against_torch, check_gradcheck,
                     check_module_against_torch, check_program, copy_weights_from_torch, leaf, to_numpy)
from strategies import FLOAT_DTYPES, arrays

# (class name, constructor options): every kind of recurrence
LAYER_KINDS = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {})]
CELL_KINDS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}), ("GRUCell", {})]
MODES = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]


def _flat_twin(lib):
    """A Module around a recurrent layer or cell in ``lib`` taking the initial states as separate
    arguments and returning every tensor of the result in one flat tuple, so that the parity helper
    seeds the backward of all of them (h_n and c_n included)."""
    class Flat(lib.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input, *states):
            state = None if not states else (tuple(states) if len(states) == 2 else states[0])
            result = self.inner(input, state)
            flat = []
            for item in result if isinstance(result, tuple) else (result,):
                flat.extend(item if isinstance(item, tuple) else (item,))
            return tuple(flat)
    return Flat


def _twins(name: str, dtype, *args, **kwargs):
    """The minitorch module and its PyTorch twin, in ``dtype``, each wrapped by ``_flat_twin``."""
    ours = _flat_twin(minitorch)(getattr(minitorch.nn, name)(*args, **kwargs))
    theirs = _flat_twin(torch)(getattr(torch.nn, name)(*args, **kwargs))
    if dtype == np.float64:
        ours, theirs = ours.double(), theirs.double()
    return ours, theirs


def _state_sizes(name: str, hidden_size: int, proj_size: int) -> list[int]:
    """The feature size of each initial state: h (projected when asked) and, for LSTM, c."""
    h_size = proj_size or hidden_size
    return [h_size, hidden_size] if name.startswith("LSTM") else [h_size]


@st.composite
def layer_configurations(draw):
    name, options = draw(st.sampled_from(LAYER_KINDS))
    hidden_size = draw(st.integers(1, 4))
    options = dict(options, num_layers=draw(st.integers(1, 2)), bias=draw(st.booleans()),
                   batch_first=draw(st.booleans()), bidirectional=draw(st.booleans()))
    if name == "LSTM" and hidden_size > 1 and draw(st.booleans()):
        options["proj_size"] = draw(st.integers(1, hidden_size - 1))
    return name, draw(st.integers(1, 4)), hidden_size, options


@given(configuration=layer_configurations(), seq_len=st.integers(1, 4), batch=st.integers(0, 3),
       with_state=st.booleans(), dtype=FLOAT_DTYPES, data=st.data())
def test_recurrent_layer_matches_torch(configuration, seq_len, batch, with_state, dtype, data):
    """Outputs, h_n (and c_n), and the gradients of the input, initial states and every weight.
    ``batch`` 0 means one unbatched sequence."""
    name, input_size, hidden_size, options = configuration
    torch.manual_seed(0)
    ours, theirs = _twins(name, dtype, input_size, hidden_size, **options)
    if batch == 0:
        input_shape, state_batch = (seq_len, input_size), ()
    else:
        input_shape = (batch, seq_len, input_size) if options["batch_first"] else (seq_len, batch, input_size)
        state_batch = (batch,)
    layers = options["num_layers"] * (2 if options["bidirectional"] else 1)
    states = [data.draw(arrays((layers, *state_batch, size), dtype))
              for size in _state_sizes(name, hidden_size, options.get("proj_size", 0))] if with_state else []
    check_module_against_torch(ours, theirs, data.draw(arrays(input_shape, dtype)), *states)


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_wide_float32_layer_matches_torch(name):
    """At a realistic width in float32 (the benchmark's LSTM, shorter): the fused kernels' in-place
    gate arithmetic and sigmoid-through-tanh stay within float32 tolerances of PyTorch."""
    torch.manual_seed(0)
    ours, theirs = _twins(name, np.float32, 28, 128, num_layers=2, batch_first=True)
    input = np.random.default_rng(0).standard_normal((16, 7, 28)).astype(np.float32)
    check_module_against_torch(ours, theirs, input)


@given(kind=st.sampled_from(CELL_KINDS), input_size=st.integers(1, 4), hidden_size=st.integers(1, 4),
       bias=st.booleans(), batch=st.integers(0, 3), with_state=st.booleans(), dtype=FLOAT_DTYPES, data=st.data())
def test_cell_matches_torch(kind, input_size, hidden_size, bias, batch, with_state, dtype, data):
    """One step of RNNCell, LSTMCell, GRUCell, batched or not (``batch`` 0), with or without a state."""
    name, options = kind
    torch.manual_seed(0)
    ours, theirs = _twins(name, dtype, input_size, hidden_size, bias=bias, **options)
    state_batch = (batch,) if batch else ()
    states = [data.draw(arrays((*state_batch, size), dtype)) for size in _state_sizes(name, hidden_size, 0)]
    check_module_against_torch(ours, theirs, data.draw(arrays((*state_batch, input_size), dtype)),
                               *(states if with_state else []))


def _packed_program(name, options, weights, lengths, batch_first, upstream_seed):
    """A program for ``check_program``: pack a padded batch (unsorted lengths), run the layer, unpack;
    returns the padded output, the lengths, the final states and every gradient."""
    def program(lib, input, *states):
        rnn = getattr(lib.nn, name)(**options).double()
        rnn.load_state_dict({key: lib.tensor(value) for key, value in weights.items()})
        input = leaf(lib, input)
        states = [leaf(lib, state) for state in states]
        packed = lib.nn.utils.rnn.pack_padded_sequence(input, lengths, batch_first=batch_first, enforce_sorted=False)
        state = None if not states else (tuple(states) if len(states) == 2 else states[0])
        output, hidden = rnn(packed, state)
        padded, output_lengths = lib.nn.utils.rnn.pad_packed_sequence(output, batch_first=batch_first,
                                                                       total_length=max(lengths) + 1)
        results = [padded, *(hidden if isinstance(hidden, tuple) else (hidden,))]
        generator = np.random.default_rng(upstream_seed)
        lib.autograd.backward(results, [lib.tensor(generator.standard_normal(tuple(r.shape))) for r in results])
        return (*results, output_lengths, input.grad, *[state.grad for state in states],
                *[parameter.grad for parameter in rnn.parameters()])
    return program


@given(kind=st.sampled_from(LAYER_KINDS), lengths=st.lists(st.integers(1, 5), min_size=1, max_size=4),
       num_layers=st.integers(1, 2), bidirectional=st.booleans(), batch_first=st.booleans(),
       with_state=st.booleans(), data=st.data())
def test_packed_sequence_through_layer_matches_torch(kind, lengths, num_layers, bidirectional, batch_first,
                                                     with_state, data):
    """Unsorted variable lengths: each sequence runs to its own end (its h_n is its last state) and
    the reverse direction starts at its own end; gradients reach the padded input and the states."""
    name, options = kind
    options = dict(options, input_size=3, hidden_size=4, num_layers=num_layers, bidirectional=bidirectional)
    torch.manual_seed(0)
    weights = {key: to_numpy(value) for key, value in getattr(torch.nn, name)(**options).state_dict().items()}
    steps, batch = max(lengths), len(lengths)
    input = data.draw(arrays((batch, steps, 3) if batch_first else (steps, batch, 3)))
    layers = num_layers * (2 if bidirectional else 1)
    states = [data.draw(arrays((layers, batch, size))) for size in _state_sizes(name, 4, 0)] if with_state else []
    check_program(_packed_program(name, options, weights, lengths, batch_first, upstream_seed=1), input, *states)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("batch_sizes", [(2, 2, 2), (3, 2, 2, 1)], ids=["padded", "packed"])
def test_fused_recurrence_matches_composite_of_cells(mode, reverse, batch_sizes):
    """The fused primitive and the loop of cells agree on outputs, final states and all gradients."""
    generator = np.random.default_rng(0)
    gates = {"LSTM": 4, "GRU": 3}.get(mode, 1)
    rows, batch, input_size, hidden_size = sum(batch_sizes), batch_sizes[0], 3, 4
    arguments = [generator.standard_normal(shape) for shape in
                 [(rows, input_size), (batch, hidden_size), (batch, hidden_size), (gates * hidden_size, input_size),
                  (gates * hidden_size, hidden_size), (gates * hidden_size,), (gates * hidden_size,)]]
    if mode != "LSTM":
        arguments[2] = None
    results = []
    for function in (recurrent.layer, recurrent.recurrence):
        inputs = [None if a is None else minitorch.tensor(a, requires_grad=True) for a in arguments]
        outputs = function(mode, batch_sizes, reverse, *inputs)
        upstream = np.random.default_rng(1)
        minitorch.autograd.backward(outputs, [minitorch.tensor(upstream.standard_normal(tuple(o.shape)))
                                              for o in outputs])
        results.append([*outputs, *[i.grad for i in inputs if i is not None]])
    for index, (fused, composite) in enumerate(zip(*results)):
        np.testing.assert_allclose(to_numpy(fused), to_numpy(composite), rtol=1e-10, atol=1e-12,
                                   err_msg=f"result {index}")


# mode, with LSTM projections, with biases: tiny sizes, packed lengths 3, 2, 1
GRADCHECK_CASES = [("RNN_TANH", False, True), ("RNN_RELU", False, True), ("LSTM", False, True), ("LSTM", True, False),
                   ("GRU", False, True)]


@pytest.mark.parametrize("mode, projection, bias", GRADCHECK_CASES)
@pytest.mark.parametrize("reverse", [False, True])
def test_fused_recurrence_gradcheck(mode, projection, bias, reverse):
    """Finite differences confirm BPTT, and second derivatives (through the composite backward)."""
    generator = np.random.default_rng(0)
    gates = {"LSTM": 4, "GRU": 3}.get(mode, 1)
    hidden, size = 2, 1 if projection else 2
    shapes = {"input": (6, 2), "hx": (3, size), "cx": (3, hidden) if mode == "LSTM" else None,
              "w_ih": (gates * hidden, 2), "w_hh": (gates * hidden, size),
              "b_ih": (gates * hidden,) if bias else None, "b_hh": (gates * hidden,) if bias else None,
              "w_hr": (size, hidden) if projection else None}
    names = [name for name, shape in shapes.items() if shape is not None]
    arrays_in = [generator.uniform(0.2, 1.0, shapes[name]) * generator.choice([-1, 1], shapes[name])
                 for name in names]

    def function(*tensors):
        given = dict(zip(names, tensors))
        return recurrent.layer(mode, (3, 2, 1), reverse, *[given.get(name) for name in shapes])
    check_gradcheck(function, *arrays_in, double_backward=True)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_double_backward_matches_torch(name):
    """Second derivatives through the layer equal PyTorch's (CPU; cuDNN does not support them)."""
    torch.manual_seed(0)
    ours, theirs = getattr(minitorch.nn, name)(2, 3).double(), getattr(torch.nn, name)(2, 3).double()
    copy_weights_from_torch(ours, theirs)
    input = np.random.default_rng(0).standard_normal((3, 2, 2))
    check_double_backward_against_torch(lambda x: ours(x)[0], lambda x: theirs(x)[0], input)


STATE_DICT_CASES = [
    ("RNN", (3, 4), {"num_layers": 2, "nonlinearity": "relu"}),
    ("LSTM", (3, 4), {"num_layers": 2, "bidirectional": True}),
    ("LSTM", (3, 4), {"proj_size": 2, "bias": False, "bidirectional": True}),
    ("GRU", (3, 4), {"num_layers": 3, "bias": False, "batch_first": True, "dropout": 0.25}),
    ("RNNCell", (3, 4), {"bias": False, "nonlinearity": "relu"}),
    ("LSTMCell", (3, 4), {}),
    ("GRUCell", (3, 4), {}),
]


@pytest.mark.parametrize("name, args, options", STATE_DICT_CASES)
def test_parameters_state_dict_and_repr_match_torch(name, args, options):
    """Same keys, shapes and dtypes, in the same order; weights drawn from U(-1/sqrt(hidden), 1/sqrt(hidden));
    the same repr."""
    ours, theirs = getattr(minitorch.nn, name)(*args, **options), getattr(torch.nn, name)(*args, **options)
    assert_same_state_dict(ours, theirs)
    bound = 1 / np.sqrt(args[1])
    for parameter in ours.parameters():
        values = to_numpy(parameter)
        assert values.min() >= -bound and values.max() <= bound and values.std() > 0.1 * bound
    assert repr(ours) == repr(theirs)


def _layer_error(name, *args, input_shape=(5, 2, 28), states=None, input_dtype=np.float32, **options):
    """A program making a layer in either library and calling it on zeros: its error is compared."""
    def program(lib, *_):
        layer = getattr(lib.nn, name)(*args, **options)
        state = None if states is None else tuple(lib.zeros(*shape) for shape in states)
        if state is not None and len(state) == 1:
            state = state[0]
        input = lib.tensor(np.zeros(input_shape, dtype=input_dtype))
        return layer(input, state)
    return program


def _utility_error(call):
    def program(lib, *_):
        return call(lib.nn.utils.rnn, lib)
    return program


ERROR_CASES = {
    "wrong input size": _layer_error("LSTM", 28, 5, input_shape=(5, 2, 27)),
    "wrong h0 shape": _layer_error("LSTM", 28, 5, states=[(1, 3, 5), (1, 2, 5)]),
    "wrong c0 shape": _layer_error("LSTM", 28, 5, states=[(1, 2, 5), (1, 2, 4)]),
    "wrong hx shape for GRU": _layer_error("GRU", 28, 5, 2, states=[(1, 2, 5)]),
    "2-D hx for batched input": _layer_error("RNN", 28, 5, states=[(2, 5)]),
    "3-D states for unbatched input": _layer_error("LSTM", 28, 5, input_shape=(5, 28),
                                                   states=[(1, 1, 5), (1, 1, 5)]),
    "4-D input": _layer_error("GRU", 28, 5, input_shape=(5, 2, 2, 28)),
    "empty sequence": _layer_error("RNN", 28, 5, input_shape=(0, 2, 28)),
    "proj_size not smaller than hidden_size": _layer_error("LSTM", 28, 5, proj_size=5),
    "proj_size given to GRU": _layer_error("GRU", 28, 5, proj_size=2),
    "unknown nonlinearity": _layer_error("RNN", 28, 5, nonlinearity="sigmoid"),
    "dropout out of range": _layer_error("LSTM", 28, 5, dropout=1.5),
    "hidden_size zero": _layer_error("GRU", 28, 0),
    "cell input size": _layer_error("LSTMCell", 27, 5, input_shape=(2, 28)),
    "cell hidden size": _layer_error("GRUCell", 28, 5, input_shape=(2, 28), states=[(2, 6)]),
    "cell batch sizes differ": _layer_error("RNNCell", 28, 5, input_shape=(2, 28), states=[(3, 5)]),
    "cell 3-D input": _layer_error("GRUCell", 28, 5, input_shape=(1, 2, 28)),
    "lengths not sorted": _utility_error(lambda rnn, lib: rnn.pack_padded_sequence(lib.zeros(3, 2, 1), [2, 3])),
    "zero length": _utility_error(lambda rnn, lib: rnn.pack_padded_sequence(lib.zeros(3, 2, 1), [3, 0])),
    "lengths count": _utility_error(lambda rnn, lib: rnn.pack_padded_sequence(lib.zeros(3, 2, 1), [3])),
    "padding side": _utility_error(lambda rnn, lib: rnn.pad_sequence([lib.zeros(2)], padding_side="middle")),
    "no sequences": _utility_error(lambda rnn, lib: rnn.pad_sequence([])),
    "total_length too short": _utility_error(
        lambda rnn, lib: rnn.pad_packed_sequence(rnn.pack_sequence([lib.zeros(3, 1)]), total_length=2)),
}


@pytest.mark.parametrize("case", ERROR_CASES)
def test_errors_match_torch(case):
    check_program(ERROR_CASES[case])


def test_input_dtype_mismatch_raises_like_torch():
    """Same exception type; the message names each library's own dtypes."""
    error = check_program(_layer_error("LSTM", 28, 5, input_dtype=np.float64), message=False)
    assert str(error).startswith("RNN input dtype (minitorch.float64) does not match weight dtype")


@given(lengths=st.lists(st.integers(1, 4), min_size=1, max_size=4), batch_first=st.booleans(),
       padding_value=st.sampled_from([0.0, -1.5]), padding_side=st.sampled_from(["right", "left"]),
       enforce_sorted=st.booleans(), data=st.data())
def test_packing_utilities_match_torch(lengths, batch_first, padding_value, padding_side, enforce_sorted, data):
    """pad_sequence, pack_sequence, pack_padded_sequence, pad_packed_sequence and unpack_sequence:
    values, every field of the PackedSequence, and the gradients back to the sequences."""
    if enforce_sorted:
        lengths = sorted(lengths, reverse=True)
    sequences = [data.draw(arrays((length, 2))) for length in lengths]

    def program(lib, *sequences):
        utils = lib.nn.utils.rnn
        upstream = np.random.default_rng(0)
        sequences = [leaf(lib, sequence) for sequence in sequences]
        padded = utils.pad_sequence(sequences, batch_first, padding_value, padding_side)
        packed = utils.pack_sequence(sequences, enforce_sorted=enforce_sorted)
        repacked = utils.pack_padded_sequence(utils.pad_sequence(sequences, batch_first), lengths,
                                              batch_first=batch_first, enforce_sorted=enforce_sorted)
        unpacked, unpacked_lengths = utils.pad_packed_sequence(repacked, batch_first, padding_value,
                                                               total_length=max(lengths) + 1)
        pieces = utils.unpack_sequence(packed)
        results = [padded, packed.data, repacked.data, unpacked, *pieces]
        lib.autograd.backward(results, [lib.tensor(upstream.standard_normal(tuple(r.shape))) for r in results])
        return (*results, *packed[1:], *repacked[1:], unpacked_lengths, *[s.grad for s in sequences])
    check_program(program, *sequences)


def test_packed_sequence_is_a_named_tuple_that_moves():
    ours = minitorch.nn.utils.rnn.pack_sequence([minitorch.ones(2, 1), minitorch.ones(3, 1)], enforce_sorted=False)
    data, batch_sizes, sorted_indices, unsorted_indices = ours
    assert ours.data is data and batch_sizes.tolist() == [2, 2, 1] and sorted_indices.tolist() == [1, 0]
    assert unsorted_indices.tolist() == [1, 0] and not ours.is_cuda
    double = ours.double()
    assert isinstance(double, minitorch.nn.utils.rnn.PackedSequence) and double.data.dtype is minitorch.float64
    assert double.batch_sizes is ours.batch_sizes and ours.to(minitorch.float32) is ours


def test_dropout_between_layers_matches_torch_in_eval_and_at_p_1():
    """Dropout is off in eval mode (outputs equal torch's); at p=1 in training every layer after the
    first sees zeros in both libraries, which makes the random draw deterministic."""
    torch.manual_seed(0)
    input = np.random.default_rng(0).standard_normal((4, 3, 2))
    for p, training in ((0.5, False), (1.0, True)):
        ours, theirs = _twins("LSTM", np.float64, 2, 3, num_layers=2, dropout=p)
        ours.train(training), theirs.train(training)
        check_module_against_torch(ours, theirs, input)


def test_dropout_between_layers_drops_each_element_with_probability_p():
    """With the second layer made the identity (relu of W_ih = I, no recurrence), its output is the
    first layer's times the dropout mask: each element is kept, times 1/(1-p), with probability 1-p."""
    minitorch.manual_seed(0)
    p, size = 0.3, 8
    rnn = minitorch.nn.RNN(size, size, num_layers=2, nonlinearity="relu", dropout=p)
    with minitorch.no_grad():
        rnn.weight_ih_l1.copy_(minitorch.eye(size))
        rnn.weight_hh_l1.zero_(), rnn.bias_ih_l1.zero_(), rnn.bias_hh_l1.zero_()
    input = minitorch.randn(50, 20, size)
    expected = to_numpy(rnn.eval()(input)[0])
    ratio = to_numpy(rnn.train()(input)[0])[expected > 0] / expected[expected > 0]
    kept = ratio > 0
    np.testing.assert_allclose(ratio[kept], 1 / (1 - p), rtol=1e-5)
    assert abs(1 - kept.mean() - p) < 0.03, f"dropped {1 - kept.mean():.3f}, expected {p}"


def test_dropout_masks_are_consistent_with_the_gradient():
    """The gradient of a training-mode layer (same seed for each call) passes finite differences."""
    rnn = minitorch.nn.GRU(2, 2, num_layers=2, dropout=0.5).double()

    def seeded(input):
        minitorch.manual_seed(0)
        return rnn(input)[0]
    check_gradcheck(seeded, np.random.default_rng(0).standard_normal((3, 2, 2)), double_backward=False)


@pytest.mark.cuda
@pytest.mark.skipif(not minitorch.cuda.is_available(), reason="needs CuPy and a CUDA GPU")
@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_layer_on_gpu_matches_cpu(name):
    """The fused primitive runs on CuPy arrays too: outputs and gradients equal the CPU ones."""
    minitorch.manual_seed(0)
    layer = getattr(minitorch.nn, name)(3, 4, num_layers=2, bidirectional=True).double()
    packed_input = np.random.default_rng(0).standard_normal((5, 2, 3))
    results = []
    for device in ("cpu", "cuda"):
        layer.to(device)
        layer.zero_grad()
        input = minitorch.tensor(packed_input, device=device, requires_grad=True)
        packed = minitorch.nn.utils.rnn.pack_padded_sequence(input, [5, 3])
        output, _ = layer(packed)
        padded, _ = minitorch.nn.utils.rnn.pad_packed_sequence(output)
        (padded * padded).sum().backward()
        results.append([padded, input.grad, *[parameter.grad for parameter in layer.parameters()]])
    for cpu, gpu in zip(*results):
        np.testing.assert_allclose(to_numpy(gpu), to_numpy(cpu), rtol=1e-10, atol=1e-12)
