"""Tensor creation against PyTorch: from data, constants, ranges, random draws and generators.

Each table entry is one lambda taking the library (``L``), run on both
minitorch and torch. Deterministic results must equal torch's (shape, dtype,
values); random ones must have torch's shape and dtype and the right
distribution, never torch's exact numbers (the generators differ).
"""
import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import minitorch
from minitorch import creation
from tests.helpers import TORCH_DTYPES, assert_same, to_numpy
from tests.strategies import shapes

DTYPES = list(TORCH_DTYPES)


def assert_same_error(make):
    """``make(minitorch)`` raises the exception type ``make(torch)`` raises."""
    with pytest.raises(Exception) as expected:
        make(torch)
    with pytest.raises(expected.type):
        make(minitorch)


# -- tensor(): dtype inference and values ---------------------------------------------------

TENSOR_DATA = {
    "ints": lambda L: [1, 2, 3],
    "nested_ints": lambda L: [[1, -2], [3, 4]],
    "floats": lambda L: [1.5, -2.25],
    "ints_and_floats": lambda L: [1, 2.5],
    "bools": lambda L: [True, False],
    "bools_and_ints": lambda L: [True, 2],
    "bools_and_floats": lambda L: [True, 2.5],
    "empty": lambda L: [],
    "nested_empty": lambda L: [[]],
    "int_number": lambda L: 7,
    "float_number": lambda L: 2.5,
    "bool_number": lambda L: True,
    "tuples": lambda L: ((1, 2), (3, 4)),
    "range": lambda L: range(4),
    "numpy_int32": lambda L: np.array([1, 2], dtype=np.int32),
    "numpy_float64": lambda L: np.array([[1.5], [2.0]]),
    "numpy_float16": lambda L: np.array([1.5], dtype=np.float16),
    "numpy_bool": lambda L: np.array([True]),
    "numpy_transposed": lambda L: np.arange(6.0).reshape(2, 3).T,
    "numpy_float64_number": lambda L: np.float64(2.5),
    "numpy_int32_number": lambda L: np.int32(2),
    "list_of_numpy_float64": lambda L: [np.float64(2.5)],
    "numpy_float32_and_float": lambda L: [np.float32(1), 2.5],
    "numpy_int32_and_int": lambda L: [np.int32(1), 2],
    "numpy_int32_and_int8": lambda L: [np.int32(1), np.int8(2)],
    "numpy_int32_and_float": lambda L: [np.int32(1), 2.5],
    "list_of_scalar_tensors": lambda L: [L.tensor(1.5), L.tensor(2.5)],
    "list_of_int_scalar_tensors": lambda L: [L.tensor(1), L.tensor(2)],
    "int32_scalar_tensor_and_int": lambda L: [L.tensor(1, dtype=L.int32), 2],
    "double_scalar_tensor_and_int": lambda L: [L.tensor(1.5, dtype=L.float64), 2],
}


@pytest.mark.parametrize("case", TENSOR_DATA)
def test_tensor_infers_dtype_and_values_like_torch(case):
    make = TENSOR_DATA[case]
    actual, expected = minitorch.tensor(make(minitorch)), torch.tensor(make(torch))
    assert_same(actual, expected)
    assert actual.stride() == expected.stride()


TENSOR_WITH_DTYPE = {
    "floats_to_int64_truncate": lambda L: L.tensor([1.5, -1.7, 2.9], dtype=L.int64),
    "ints_to_bool": lambda L: L.tensor([1, 0, 2], dtype=L.bool),
    "ints_to_double": lambda L: L.tensor([1, 2], dtype=L.float64),
    "numpy_ints_to_half": lambda L: L.tensor(np.array([1, 2]), dtype=L.float16),
    "float_number_to_int32": lambda L: L.tensor(3.7, dtype=L.int32),
    "requires_grad": lambda L: L.tensor([1.0, 2.0], requires_grad=True),
    "as_tensor_list": lambda L: L.as_tensor([1, 2]),
    "as_tensor_with_dtype": lambda L: L.as_tensor([1, 2], dtype=L.float64),
    "as_tensor_numpy": lambda L: L.as_tensor(np.array([1, 2], dtype=np.int16)),
    "from_numpy_0d": lambda L: L.from_numpy(np.array(2.5)),
    "from_numpy_int32": lambda L: L.from_numpy(np.array([1, 2], dtype=np.int32)),
}


