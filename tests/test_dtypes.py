"""dtypes against PyTorch: the dtype objects and aliases, promotion, result_type, can_cast, the default dtype."""
import itertools

import numpy as np
import pytest
import torch

import minitorch
from tests.helpers import TORCH_DTYPES_WITH_BFLOAT16 as TORCH_DTYPES

DTYPES = list(TORCH_DTYPES)
NAMES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool",
         "half", "float", "double", "short", "int", "long"]


@pytest.mark.parametrize("name", NAMES)
def test_dtype_objects_match_torch(name):
    ours, theirs = getattr(minitorch, name), getattr(torch, name)
    assert TORCH_DTYPES[ours] is theirs  # aliases are the same object as the canonical dtype
    assert repr(ours) == repr(theirs).replace("torch.", "minitorch.")
    assert str(ours) == str(theirs).replace("torch.", "minitorch.")
    for attribute in ("is_floating_point", "is_signed", "is_complex", "itemsize"):
        assert getattr(ours, attribute) == getattr(theirs, attribute), attribute


def test_dtypes_survive_pickling_as_the_same_object():
    import pickle
    for dtype in DTYPES:
        assert pickle.loads(pickle.dumps(dtype)) is dtype


@pytest.mark.parametrize("a,b", list(itertools.product(DTYPES, DTYPES)))
def test_promote_types_and_can_cast_match_torch(a, b):
    assert TORCH_DTYPES[minitorch.promote_types(a, b)] is torch.promote_types(TORCH_DTYPES[a], TORCH_DTYPES[b])
    assert minitorch.can_cast(a, b) == torch.can_cast(TORCH_DTYPES[a], TORCH_DTYPES[b])


# Operands for result_type, written once for both libraries: tensors with dims, 0-d tensors and Python numbers.
RESULT_TYPE_CASES = {
    "int_tensor_and_float": lambda L: (L.tensor([1, 2]), 2.5),
    "int_tensor_and_int": lambda L: (L.tensor([1, 2]), 2),
    "int8_tensor_and_int64_scalar_tensor": lambda L: (L.tensor([1], dtype=L.int8), L.tensor(5)),
    "int8_tensor_and_float_scalar_tensor": lambda L: (L.tensor([1], dtype=L.int8), L.tensor(5.0)),
    "half_tensor_and_float": lambda L: (L.tensor([1.0], dtype=L.float16), 5.0),
    "half_tensor_and_double_scalar_tensor": lambda L: (L.tensor([1.0], dtype=L.float16),
                                                      L.tensor(5.0, dtype=L.float64)),
    "bool_tensor_and_int": lambda L: (L.tensor([True]), 5),
    "bool_tensor_and_bool": lambda L: (L.tensor([True]), False),
    "bool_scalar_tensor_and_uint8_scalar_tensor": lambda L: (L.tensor(True), L.tensor(5, dtype=L.uint8)),
    "int_and_float_numbers": lambda L: (2, 3.0),
    "int_and_bool_numbers": lambda L: (2, True),
    "int32_scalar_tensor_and_int": lambda L: (L.tensor(1, dtype=L.int32), 2),
    "uint8_tensor_and_negative_int": lambda L: (L.tensor([1], dtype=L.uint8), -1),
    "uint8_and_int8_tensors": lambda L: (L.tensor([1], dtype=L.uint8), L.tensor([1], dtype=L.int8)),
    "double_scalar_tensor_and_int32_tensor": lambda L: (L.tensor(1.5, dtype=L.float64),
                                                       L.tensor([1], dtype=L.int32)),
    "float_tensor_and_double_tensor": lambda L: (L.tensor([1.0]), L.tensor([1.0], dtype=L.float64)),
}


@pytest.mark.parametrize("case", RESULT_TYPE_CASES)
def test_result_type_matches_torch(case):
    make = RESULT_TYPE_CASES[case]
    assert TORCH_DTYPES[minitorch.result_type(*make(minitorch))] is torch.result_type(*make(torch))


def test_default_dtype_is_float32_and_refuses_integer_dtypes():
    assert minitorch.get_default_dtype() is minitorch.float32
    with pytest.raises(TypeError):
        minitorch.set_default_dtype(minitorch.int64)
    with pytest.raises(TypeError):
        torch.set_default_dtype(torch.int64)


# What the default dtype decides: every float made without a dtype.
DEFAULT_DTYPE_FOLLOWERS = {
    "tensor_of_floats": lambda L: L.tensor([1.5]),
    "tensor_of_float_number": lambda L: L.tensor(1.5),
    "mixed_int_float_list": lambda L: L.tensor([1, 2.5]),
    "zeros": lambda L: L.zeros(2),
    "full_of_float": lambda L: L.full((2,), 1.5),
    "arange_with_float_end": lambda L: L.arange(3.0),
    "linspace": lambda L: L.linspace(0, 1, 3),
    "rand": lambda L: L.rand(2),
    "int_tensor_times_float": lambda L: L.result_type(L.tensor([1]), 1.5),
}


@pytest.mark.parametrize("default", [minitorch.float64, minitorch.float16])
@pytest.mark.parametrize("case", DEFAULT_DTYPE_FOLLOWERS)
def test_set_default_dtype_changes_what_floats_become_as_in_torch(case, default):
    make = DEFAULT_DTYPE_FOLLOWERS[case]
    torch_default = torch.get_default_dtype()
    minitorch.set_default_dtype(default)  # conftest restores minitorch's default after the test
    torch.set_default_dtype(TORCH_DTYPES[default])
    try:
        expected = make(torch)
    finally:
        torch.set_default_dtype(torch_default)
    actual = make(minitorch)
    expected_dtype = expected if isinstance(expected, torch.dtype) else expected.dtype
    actual_dtype = actual if isinstance(actual, minitorch.dtype) else actual.dtype
    assert TORCH_DTYPES[actual_dtype] is expected_dtype


def test_numpy_arrays_of_every_supported_dtype_keep_it():
    for dtype in DTYPES:
        array = np.zeros(2, dtype=dtype.numpy_dtype)
        assert minitorch.from_numpy(array).dtype is dtype
        assert minitorch.tensor(array).dtype is dtype
