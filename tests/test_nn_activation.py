"""Activation functions and layers against PyTorch: values, gradients (kinks included), second
derivatives, erf's accuracy, in-place variants, errors and printing."""
import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import minitorch
import minitorch.nn.functional as F
from minitorch.ops.activation import Gelu
from tests.helpers import (
    assert_same,
    check_against_torch, check_double_backward_against_torch, check_gradcheck, check_module_against_torch,
    check_program,
)
from tests.strategies import FLOAT_DTYPES, arrays, shapes

# name: (module class name, drawn options, the points where the gradient has a kink for those options)
ACTIVATIONS = {
    "relu": ("ReLU", {}, lambda o: [0.0]),
    "relu6": ("ReLU6", {}, lambda o: [0.0, 6.0]),
    "leaky_relu": ("LeakyReLU", {"negative_slope": st.floats(0.001, 0.5)}, lambda o: [0.0]),
    "elu": ("ELU", {"alpha": st.floats(0.1, 2.0)}, lambda o: [0.0]),
    "selu": ("SELU", {}, lambda o: [0.0]),
    # (PyTorch's celu gradient uses 1/alpha rounded to float32: alphas whose inverse is exact in float32)
    "celu": ("CELU", {"alpha": st.sampled_from([0.25, 0.5, 1.0, 2.0, 4.0])}, lambda o: [0.0]),
    "gelu": ("GELU", {"approximate": st.sampled_from(["none", "tanh"])}, lambda o: []),
    "silu": ("SiLU", {}, lambda o: []),
    "mish": ("Mish", {}, lambda o: []),
    "sigmoid": ("Sigmoid", {}, lambda o: []),
    "tanh": ("Tanh", {}, lambda o: []),
    "hardtanh": ("Hardtanh", {"min_val": st.floats(-2.0, -0.5), "max_val": st.floats(0.5, 2.0)},
                 lambda o: [o.get("min_val", -1.0), o.get("max_val", 1.0)]),
    "hardsigmoid": ("Hardsigmoid", {}, lambda o: [-3.0, 3.0]),
    "hardswish": ("Hardswish", {}, lambda o: [-3.0, 3.0]),
    "softplus": ("Softplus", {"beta": st.floats(0.5, 2.0), "threshold": st.floats(1.0, 20.0)},
                 lambda o: [o.get("threshold", 20.0) / o.get("beta", 1.0)]),
    "softsign": ("Softsign", {}, lambda o: []),
    "logsigmoid": ("LogSigmoid", {}, lambda o: []),
    "threshold": ("Threshold", {"threshold": st.floats(-1.0, 1.0), "value": st.floats(-2.0, 2.0)},
                  lambda o: [o.get("threshold", 0.5)]),
    "tanhshrink": ("Tanhshrink", {}, lambda o: []),
    "softshrink": ("Softshrink", {"lambd": st.floats(0.1, 1.0)}, lambda o: [-o.get("lambd", 0.5), o.get("lambd", 0.5)]),
    "hardshrink": ("Hardshrink", {"lambd": st.floats(0.1, 1.0)}, lambda o: [-o.get("lambd", 0.5), o.get("lambd", 0.5)]),
}
REQUIRED = {"threshold": {"threshold": 0.5, "value": -1.0}}  # options without defaults
PRIMITIVES = ["elu", "selu", "celu", "gelu", "hardtanh", "softplus", "logsigmoid"]


PIECEWISE_LINEAR = ["relu6", "leaky_relu", "hardtanh", "hardsigmoid", "threshold", "softshrink", "hardshrink"]


def _exact_torch_hardsigmoid(x, inplace=False):
    """PyTorch's hardsigmoid gradient is 1/6 rounded to float32 even for float64 inputs; its exact twin."""
    return torch.nn.functional.hardtanh(x + 3, 0.0, 6.0, inplace=False).div(6)


class _ExactTorchHardsigmoid(torch.nn.Module):
    def forward(self, x):
        return _exact_torch_hardsigmoid(x)


def functions(name):
    theirs = _exact_torch_hardsigmoid if name == "hardsigmoid" else getattr(torch.nn.functional, name)
    return getattr(F, name), theirs