@given(array=hnp.arrays(st.sampled_from([np.bool_, np.int64, np.float64]), shapes(min_dims=0, max_side=4),
                        elements={"allow_nan": False, "min_value": -100, "max_value": 100}))
def test_tensor_from_nested_lists_matches_torch(array):
    data = array.tolist()
    assert_same(minitorch.tensor(data), torch.tensor(data))


def test_tensor_and_as_tensor_share_memory_only_as_torch_does():
    array = np.array([1.0, 2.0])
    copied, shared, converted = minitorch.tensor(array), minitorch.as_tensor(array), \
        minitorch.as_tensor(array, dtype=minitorch.float32)
    array[0] = 9.0
    assert copied.tolist() == [1.0, 2.0]
    assert shared.tolist() == [9.0, 2.0]
    assert converted.tolist() == [1.0, 2.0]
    source = minitorch.tensor([1.0, 2.0])
    assert minitorch.as_tensor(source) is source
    with pytest.warns(UserWarning, match="clone"):
        copy = minitorch.tensor(source)
    source.numpy()[0] = 5.0
    assert copy.tolist() == [1.0, 2.0] and copy.grad_fn is None


def test_from_numpy_shares_memory_both_ways():
    array = np.zeros((2, 3), dtype=np.float32)
    tensor = minitorch.from_numpy(array)
    array[0, 1] = 4.0
    assert tensor.tolist()[0][1] == 4.0
    tensor.numpy()[1, 2] = 7.0
    assert array[1, 2] == 7.0
    transposed = minitorch.from_numpy(array.T)
    assert transposed.stride() == torch.from_numpy(array.T).stride() and not transposed.is_contiguous()


@pytest.mark.parametrize("numpy_dtype", [np.uint16, np.uint32, np.complex64, np.object_, np.str_])
def test_from_numpy_refuses_dtypes_minitorch_lacks_with_a_type_error(numpy_dtype):
    array = np.zeros(2, dtype=numpy_dtype)
    with pytest.raises(TypeError, match="can't convert np.ndarray"):
        minitorch.from_numpy(array)
    if numpy_dtype in (np.object_, np.str_):  # torch supports the others
        with pytest.raises(TypeError, match="can't convert np.ndarray"):
            torch.from_numpy(array)


# -- constants and ranges -------------------------------------------------------------------

