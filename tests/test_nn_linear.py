"""Linear, Bilinear, Identity, Embedding and one_hot against PyTorch: values, gradients, errors,
state_dict layout, printing and initial weight distributions."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import minitorch
import minitorch.nn.functional as F
from tests.helpers import (
    assert_same_state_dict, check_against_torch, check_double_backward_against_torch, check_gradcheck,
    check_module_against_torch, check_program, to_numpy,
)
from tests.strategies import FLOAT_DTYPES, arrays, shapes


def twins(name, *args, dtype=np.float32, **kwargs):
    """The minitorch layer and its torch twin, built with the same arguments, in ``dtype``."""
    ours, theirs = getattr(minitorch.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    return (ours.double(), theirs.double()) if dtype == np.float64 else (ours, theirs)


# ---------------------------------------------------------------------------------------------
# Linear and Identity
# ---------------------------------------------------------------------------------------------

@given(data=st.data(), batch=shapes(min_dims=0, max_dims=3, max_side=4), in_features=st.integers(1, 6),
       out_features=st.integers(1, 6), bias=st.booleans(), dtype=FLOAT_DTYPES)
def test_linear_layer_matches_torch(data, batch, in_features, out_features, bias, dtype):
    values = data.draw(arrays(batch + (in_features,), dtype))
    check_module_against_torch(*twins("Linear", in_features, out_features, bias, dtype=dtype), values)


def _composite_linear(lib, x, weight, bias):
    return lib.matmul(x, weight.t()) + bias


@pytest.mark.parametrize("shape", [(5,), (4, 5), (2, 3, 5), (0, 5)])
def test_linear_function_gradients_equal_torch_and_the_matmul_composite(shape):
    rng = np.random.default_rng(0)
    x, weight, bias = rng.normal(size=shape), rng.normal(size=(3, 5)), rng.normal(size=3)
    check_against_torch(F.linear, torch.nn.functional.linear, x, weight, bias)
    check_against_torch(F.linear, lambda *args: _composite_linear(torch, *args), x, weight, bias)
    check_against_torch(lambda x, w: F.linear(x, w), lambda x, w: torch.nn.functional.linear(x, w), x, weight)


def test_linear_is_one_graph_node_with_a_second_derivative():
    rng = np.random.default_rng(1)
    x, weight, bias = (minitorch.tensor(rng.normal(size=s), requires_grad=True) for s in [(2, 4, 5), (3, 5), (3,)])
    y = F.linear(x, weight, bias)
    assert y.grad_fn.name() == "LinearBackward"
    assert all(node.name().endswith("AccumulateGrad") for node, _ in y.grad_fn.next_functions)
    assert len(y.grad_fn.next_functions) == 3
    arrays_ = [rng.normal(size=s) for s in [(2, 4, 5), (3, 5), (3,)]]
    check_double_backward_against_torch(F.linear, torch.nn.functional.linear, *arrays_)
    check_gradcheck(F.linear, *[rng.normal(size=s) for s in [(2, 5), (3, 5), (3,)]])


@pytest.mark.parametrize("weight_shape, bias_shape", [((4,), None), ((3, 4), (1,)), ((3, 4), ())])
def test_linear_rare_weight_and_bias_forms_match_torch(weight_shape, bias_shape):
    rng = np.random.default_rng(2)
    arguments = [rng.normal(size=(2, 4)), rng.normal(size=weight_shape)]
    if bias_shape is not None:
        arguments.append(rng.normal(size=bias_shape))
    check_against_torch(F.linear, torch.nn.functional.linear, *arguments)


LINEAR_ERRORS = [
    ("wrong feature size", lambda lib: lib.nn.Linear(5, 2)(lib.ones(4, 3))),
    ("wrong feature size in a batch", lambda lib: lib.nn.functional.linear(lib.ones(6, 4, 3), lib.ones(2, 5))),
    ("wrong size of a vector input", lambda lib: lib.nn.functional.linear(lib.ones(3), lib.ones(2, 5))),
    ("a 0-d input", lambda lib: lib.nn.functional.linear(lib.ones(()), lib.ones(2, 5))),
    ("input and weight of two dtypes", lambda lib: lib.nn.functional.linear(lib.ones(4, 5, dtype=lib.float64),
                                                                             lib.ones(2, 5))),
    ("a bias of the wrong size", lambda lib: lib.nn.functional.linear(lib.ones(4, 5), lib.ones(2, 5), lib.ones(3))),
    ("bilinear inputs of two batch sizes", lambda lib: lib.nn.functional.bilinear(
        lib.ones(4, 3), lib.ones(5, 2), lib.ones(6, 3, 2))),
    ("bilinear input2 of the wrong size", lambda lib: lib.nn.functional.bilinear(
        lib.ones(4, 3), lib.ones(4, 2), lib.ones(6, 3, 5))),
    ("bilinear bias of the wrong size", lambda lib: lib.nn.functional.bilinear(
        lib.ones(4, 3), lib.ones(4, 2), lib.ones(6, 3, 2), lib.ones(5))),
]


@pytest.mark.parametrize("what, program", LINEAR_ERRORS, ids=[what for what, _ in LINEAR_ERRORS])
def test_linear_errors_match_torch(what, program):
    check_program(program)


def test_identity_returns_its_input_and_ignores_arguments():
    x = minitorch.ones(2)
    assert minitorch.nn.Identity(54, unused="argument")(x) is x
    assert repr(minitorch.nn.Identity(3)) == repr(torch.nn.Identity(3))


LAYERS = [("Linear", (3, 4)), ("Linear", (3, 4, False)), ("Bilinear", (2, 3, 4)), ("Bilinear", (2, 3, 4, False)),
          ("Embedding", (5, 3)), ("Embedding", (5, 3, -1)), ("Identity", ())]
EMBEDDING_REPRS = [{"max_norm": 1.0, "norm_type": 1.0, "scale_grad_by_freq": True}, {"padding_idx": 0},
                   {"sparse": True}]


@pytest.mark.parametrize("name, args", LAYERS)
def test_layer_state_dict_and_repr_match_torch(name, args):
    ours, theirs = twins(name, *args)
    assert_same_state_dict(ours, theirs)
    assert repr(ours) == repr(theirs)
    for ours_double, theirs_double in [twins(name, *args, dtype=np.float64)]:
        assert_same_state_dict(ours_double, theirs_double)


@pytest.mark.parametrize("options", EMBEDDING_REPRS)
def test_embedding_repr_with_options_matches_torch(options):
    assert repr(minitorch.nn.Embedding(4, 2, **options)) == repr(torch.nn.Embedding(4, 2, **options))


@pytest.mark.parametrize("in_features, out_features", [(16, 500), (400, 30)])
def test_linear_initial_weights_are_uniform_within_one_over_sqrt_fan_in(in_features, out_features):
    minitorch.manual_seed(0)
    layer = minitorch.nn.Linear(in_features, out_features, device="cpu", dtype=minitorch.float64)
    bound = 1 / math.sqrt(in_features)
    weight, bias = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert layer.weight.dtype is minitorch.float64
    assert np.abs(weight).max() <= bound and np.abs(bias).max() <= bound
    assert np.abs(weight).max() > 0.99 * bound  # 8000 draws fill the interval
    assert abs(weight.std() - bound / math.sqrt(3)) < 0.03 * bound  # U(-b, b) has std b/sqrt(3)
    assert abs(weight.mean()) < 0.03 * bound


def test_bilinear_initial_weights_are_uniform_within_one_over_sqrt_in1():
    minitorch.manual_seed(0)
    layer = minitorch.nn.Bilinear(25, 10, 40)
    assert np.abs(layer.weight.detach().numpy()).max() <= 0.2 and np.abs(layer.bias.detach().numpy()).max() <= 0.2
    assert abs(layer.weight.detach().numpy().std() - 0.2 / math.sqrt(3)) < 0.01


# ---------------------------------------------------------------------------------------------
# Bilinear
# ---------------------------------------------------------------------------------------------

@given(data=st.data(), batch=shapes(min_dims=0, max_dims=2, max_side=4), sizes=st.tuples(*[st.integers(1, 4)] * 3),
       bias=st.booleans(), dtype=FLOAT_DTYPES)
def test_bilinear_layer_matches_torch(data, batch, sizes, bias, dtype):
    in1, in2, out = sizes
    x1, x2 = data.draw(arrays(batch + (in1,), dtype)), data.draw(arrays(batch + (in2,), dtype))
    check_module_against_torch(*twins("Bilinear", in1, in2, out, bias, dtype=dtype), x1, x2)


# ---------------------------------------------------------------------------------------------
# Embedding and one_hot
# ---------------------------------------------------------------------------------------------

@given(data=st.data(), shape=shapes(min_dims=0, max_dims=3, max_side=4), num=st.integers(1, 6),
       dim=st.integers(1, 4), dtype=FLOAT_DTYPES, scale_grad_by_freq=st.booleans())
def test_embedding_layer_matches_torch(data, shape, num, dim, dtype, scale_grad_by_freq):
    padding_idx = data.draw(st.one_of(st.none(), st.integers(-num, num - 1)), label="padding_idx")
    index_dtype = data.draw(st.sampled_from([np.int64, np.int32]), label="index dtype")
    indices = np.asarray(data.draw(arrays(shape, np.float64, 0, num - 1e-9))).astype(index_dtype)
    layers = twins("Embedding", num, dim, padding_idx, scale_grad_by_freq=scale_grad_by_freq, dtype=dtype)
    check_module_against_torch(*layers, indices)


def test_embedding_backward_scatter_adds_repeated_indices_and_skips_the_padding_row():
    weight = minitorch.zeros(4, 2, requires_grad=True)
    F.embedding(minitorch.tensor([[1, 3, 1], [0, 1, 3]]), weight, padding_idx=3).backward(minitorch.ones(2, 3, 2))
    assert weight.grad.tolist() == [[1, 1], [3, 3], [0, 0], [0, 0]]


def test_embedding_second_derivative_matches_torch():
    indices = np.array([[0, 2], [2, 1]])
    check_double_backward_against_torch(lambda w: F.embedding(minitorch.tensor(indices), w) ** 2,
                                        lambda w: torch.nn.functional.embedding(torch.tensor(indices), w) ** 2,
                                        np.random.default_rng(3).normal(size=(4, 3)))


@pytest.mark.parametrize("max_norm, norm_type", [(1.0, 2.0), (0.5, 1.0), (100.0, 2.0)])
def test_embedding_max_norm_renormalises_used_rows_in_place_like_torch(max_norm, norm_type):
    def program(lib, weight, indices):
        weight = lib.tensor(weight, requires_grad=True)
        out = lib.nn.functional.embedding(lib.tensor(indices), weight, max_norm=max_norm, norm_type=norm_type)
        return out, weight.detach()

    check_program(program, np.random.default_rng(4).normal(size=(5, 3)) * 2, np.array([[0, 1], [1, 4]]))


def test_embedding_initial_weights_are_standard_normal_with_a_zero_padding_row():
    minitorch.manual_seed(0)
    weight = minitorch.nn.Embedding(1000, 20, padding_idx=7).weight.detach().numpy()
    assert not weight[7].any()
    assert abs(weight.mean()) < 0.02 and abs(weight.std() - 1) < 0.02


@pytest.mark.parametrize("freeze", [True, False])
def test_embedding_from_pretrained_uses_the_given_weights(freeze):
    values = np.random.default_rng(5).normal(size=(4, 2)).astype(np.float32)
    ours = minitorch.nn.Embedding.from_pretrained(minitorch.tensor(values), freeze=freeze, padding_idx=1)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(values), freeze=freeze, padding_idx=1)
    assert ours.weight.requires_grad == theirs.weight.requires_grad == (not freeze)
    assert repr(ours) == repr(theirs)
    np.testing.assert_array_equal(to_numpy(ours(minitorch.tensor([1, 3]))), to_numpy(theirs(torch.tensor([1, 3]))))


EMBEDDING_ERRORS = [
    ("float indices", lambda lib: lib.nn.functional.embedding(lib.tensor([1.0, 2.0]), lib.ones(5, 3))),
    ("an index past the end", lambda lib: lib.nn.functional.embedding(lib.tensor([1, 5]), lib.ones(5, 3))),
    ("a negative index", lambda lib: lib.nn.functional.embedding(lib.tensor([1, -1]), lib.ones(5, 3))),
    ("a 1-D weight", lambda lib: lib.nn.functional.embedding(lib.tensor([1]), lib.ones(5))),
    ("padding_idx past the end", lambda lib: lib.nn.functional.embedding(lib.tensor([1]), lib.ones(5, 3),
                                                                          padding_idx=5)),
    ("layer padding_idx before the start", lambda lib: lib.nn.Embedding(5, 3, padding_idx=-6)),
    ("from_pretrained of a vector", lambda lib: lib.nn.Embedding.from_pretrained(lib.ones(4))),
    ("one_hot of int32", lambda lib: lib.nn.functional.one_hot(lib.tensor([0, 2], dtype=lib.int32), 5)),
    ("one_hot of floats", lambda lib: lib.nn.functional.one_hot(lib.tensor([1.0]))),
    ("one_hot of a negative class", lambda lib: lib.nn.functional.one_hot(lib.tensor([0, -2]), 5)),
    ("one_hot of a class past num_classes", lambda lib: lib.nn.functional.one_hot(lib.tensor([0, 7]), 5)),
    ("one_hot of an empty tensor", lambda lib: lib.nn.functional.one_hot(lib.tensor([], dtype=lib.int64))),
]


@pytest.mark.parametrize("what, program", EMBEDDING_ERRORS, ids=[what for what, _ in EMBEDDING_ERRORS])
def test_embedding_and_one_hot_errors_match_torch(what, program):
    check_program(program)


@given(shape=shapes(min_dims=0, max_dims=3), num_classes=st.integers(-1, 6), data=st.data())
def test_one_hot_matches_torch(shape, num_classes, data):
    high = num_classes if num_classes > 0 else 6
    indices = data.draw(arrays(shape, np.float64, 0, high - 1e-9)).astype(np.int64)
    if num_classes == 0 or (num_classes == -1 and indices.size == 0):
        num_classes = high
    check_against_torch(lambda x: F.one_hot(x, num_classes), lambda x: torch.nn.functional.one_hot(x, num_classes),
                        indices)