def layers(name, options):
    module_name = ACTIVATIONS[name][0]
    theirs = _ExactTorchHardsigmoid() if name == "hardsigmoid" else getattr(torch.nn, module_name)(**options)
    return getattr(minitorch.nn, module_name)(**options), theirs


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@given(data=st.data(), shape=shapes(max_dims=3), dtype=FLOAT_DTYPES)
def test_activation_function_and_layer_match_torch(name, data, shape, dtype):
    _, option_strategies, kinks = ACTIVATIONS[name]
    options = {**REQUIRED.get(name, {}), **{key: data.draw(s, label=key) for key, s in option_strategies.items()}}
    values = data.draw(arrays(shape, dtype, low=-8.0, high=8.0, avoid=kinks(options), min_gap=0.05))
    ours, theirs = functions(name)
    check_against_torch(lambda x: ours(x, **options), lambda x: theirs(x, **options), values)
    check_module_against_torch(*layers(name, options), values)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_gradient_at_its_kinks_follows_torch(name):
    options = REQUIRED.get(name, {})
    points = ACTIVATIONS[name][2](options)
    values = np.array(points + [-2.5, -0.25, 0.25, 2.5], dtype=np.float64)
    ours, theirs = functions(name)
    check_against_torch(lambda x: ours(x, **options), lambda x: theirs(x, **options), values)


@pytest.mark.parametrize("name", sorted(set(ACTIVATIONS) - set(PIECEWISE_LINEAR)))
def test_activation_second_derivative_matches_torch(name):
    options = REQUIRED.get(name, {})
    values = np.random.default_rng(1).uniform(-4, 4, size=(3, 4))
    ours, theirs = functions(name)
    check_double_backward_against_torch(lambda x: ours(x, **options), lambda x: theirs(x, **options), values)


@pytest.mark.parametrize("name", PIECEWISE_LINEAR)
def test_piecewise_linear_activation_has_zero_second_derivative(name):
    x = minitorch.tensor(np.random.default_rng(1).uniform(-4, 4, size=(3, 4)), requires_grad=True)
    y = getattr(F, name)(x, **REQUIRED.get(name, {}))
    (grad,) = minitorch.autograd.grad(y, x, minitorch.ones_like(y), create_graph=True)
    if grad.requires_grad:  # else the first derivative is a constant of x, as it should be
        (second,) = minitorch.autograd.grad(grad.sum(), x, allow_unused=True)
        assert second is None or not second.numpy().any()


PRIMITIVE_CASES = [("erf", {}), ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("elu", {"alpha": 0.7}),
                   ("selu", {}), ("celu", {"alpha": 1.5}), ("hardtanh", {}), ("softplus", {"beta": 2.0}),
                   ("softplus", {"threshold": 1.0}), ("logsigmoid", {})]


@pytest.mark.parametrize("name, options", PRIMITIVE_CASES)
def test_activation_primitive_passes_gradcheck(name, options):
    kinks = ACTIVATIONS[name][2](options) if name in ACTIVATIONS else []
    values = np.random.default_rng(2).uniform(-3, 3, size=(2, 3))
    for kink in kinks:  # keep finite differences off the kinks
        values[np.abs(values - kink) < 0.05] += 0.1
    check_gradcheck(lambda x: getattr(F, name)(x, **options), values)


def test_erf_matches_torch_to_a_few_ulps_in_float64():
    x = np.concatenate([np.linspace(-7, 7, 20001), [0.0, 5e-324, -1e-300, 1e-20, 0.9999999999, 1.0, 5.999, 6.0,
                                                    27.0, np.inf, -np.inf, np.nan]])
    ours, expected = F.erf(minitorch.tensor(x)).numpy(), torch.erf(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, expected, rtol=4e-15, atol=0, equal_nan=True)


@given(shape=shapes(max_dims=3), dtype=FLOAT_DTYPES, data=st.data())
def test_erf_matches_torch(shape, dtype, data):
    check_against_torch(F.erf, torch.erf, data.draw(arrays(shape, dtype, low=-5, high=5)))


def test_erf_of_integers_is_float_like_torch():
    check_against_torch(F.erf, torch.erf, np.arange(-3, 4))


