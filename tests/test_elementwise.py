"""Elementwise ops against PyTorch: values, dtypes and gradients on drawn shapes and dtypes.

Every op is written once, as a function of the library (``lib`` is ``minitorch`` or ``torch``),
so one line runs on both. The tables give each op's input domain, kept away from kinks and poles.
"""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import minitorch
from tests.helpers import check_against_torch, check_double_backward_against_torch, check_gradcheck
from tests.strategies import FLOAT_DTYPES, arrays, broadcastable_shapes, shapes

# Input domains: (low, high, points to keep away from).
ANY = (-3.0, 3.0, ())
POSITIVE = (0.2, 3.0, ())
NONZERO = (-3.0, 3.0, (0.0,))
AWAY_FROM_BOUNDS = (-3.0, 3.0, (-1.0, 1.0))

# name: (op, domain)
UNARY = {
    "exp": (lambda lib, x: lib.exp(x), ANY),
    "expm1": (lambda lib, x: lib.expm1(x), ANY),
    "log": (lambda lib, x: lib.log(x), POSITIVE),
    "log2": (lambda lib, x: lib.log2(x), POSITIVE),
    "log10": (lambda lib, x: lib.log10(x), POSITIVE),
    "log1p": (lambda lib, x: lib.log1p(x), (-0.8, 3.0, ())),
    "sqrt": (lambda lib, x: lib.sqrt(x), POSITIVE),
    "rsqrt": (lambda lib, x: lib.rsqrt(x), POSITIVE),
    "reciprocal": (lambda lib, x: lib.reciprocal(x), NONZERO),
    "square": (lambda lib, x: lib.square(x), ANY),
    "sin": (lambda lib, x: lib.sin(x), ANY),
    "cos": (lambda lib, x: lib.cos(x), ANY),
    "tan": (lambda lib, x: lib.tan(x), (-1.3, 1.3, ())),
    "tanh": (lambda lib, x: lib.tanh(x), ANY),
    "sigmoid": (lambda lib, x: lib.sigmoid(x), ANY),
    "relu": (lambda lib, x: lib.relu(x), NONZERO),
    "abs": (lambda lib, x: lib.abs(x), NONZERO),
    "absolute": (lambda lib, x: lib.absolute(x), NONZERO),
    "neg": (lambda lib, x: lib.neg(x), ANY),
    "negative": (lambda lib, x: lib.negative(x), ANY),
    "sign": (lambda lib, x: lib.sign(x), NONZERO),
    "floor": (lambda lib, x: lib.floor(x), ANY),
    "ceil": (lambda lib, x: lib.ceil(x), ANY),
    "trunc": (lambda lib, x: lib.trunc(x), ANY),
    "round": (lambda lib, x: lib.round(x), ANY),
    "round_decimals": (lambda lib, x: lib.round(x, decimals=2), ANY),
    "pow_2": (lambda lib, x: lib.pow(x, 2), ANY),
    "pow_3": (lambda lib, x: x ** 3, ANY),
    "pow_0": (lambda lib, x: x ** 0, ANY),
    "pow_half": (lambda lib, x: x ** 0.5, POSITIVE),
    "pow_negative": (lambda lib, x: x ** -1.5, POSITIVE),
    "number_pow": (lambda lib, x: 2.5 ** x, ANY),
    "number_pow_function": (lambda lib, x: lib.pow(0.5, x), ANY),
    "clamp": (lambda lib, x: lib.clamp(x, -1, 1), AWAY_FROM_BOUNDS),
    "clamp_min": (lambda lib, x: lib.clamp(x, min=-1), AWAY_FROM_BOUNDS),
    "clamp_max": (lambda lib, x: lib.clamp(x, max=1.0), AWAY_FROM_BOUNDS),
    "clamp_min_above_max": (lambda lib, x: lib.clamp(x, 1, -1), AWAY_FROM_BOUNDS),
    "clip": (lambda lib, x: lib.clip(x, -1, 1), AWAY_FROM_BOUNDS),
    "add_number": (lambda lib, x: x + 2, ANY),
    "number_sub": (lambda lib, x: 2 - x, ANY),
    "mul_number": (lambda lib, x: lib.mul(x, -1.5), ANY),
    "number_div": (lambda lib, x: 2 / x, NONZERO),
    "div_number": (lambda lib, x: x / 3, ANY),
    "remainder_number": (lambda lib, x: x % 0.7, ANY),
    "fmod_number": (lambda lib, x: lib.fmod(x, 0.7), ANY),
    "where_numbers": (lambda lib, x: lib.where(x > 0, x, 0.5), NONZERO),
}

