"""Tensor attributes, conversions, repr and devices against PyTorch.

Tables of lambdas taking the library (``L``) build the same tensor in minitorch
and torch; each test compares what the two report.
"""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import minitorch
from tests.helpers import assert_same, check_program
from tests.strategies import shapes

TENSORS = {
    "matrix": lambda L: L.zeros(2, 3),
    "0d_float": lambda L: L.tensor(2.5),
    "int32_vector": lambda L: L.tensor([1, 2, 3], dtype=L.int32),
    "bool_matrix": lambda L: L.tensor([[True], [False]]),
    "empty_half": lambda L: L.zeros(0, 3, dtype=L.float16),
    "transposed": lambda L: L.from_numpy(np.arange(6.0).reshape(2, 3).T),
    "strided": lambda L: L.from_numpy(np.arange(12, dtype=np.int64).reshape(3, 4)[:, ::2]),
    "leaf_requiring_grad": lambda L: L.ones(2, 2, requires_grad=True),
    "non_leaf": lambda L: L.ones(2, requires_grad=True).double(),
}

ATTRIBUTES = {
    "shape": lambda t: tuple(t.shape),
    "shape_repr": lambda t: repr(t.shape).replace("minitorch.", "torch."),
    "size": lambda t: tuple(t.size()),
    "size_last": lambda t: t.size(-1) if t.dim() else None,
    "dim": lambda t: t.dim(),
    "ndim": lambda t: t.ndim,
    "ndimension": lambda t: t.ndimension(),
    "numel": lambda t: t.numel(),
    "nelement": lambda t: t.nelement(),
    "dtype": lambda t: repr(t.dtype).replace("minitorch.", "torch."),
    "device": lambda t: str(t.device),
    "is_cuda": lambda t: t.is_cuda,
    "is_leaf": lambda t: t.is_leaf,
    "requires_grad": lambda t: t.requires_grad,
    "element_size": lambda t: t.element_size(),
    "itemsize": lambda t: t.itemsize,
    "nbytes": lambda t: t.nbytes,
    "stride": lambda t: t.stride(),
    "stride_of_dim_0": lambda t: t.stride(0) if t.dim() else None,
    "is_contiguous": lambda t: t.is_contiguous(),
    "is_floating_point": lambda t: t.is_floating_point(),
    "type": lambda t: t.type().replace("minitorch.", "torch."),
    "len": lambda t: len(t) if t.dim() else None,
}


@pytest.mark.parametrize("tensor", TENSORS)
@pytest.mark.parametrize("attribute", ATTRIBUTES)
def test_attributes_match_torch(tensor, attribute):
    read = ATTRIBUTES[attribute]
    assert read(TENSORS[tensor](minitorch)) == read(TENSORS[tensor](torch))


ERRORS = {
    "size_out_of_range": lambda L: L.zeros(2, 3).size(2),
    "stride_out_of_range": lambda L: L.zeros(2, 3).stride(-3),
    "item_of_many": lambda L: L.tensor([2, 3]).item(),
    "numpy_of_requires_grad": lambda L: L.ones(2, requires_grad=True).numpy(),
    "len_of_0d": lambda L: len(L.tensor(1.0)),
    "int_requires_grad": lambda L: L.ones(2, dtype=L.int64).requires_grad_(),
}


@pytest.mark.parametrize("case", ERRORS)
def test_attribute_errors_match_torch(case):
    with pytest.raises(Exception) as expected:
        ERRORS[case](torch)
    with pytest.raises(expected.type):
        ERRORS[case](minitorch)


def test_size_is_a_tuple_with_torch_repr_and_numel():
    size = minitorch.zeros(2, 3, 4).shape
    assert isinstance(size, tuple) and size == (2, 3, 4)
    assert repr(size) == "minitorch.Size([2, 3, 4])" == repr(torch.Size([2, 3, 4])).replace("torch", "minitorch")
    assert size.numel() == 24 and minitorch.Size([]).numel() == 1
    assert repr(size[1:]) == "minitorch.Size([3, 4])" and size[-1] == 4


SCALARS = {
    "float": lambda L: L.tensor(2.5),
    "float_in_list": lambda L: L.tensor([2.5]),
    "half": lambda L: L.tensor(2.5, dtype=L.float16),
    "float32_rounding": lambda L: L.tensor(0.1),
    "int8": lambda L: L.tensor(-3, dtype=L.int8),
    "long_in_matrix": lambda L: L.tensor([[7]]),
    "bool": lambda L: L.tensor(True),
}