def _gelu_composite(x):
    return 0.5 * x * (1 + F.erf(x * (1 / math.sqrt(2))))


def test_gelu_primitive_gradients_equal_the_erf_composite():
    values = np.random.default_rng(3).normal(size=(4, 5)) * 2
    x1, x2 = (minitorch.tensor(values, requires_grad=True) for _ in range(2))
    upstream = minitorch.tensor(np.random.default_rng(4).normal(size=(4, 5)))
    y1, y2 = Gelu.apply(x1, "none"), _gelu_composite(x2)
    np.testing.assert_allclose(y1.detach().numpy(), y2.detach().numpy(), rtol=1e-14, atol=1e-15)
    (g1,) = minitorch.autograd.grad(y1, x1, upstream, create_graph=True)
    (g2,) = minitorch.autograd.grad(y2, x2, upstream, create_graph=True)
    np.testing.assert_allclose(g1.detach().numpy(), g2.detach().numpy(), rtol=1e-13, atol=1e-14)
    (h1,), (h2,) = minitorch.autograd.grad(g1.sum(), x1), minitorch.autograd.grad(g2.sum(), x2)
    np.testing.assert_allclose(h1.numpy(), h2.numpy(), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("x", [-800.0, -50.0, 50.0, 800.0])
@pytest.mark.parametrize("name", ["softplus", "logsigmoid", "elu", "selu", "silu", "mish", "gelu"])
def test_activation_stays_finite_at_large_inputs_like_torch(name, x):
    ours, theirs = functions(name)
    check_against_torch(ours, theirs, np.array([x, -x / 2, 0.5]))


INPLACE = ["relu", "relu6", "leaky_relu", "elu", "selu", "celu", "silu", "mish", "hardtanh", "hardsigmoid",
           "hardswish", "threshold"]


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_activation_overwrites_its_input_and_backpropagates_like_torch(name):
    options = REQUIRED.get(name, {})

    def program(lib, values):
        leaf = lib.tensor(values.astype(np.float32), requires_grad=True)  # float32: see _exact_torch_hardsigmoid
        x = leaf * 1.0
        y = getattr(lib.nn.functional, name)(x, inplace=True, **options)
        y.backward(lib.ones_like(y) * 0.5)
        return y is x, y, leaf.grad

    check_program(program, np.random.default_rng(5).uniform(-4, 4, size=(3, 4)))


@pytest.mark.parametrize("name", ["relu_", "elu_", "leaky_relu_", "hardtanh_"])
def test_underscore_functions_work_in_place_like_torch(name):
    def program(lib, values):
        x = lib.tensor(values)
        return getattr(lib.nn.functional, name)(x) is x, x

    check_program(program, np.linspace(-3, 3, 7))


@pytest.mark.parametrize("num_parameters, shape", [(1, (4,)), (1, (2, 3, 4)), (3, (2, 3)), (3, (2, 3, 4, 5)),
                                                   (1, ())])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_prelu_layer_matches_torch(num_parameters, shape, dtype):
    values = np.random.default_rng(6).uniform(-3, 3, size=shape).astype(dtype)
    module, torch_module = minitorch.nn.PReLU(num_parameters, init=0.1), torch.nn.PReLU(num_parameters, init=0.1)
    with torch.no_grad():
        torch_module.weight.uniform_(-1, 1)  # distinct slopes per channel
    if dtype == np.float64:
        module, torch_module = module.double(), torch_module.double()
    check_module_against_torch(module, torch_module, values)


@given(data=st.data(), dtype=FLOAT_DTYPES)
def test_glu_softmin_and_softmax_layers_match_torch(data, dtype):
    shape = data.draw(shapes(min_dims=1, max_dims=4, max_side=4).map(lambda s: s[:-1] + (2 * s[-1],)))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    values = data.draw(arrays(shape, dtype))
    for name in ("Softmax", "LogSoftmax", "Softmin"):
        check_module_against_torch(getattr(minitorch.nn, name)(dim), getattr(torch.nn, name)(dim), values)
    check_module_against_torch(minitorch.nn.GLU(), torch.nn.GLU(), values)
    check_against_torch(lambda x: F.softmin(x, dim), lambda x: torch.nn.functional.softmin(x, dim), values)


@pytest.mark.parametrize("ndim", [0, 1, 2, 3, 4])
def test_softmax_layer_without_dim_uses_torchs_legacy_dim_and_warns(ndim):
    values = np.random.default_rng(7).normal(size=(2, 3, 4, 5)[:ndim])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_module_against_torch(minitorch.nn.Softmax(), torch.nn.Softmax(), values)
    assert any("Implicit dimension choice for softmax" in str(w.message) for w in caught)


def test_softmax2d_matches_torch():
    values = np.random.default_rng(8).normal(size=(2, 3, 4, 5))
    check_module_against_torch(minitorch.nn.Softmax2d(), torch.nn.Softmax2d(), values)
    check_module_against_torch(minitorch.nn.Softmax2d(), torch.nn.Softmax2d(), values[0])


ERRORS = [
    ("glu of an odd size", lambda lib, x: lib.nn.functional.glu(x[:, :3])),
    ("glu of a scalar", lambda lib, x: lib.nn.functional.glu(x[0, 0])),
    ("hardtanh min above max", lambda lib, x: lib.nn.functional.hardtanh(x, 2.0, 1.0)),
    ("Hardtanh min above max", lambda lib, x: lib.nn.Hardtanh(2.0, 1.0)),
    ("gelu with an unknown approximation", lambda lib, x: lib.nn.functional.gelu(x, approximate="fast")),
    ("prelu with too many slopes", lambda lib, x: lib.nn.functional.prelu(x, lib.ones(5))),
    ("prelu with a 2-D weight", lambda lib, x: lib.nn.functional.prelu(x, lib.ones(1, 4))),
    ("softshrink with a negative lambda", lambda lib, x: lib.nn.functional.softshrink(x, -1.0)),
    ("Softmax2d of a 2-D input", lambda lib, x: lib.nn.Softmax2d()(x)),
    ("gelu of integers", lambda lib, x: lib.nn.functional.gelu(lib.tensor([1, 2]))),
]


@pytest.mark.parametrize("what, program", ERRORS, ids=[what for what, _ in ERRORS])
def test_activation_errors_match_torch(what, program):
    check_program(lambda lib, x: program(lib, lib.tensor(x)), np.ones((3, 4), dtype=np.float32))


REPRS = ["ReLU()", "ReLU(inplace=True)", "ReLU6()", "LeakyReLU()", "LeakyReLU(0.2, True)", "PReLU()", "PReLU(3)",
         "ELU()", "ELU(0.5, inplace=True)", "SELU()", "CELU(2.0)", "GELU()", "GELU('tanh')", "SiLU()", "Mish()",
         "Sigmoid()", "Tanh()", "Hardtanh()", "Hardtanh(-2.0, 3.0, True)", "Hardsigmoid()", "Hardswish()",
         "Softplus()", "Softplus(2, 10)", "Softsign()", "LogSigmoid()", "Threshold(0.1, 20)", "GLU()", "GLU(1)",
         "Tanhshrink()", "Softshrink()", "Hardshrink(0.3)", "Softmax()", "Softmax(dim=1)", "LogSoftmax(1)",
         "Softmin(0)", "Softmax2d()"]


@pytest.mark.parametrize("call", REPRS)
def test_activation_layer_prints_and_saves_like_torch(call):
    ours, theirs = eval(f"minitorch.nn.{call}"), eval(f"torch.nn.{call}")
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 3, 4), (2, 3, 4, 5)])
def test_functional_softmax_without_dim_picks_torchs_dim_and_warns(name, shape):
    x = np.random.default_rng(0).standard_normal(shape)
    with pytest.warns(UserWarning, match="Implicit dimension choice") as expected_warning:
        expected = getattr(torch.nn.functional, name)(torch.tensor(x))
    with pytest.warns(UserWarning, match="Implicit dimension choice") as actual_warning:
        actual = getattr(minitorch.nn.functional, name)(minitorch.tensor(x))
    assert_same(actual, expected)
    assert str(actual_warning[0].message) == str(expected_warning[0].message)