CONSTANTS = {
    "zeros_varargs": lambda L: L.zeros(2, 3),
    "zeros_tuple": lambda L: L.zeros((2, 3)),
    "zeros_list": lambda L: L.zeros([2, 3]),
    "zeros_size": lambda L: L.zeros(L.Size([2, 3])),
    "zeros_0d": lambda L: L.zeros(()),
    "zeros_empty": lambda L: L.zeros(0),
    "zeros_int32": lambda L: L.zeros(2, dtype=L.int32),
    "ones_bool": lambda L: L.ones(2, dtype=L.bool),
    "ones_double": lambda L: L.ones(2, 3, dtype=L.float64),
    "ones_requires_grad": lambda L: L.ones(2, requires_grad=True),
    "full_int_is_int64": lambda L: L.full((2,), 3),
    "full_float": lambda L: L.full((2,), 3.0),
    "full_bool": lambda L: L.full((2,), True),
    "full_int_as_float32": lambda L: L.full((2,), 3, dtype=L.float32),
    "full_0d": lambda L: L.full((), 7),
    "full_list_shape": lambda L: L.full([2, 2], 1.5),
    "full_tensor_value": lambda L: L.full((2,), L.tensor(1.5)),
    "eye": lambda L: L.eye(3),
    "eye_rectangular": lambda L: L.eye(2, 3),
    "eye_int64": lambda L: L.eye(3, dtype=L.int64),
    "eye_empty": lambda L: L.eye(0),
    "zeros_like_int32": lambda L: L.zeros_like(L.ones(2, 3, dtype=L.int32)),
    "zeros_like_as_int64": lambda L: L.zeros_like(L.ones(2), dtype=L.int64),
    "ones_like": lambda L: L.ones_like(L.ones(2, dtype=L.float16)),
    "full_like_truncates_into_int": lambda L: L.full_like(L.ones(2, dtype=L.int32), 2.7),
    "full_like_int_into_float": lambda L: L.full_like(L.ones(2), 2),
    "arange_end": lambda L: L.arange(5),
    "arange_float_end": lambda L: L.arange(5.0),
    "arange_start_end": lambda L: L.arange(1, 4),
    "arange_tenths": lambda L: L.arange(0, 1, 0.1),
    "arange_halves": lambda L: L.arange(1, 2.5, 0.5),
    "arange_down": lambda L: L.arange(10, 0, -3),
    "arange_float_down": lambda L: L.arange(0, -1.0, -0.25),
    "arange_double": lambda L: L.arange(5, dtype=L.float64),
    "arange_float_start": lambda L: L.arange(0.5, 3),
    "arange_float_step_int_dtype": lambda L: L.arange(0, 5, 1.5, dtype=L.int64),
    "arange_float_bounds_int_dtype": lambda L: L.arange(0.5, 5, 1.5, dtype=L.int64),
    "arange_tensor_end": lambda L: L.arange(L.tensor(3)),
    "arange_empty": lambda L: L.arange(3, 3),
    "arange_half": lambda L: L.arange(0, 1, 0.1, dtype=L.float16),
    "arange_small_steps": lambda L: L.arange(1e-3, 1e-2, 1e-3),
    "linspace": lambda L: L.linspace(0, 1, 5),
    "linspace_down": lambda L: L.linspace(3, -2, 4),
    "linspace_one": lambda L: L.linspace(0, 1, 1),
    "linspace_none": lambda L: L.linspace(0, 1, 0),
    "linspace_int64": lambda L: L.linspace(0, 10, 4, dtype=L.int64),
    "linspace_int32_negative": lambda L: L.linspace(-3, 2, 6, dtype=L.int32),
    "linspace_int_truncates_bounds": lambda L: L.linspace(0.5, 10.7, 4, dtype=L.int64),
    "linspace_double": lambda L: L.linspace(0, 1, 7, dtype=L.float64),
}


@pytest.mark.parametrize("case", {**TENSOR_WITH_DTYPE, **CONSTANTS})
def test_creation_with_options_constants_and_ranges_matches_torch(case):
    make = {**TENSOR_WITH_DTYPE, **CONSTANTS}[case]
    actual, expected = make(minitorch), make(torch)
    assert_same(actual, expected)
    assert actual.requires_grad == expected.requires_grad and actual.is_leaf


@pytest.mark.parametrize("make", [lambda L: L.empty(2, 3), lambda L: L.empty((0,), dtype=L.int32),
                                  lambda L: L.empty_like(L.ones(2, dtype=L.float64))])
def test_empty_has_torch_shape_and_dtype(make):
    actual, expected = make(minitorch), make(torch)
    assert tuple(actual.shape) == tuple(expected.shape) and TORCH_DTYPES[actual.dtype] is expected.dtype


FILL_VALUES = st.one_of(st.booleans(), st.integers(0, 100), st.floats(0, 100, width=32))


@given(shape=shapes(min_dims=0, max_dims=3), fill=FILL_VALUES, dtype=st.sampled_from([None] + DTYPES))
def test_full_matches_torch_for_drawn_shapes_values_and_dtypes(shape, fill, dtype):
    options = {} if dtype is None else {"dtype": dtype}
    assert_same(minitorch.full(shape, fill, **options),
                torch.full(shape, fill, **({} if dtype is None else {"dtype": TORCH_DTYPES[dtype]})))


