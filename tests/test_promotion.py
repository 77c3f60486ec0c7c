"""Type promotion as PyTorch's: ``minitorch.result_type`` and the dtypes the ops actually return.

Every pair of the nine dtypes, tensors against Python numbers, zero-dimensional tensors
against dimensioned ones, and the default float dtype for integer true division.
"""
import numpy as np
import pytest
import torch

import minitorch
from tests.helpers import TORCH_DTYPES_WITH_BFLOAT16 as TORCH_DTYPES, check_against_torch, torch_tensor

DTYPES = list(TORCH_DTYPES)
NUMPY_DTYPES = {dtype: dtype.numpy_dtype for dtype in DTYPES}


def _values(dtype, shape=(2, 3)):
    """Small non-zero values of ``dtype`` (bool: all True), so that division is defined."""
    return np.asarray(np.arange(np.prod(shape)).reshape(shape) % 3 + 1).astype(NUMPY_DTYPES[dtype])


def _ids(dtypes):
    return "-".join(dtype.name for dtype in dtypes)


DTYPE_PAIRS = [(a, b) for a in DTYPES for b in DTYPES]

# Ops of two tensors that accept every dtype pair (bool included), with promoted results.
PROMOTING_OPS = {
    "add": lambda lib, x, y: x + y,
    "mul": lambda lib, x, y: lib.mul(x, y),
    "true_divide": lambda lib, x, y: x / y,
    "maximum": lambda lib, x, y: lib.maximum(x, y),
    "where": lambda lib, x, y: lib.where(x > 1, x, y),
    "eq": lambda lib, x, y: x == y,
}


def _both(op):
    return (lambda *inputs: op(minitorch, *inputs)), (lambda *inputs: op(torch, *inputs))


@pytest.mark.parametrize("dtypes", DTYPE_PAIRS, ids=_ids)
def test_result_type_of_two_tensors_matches_torch(dtypes):
    a, b = dtypes
    ours = minitorch.result_type(minitorch.tensor(_values(a)), minitorch.tensor(_values(b)))
    theirs = torch.result_type(torch_tensor(_values(a)), torch_tensor(_values(b)))
    assert TORCH_DTYPES[ours] == theirs


@pytest.mark.parametrize("dtypes", DTYPE_PAIRS, ids=_ids)
@pytest.mark.parametrize("name", PROMOTING_OPS)
def test_op_on_two_dtypes_returns_torch_dtype_and_values(name, dtypes):
    a, b = dtypes
    check_against_torch(*_both(PROMOTING_OPS[name]), _values(a), _values(b, (3,)))


@pytest.mark.parametrize("dtypes", DTYPE_PAIRS, ids=_ids)
def test_zero_dim_tensor_only_promotes_a_dimensioned_one_of_lower_category(dtypes):
    dimensioned, zero_dim = dtypes
    x, y = _values(dimensioned), _values(zero_dim, ())
    assert TORCH_DTYPES[minitorch.result_type(minitorch.tensor(x), minitorch.tensor(y))] == \
        torch.result_type(torch_tensor(x), torch_tensor(y))
    check_against_torch(*_both(lambda lib, a, b: a * b), x, y)
    check_against_torch(*_both(lambda lib, a, b: b + a), x, y)


NUMBERS = {"int": 2, "float": 2.5, "bool": True}

# Ops of a tensor and a Python number, on either side.
NUMBER_OPS = {
    "add": lambda lib, x, number: x + number,
    "radd": lambda lib, x, number: number + x,
    "mul": lambda lib, x, number: lib.mul(x, number),
    "true_divide": lambda lib, x, number: x / number,
    "rtrue_divide": lambda lib, x, number: number / x,
    "where": lambda lib, x, number: lib.where(x > 1, x, number),
    "clamp": lambda lib, x, number: lib.clamp(x, max=number),
    "eq": lambda lib, x, number: x == number,
}


@pytest.mark.parametrize("number", NUMBERS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
def test_result_type_of_tensor_and_number_matches_torch(dtype, number):
    value = NUMBERS[number]
    ours = minitorch.result_type(minitorch.tensor(_values(dtype)), value)
    assert TORCH_DTYPES[ours] == torch.result_type(torch_tensor(_values(dtype)), value)


@pytest.mark.parametrize("number", NUMBERS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("name", NUMBER_OPS)
def test_op_on_tensor_and_number_returns_torch_dtype_and_values(name, dtype, number):
    op = NUMBER_OPS[name]
    value = NUMBERS[number]
    try:
        op(torch, torch_tensor(_values(dtype)), value)
    except Exception as error:  # e.g. clamp with a bool result: then we raise the same way
        with pytest.raises(type(error)):
            op(minitorch, minitorch.tensor(_values(dtype)), value)
        return
    check_against_torch(*_both(lambda lib, x: op(lib, x, value)), _values(dtype))


INTEGER_DTYPES = [minitorch.int8, minitorch.int32, minitorch.int64, minitorch.uint8, minitorch.bool]


@pytest.mark.parametrize("dtype", INTEGER_DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("default", [minitorch.float32, minitorch.float64], ids=lambda d: d.name)
def test_integer_true_division_gives_the_default_float_dtype(dtype, default):
    minitorch.set_default_dtype(default)
    torch_default = torch.get_default_dtype()
    torch.set_default_dtype(TORCH_DTYPES[default])
    try:
        for op in (lambda lib, x, y: x / y, lambda lib, x, y: lib.div(x, 2), lambda lib, x, y: x.sqrt(),
                   lambda lib, x, y: x * 0.5):
            check_against_torch(*_both(op), _values(dtype), _values(dtype, (3,)))
    finally:
        torch.set_default_dtype(torch_default)


def test_float16_stays_float16_with_python_numbers():
    for op in (lambda lib, x: x * 2.5, lambda lib, x: 1e-3 + x, lambda lib, x: x / 3, lambda lib, x: x ** 2,
               lambda lib, x: lib.where(x > 1, x, 0.1), lambda lib, x: x.exp()):
        result = check_against_torch(*_both(op), _values(minitorch.float16))
        assert result.dtype is minitorch.float16


def test_python_float_does_not_upcast_a_float32_tensor_to_float64():
    x = minitorch.ones(2)
    assert (x * 1e-300).dtype is minitorch.float32
    assert (minitorch.tensor(2.0, dtype=minitorch.float64) * x).dtype is minitorch.float32


def test_numpy_numbers_promote_as_python_numbers():
    for number in (np.float16(2.5), np.float64(0.5), np.int64(3)):
        check_against_torch(*_both(lambda lib, x: x * number), _values(minitorch.int8))
        check_against_torch(*_both(lambda lib, x: number + x), _values(minitorch.float16))


def test_gradient_of_promoted_input_keeps_its_own_dtype():
    x16, x64 = np.array([1.0, 2.0], dtype=np.float16), np.array([3.0, 4.0])
    check_against_torch(*_both(lambda lib, a, b: a * b), x16, x64)