@pytest.mark.parametrize("case", SCALARS)
def test_item_and_python_numbers_match_torch(case):
    ours, theirs = SCALARS[case](minitorch), SCALARS[case](torch)
    for convert in (lambda t: t.item(), float, int, bool, lambda t: t.tolist()):
        actual, expected = convert(ours), convert(theirs)
        assert actual == expected and type(actual) is type(expected)


@pytest.mark.parametrize("tensor", TENSORS)
def test_tolist_matches_torch(tensor):
    actual = TENSORS[tensor](minitorch).detach().tolist()
    expected = TENSORS[tensor](torch).detach().tolist()
    assert actual == expected and repr(actual) == repr(expected)  # repr also compares int/float/bool types


def test_numpy_shares_memory_and_refuses_tensors_that_require_grad():
    tensor = minitorch.zeros(2, 3)
    array = tensor.numpy()
    array[0, 0] = 5.0
    assert tensor.tolist()[0][0] == 5.0
    assert tensor.numpy() is array
    parameter = minitorch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        parameter.numpy()
    assert parameter.detach().numpy().tolist() == [1.0, 1.0]
    assert parameter.numpy(force=True).tolist() == [1.0, 1.0]
    assert np.asarray(minitorch.tensor([1, 2])).tolist() == [1, 2]


CONVERSIONS = {
    "to_dtype": lambda L, x: x.to(L.float64),
    "to_dtype_keyword": lambda L, x: x.to(dtype=L.float16),
    "to_device": lambda L, x: x.to("cpu"),
    "to_device_object": lambda L, x: x.to(L.device("cpu")),
    "to_device_and_dtype": lambda L, x: x.to("cpu", L.int32),
    "to_keywords": lambda L, x: x.to(device="cpu", dtype=L.float16),
    "to_other_tensor": lambda L, x: x.to(L.tensor([1], dtype=L.int16)),
    "to_copy": lambda L, x: x.to(L.float32, copy=True),
    "float": lambda L, x: x.float(),
    "double": lambda L, x: x.double(),
    "half": lambda L, x: x.half(),
    "bfloat16": lambda L, x: x.bfloat16(),
    "long_truncates": lambda L, x: x.long(),
    "int": lambda L, x: x.int(),
    "short": lambda L, x: x.short(),
    "char": lambda L, x: x.char(),
    "byte": lambda L, x: x.byte() if x.dtype is L.int64 else x.bool().byte(),
    "bool": lambda L, x: x.bool(),
    "type_dtype": lambda L, x: x.type(L.int32),
    "type_as": lambda L, x: x.type_as(L.tensor([1])),
    "clone": lambda L, x: x.clone(),
    "contiguous": lambda L, x: x.contiguous(),
    "cpu": lambda L, x: x.cpu(),
    "new_tensor": lambda L, x: x.new_tensor([1, 2]),
    "new_zeros": lambda L, x: x.new_zeros(2, 3),
    "new_ones": lambda L, x: x.new_ones((2,)),
    "new_full": lambda L, x: x.new_full((2,), 7),
    "new_empty_shape": lambda L, x: x.new_empty(2).zero_(),
}


@pytest.mark.parametrize("source", [np.array([1.5, -2.7, 0.0, 3.0], dtype=np.float32),
                                    np.array([[1, 0], [-3, 4]], dtype=np.int64)], ids=["float", "long"])
@pytest.mark.parametrize("case", CONVERSIONS)
def test_conversions_match_torch(case, source):
    convert = CONVERSIONS[case]
    assert_same(convert(minitorch, minitorch.tensor(source)), convert(torch, torch.tensor(source)))


@pytest.mark.parametrize("case", CONVERSIONS)
def test_conversions_return_the_same_tensor_exactly_when_torch_does(case):
    convert = CONVERSIONS[case]
    ours, theirs = minitorch.tensor([1.5, 2.0]), torch.tensor([1.5, 2.0])
    assert (convert(minitorch, ours) is ours) == (convert(torch, theirs) is theirs)


@pytest.mark.parametrize("case", ["to_dtype", "double", "half", "to_copy", "clone", "contiguous", "float",
                                  "long_truncates"])