STEPS = [1, 2, 3, -1, -2, 0.5, 0.25, 0.1, -0.3, 1.5]


@given(start=st.integers(-20, 20), count=st.integers(0, 30), step=st.sampled_from(STEPS),
       overshoot=st.sampled_from([0, 0.5, 0.99]), float_start=st.booleans())
def test_arange_matches_torch_for_drawn_ranges(start, count, step, overshoot, float_start):
    start = float(start) if float_start else start
    end = start + step * (count + overshoot)
    if isinstance(end, float) and end == int(end) and not float_start and isinstance(step, int):
        end = int(end)
    assert_same(minitorch.arange(start, end, step), torch.arange(start, end, step))


# Integer linspace is left to the table above: PyTorch's vectorised kernel truncates at block starts,
# so a value that lands exactly on an integer may round either way.
@given(start=st.floats(-10, 10), end=st.floats(-10, 10), steps=st.integers(0, 20),
       dtype=st.sampled_from([minitorch.float32, minitorch.float64]))
def test_linspace_matches_torch_for_drawn_ranges(start, end, steps, dtype):
    assert_same(minitorch.linspace(start, end, steps, dtype=dtype),
                torch.linspace(start, end, steps, dtype=TORCH_DTYPES[dtype]))


# -- errors ---------------------------------------------------------------------------------

ERRORS = {
    "tensor_of_string": lambda L: L.tensor("a"),
    "tensor_with_string": lambda L: L.tensor([1, "a"]),
    "tensor_of_none": lambda L: L.tensor(None),
    "tensor_ragged": lambda L: L.tensor([[1, 2], [3]]),
    "tensor_int_requires_grad": lambda L: L.tensor([1], requires_grad=True),
    "from_numpy_of_list": lambda L: L.from_numpy([1, 2]),
    "zeros_negative": lambda L: L.zeros(-1),
    "ones_negative": lambda L: L.ones(2, -3),
    "zeros_float_size": lambda L: L.zeros(2.0),
    "zeros_float_in_shape": lambda L: L.zeros((2, 3.0)),
    "full_int_size": lambda L: L.full(2, 1.5),
    "eye_negative": lambda L: L.eye(-1),
    "eye_negative_columns": lambda L: L.eye(2, -1),
    "arange_zero_step": lambda L: L.arange(0, 5, 0),
    "arange_backwards": lambda L: L.arange(5, 0),
    "arange_wrong_sign": lambda L: L.arange(0, 5, -1),
    "arange_infinite": lambda L: L.arange(0, math.inf),
    "linspace_negative_steps": lambda L: L.linspace(0, 1, -1),
    "rand_int_dtype": lambda L: L.rand(2, dtype=L.int64),
    "randn_int_dtype": lambda L: L.randn(2, dtype=L.int64),
    "rand_negative": lambda L: L.rand(-1),
    "randint_empty_range": lambda L: L.randint(5, 5, (3,)),
    "randint_int_size": lambda L: L.randint(5, 3),
    "randint_past_uint8": lambda L: L.randint(0, 300, (3,), dtype=L.uint8),
    "randint_negative_bool": lambda L: L.randint(-5, 5, (3,), dtype=L.bool),
    "randint_requires_grad": lambda L: L.randint(3, (2,), requires_grad=True),
    "randperm_negative": lambda L: L.randperm(-1),
    "randperm_bool": lambda L: L.randperm(3, dtype=L.bool),
    "normal_negative_std": lambda L: L.normal(0.0, -1.0, (3,)),
    "normal_tensor_mean_negative_std": lambda L: L.normal(L.zeros(3), -1.0),
    "normal_negative_std_tensor": lambda L: L.normal(L.zeros(3), -L.ones(3)),
    "normal_numbers_without_size": lambda L: L.normal(2.0, 3.0),
    "bernoulli_probability_above_one": lambda L: L.bernoulli(L.full((3,), 1.5)),
    "bernoulli_int_probabilities": lambda L: L.bernoulli(L.ones(3, dtype=L.int64)),
    "bernoulli_p_above_one": lambda L: L.bernoulli(L.zeros(3), 1.5),
    "multinomial_3d": lambda L: L.multinomial(L.ones(2, 3, 4), 1),
    "multinomial_int_weights": lambda L: L.multinomial(L.tensor([1, 2]), 1),
    "multinomial_no_samples": lambda L: L.multinomial(L.tensor([1.0, 2.0]), 0),
    "multinomial_too_many_without_replacement": lambda L: L.multinomial(L.tensor([1.0, 1.0]), 3),
    "multinomial_negative_weight": lambda L: L.multinomial(L.tensor([-1.0, 1.0]), 1),
    "multinomial_nan_weight": lambda L: L.multinomial(L.tensor([1.0, math.nan]), 1),
    "multinomial_zero_weights": lambda L: L.multinomial(L.zeros(2, 3), 1),
}