# name: (op, domain of input, domain of other)
BINARY = {
    "add": (lambda lib, x, y: lib.add(x, y), ANY, ANY),
    "add_alpha": (lambda lib, x, y: lib.add(x, y, alpha=2.5), ANY, ANY),
    "sub": (lambda lib, x, y: x - y, ANY, ANY),
    "sub_alpha": (lambda lib, x, y: lib.sub(x, y, alpha=-2), ANY, ANY),
    "subtract": (lambda lib, x, y: lib.subtract(x, y), ANY, ANY),
    "mul": (lambda lib, x, y: x * y, ANY, ANY),
    "multiply": (lambda lib, x, y: lib.multiply(x, y), ANY, ANY),
    "div": (lambda lib, x, y: x / y, ANY, NONZERO),
    "divide": (lambda lib, x, y: lib.divide(x, y), ANY, NONZERO),
    "true_divide": (lambda lib, x, y: lib.true_divide(x, y), ANY, NONZERO),
    "div_trunc": (lambda lib, x, y: lib.div(x, y, rounding_mode="trunc"), ANY, NONZERO),
    "div_floor": (lambda lib, x, y: lib.div(x, y, rounding_mode="floor"), ANY, NONZERO),
    "remainder": (lambda lib, x, y: lib.remainder(x, y), ANY, NONZERO),
    "fmod": (lambda lib, x, y: lib.fmod(x, y), ANY, NONZERO),
    "pow": (lambda lib, x, y: lib.pow(x, y), POSITIVE, ANY),
    "maximum": (lambda lib, x, y: lib.maximum(x, y), ANY, ANY),
    "minimum": (lambda lib, x, y: lib.minimum(x, y), ANY, ANY),
    "clamp_tensor_min": (lambda lib, x, y: lib.clamp(x, min=y), ANY, ANY),
    "clamp_tensor_max": (lambda lib, x, y: lib.clamp(x, max=y), ANY, ANY),
    "where": (lambda lib, x, y: lib.where(x > y, x, y), ANY, ANY),
}

# name: op of two tensors with a bool result (no gradient)
PREDICATES = {
    "eq": lambda lib, x, y: lib.eq(x, y.round()),
    "ne": lambda lib, x, y: x.round() != y.round(),
    "lt": lambda lib, x, y: lib.lt(x, y),
    "le": lambda lib, x, y: x <= y,
    "gt": lambda lib, x, y: lib.gt(x, y),
    "ge": lambda lib, x, y: x >= y,
    "isclose": lambda lib, x, y: lib.isclose(x, x + y * 1e-6),
    "logical_and": lambda lib, x, y: lib.logical_and(x.round(), y),
    "logical_or": lambda lib, x, y: lib.logical_or(x.round(), y.round()),
    "logical_xor": lambda lib, x, y: lib.logical_xor(x.round(), y),
}

UNARY_PREDICATES = {
    "isnan": lambda lib, x: lib.isnan(lib.log(x)),
    "isinf": lambda lib, x: lib.isinf(1 / x.round()),
    "isfinite": lambda lib, x: lib.isfinite(lib.log(x.round())),
    "logical_not": lambda lib, x: lib.logical_not(x.round()),
}


