"""minitorch.save / minitorch.load against torch.save / torch.load: files move both ways with equal
values, dtypes, shapes, requires_grad and storage sharing, for tensors, nested structures, trained
models and optimizer state.

(Refused payloads, damaged files and crash-proof writing: test_serialization_safety.py;
safetensors: test_safetensors.py.)
"""
from __future__ import annotations

import collections
import io
import pathlib
import pickle
import zipfile

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import minitorch
from tests.helpers import OptimizerPair, TORCH_DTYPES, assert_same, to_numpy

LIBRARIES = (minitorch, torch)


def round_trip(obj, save, load, **load_options):
    """``obj`` written by one library's ``save`` into memory and read by ``load``."""
    buffer = io.BytesIO()
    save(obj, buffer)
    buffer.seek(0)
    return load(buffer, **load_options)


def directions(ours, theirs):
    """(what torch.load makes of minitorch's file, what minitorch.load makes of torch's file): each is
    compared with the other library's original, so both directions are checked against PyTorch."""
    return (round_trip(ours, minitorch.save, torch.load, weights_only=True),
            round_trip(theirs, torch.save, minitorch.load, weights_only=True))


# -- tensors of every dtype and layout ------------------------------------------------------------

# The same view in both libraries, made from a base tensor of at least the given number of dimensions.
LAYOUTS = {
    "contiguous": (0, lambda t: t),
    "transposed": (2, lambda t: t.transpose(0, -1)),
    "strided slice": (1, lambda t: t[::2]),
    "offset slice": (1, lambda t: t[1:]),
    "expanded": (1, lambda t: t[:1].expand(3, *t.shape[1:])),
    "element": (1, lambda t: t[(0,) * t.dim()]),
}