@pytest.mark.parametrize("case", ERRORS)
def test_creation_errors_match_torch(case):
    assert_same_error(ERRORS[case])


# -- random: shapes and dtypes like torch, values from the right distribution ---------------

RANDOM_SHAPES = {
    "rand": lambda L: L.rand(2, 3),
    "rand_tuple": lambda L: L.rand((2, 3)),
    "rand_0d": lambda L: L.rand(()),
    "rand_double": lambda L: L.rand(2, dtype=L.float64),
    "rand_half": lambda L: L.rand(2, dtype=L.float16),
    "rand_requires_grad": lambda L: L.rand(2, requires_grad=True),
    "randn": lambda L: L.randn(4, 1),
    "randn_double": lambda L: L.randn(2, dtype=L.float64),
    "randint_high_size": lambda L: L.randint(5, (3,)),
    "randint_low_high_size": lambda L: L.randint(0, 5, (3, 2)),
    "randint_float_dtype": lambda L: L.randint(5, (3,), dtype=L.float32),
    "randint_keywords": lambda L: L.randint(low=2, high=5, size=(3,)),
    "randint_high_keyword": lambda L: L.randint(high=5, size=(3,)),
    "randint_uint8": lambda L: L.randint(0, 256, (3,), dtype=L.uint8),
    "randperm": lambda L: L.randperm(5),
    "randperm_float": lambda L: L.randperm(5, dtype=L.float32),
    "randperm_empty": lambda L: L.randperm(0),
    "normal_numbers": lambda L: L.normal(2.0, 3.0, (4,)),
    "normal_size_keyword": lambda L: L.normal(2.0, 3.0, size=(4, 1)),
    "normal_tensor_mean": lambda L: L.normal(L.zeros(3), 1.0),
    "normal_tensor_std": lambda L: L.normal(0.0, L.ones(3)),
    "normal_tensors": lambda L: L.normal(L.zeros(3), L.ones(3)),
    "normal_broadcast_tensors": lambda L: L.normal(L.zeros(2, 1), L.ones(3)),
    "normal_double_tensors": lambda L: L.normal(L.zeros(3, dtype=L.float64), L.ones(3, dtype=L.float64)),
    "normal_mean_requires_grad": lambda L: L.normal(L.zeros(3, requires_grad=True), 1.0),
    "bernoulli": lambda L: L.bernoulli(L.full((3,), 0.5)),
    "bernoulli_double": lambda L: L.bernoulli(L.full((3,), 0.5, dtype=L.float64)),
    "bernoulli_p": lambda L: L.bernoulli(L.zeros(3, 2), 0.5),
    "multinomial": lambda L: L.multinomial(L.tensor([1.0, 2.0]), 5, True),
    "multinomial_rows": lambda L: L.multinomial(L.tensor([[1.0, 1.0], [1.0, 0.0]]), 1),
    "multinomial_double": lambda L: L.multinomial(L.tensor([1.0, 2.0], dtype=L.float64), 2),
    "multinomial_half": lambda L: L.multinomial(L.ones(3, dtype=L.float16), 2),
    "rand_like": lambda L: L.rand_like(L.zeros(2, dtype=L.float64)),
    "randn_like": lambda L: L.randn_like(L.zeros(2, 2)),
    "randint_like_high": lambda L: L.randint_like(L.zeros(3), 5),
    "randint_like_low_high": lambda L: L.randint_like(L.zeros(3, dtype=L.int32), 2, 5),
}