def _on(lib, op):
    """``op`` bound to one library: ``op(lib, *inputs)`` as a function of the inputs alone."""
    return lambda *inputs: op(lib, *inputs)


def _both(op):
    return _on(minitorch, op), _on(torch, op)


def _draw(shape, domain, seed):
    """A fixed float64 array in ``domain`` (small for the gradchecks: one backward per element)."""
    low, high, avoid = domain
    values = np.random.default_rng(seed).uniform(low, high, size=shape)
    for point in avoid:
        near = np.abs(values - point) < 0.1
        values[near] = point + np.where(values[near] >= point, 0.1, -0.1)
    return values


# ---------------------------------------------------------------------------------------------
# Forward values, dtypes and gradients against PyTorch
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", UNARY)
@given(shape=shapes(), dtype=FLOAT_DTYPES, data=st.data())
def test_unary_op_matches_torch(name, shape, dtype, data):
    op, (low, high, avoid) = UNARY[name]
    x = data.draw(arrays(shape, dtype, low, high, avoid))
    check_against_torch(*_both(op), x)


@pytest.mark.parametrize("name", BINARY)
@given(shapes=broadcastable_shapes(), dtype=FLOAT_DTYPES, data=st.data())
def test_binary_op_matches_torch_with_broadcasting(name, shapes, dtype, data):
    op, x_domain, y_domain = BINARY[name]
    x = data.draw(arrays(shapes[0], dtype, *x_domain[:2], avoid=x_domain[2]))
    y = data.draw(arrays(shapes[1], dtype, *y_domain[:2], avoid=y_domain[2]))
    check_against_torch(*_both(op), x, y)


@given(shapes=broadcastable_shapes(count=3), dtype=FLOAT_DTYPES, data=st.data())
def test_where_matches_torch_with_three_way_broadcasting(shapes, dtype, data):
    condition = np.asarray(data.draw(arrays(shapes[0], np.float64)) > 0)
    x, y = (data.draw(arrays(shape, dtype)) for shape in shapes[1:])
    check_against_torch(lambda c, a, b: minitorch.where(c, a, b), lambda c, a, b: torch.where(c, a, b),
                        condition, x, y)


@given(shapes=broadcastable_shapes(count=3), dtype=FLOAT_DTYPES, data=st.data())
def test_clamp_with_tensor_bounds_matches_torch(shapes, dtype, data):
    # The input has the broadcast shape: PyTorch's own backward fails when the bounds are larger.
    x = data.draw(arrays(np.broadcast_shapes(*shapes), dtype))
    low = data.draw(arrays(shapes[1], dtype, -2.0, 0.5))
    high = data.draw(arrays(shapes[2], dtype, -0.5, 2.0))  # sometimes below low: then the result is high
    check_against_torch(*_both(lambda lib, a, b, c: lib.clamp(a, b, c)), x, low, high)


@pytest.mark.parametrize("name", PREDICATES)
@given(shapes=broadcastable_shapes(), dtype=FLOAT_DTYPES, data=st.data())
def test_comparison_and_logical_ops_match_torch(name, shapes, dtype, data):
    x, y = (data.draw(arrays(shape, dtype)) for shape in shapes)
    check_against_torch(*_both(PREDICATES[name]), x, y)


@pytest.mark.parametrize("name", UNARY_PREDICATES)
@given(shape=shapes(), dtype=FLOAT_DTYPES, data=st.data())
def test_unary_predicates_match_torch(name, shape, dtype, data):
    x = data.draw(arrays(shape, dtype))
    check_against_torch(*_both(UNARY_PREDICATES[name]), x, requires_grad=False)


# ---------------------------------------------------------------------------------------------
# Numerical gradients and second derivatives
# ---------------------------------------------------------------------------------------------

# PyTorch returns abs's zero second derivative as a ZeroTensor, which tests/helpers.py cannot read.
TORCH_ZERO_TENSOR_SECOND_DERIVATIVE = {"abs", "absolute"}