def test_gradients_flow_back_through_conversions_as_in_torch(case):
    convert = CONVERSIONS[case]
    outcomes = []
    for L in (minitorch, torch):
        x = L.tensor([1.5, -2.0, 3.0], requires_grad=True)
        y = convert(L, x)
        outcome = {"requires_grad": y.requires_grad, "is_leaf": y.is_leaf}
        if y.grad_fn is not None:
            y.backward(L.tensor([0.5, 1.0, -1.0], dtype=y.dtype))
            outcome.update(grad=x.grad, node=y.grad_fn.name().rstrip("0123456789"))
        outcomes.append(outcome)
    ours, theirs = outcomes
    assert ours.keys() == theirs.keys()
    for key in ours:
        if key == "grad":
            assert_same(ours[key], theirs[key], what="grad")  # cast back to the input's float32
        else:
            assert ours[key] == theirs[key], key


def test_clone_and_contiguous_copy_memory_and_keep_or_fix_the_layout_as_torch():
    array = np.arange(6.0).reshape(2, 3).T
    for L in (minitorch, torch):
        transposed = L.from_numpy(array)
        cloned, contiguous = transposed.clone(), transposed.contiguous()
        assert (cloned.stride(), contiguous.stride()) == ((1, 3), (2, 1)), L.__name__
        assert contiguous.is_contiguous() and contiguous.tolist() == transposed.tolist()
        cloned.numpy()[0, 0] = 99.0
        assert transposed.tolist()[0][0] == 0.0


@pytest.mark.skipif(minitorch.cuda.is_available(), reason="checks the error raised where there is no GPU")
@pytest.mark.parametrize("move", [lambda L: L.zeros(2).cuda(), lambda L: L.zeros(2).to("cuda"),
                                  lambda L: L.zeros(2).to("cuda:0"), lambda L: L.zeros(2, device="cuda"),
                                  lambda L: L.cuda.synchronize(), lambda L: L.cuda.current_device()])
def test_cuda_without_a_gpu_raises_torch_assertion_error(move):
    with pytest.raises(AssertionError, match="not compiled with CUDA"):
        move(minitorch)
    if not torch.cuda.is_available():
        with pytest.raises(AssertionError):
            move(torch)


@pytest.mark.skipif(minitorch.cuda.is_available(), reason="checks the answers where there is no GPU")
def test_cuda_module_reports_no_gpu():
    assert minitorch.cuda.is_available() is False and minitorch.cuda.device_count() == 0


# -- devices --------------------------------------------------------------------------------

DEVICES = {
    "cpu": ("cpu",), "cuda": ("cuda",), "cuda_1": ("cuda:1",), "cpu_0": ("cpu:0",), "cpu_1": ("cpu:1",),
    "cuda_and_index": ("cuda", 1), "cpu_and_index": ("cpu", 0), "cuda_12": ("cuda:12",),
}


@pytest.mark.parametrize("case", DEVICES)
def test_device_parsing_and_repr_match_torch(case):
    ours, theirs = minitorch.device(*DEVICES[case]), torch.device(*DEVICES[case])
    assert (repr(ours), str(ours), ours.type, ours.index) == (repr(theirs), str(theirs), theirs.type, theirs.index)
    assert minitorch.device(ours) == ours and hash(minitorch.device(str(ours))) == hash(ours)


BAD_DEVICES = [("cuda:x",), ("gpu",), ("CPU",), ("cuda:-1",), (" cpu",), ("cuda:",), ("cuda:0:0",), ("cuda:1", 0),
               ("cpu", -1), ("cuda", -1)]


@pytest.mark.parametrize("arguments", BAD_DEVICES, ids=str)
def test_bad_devices_raise_runtime_error_like_torch(arguments):
    with pytest.raises(RuntimeError):
        torch.device(*arguments)
    with pytest.raises(RuntimeError):
        minitorch.device(*arguments)


def test_device_equality_follows_torch():
    for L in (minitorch, torch):
        assert L.device("cpu") == L.device("cpu") and L.device("cuda:0") == L.device("cuda", 0)
        assert L.device("cuda") != L.device("cuda:0")  # no index is "the current GPU", a different device
        assert L.device("cpu") != "cpu"  # a device never equals a string
        assert L.zeros(2, device="cpu:0").device == L.device("cpu")  # every CPU index is the one CPU
        assert str(L.zeros(2, device=L.device("cpu", 0)).device) == "cpu"


# -- repr -----------------------------------------------------------------------------------