@pytest.mark.parametrize("case", RANDOM_SHAPES)
def test_random_creation_has_torch_shape_dtype_and_grad_flag(case):
    actual, expected = RANDOM_SHAPES[case](minitorch), RANDOM_SHAPES[case](torch)
    assert tuple(actual.shape) == tuple(expected.shape)
    assert TORCH_DTYPES[actual.dtype] is expected.dtype
    assert actual.requires_grad == expected.requires_grad


DETERMINISTIC_DRAWS = {
    "bernoulli_of_ones": lambda L: L.bernoulli(L.ones(4)),
    "bernoulli_of_zeros": lambda L: L.bernoulli(L.zeros(4)),
    "bernoulli_p_one": lambda L: L.bernoulli(L.zeros(4), 1.0),
    "multinomial_one_category": lambda L: L.multinomial(L.tensor([0.0, 0.0, 1.0]), 3, replacement=True),
    "normal_zero_std": lambda L: L.normal(L.arange(4.0), 0.0),
    "randint_single_value": lambda L: L.randint(3, 4, (5,)),
}


@pytest.mark.parametrize("case", DETERMINISTIC_DRAWS)
def test_draws_that_cannot_vary_equal_torch(case):
    assert_same(DETERMINISTIC_DRAWS[case](minitorch), DETERMINISTIC_DRAWS[case](torch))


def test_normal_gradient_is_zero_for_mean_and_std_as_in_torch():
    results = []
    for L in (minitorch, torch):
        mean, std = L.zeros(3, requires_grad=True), L.ones(3, requires_grad=True)
        L.normal(mean, std).backward(L.ones(3))
        results.append((mean.grad, std.grad))
    assert_same(list(results[0]), list(results[1]))


N = 200_000
UNIFORM_STD = 1 / math.sqrt(12)

# name -> (draw N values with minitorch, expected mean, expected std, lowest allowed, highest allowed)
DISTRIBUTIONS = {
    "rand": (lambda: minitorch.rand(N), 0.5, UNIFORM_STD, 0.0, 1.0),
    "rand_half": (lambda: minitorch.rand(N, dtype=minitorch.float16), 0.5, UNIFORM_STD, 0.0, 1.0),
    "randn": (lambda: minitorch.randn(N), 0.0, 1.0, -7, 7),
    "randn_double": (lambda: minitorch.randn(N, dtype=minitorch.float64), 0.0, 1.0, -7, 7),
    "randint": (lambda: minitorch.randint(3, 9, (N,)), 5.5, math.sqrt(35 / 12), 3, 8),
    "normal_numbers": (lambda: minitorch.normal(2.0, 3.0, (N,)), 2.0, 3.0, -25, 29),
    "normal_tensor_mean": (lambda: minitorch.normal(minitorch.full((N,), 2.0), 3.0), 2.0, 3.0, -25, 29),
    "normal_tensor_std": (lambda: minitorch.normal(-1.0, minitorch.full((N,), 0.5)), -1.0, 0.5, -5, 3),
    "normal_tensors": (lambda: minitorch.normal(minitorch.ones(N), minitorch.full((N,), 2.0)), 1.0, 2.0, -15, 17),
    "bernoulli": (lambda: minitorch.bernoulli(minitorch.full((N,), 0.3)), 0.3, math.sqrt(0.21), 0, 1),
    "bernoulli_p": (lambda: minitorch.bernoulli(minitorch.zeros(N), 0.7), 0.7, math.sqrt(0.21), 0, 1),
    "uniform_": (lambda: minitorch.empty(N).uniform_(-2, 3), 0.5, 5 * UNIFORM_STD, -2, 3),
    "normal_": (lambda: minitorch.empty(N, dtype=minitorch.float64).normal_(1.0, 2.0), 1.0, 2.0, -15, 17),
    "random_low_high": (lambda: minitorch.empty(N).random_(5, 10), 7.0, math.sqrt(2), 5, 9),
    "random_high": (lambda: minitorch.zeros(N, dtype=minitorch.int32).random_(4), 1.5, math.sqrt(15 / 12), 0, 3),
    "bernoulli_": (lambda: minitorch.zeros(N, dtype=minitorch.int64).bernoulli_(0.25), 0.25, math.sqrt(0.1875), 0, 1),
    "random_float_full_range": (lambda: creation.random_like(minitorch.zeros(N)), 2 ** 23, 2 ** 24 * UNIFORM_STD,
                                0, 2 ** 24),
    "random_int8_full_range": (lambda: creation.random_like(minitorch.zeros(N, dtype=minitorch.int8)), 63.5,
                               128 * UNIFORM_STD, 0, 127),
    "random_bool": (lambda: creation.random_like(minitorch.zeros(N, dtype=minitorch.bool)), 0.5, 0.5, 0, 1),
}