@pytest.mark.parametrize("name", UNARY)
def test_unary_op_gradcheck_and_double_backward(name):
    op, domain = UNARY[name]
    x = _draw((2, 3), domain, seed=1)
    check_gradcheck(_on(minitorch, op), x)
    if name not in TORCH_ZERO_TENSOR_SECOND_DERIVATIVE:
        check_double_backward_against_torch(*_both(op), x)


@pytest.mark.parametrize("name", BINARY)
def test_binary_op_gradcheck_and_double_backward(name):
    op, x_domain, y_domain = BINARY[name]
    x, y = _draw((2, 3), x_domain, seed=1), _draw((3,), y_domain, seed=2)
    check_gradcheck(_on(minitorch, op), x, y)
    check_double_backward_against_torch(*_both(op), x, y)


def test_clamp_with_tensor_bounds_gradcheck_and_double_backward():
    x, low, high = _draw((2, 3), ANY, 1), _draw((3,), (-2.0, 0.5, ()), 2), _draw((2, 1), (-0.5, 2.0, ()), 3)
    op = lambda lib, a, b, c: lib.clamp(a, b, c)  # noqa: E731
    check_gradcheck(_on(minitorch, op), x, low, high)
    check_double_backward_against_torch(*_both(op), x, low, high)


# ---------------------------------------------------------------------------------------------
# PyTorch's conventions at kinks, ties and special points
# ---------------------------------------------------------------------------------------------

KINKS = {
    "relu_at_0": (lambda lib, x: lib.relu(x), [0.0, -1.0, 2.0]),
    "abs_at_0": (lambda lib, x: lib.abs(x), [0.0, -1.0, 2.0]),
    "sign_at_0_and_nan": (lambda lib, x: lib.sign(x), [0.0, -0.0, float("nan"), -2.0]),
    "clamp_at_bounds": (lambda lib, x: lib.clamp(x, -1.0, 1.0), [-1.0, 1.0, 0.0, 2.0]),
    "clamp_min_at_bound": (lambda lib, x: lib.clamp(x, min=1.0), [1.0, 0.0, 2.0]),
    "pow_0_at_0": (lambda lib, x: x ** 0, [0.0, 2.0]),
    "pow_2_at_0": (lambda lib, x: x ** 2, [0.0, -1.0]),
    "number_pow_with_base_0": (lambda lib, x: 0.0 ** x, [0.0, 2.0, -1.0]),
    "sqrt_at_0": (lambda lib, x: lib.sqrt(x), [0.0, 4.0]),
    "floor_at_integers": (lambda lib, x: lib.floor(x), [1.0, -1.0, 0.5]),
    "round_half_to_even": (lambda lib, x: lib.round(x), [0.5, 1.5, 2.5, -0.5]),
}


@pytest.mark.parametrize("name", KINKS)
def test_gradient_at_kink_follows_torch(name):
    op, values = KINKS[name]
    check_against_torch(*_both(op), np.array(values))


@pytest.mark.parametrize("op", [lambda lib, x, y: lib.maximum(x, y), lambda lib, x, y: lib.minimum(x, y)],
                         ids=["maximum", "minimum"])
def test_maximum_and_minimum_split_the_gradient_on_ties(op):
    x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 2.0])
    result = check_against_torch(*_both(op), x, y)
    assert result.grad_fn is not None


def test_pow_of_two_tensors_at_zero_follows_torch():
    base, exponent = np.array([0.0, 2.0, 0.0, 0.0]), np.array([0.0, 0.0, 2.0, -1.0])
    check_against_torch(*_both(lambda lib, x, y: x ** y), base, exponent)


# ---------------------------------------------------------------------------------------------
# Layouts: transposed and strided inputs
# ---------------------------------------------------------------------------------------------