REPRS = {
    "ints": lambda L: L.tensor([1, 2, 3]),
    "negative_ints": lambda L: L.tensor([[-1, 20], [300, -4000]]),
    "floats": lambda L: L.tensor([1.5, 2.25, -3.125]),
    "mixed_magnitudes": lambda L: L.tensor([0.001, 1.0, 1000.0]),
    "small_and_one": lambda L: L.tensor([1e-5, 1.0]),
    "big_and_one": lambda L: L.tensor([1e10, 1.0]),
    "integral_floats": lambda L: L.tensor([1.0, 2.0, -3.0]),
    "integral_floats_wide": lambda L: L.tensor([1.0, 2000.0]),
    "integral_floats_1000": lambda L: L.tensor([1.0, 1000.0]),
    "integral_floats_1e8": lambda L: L.tensor([1e8, 2.0]),
    "scientific_small": lambda L: L.tensor([1e-5, 2e-5]),
    "hundreds": lambda L: L.tensor([123.456, 0.5]),
    "negative_fractions": lambda L: L.tensor([-0.5, -1.25]),
    "zeros": lambda L: L.tensor([0.0, 0.0]),
    "negative_zero": lambda L: L.tensor([-0.0, 1.0]),
    "bools": lambda L: L.tensor([True, False]),
    "bool_matrix": lambda L: L.tensor([[True, False], [False, True]]),
    "0d_float": lambda L: L.tensor(3.5),
    "0d_int": lambda L: L.tensor(7),
    "0d_bool": lambda L: L.tensor(True),
    "0d_double": lambda L: L.tensor(2.5, dtype=L.float64),
    "empty": lambda L: L.tensor([]),
    "empty_long": lambda L: L.tensor([], dtype=L.int64),
    "empty_matrix_double": lambda L: L.zeros(0, 3, dtype=L.float64),
    "empty_matrix_long": lambda L: L.zeros(2, 0, dtype=L.int64),
    "double": lambda L: L.tensor([1.5, 2.0], dtype=L.float64),
    "half": lambda L: L.tensor([1.5, 2.0], dtype=L.float16),
    "half_scientific": lambda L: L.tensor([1e-3, 100.0], dtype=L.float16),
    "int32": lambda L: L.tensor([1, 2], dtype=L.int32),
    "uint8": lambda L: L.tensor([1, 2], dtype=L.uint8),
    "int8_extremes": lambda L: L.tensor([-128, 127], dtype=L.int8),
    "requires_grad": lambda L: L.tensor([1.0, 2.5], requires_grad=True),
    "double_requires_grad": lambda L: L.tensor([1.0, 2.5], dtype=L.float64, requires_grad=True),
    "nan_and_inf": lambda L: L.tensor([float("nan"), float("inf"), -float("inf"), 1.5]),
    "nan_and_integral": lambda L: L.tensor([float("nan"), 1.0, 2.0]),
    "only_nan": lambda L: L.tensor([float("nan")]),
    "3d_ints": lambda L: L.arange(24).reshape(2, 3, 4),
    "3d_floats": lambda L: L.arange(24.0).reshape(2, 3, 4) / 7,
    "long_float_row_wraps": lambda L: L.arange(30.0) / 3,
    "long_int_row_wraps": lambda L: L.arange(40),
    "summarised_ints": lambda L: L.arange(2000),
    "summarised_floats": lambda L: L.arange(2000.0) / 3,
    "summarised_matrix": lambda L: L.arange(4000.0).reshape(40, 100) / 3,
    "summarised_3d": lambda L: L.arange(3000).reshape(10, 10, 30),
    "summarised_long_with_dtype": lambda L: L.arange(1001, dtype=L.int16),
    "wide_row_pushes_suffix_to_next_line": lambda L: L.arange(6.0, dtype=L.float64) * 1234.5678,
    "column": lambda L: L.arange(5).reshape(5, 1),
}


@pytest.mark.parametrize("case", REPRS)
def test_repr_matches_torch(case):
    expected = str(REPRS[case](torch)).replace("torch.", "minitorch.")
    actual = str(REPRS[case](minitorch))
    assert actual == expected and repr(REPRS[case](minitorch)) == expected


def test_repr_of_results_shows_grad_fn_like_torch():
    actual = repr(minitorch.tensor([1.0, 2.0], requires_grad=True).double())
    expected = repr(torch.tensor([1.0, 2.0], requires_grad=True).double()).replace("torch.", "minitorch.")
    assert actual.split("grad_fn=<")[0] == expected.split("grad_fn=<")[0]
    assert actual.split("grad_fn=<")[1].startswith("ToCopyBackward")