@st.composite
def tensor_twins(draw):
    """A minitorch tensor and its torch twin: any dtype, 0 to 3 dimensions (empty ones too), a layout."""
    dtype = draw(st.sampled_from(list(TORCH_DTYPES)))
    layout = draw(st.sampled_from(list(LAYOUTS)))
    min_dims, make_view = LAYOUTS[layout]
    shape = draw(st.lists(st.integers(0 if layout == "contiguous" else 1, 4), min_size=min_dims, max_size=3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    array = (rng.standard_normal(shape) * 50).astype(dtype.numpy_dtype)
    requires_grad = dtype.is_floating_point and draw(st.booleans())
    return [make_view(lib.tensor(array)).requires_grad_(requires_grad) for lib in LIBRARIES]


def assert_same_tensor(ours, theirs, what="tensor"):
    assert_same(ours, theirs, what=what)
    assert ours.requires_grad == theirs.requires_grad, f"{what}: requires_grad {ours.requires_grad}"
    assert type(ours).__name__ == type(theirs).__name__, f"{what}: {type(ours).__name__}, torch {type(theirs).__name__}"


@given(tensor_twins())
def test_tensor_of_any_dtype_and_layout_moves_both_ways(twins):
    ours, theirs = twins
    torch_read, minitorch_read = directions(ours, theirs)
    assert_same_tensor(ours, torch_read, "torch.load of minitorch.save")
    assert_same_tensor(minitorch_read, theirs, "minitorch.load of torch.save")
    # views are written as views: torch sees the strides it would have written itself (a dimension
    # of length one, or an empty tensor, may have any strides)
    reference = round_trip(theirs, torch.save, torch.load)
    if reference.numel():
        assert meaningful_strides(torch_read) == meaningful_strides(reference)


def meaningful_strides(tensor):
    return [step for step, size in zip(tensor.stride(), tensor.shape) if size > 1]


def test_bfloat16_loads_as_float32_with_a_warning():
    theirs = torch.tensor([1.5, -2.25, 3e38], dtype=torch.bfloat16)
    with pytest.warns(UserWarning, match="bfloat16"):
        ours = round_trip(theirs, torch.save, minitorch.load)
    assert_same(ours, theirs.float())


def test_legacy_format_from_before_pytorch_1_6_loads():
    base = torch.arange(12.0).reshape(3, 4)
    theirs = {"base": base, "rows": base[1:], "long": torch.arange(3), "parameter": torch.nn.Parameter(torch.ones(2))}
    buffer = io.BytesIO()
    torch.save(theirs, buffer, _use_new_zipfile_serialization=False)
    buffer.seek(0)
    ours = minitorch.load(buffer)
    assert_same(ours, theirs)
    ours["base"].add_(1)
    assert_same(ours["rows"], base[1:] + 1)


# -- nested structures --------------------------------------------------------------------------

LEAVES = st.one_of(st.integers(-2**40, 2**40), st.floats(allow_nan=False), st.text(max_size=5), st.none(),
                   st.booleans(), st.integers(0, 2**31).map(np.random.default_rng).map(lambda r: r.random(3)))


def containers(children):
    keys = st.one_of(st.text(max_size=4), st.integers(0, 9))
    return st.one_of(st.lists(children, max_size=3), st.lists(children, max_size=3).map(tuple),
                     st.dictionaries(keys, children, max_size=3),
                     st.dictionaries(keys, children, max_size=3).map(collections.OrderedDict))


def build(lib, spec):
    """``spec`` with every NumPy array made a ``lib`` tensor, container types kept."""
    if isinstance(spec, np.ndarray):
        return lib.tensor(spec)
    if isinstance(spec, dict):
        return type(spec)((key, build(lib, value)) for key, value in spec.items())
    if isinstance(spec, (list, tuple)):
        return type(spec)(build(lib, value) for value in spec)
    return spec


def container_types(value):
    """The nesting of containers, tensors named alike in both libraries (assert_same accepts a tuple for a list)."""
    if isinstance(value, (minitorch.Tensor, torch.Tensor)):
        return "tensor"
    if isinstance(value, dict):
        return type(value).__name__, [(key, container_types(inner)) for key, inner in value.items()]
    if isinstance(value, (list, tuple)):
        return type(value).__name__, [container_types(inner) for inner in value]
    return type(value).__name__


@given(st.recursive(LEAVES, containers, max_leaves=8))
def test_nested_containers_of_tensors_and_python_values_move_both_ways(spec):
    ours, theirs = build(minitorch, spec), build(torch, spec)
    torch_read, minitorch_read = directions(ours, theirs)
    assert_same(ours, torch_read, what="torch.load of minitorch.save")
    assert_same(minitorch_read, theirs, what="minitorch.load of torch.save")
    assert container_types(torch_read) == container_types(minitorch_read) == container_types(theirs)


def test_sizes_devices_dtypes_bytes_sets_and_complex_numbers_move_both_ways():
    ours = [minitorch.Size([2, 3]), minitorch.device("cpu"), minitorch.float16, minitorch.int64, b"\x00\xff",
            {1, 2}, 1 + 2j]
    theirs = [torch.Size([2, 3]), torch.device("cpu"), torch.float16, torch.int64, b"\x00\xff", {1, 2}, 1 + 2j]
    torch_read, minitorch_read = directions(ours, theirs)
    assert torch_read == theirs
    assert minitorch_read == ours


# -- shared storage -------------------------------------------------------------------------------

VIEWS = {
    "row": lambda t: t[1], "column": lambda t: t[:, 2], "transpose": lambda t: t.T, "every other row": lambda t: t[::2],
    "flat": lambda t: t.view(12), "element": lambda t: t[1, 1], "expanded row": lambda t: t[0].expand(2, 4),
}


def shared(lib):
    base = lib.arange(12.0).reshape(3, 4)
    return {"base": base, **{name: make(base) for name, make in VIEWS.items()}}


def data_records(save, obj):
    buffer = io.BytesIO()
    save(obj, buffer)
    return sorted(name for name in zipfile.ZipFile(buffer).namelist() if "/data/" in name)


def test_views_of_one_tensor_are_saved_once_and_still_share_memory_after_loading_in_either_library():
    ours, theirs = shared(minitorch), shared(torch)
    assert data_records(minitorch.save, ours) == data_records(torch.save, theirs)  # one storage in both
    reference = round_trip(theirs, torch.save, torch.load)
    torch_read, minitorch_read = directions(ours, theirs)
    resaved = round_trip(minitorch_read, minitorch.save, torch.load, weights_only=True)  # minitorch's loaded views
    for loaded in (reference, torch_read, minitorch_read, resaved):
        loaded["base"].mul_(-2)  # the change must reach every view
    assert_same(minitorch_read, reference, what="minitorch.load of torch.save, after a change to the base")
    for loaded in (torch_read, resaved):
        for name, value in reference.items():
            np.testing.assert_array_equal(to_numpy(loaded[name]), to_numpy(value), err_msg=name)


def test_a_flipped_view_is_saved_as_a_copy_with_its_values():
    base = minitorch.arange(6.0).reshape(2, 3)
    loaded = round_trip({"base": base, "flipped": base.flip(1)}, minitorch.save, torch.load, weights_only=True)
    assert_same(minitorch.arange(6.0).reshape(2, 3).flip(1), loaded["flipped"])
    assert loaded["flipped"].is_contiguous()


# -- parameters, files, map_location ---------------------------------------------------------------

@pytest.mark.parametrize("requires_grad", [True, False])
def test_parameter_moves_both_ways_as_a_parameter(requires_grad):
    values = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    ours = minitorch.nn.Parameter(minitorch.tensor(values), requires_grad=requires_grad)
    theirs = torch.nn.Parameter(torch.tensor(values), requires_grad=requires_grad)
    torch_read, minitorch_read = directions(ours, theirs)
    assert_same_tensor(ours, torch_read)
    assert_same_tensor(minitorch_read, theirs)
    assert isinstance(minitorch_read, minitorch.nn.Parameter)


TARGETS = {
    "str path": lambda path: str(path),
    "pathlib path": lambda path: path,
    "open file": lambda path: open(path, "w+b"),
}


@pytest.mark.parametrize("target", TARGETS)
def test_paths_and_file_objects_are_written_and_read_like_torch_does(tmp_path, target):
    def rewound(f):
        if hasattr(f, "seek"):
            f.seek(0)
        return f

    values = np.arange(6, dtype=np.int32)
    written = {}
    for lib in LIBRARIES:
        f = TARGETS[target](tmp_path / f"{lib.__name__}.pt")
        lib.save({"weights": lib.tensor(values)}, f)
        written[lib] = [reader(rewound(f))["weights"] for reader in (minitorch.load, torch.load)]
        if hasattr(f, "close"):
            f.close()
    for ours, theirs in (written[minitorch], written[torch]):
        assert_same(ours, theirs)
    # the same records under the same folder name (the file's stem, or 'archive' for a file object)
    records = {lib: [name.split("/", 1)[1] for name in zipfile.ZipFile(tmp_path / f"{lib.__name__}.pt").namelist()]
               for lib in LIBRARIES}
    assert records[minitorch] == records[torch]


MAP_LOCATIONS = {
    "cpu string": ("cpu", "cpu"),
    "device": (minitorch.device("cpu"), torch.device("cpu")),
    "dict": ({"cpu": "cpu"}, {"cpu": "cpu"}),
    "callable returning the storage": (lambda storage, location: storage, lambda storage, location: storage),
    "callable returning None": (lambda storage, location: None, lambda storage, location: None),
}


@pytest.mark.parametrize("case", MAP_LOCATIONS)
def test_map_location_to_the_cpu_in_every_form_torch_accepts(case):
    ours_location, their_location = MAP_LOCATIONS[case]
    theirs = {"a": torch.arange(4.0), "b": torch.ones(2, dtype=torch.int16)}
    buffer = io.BytesIO()
    torch.save(theirs, buffer)
    assert_same(minitorch.load(io.BytesIO(buffer.getvalue()), map_location=ours_location),
                torch.load(io.BytesIO(buffer.getvalue()), map_location=their_location, weights_only=True))


def raised(call):
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the point is to compare what each library raises
        return type(error).__name__, str(error).replace("minitorch", "torch").split(".")[0]  # first sentence
    raise AssertionError("nothing raised")


def torch_file():
    buffer = io.BytesIO()
    torch.save(torch.ones(2), buffer)
    return buffer.getvalue()


ERRORS = {
    "target without write": lambda lib: lib.save(lib.ones(1), 42),
    "pickle_module with weights_only": lambda lib: lib.load(io.BytesIO(torch_file()), pickle_module=pickle,
                                                          weights_only=True),
    "plain object with weights_only": lambda lib: round_trip(Checkpoint(1, None), lib.save, lib.load,
                                                                  weights_only=True),
}
if not torch.cuda.is_available() and not minitorch.cuda.is_available():
    ERRORS["map_location cuda without a GPU"] = lambda lib: lib.load(io.BytesIO(torch_file()), map_location="cuda")


@pytest.mark.parametrize("case", ERRORS)
def test_errors_are_raised_like_torch(case):
    assert raised(lambda: ERRORS[case](minitorch)) == raised(lambda: ERRORS[case](torch))


class Checkpoint:
    """A plain Python object holding a tensor: only ``weights_only=False`` loads it."""

    def __init__(self, epoch, weights):
        self.epoch = epoch
        self.weights = weights


def test_weights_only_false_loads_a_plain_python_object_both_ways():
    ours = Checkpoint(3, minitorch.arange(3.0))
    theirs = Checkpoint(3, torch.arange(3.0))
    torch_read = round_trip(ours, minitorch.save, torch.load, weights_only=False)
    minitorch_read = round_trip(theirs, torch.save, minitorch.load, weights_only=False)
    for loaded in (torch_read, minitorch_read):
        assert type(loaded) is Checkpoint and loaded.epoch == 3
    assert_same(ours.weights, torch_read.weights)
    assert_same(minitorch_read.weights, theirs.weights)


# -- trained models and optimizers ----------------------------------------------------------------

class Recurrent:
    """An LSTM's output sequence (the model's forward returns a tuple)."""

    @staticmethod
    def make(lib):
        return lib.nn.LSTM(5, 6, num_layers=2, batch_first=True)

    @staticmethod
    def run(model, inputs):
        return model(inputs)[0]


MODELS = {
    "cnn with batchnorm": (lambda lib: lib.nn.Sequential(
        lib.nn.Conv2d(2, 4, 3), lib.nn.BatchNorm2d(4), lib.nn.ReLU(), lib.nn.Flatten(), lib.nn.Linear(4 * 4 * 4, 3)),
        lambda model, inputs: model(inputs), (4, 2, 6, 6)),
    "lstm": (Recurrent.make, Recurrent.run, (3, 4, 5)),
    "transformer encoder": (lambda lib: lib.nn.TransformerEncoder(
        lib.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True), 2,
        enable_nested_tensor=False), lambda model, inputs: model(inputs), (2, 3, 8)),
}


def trained(lib, case, steps=3):
    """A model of ``case`` after a few SGD steps with momentum (so batch-norm statistics moved too)."""
    make, run, shape = MODELS[case]
    lib.manual_seed(0)
    model = make(lib)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    rng = np.random.default_rng(1)
    for _ in range(steps):
        loss = run(model, lib.tensor(rng.standard_normal(shape).astype(np.float32))).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


@pytest.mark.parametrize("trained_in", LIBRARIES, ids=lambda lib: f"trained in {lib.__name__}")
@pytest.mark.parametrize("case", MODELS)
def test_model_trained_in_one_library_gives_the_same_outputs_in_the_other_after_save_and_load(tmp_path, case,
                                                                                                trained_in):
    make, run, shape = MODELS[case]
    source = trained(trained_in, case)
    path = tmp_path / "model.pt"
    trained_in.save(source.state_dict(), path)
    other = torch if trained_in is minitorch else minitorch
    target = make(other).eval()
    state = other.load(path, weights_only=True)
    target.load_state_dict(state)
    ours, theirs = (source, target) if trained_in is minitorch else (target, source)
    inputs = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    with torch.no_grad(), minitorch.no_grad():
        assert_same(run(ours, minitorch.tensor(inputs)), run(theirs, torch.tensor(inputs)))
    assert state._metadata == theirs.state_dict()._metadata


OPTIMIZERS = {
    "SGD with momentum": ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    "Adam with amsgrad": ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
}


def hand_over_through_a_file(pair, path, from_minitorch):
    """Save one side's optimizer state_dict to ``path`` and load it into a fresh optimizer of the other."""
    if from_minitorch:
        minitorch.save(pair.optimizer.state_dict(), path)
        fresh = type(pair.torch_optimizer)(pair._groups_like(pair.torch_optimizer))
        fresh.load_state_dict(torch.load(path, weights_only=True))
        pair.torch_optimizer = fresh
    else:
        torch.save(pair.torch_optimizer.state_dict(), path)
        fresh = type(pair.optimizer)(pair._groups_like(pair.optimizer))
        fresh.load_state_dict(minitorch.load(path))
        pair.optimizer = fresh


@pytest.mark.parametrize("from_minitorch", [True, False], ids=["minitorch to torch", "torch to minitorch"])
@pytest.mark.parametrize("case", OPTIMIZERS)
def test_optimizer_state_dict_moves_through_a_file_and_training_goes_on_alike(tmp_path, case, from_minitorch):
    pair = OptimizerPair(*OPTIMIZERS[case])
    for phase in range(2):
        for _ in range(3):
            pair.feed_random_gradients()
            pair.step()
        if phase == 0:
            hand_over_through_a_file(pair, tmp_path / "optimizer.pt", from_minitorch)
            pair.assert_same_state("state_dict after loading")
    pair.assert_same_parameters("3 steps after loading")