LAYOUTS = {
    "transposed": lambda x: x.t(),
    "strided": lambda x: x[::2],
    "transposed_and_strided": lambda x: x.t()[:, ::2],
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", ["exp", "sigmoid", "relu", "abs", "floor", "clamp", "pow_2", "where_numbers"])
def test_unary_op_on_non_contiguous_input_matches_torch(name, layout):
    op, domain = UNARY[name]
    view = LAYOUTS[layout]
    check_against_torch(*_both(lambda lib, x: op(lib, view(x))), _draw((4, 6), domain, seed=3).astype(np.float32))


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", ["add", "mul", "div", "pow", "maximum", "where"])
def test_binary_op_on_non_contiguous_inputs_matches_torch(name, layout):
    op, x_domain, y_domain = BINARY[name]
    view = LAYOUTS[layout]
    x, y = _draw((4, 6), x_domain, seed=4), _draw((6, 4), y_domain, seed=5).T
    check_against_torch(*_both(lambda lib, a, b: op(lib, view(a), view(b))), x, y)


# ---------------------------------------------------------------------------------------------
# Integer and bool inputs: result dtypes as PyTorch's
# ---------------------------------------------------------------------------------------------

INTEGER_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.bool_]

# Ops that accept integer and bool tensors, with the result dtype PyTorch gives them.
INTEGER_OPS = {
    "exp": lambda lib, x: lib.exp(x),
    "sqrt": lambda lib, x: lib.sqrt(x),
    "sigmoid": lambda lib, x: lib.sigmoid(x),
    "sin": lambda lib, x: lib.sin(x),
    "reciprocal": lambda lib, x: lib.reciprocal(x + 1),
    "square": lambda lib, x: lib.square(x),
    "sign": lambda lib, x: lib.sign(x),
    "add": lambda lib, x: x + x,
    "mul_bool_number": lambda lib, x: x * True,
    "add_int_number": lambda lib, x: x + 3,
    "add_float_number": lambda lib, x: x + 0.5,
    "true_divide": lambda lib, x: x / (x + 1),
    "div_by_int_number": lambda lib, x: x / 2,
    "floor_divide": lambda lib, x: (x + 0) // 3,
    "div_trunc_negative": lambda lib, x: lib.div(x + 0, -3, rounding_mode="trunc"),
    "remainder": lambda lib, x: (x + 0) % 3,
    "fmod": lambda lib, x: lib.fmod(x + 0, -3),
    "pow_number": lambda lib, x: x ** 2,
    "pow_float_number": lambda lib, x: x ** 0.5,
    "number_pow": lambda lib, x: 2 ** x,
    "pow_tensor_with_negative_exponents": lambda lib, x: (x + 0) ** (lib.tensor([[-1, 2, -2]]) + 0 * x),
    "maximum": lambda lib, x: lib.maximum(x, x.flip(0)),
    "clamp_int": lambda lib, x: lib.clamp(x, 1, 2),
    "clamp_float": lambda lib, x: lib.clamp(x, 0.5),
    "where_number": lambda lib, x: lib.where(x > 0, x, 2.5),
    "eq_float_number": lambda lib, x: x == 1.0,
    "lt_bool": lambda lib, x: x < True,
    "bitwise_and": lambda lib, x: x & x.flip(0),
    "bitwise_or_number": lambda lib, x: x | 1,
    "bitwise_xor": lambda lib, x: lib.bitwise_xor(x, x.flip(0)),
    "bitwise_not": lambda lib, x: ~x,
    "logical_and": lambda lib, x: lib.logical_and(x, x.flip(0)),
    "isnan": lambda lib, x: lib.isnan(x),
    "isfinite": lambda lib, x: lib.isfinite(x),
    "isclose": lambda lib, x: lib.isclose(x, x.flip(0)),
}
# Ops that PyTorch refuses for bool tensors (they are checked in test_errors below).
NOT_FOR_BOOL = {"floor_divide", "div_trunc_negative", "remainder", "fmod", "pow_tensor_with_negative_exponents"}