def test_repr_suffix_follows_the_default_dtype_like_torch():
    default = torch.get_default_dtype()
    minitorch.set_default_dtype(minitorch.float64)
    torch.set_default_dtype(torch.float64)
    try:
        for make in (lambda L: L.tensor([1.5]), lambda L: L.tensor([1.5], dtype=L.float32), lambda L: L.tensor([])):
            assert str(make(minitorch)) == str(make(torch)).replace("torch.", "minitorch.")
    finally:
        torch.set_default_dtype(default)


MAGNITUDES = st.sampled_from([1e-6, 1e-3, 1.0, 10.0, 1e3, 1e6, 1e9])


@given(array=hnp.arrays(np.float32, shapes(min_dims=0, max_dims=3, max_side=6),
                        elements=st.floats(-1e3, 1e3, width=32, allow_subnormal=False)),
       scale=MAGNITUDES, integral=st.booleans())
def test_repr_matches_torch_for_drawn_values(array, scale, integral):
    values = (np.round(array) if integral else array) * np.float32(scale)
    assert str(minitorch.tensor(values)) == str(torch.tensor(values))


PRINT_OPTIONS = [dict(precision=2), dict(sci_mode=True), dict(sci_mode=False), dict(threshold=5, edgeitems=1),
                 dict(linewidth=40), dict(profile="short"), dict(profile="full")]


@pytest.mark.parametrize("options", PRINT_OPTIONS, ids=str)
def test_set_printoptions_changes_repr_like_torch(options):
    from minitorch._printing import set_printoptions
    values = np.concatenate([np.arange(12.0) / 7, [1e-5, 123.456]]).astype(np.float32)
    try:
        set_printoptions(**options)
        torch.set_printoptions(**options)
        for array in (values, values.reshape(2, 7), np.arange(1200)):
            assert str(minitorch.tensor(array)) == str(torch.tensor(array))
    finally:
        set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


SIZE_AND_FORMAT_CASES = {
    "size_plus_tuple": lambda L: repr(L.zeros(2, 3).shape + (4,)),
    "tuple_plus_size": lambda L: repr((1,) + L.zeros(2).shape),
    "size_times_int": lambda L: repr(L.zeros(2).shape * 2),
    "format_0d_float": lambda L: f"{L.tensor(3.5)}",
    "format_0d_spec": lambda L: f"{L.tensor(3.25):.1f}",
    "format_0d_int": lambda L: f"{L.tensor(7)}",
}


@pytest.mark.parametrize("case", SIZE_AND_FORMAT_CASES)
def test_size_arithmetic_and_scalar_format_match_torch(case):
    build = SIZE_AND_FORMAT_CASES[case]
    assert build(minitorch).replace("minitorch.", "torch.") == build(torch)


def test_mT_of_a_vector_raises_like_torch():
    with pytest.raises(RuntimeError) as expected:
        torch.zeros(3).mT
    with pytest.raises(RuntimeError, match="only supported on matrices") as actual:
        minitorch.zeros(3).mT
    assert str(actual.value) == str(expected.value)


FUNCTION_FORMS = {  # torch.<name>(tensor, ...) as well as tensor.<name>(...)
    "equal_same_values_other_dtype": lambda lib: lib.equal(lib.ones(3), lib.ones(3, dtype=lib.int64)),
    "equal_other_shape": lambda lib: lib.equal(lib.ones(3), lib.ones(1)),
    "equal_differs": lambda lib: lib.equal(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.5])),
    "equal_with_a_number": lambda lib: lib.equal(lib.ones(2), 1),
    "allclose": lambda lib: lib.allclose(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0 + 1e-6])),
    "allclose_nan": lambda lib: lib.allclose(lib.tensor([float("nan")]), lib.tensor([float("nan")]), equal_nan=True),
    "is_complex": lambda lib: lib.is_complex(lib.ones(2)),
    "detach": lambda lib: lib.detach(lib.ones(2, requires_grad=True) * 2).requires_grad,
    "clamp_min": lambda lib: lib.clamp_min(lib.tensor([-1.0, 0.5, 2.0]), 0.0),
    "clamp_max": lambda lib: lib.clamp_max(lib.tensor([-1.0, 0.5, 2.0]), 1.0),
}


@pytest.mark.parametrize("case", FUNCTION_FORMS)
def test_function_forms_of_tensor_methods_match_torch(case):
    check_program(FUNCTION_FORMS[case])