@pytest.mark.parametrize("case", DISTRIBUTIONS)
def test_random_values_follow_their_distribution(case):
    draw, mean, std, low, high = DISTRIBUTIONS[case]
    minitorch.manual_seed(0)
    values = to_numpy(draw()).astype(np.float64)
    assert values.shape == (N,)
    assert abs(values.mean() - mean) < 0.02 * std + 1e-9, f"mean {values.mean()}, expected {mean}"
    assert abs(values.std() - std) < 0.02 * std + 1e-9, f"std {values.std()}, expected {std}"
    assert values.min() >= low and values.max() <= high
    if case.startswith("rand") and "randn" not in case and "random" not in case and case != "randint":
        assert values.max() < 1.0  # rand is on [0, 1): 1 itself never comes, not even after rounding to half
    if values.dtype.kind == "f" and (case.startswith("randint") or case.startswith("random")):
        assert (values == np.round(values)).all()


def test_randint_and_randperm_cover_their_range():
    minitorch.manual_seed(0)
    assert sorted(set(minitorch.randint(-2, 3, (1000,)).tolist())) == [-2, -1, 0, 1, 2]
    assert sorted(minitorch.randperm(1000).tolist()) == list(range(1000))


def test_multinomial_frequencies_follow_the_weights():
    minitorch.manual_seed(0)
    weights = [1.0, 2.0, 0.0, 7.0]  # unnormalised, with a category that can never come
    samples = minitorch.multinomial(minitorch.tensor([weights, weights[::-1]]), N // 4, replacement=True)
    for row, row_weights in zip(samples.numpy(), (weights, weights[::-1])):
        frequencies = np.bincount(row, minlength=4) / row.size
        np.testing.assert_allclose(frequencies, np.array(row_weights) / 10, atol=0.01)


def test_multinomial_without_replacement_never_repeats_and_favours_heavy_categories():
    minitorch.manual_seed(0)
    weights = minitorch.tensor([[1.0, 2.0, 3.0, 4.0]] * 5000)
    samples = minitorch.multinomial(weights, 4).numpy()
    assert (np.sort(samples, axis=1) == np.arange(4)).all()  # every row is a permutation
    first = np.bincount(samples[:, 0], minlength=4) / len(samples)
    np.testing.assert_allclose(first, [0.1, 0.2, 0.3, 0.4], atol=0.02)
    # Zero weights come last, as in torch, once the positive ones are used up.
    assert minitorch.multinomial(minitorch.tensor([0.0, 0.0, 1.0]), 2).tolist()[0] == 2


def test_fill_and_zero_write_into_the_tensor_like_torch():
    for L in (minitorch, torch):
        ints, floats = L.ones(3, dtype=L.int32), L.ones(2, 2)
        assert ints.fill_(2.7) is ints and floats.zero_() is floats
        assert ints.tolist() == [2, 2, 2] and floats.tolist() == [[0.0, 0.0], [0.0, 0.0]]


IN_PLACE_ERRORS = {
    "uniform_backwards": lambda L: L.zeros(3).uniform_(2, 1),
    "uniform_int": lambda L: L.zeros(3, dtype=L.int64).uniform_(),
    "normal_int": lambda L: L.zeros(3, dtype=L.int64).normal_(),
    "normal_negative_std": lambda L: L.zeros(3).normal_(0, -1),
    "random_empty_range": lambda L: L.zeros(3).random_(5, 5),
    "random_past_uint8": lambda L: L.zeros(3, dtype=L.uint8).random_(300),
    "bernoulli_p_above_one": lambda L: L.zeros(3).bernoulli_(1.5),
}


@pytest.mark.parametrize("case", IN_PLACE_ERRORS)
def test_in_place_random_errors_match_torch(case):
    assert_same_error(IN_PLACE_ERRORS[case])


# -- seeds and generators -------------------------------------------------------------------

SAMPLERS = {
    "rand": lambda **g: minitorch.rand(5, **g),
    "randn": lambda **g: minitorch.randn(5, dtype=minitorch.float64, **g),
    "randint": lambda **g: minitorch.randint(0, 1000, (5,), **g),
    "randperm": lambda **g: minitorch.randperm(20, **g),
    "normal": lambda **g: minitorch.normal(minitorch.zeros(5), 1.0, **g),
    "bernoulli": lambda **g: minitorch.bernoulli(minitorch.full((30,), 0.5), **g),
    "multinomial": lambda **g: minitorch.multinomial(minitorch.ones(20), 5, **g),
    "uniform_": lambda **g: minitorch.empty(5).uniform_(**g),
    "normal_": lambda **g: minitorch.empty(5).normal_(**g),
}


@pytest.mark.parametrize("case", SAMPLERS)
def test_manual_seed_makes_draws_repeatable(case):
    sample = SAMPLERS[case]
    minitorch.manual_seed(1234)
    first = sample().tolist()
    minitorch.manual_seed(1234)
    assert sample().tolist() == first
    minitorch.manual_seed(4321)
    assert sample().tolist() != first


@pytest.mark.parametrize("case", SAMPLERS)
def test_a_generator_argument_draws_from_that_generator_only(case):
    sample = SAMPLERS[case]
    minitorch.manual_seed(0)
    expected_global = sample().tolist()
    generator = minitorch.Generator().manual_seed(7)
    minitorch.manual_seed(0)
    first = sample(generator=generator).tolist()
    assert sample().tolist() == expected_global  # the default generator did not move
    assert sample(generator=minitorch.Generator().manual_seed(7)).tolist() == first


def test_generator_api_matches_torch():
    for L in (minitorch, torch):
        generator = L.Generator()
        assert generator.initial_seed() == 67280421310721  # PyTorch's default seed
        assert generator.manual_seed(5) is generator and generator.initial_seed() == 5
        assert generator.device == L.device("cpu")
        assert L.manual_seed(3).initial_seed() == 3 and L.initial_seed() == 3
        assert isinstance(L.manual_seed(3), L.Generator)


def test_generator_state_saves_and_replays_draws():
    generator = minitorch.Generator().manual_seed(11)
    state = generator.get_state()
    first = minitorch.rand(4, generator=generator).tolist()
    assert minitorch.rand(4, generator=generator).tolist() != first
    generator.set_state(state)
    assert minitorch.rand(4, generator=generator).tolist() == first
    state = minitorch.get_rng_state()
    first = minitorch.randn(4).tolist()
    minitorch.set_rng_state(state)
    assert minitorch.randn(4).tolist() == first
    seed = minitorch.seed()
    assert minitorch.initial_seed() == seed


def test_random_draws_are_documented_to_differ_from_torch():
    minitorch.manual_seed(0)
    torch.manual_seed(0)
    assert minitorch.rand(3).tolist() != torch.rand(3).tolist()
    assert "differ from PyTorch" in creation.__doc__


def test_no_warnings_from_zero_weights_in_multinomial():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        minitorch.multinomial(minitorch.tensor([0.0, 1.0, 1.0]), 2)