@pytest.mark.parametrize("dtype", INTEGER_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", INTEGER_OPS)
def test_op_on_integer_and_bool_tensors_gives_torch_dtype(name, dtype):
    if dtype is np.bool_ and name in NOT_FOR_BOOL:
        pytest.skip("PyTorch has no bool kernel for it")
    x = np.array([[3, 0, 5], [1, 2, 7]]).astype(dtype)
    check_against_torch(*_both(INTEGER_OPS[name]), x)


INTEGER_KEEPING_OPS = ["abs", "relu", "neg", "floor", "ceil", "trunc", "round"]


@pytest.mark.parametrize("name", INTEGER_KEEPING_OPS)
def test_integer_input_keeps_its_dtype(name):
    x = np.array([[-3, 0, 5], [1, -2, 7]], dtype=np.int32)
    check_against_torch(*_both(lambda lib, t: getattr(lib, name)(t)), x)


def test_integer_overflow_wraps_around_like_torch():
    check_against_torch(*_both(lambda lib, x: (x + (-1), x * 100, -x)), np.array([0, 1, 200], dtype=np.uint8))
    check_against_torch(*_both(lambda lib, x: x * 1000), np.array([1, -3], dtype=np.int8))


# ---------------------------------------------------------------------------------------------
# Errors: the same exception type as PyTorch's (and its message where we copy it)
# ---------------------------------------------------------------------------------------------

def _errors_like_torch(op, *arrays, match=None):
    """``op`` raises in torch, and minitorch raises an instance of the same exception type."""
    with pytest.raises(Exception) as expected:
        op(torch, *(torch.tensor(a) for a in arrays))
    with pytest.raises(type(expected.value), match=match):
        op(minitorch, *(minitorch.tensor(a) for a in arrays))


ERRORS = {
    "add_mismatched_shapes": (lambda lib, x, y: x + y, np.ones((2, 3)), np.ones(4)),
    "mul_mismatched_leading_dims": (lambda lib, x, y: x * y, np.ones((2, 3)), np.ones((5, 1, 4))),
    "where_mismatched_shapes": (lambda lib, x, y: lib.where(x > 0, x, y), np.ones((2, 3)), np.ones(4)),
    "clamp_mismatched_shapes": (lambda lib, x, y: lib.clamp(x, y), np.ones((2, 3)), np.ones(4)),
    "sub_two_bools": (lambda lib, x, y: x - y, np.array([True]), np.array([False])),
    "sub_bool_and_number": (lambda lib, x, y: x - 1, np.array([True]), np.array([1.0])),
    "rsub_bool": (lambda lib, x, y: 1.5 - x, np.array([True]), np.array([1.0])),
    "sub_float_and_bool": (lambda lib, x, y: y - x, np.array([True]), np.array([1.0])),
    "neg_bool": (lambda lib, x, y: -x, np.array([True]), np.array([1.0])),
    "abs_bool": (lambda lib, x, y: lib.abs(x), np.array([True]), np.array([1.0])),
    "relu_bool": (lambda lib, x, y: lib.relu(x), np.array([True]), np.array([1.0])),
    "floor_bool": (lambda lib, x, y: lib.floor(x), np.array([True]), np.array([1.0])),
    "round_int_to_decimals": (lambda lib, x, y: lib.round(x, decimals=1), np.array([1]), np.array([1.0])),
    "bitwise_and_float": (lambda lib, x, y: x & y, np.array([1.5]), np.array([1.0])),
    "bitwise_or_float_number": (lambda lib, x, y: lib.bitwise_or(x, 1), np.array([1.5]), np.array([1.0])),
    "bitwise_not_float": (lambda lib, x, y: lib.bitwise_not(x), np.array([1.5]), np.array([1.0])),
    "pow_int_negative_number": (lambda lib, x, y: x ** -1, np.array([2]), np.array([1.0])),
    "pow_two_bools": (lambda lib, x, y: x ** y, np.array([True]), np.array([False])),
    "clamp_without_bounds": (lambda lib, x, y: lib.clamp(x), np.array([1.0]), np.array([1.0])),
    "where_float_condition": (lambda lib, x, y: lib.where(x, x, y), np.array([1.0]), np.array([1.0])),
    "integer_division_by_zero": (lambda lib, x, y: x // y, np.array([1]), np.array([0])),
    "integer_remainder_by_zero": (lambda lib, x, y: x % y, np.array([1]), np.array([0])),
    "div_unknown_rounding_mode": (lambda lib, x, y: lib.div(x, y, rounding_mode="round"), np.ones(1), np.ones(1)),
    "add_float_alpha_to_integers": (lambda lib, x, y: lib.add(x, y, alpha=1.5), np.array([1]), np.array([1])),
    "isclose_different_dtypes": (lambda lib, x, y: lib.isclose(x, y), np.array([1]), np.array([1.0])),
    "add_string": (lambda lib, x, y: x + "a", np.array([1.0]), np.array([1.0])),
}


@pytest.mark.parametrize("name", ERRORS)
def test_error_matches_torch(name):
    _errors_like_torch(*ERRORS[name])


def test_broadcast_error_names_the_sizes_and_dimension_like_torch():
    message = r"The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1"
    _errors_like_torch(lambda lib, x, y: x + y, np.ones((2, 3)), np.ones(4), match=message)
    message = r"The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 2"
    _errors_like_torch(lambda lib, x, y: lib.maximum(x, y), np.ones((2, 3)), np.ones((5, 1, 4)), match=message)


# ---------------------------------------------------------------------------------------------
# The API around the ops
# ---------------------------------------------------------------------------------------------

METHODS = ["exp", "log", "sqrt", "sigmoid", "tanh", "relu", "abs", "neg", "sign", "floor", "square", "reciprocal",
           "sin", "cos", "logical_not", "isnan"]


@pytest.mark.parametrize("name", METHODS)
def test_tensor_method_equals_function(name):
    x = minitorch.tensor(_draw((2, 3), POSITIVE, seed=6))
    assert getattr(x, name)().equal(getattr(minitorch, name)(x))


def test_binary_tensor_methods_equal_functions():
    x, y = minitorch.tensor([[1, 2, 3]]), minitorch.tensor([[3], [2]])
    for name in ["add", "sub", "mul", "div", "remainder", "fmod", "pow", "maximum", "minimum", "eq", "ne", "lt",
                 "le", "gt", "ge", "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or",
                 "bitwise_xor", "floor_divide"]:
        assert getattr(x, name)(y).equal(getattr(minitorch, name)(x, y)), name


def test_where_without_values_gives_the_indices_of_true_elements():
    condition = np.array([[True, False], [False, True]])
    check_against_torch(lambda c: minitorch.where(c), lambda c: torch.where(c), condition)


def test_zero_gradient_ops_give_zero_gradients_not_none():
    x = minitorch.tensor([1.5, -2.5], requires_grad=True)
    (x.floor() + x.sign() + minitorch.div(x, 2.0, rounding_mode="floor")).backward(minitorch.ones(2))
    assert x.grad is not None and x.grad.tolist() == [0.0, 0.0]


def test_comparison_results_do_not_require_grad():
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    for result in (x > 1, x == x, x.isnan(), minitorch.isclose(x, x), minitorch.logical_not(x)):
        assert result.dtype is minitorch.bool and not result.requires_grad and result.grad_fn is None


def test_primitives_are_named_after_the_op_in_the_graph():
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    assert x.exp().grad_fn.name() == "ExpBackward"
    assert x.sigmoid().grad_fn.name() == "SigmoidBackward"
    assert (x * x).grad_fn.name() == "MulBackward"



@given(shape=shapes(max_dims=3), dtype=FLOAT_DTYPES, data=st.data())
def test_erf_function_and_method_match_torch(shape, dtype, data):
    x = data.draw(arrays(shape, dtype))
    check_against_torch(lambda t: minitorch.erf(t) + t.erf(), lambda t: torch.erf(t) + t.erf(), x)
