"""Pooling, unpooling, interpolation and pixel shuffle against PyTorch: the layers with drawn sizes
and options (values, max-pool indices, input gradients), PyTorch's ceil_mode and adaptive-window
rules, the primitives' numerical first and second derivatives, double backward, reprs and errors.

Max-pool inputs are permutations (no ties), so the argmax, and so the gradient, is unambiguous."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import minitorch
from helpers import (check_against_torch, check_double_backward_against_torch, check_gradcheck, check_module_against_torch,
                     check_program)
from strategies import FLOAT_DTYPES

F = minitorch.nn.functional
TF = torch.nn.functional


def distinct(shape, dtype=np.float64, seed=0):
    """Values without ties, spaced 0.1 apart (so finite differences never swap a maximum)."""
    count = int(np.prod(shape))
    return ((np.random.default_rng(seed).permutation(count) - count / 2) / 10).reshape(shape).astype(dtype)


def both(name, *args, **kwargs):
    """The minitorch layer ``name`` and its torch twin, built with the same arguments."""
    return getattr(minitorch.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)


def leading_shape(draw):
    """Batch and channels: (N, C), or (C,) for an unbatched input."""
    return draw(st.sampled_from([(), (1,), (2,)])) + (draw(st.integers(1, 3)),)


def compact(draw, values: tuple):
    """A per-dimension option as torch accepts it: a tuple, or a single int when the values agree."""
    return values[0] if len(set(values)) == 1 and draw(st.booleans()) else values


# -------------------------------------------------------------------------------------------------
# Max and average pooling layers
# -------------------------------------------------------------------------------------------------

@st.composite
def pool_cases(draw, dims: int, dilation: bool):
    """(options, input shape) of a pool whose windows all fit: padding at most half the kernel (torch's
    rule) and an input at least one dilated kernel long, so no window lies wholly in the padding."""
    per_dim = lambda low, high: tuple(draw(st.integers(low, high)) for _ in range(dims))  # noqa: E731
    kernel = per_dim(1, 3)
    dilations = per_dim(1, 2) if dilation else (1,) * dims
    options = dict(kernel_size=compact(draw, kernel),
                   stride=draw(st.one_of(st.none(), st.just(per_dim(1, 3)))),
                   padding=compact(draw, tuple(draw(st.integers(0, k // 2)) for k in kernel)),
                   ceil_mode=draw(st.booleans()))
    if dilation:
        options["dilation"] = compact(draw, dilations)
    reach = [(k - 1) * d + 1 for k, d in zip(kernel, dilations)]
    return options, leading_shape(draw) + tuple(r + draw(st.integers(0, 4)) for r in reach)


@pytest.mark.parametrize("name, dims", [("MaxPool1d", 1), ("MaxPool2d", 2)])
@given(case=pool_cases(1, dilation=True), case2d=pool_cases(2, dilation=True), return_indices=st.booleans(),
       dtype=FLOAT_DTYPES)
def test_max_pool_matches_torch_values_indices_and_gradients(name, dims, case, case2d, return_indices, dtype):
    options, shape = case if dims == 1 else case2d
    check_module_against_torch(*both(name, return_indices=return_indices, **options), distinct(shape, dtype))


@given(case=pool_cases(1, dilation=False), count_include_pad=st.booleans(), dtype=FLOAT_DTYPES)
def test_avg_pool1d_matches_torch(case, count_include_pad, dtype):
    options, shape = case
    check_module_against_torch(*both("AvgPool1d", count_include_pad=count_include_pad, **options),
                               distinct(shape, dtype))


@given(case=pool_cases(2, dilation=False), count_include_pad=st.booleans(),
       divisor_override=st.sampled_from([None, 1, 3]), dtype=FLOAT_DTYPES)
def test_avg_pool2d_matches_torch_with_padding_counts_and_divisor(case, count_include_pad, divisor_override, dtype):
    options, shape = case
    check_module_against_torch(*both("AvgPool2d", count_include_pad=count_include_pad,
                                     divisor_override=divisor_override, **options), distinct(shape, dtype))


# ceil_mode keeps a last partial window only if it starts inside the input or its left padding:
# (5, kernel 2, stride 2, padding 1) has 3 windows, not 4; (6, 3, 2, 0) gets a 3rd, partial one.
@pytest.mark.parametrize("size, kernel, stride, padding", [(5, 2, 2, 1), (6, 3, 2, 0), (7, 3, 3, 1), (4, 3, 2, 1)])
@pytest.mark.parametrize("name", ["MaxPool2d", "AvgPool2d"])
def test_ceil_mode_drops_a_last_window_that_starts_in_the_right_padding(name, size, kernel, stride, padding):
    layers = both(name, kernel, stride, padding, ceil_mode=True)
    output = check_module_against_torch(*layers, distinct((2, size, size + 1)))
    assert output.shape[-2] == layers[1](torch.zeros(2, size, size + 1)).shape[-2]


@pytest.mark.parametrize("kernel_size", [2, (2, 3), 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tiled_max_pool_sends_ties_to_the_first_maximum_and_nan_wins_like_torch(kernel_size, dtype):
    """Windows that tile the input take the faster path (a mask of the maxima): ties, as after a ReLU,
    go to the first maximum in row-major order, a NaN wins (the last NaN of its window), and rows and
    columns no window reaches get no gradient."""
    rng = np.random.default_rng(4)
    x = np.maximum(rng.integers(-2, 3, (2, 3, 7, 8)), 0).astype(dtype)  # many tied zeros, ones and twos
    x[0, 0, 0, :4] = np.nan
    x[1, 2, 3, 5] = np.nan
    check_against_torch(lambda t: F.max_pool2d(t, kernel_size), lambda t: TF.max_pool2d(t, kernel_size), x)
    check_against_torch(lambda t: F.max_pool2d(t, kernel_size), lambda t: TF.max_pool2d(t, kernel_size), x[0])


# -------------------------------------------------------------------------------------------------
# Adaptive pooling
# -------------------------------------------------------------------------------------------------

@st.composite
def adaptive_cases(draw, dims: int):
    """(output_size, input shape): output sizes that divide the input and ones that do not (uneven,
    overlapping windows), larger than the input too, and None (keep that size) in 2-d."""
    spatial = tuple(draw(st.integers(1, 7)) for _ in range(dims))
    output = tuple(draw(st.integers(1, 8)) for _ in range(dims))
    if dims == 2 and draw(st.booleans()):
        output = (output[0], None)
    return (output[0] if dims == 1 else compact(draw, output)), leading_shape(draw) + spatial


@pytest.mark.parametrize("name, dims, options", [
    ("AdaptiveAvgPool1d", 1, {}), ("AdaptiveAvgPool2d", 2, {}),
    ("AdaptiveMaxPool1d", 1, {"return_indices": True}), ("AdaptiveMaxPool2d", 2, {"return_indices": True}),
    ("AdaptiveMaxPool2d", 2, {}),
])
@given(case=adaptive_cases(1), case2d=adaptive_cases(2), dtype=FLOAT_DTYPES)
def test_adaptive_pool_matches_torch_on_even_and_uneven_windows(name, dims, options, case, case2d, dtype):
    output_size, shape = case if dims == 1 else case2d
    check_module_against_torch(*both(name, output_size, **options), distinct(shape, dtype))


EDGES = {  # inputs and sizes at the borders: empty batches, zero output sizes, integer inputs
    "max_pool2d of an empty batch": (lambda lib, x: lib.nn.functional.max_pool2d(
        lib.tensor(x, requires_grad=True), 2, return_indices=True), np.zeros((0, 3, 4, 4))),
    "avg_pool2d of an empty batch": (lambda lib, x: lib.nn.functional.avg_pool2d(lib.tensor(x), 2),
                                     np.zeros((0, 3, 4, 4))),
    "adaptive_max_pool2d to zero rows": (lambda lib, x: lib.nn.functional.adaptive_max_pool2d(
        lib.tensor(x), (0, 3), return_indices=True), distinct((2, 3, 4, 4))),
    "adaptive_avg_pool2d to zero rows": (lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(lib.tensor(x), (0, 2)),
                                         distinct((2, 3, 4, 4))),
    "interpolate an empty batch": (lambda lib, x: lib.nn.functional.interpolate(lib.tensor(x), scale_factor=2),
                                   np.zeros((0, 3, 4, 4))),
    "pixel_shuffle an empty batch": (lambda lib, x: lib.nn.functional.pixel_shuffle(lib.tensor(x), 2),
                                     np.zeros((0, 4, 2, 2))),
    "max_pool2d of integers": (lambda lib, x: lib.nn.functional.max_pool2d(lib.tensor(x), 3, 2, 1,
                                                                           return_indices=True),
                               np.random.default_rng(0).integers(-50, 50, (2, 3, 6, 5))),
}


@pytest.mark.parametrize("name", EDGES)
def test_edge_inputs_match_torch(name):
    program, x = EDGES[name]
    check_program(program, x)


def test_adaptive_avg_pool_to_one_is_the_global_mean():
    x = distinct((2, 3, 5, 4))
    result = minitorch.nn.AdaptiveAvgPool2d(1)(minitorch.tensor(x))
    np.testing.assert_allclose(result.numpy(), x.mean(axis=(2, 3), keepdims=True))


# -------------------------------------------------------------------------------------------------
# Unpooling, interpolation, pixel shuffle
# -------------------------------------------------------------------------------------------------

@given(kernel=st.integers(1, 3), windows=st.integers(1, 3), remainders=st.tuples(st.integers(0, 2), st.integers(0, 2)),
       batch=st.sampled_from([(), (2,)]), use_output_size=st.booleans(), dtype=FLOAT_DTYPES)
def test_max_unpool2d_puts_values_back_where_max_pool2d_found_them(kernel, windows, remainders, batch,
                                                                   use_output_size, dtype):
    # rows and columns that no window covers are only restored with an explicit output_size
    extra = [r % kernel if use_output_size else 0 for r in remainders]
    shape = batch + (2, kernel * windows + extra[0], kernel * (windows + 1) + extra[1])
    values, indices = TF.max_pool2d(torch.tensor(distinct(shape, dtype)), kernel, return_indices=True)
    output_size = shape[-2:] if use_output_size else None
    layers = both("MaxUnpool2d", kernel)
    check_module_against_torch(*layers, values.numpy(), indices.numpy(), output_size)


@given(kernel=st.integers(1, 3), size=st.integers(3, 9), dtype=FLOAT_DTYPES)
def test_max_unpool1d_inverts_max_pool1d(kernel, size, dtype):
    values, indices = TF.max_pool1d(torch.tensor(distinct((2, 3, size), dtype)), kernel, return_indices=True)
    check_module_against_torch(*both("MaxUnpool1d", kernel), values.numpy(), indices.numpy(), (size,))


@st.composite
def interpolate_cases(draw):
    """(layer options, input shape) for Upsample: every mode on the input dims it takes, resized to a
    drawn size or by a drawn (possibly fractional, possibly shrinking) scale factor."""
    mode = draw(st.sampled_from(["nearest", "nearest-exact", "linear", "bilinear", "trilinear", "area"]))
    dims = {"linear": 1, "bilinear": 2, "trilinear": 3}.get(mode) or draw(st.integers(1, 2 if mode == "area" else 3))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3))) + tuple(draw(st.integers(1, 6)) for _ in range(dims))
    options = dict(mode=mode)
    if mode in ("linear", "bilinear", "trilinear"):
        options["align_corners"] = draw(st.booleans())
    if draw(st.booleans()):
        options["size"] = compact(draw, tuple(draw(st.integers(1, 9)) for _ in range(dims)))
    else:
        factors = tuple(draw(st.sampled_from([0.5, 0.75, 1.0, 1.5, 2.0, 2.3, 3.0])) for _ in range(dims))
        factors = tuple(max(f, 1.0 / n) for f, n in zip(factors, shape[2:]))  # at least one output pixel
        options["scale_factor"] = compact(draw, factors)
        options["recompute_scale_factor"] = draw(st.sampled_from([None, True]))
    return options, shape


@given(case=interpolate_cases(), dtype=FLOAT_DTYPES)
def test_upsample_matches_torch_for_every_mode_size_and_scale_factor(case, dtype):
    options, shape = case
    check_module_against_torch(*both("Upsample", **options), distinct(shape, dtype))


@pytest.mark.parametrize("name", ["UpsamplingNearest2d", "UpsamplingBilinear2d"])
@given(scale=st.integers(1, 3), size=st.integers(1, 5), dtype=FLOAT_DTYPES)
def test_fixed_mode_upsampling_layers_match_torch(name, scale, size, dtype):
    check_module_against_torch(*both(name, scale_factor=scale), distinct((2, 2, size, size + 1), dtype))


def test_interpolate_and_its_deprecated_aliases_agree():
    x = minitorch.tensor(distinct((1, 2, 3, 4)))
    expected = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
    with pytest.warns(UserWarning, match="deprecated"):
        np.testing.assert_array_equal(F.upsample_bilinear(x, scale_factor=2).numpy(), expected.numpy())
    with pytest.warns(UserWarning, match="deprecated"):
        np.testing.assert_array_equal(F.upsample(x, size=(5, 7)).numpy(), F.interpolate(x, size=(5, 7)).numpy())


@pytest.mark.parametrize("name", ["PixelShuffle", "PixelUnshuffle"])
@given(factor=st.integers(1, 3), channels=st.integers(1, 2), size=st.integers(1, 3),
       batch=st.sampled_from([(), (2,), (2, 1)]), dtype=FLOAT_DTYPES)
def test_pixel_shuffle_and_unshuffle_match_torch(name, factor, channels, size, batch, dtype):
    if name == "PixelShuffle":
        shape = batch + (channels * factor * factor, size, size + 1)
    else:
        shape = batch + (channels, size * factor, (size + 1) * factor)
    check_module_against_torch(*both(name, factor), distinct(shape, dtype))


# -------------------------------------------------------------------------------------------------
# Numerical derivatives (first and second order) and double backward
# -------------------------------------------------------------------------------------------------

def _unpool(x):
    return F.max_unpool2d(x, minitorch.tensor(np.array([[[[3, 5], [14, 11]]]])), 2, output_size=(4, 4))


PRIMITIVES = {  # each primitive through the smallest function that reaches it
    "max_pool2d (gather/scatter at the argmax)": (lambda x: F.max_pool2d(x, 3, 2, 1, dilation=1), (1, 2, 4, 5)),
    "dilated max_pool2d in ceil mode": (lambda x: F.max_pool2d(x, 2, 2, 1, dilation=2, ceil_mode=True), (1, 1, 5, 6)),
    "tiled max_pool2d (a mask of the maxima)": (lambda x: F.max_pool2d(x, (2, 3)), (1, 2, 5, 7)),
    "avg_pool2d (unfold)": (lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), (1, 2, 4, 5)),
    "adaptive_max_pool2d": (lambda x: F.adaptive_max_pool2d(x, (3, 2)), (1, 2, 4, 5)),
    "adaptive_avg_pool2d (averaging matrices)": (lambda x: F.adaptive_avg_pool2d(x, (3, 2)), (1, 2, 4, 5)),
    "nearest interpolate": (lambda x: F.interpolate(x, scale_factor=1.5), (1, 2, 3, 3)),
    "bilinear interpolate": (lambda x: F.interpolate(x, size=(4, 5), mode="bilinear"), (1, 1, 3, 3)),
    "max_unpool2d (scatter by writing)": (_unpool, (1, 1, 2, 2)),
    "pixel_shuffle": (lambda x: F.pixel_shuffle(x, 2), (1, 4, 2, 3)),
}


@pytest.mark.parametrize("name", PRIMITIVES)
def test_primitive_first_and_second_derivatives_match_finite_differences(name):
    function, shape = PRIMITIVES[name]
    check_gradcheck(lambda x: function(x) ** 2, distinct(shape))  # squared: a second derivative to check


DOUBLE_BACKWARD = {
    "max_pool2d": lambda lib, x: lib.nn.functional.max_pool2d(x, 3, 2, 1) ** 2,
    "tiled max_pool2d": lambda lib, x: lib.nn.functional.max_pool2d(x, 2) ** 2,
    "avg_pool2d": lambda lib, x: lib.nn.functional.avg_pool2d(x, 3, 2, 1, ceil_mode=True) ** 2,
    "adaptive_max_pool2d": lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, (2, 3)) ** 2,
    "bilinear": lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=1.5, mode="bilinear") ** 2,
}


@pytest.mark.parametrize("name", DOUBLE_BACKWARD)
def test_double_backward_matches_torch(name):
    program = DOUBLE_BACKWARD[name]
    check_double_backward_against_torch(lambda x: program(minitorch, x), lambda x: program(torch, x),
                                        distinct((2, 2, 5, 4)))


# -------------------------------------------------------------------------------------------------
# Reprs and errors
# -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layer", [
    "MaxPool1d(3)", "MaxPool2d(2)", "MaxPool2d((2, 3), stride=1, padding=1, dilation=2, return_indices=True, "
    "ceil_mode=True)", "MaxUnpool1d(3, stride=2)", "MaxUnpool2d(2)", "MaxUnpool2d((2, 3), stride=1, padding=1)",
    "AvgPool1d(3)", "AvgPool2d(2)", "AvgPool2d((2, 3), 1, 1, True, False, 3)", "AdaptiveAvgPool1d(3)",
    "AdaptiveAvgPool2d((2, None))", "AdaptiveMaxPool1d(3)", "AdaptiveMaxPool2d(3, return_indices=True)",
    "Upsample(scale_factor=2)", "Upsample(size=(3, 4), mode='bilinear', align_corners=True)",
    "Upsample(scale_factor=(2, 3))", "UpsamplingNearest2d(scale_factor=2)", "UpsamplingBilinear2d(size=3)",
    "PixelShuffle(2)", "PixelUnshuffle(3)",
])
def test_layer_repr_matches_torch(layer):
    assert repr(eval("minitorch.nn." + layer)) == repr(eval("torch.nn." + layer))


def _pool(name, *args, **kwargs):
    return lambda lib, x: getattr(lib.nn.functional, name)(lib.tensor(x), *args, **kwargs)


def _unpool_with(indices, *args, **kwargs):
    return lambda lib, x: lib.nn.functional.max_unpool2d(lib.tensor(x), lib.tensor(indices), *args, **kwargs)


X4, X3, X2 = distinct((2, 3, 5, 5)), distinct((2, 3, 4)), distinct((5, 5))
ERRORS = [
    ("max_pool2d padding over half the kernel", _pool("max_pool2d", 2, padding=2), X4),
    ("max_pool2d padding over half the undilated kernel", _pool("max_pool2d", 3, padding=2, dilation=2), X4),
    ("max_pool2d negative padding", _pool("max_pool2d", 2, padding=-1), X4),
    ("max_pool2d kernel larger than the input", _pool("max_pool2d", 6), X4),
    ("max_pool2d on a 2-d input", _pool("max_pool2d", 2), X2),
    ("max_pool2d on zero channels", _pool("max_pool2d", 2), np.zeros((2, 0, 5, 5))),
    ("max_pool2d zero stride", _pool("max_pool2d", 2, stride=0), X4),
    ("max_pool2d zero dilation", _pool("max_pool2d", 2, dilation=0), X4),
    ("max_pool2d three kernel sizes", _pool("max_pool2d", (2, 2, 2)), X4),
    ("max_pool1d padding over half the kernel", _pool("max_pool1d", 2, padding=2), X3),
    ("max_pool1d kernel larger than the input", _pool("max_pool1d", 5), X3),
    ("max_pool1d on a 4-d input", _pool("max_pool1d", 2), X4),
    ("max_pool1d zero stride", _pool("max_pool1d", 2, stride=0), X3),
    ("max_pool1d with indices, padding over half", _pool("max_pool1d", 2, padding=2, return_indices=True), X3),
    ("max_pool1d with indices on a 4-d input", _pool("max_pool1d", 2, return_indices=True), X4),
    ("avg_pool2d padding over half the kernel", _pool("avg_pool2d", 2, padding=2), X4),
    ("avg_pool2d kernel larger than the input", _pool("avg_pool2d", 6), X4),
    ("avg_pool2d zero divisor", _pool("avg_pool2d", 2, divisor_override=0), X4),
    ("avg_pool2d on a 2-d input", _pool("avg_pool2d", 2), X2),
    ("avg_pool1d kernel larger than the input", _pool("avg_pool1d", 5), X3),
    ("avg_pool1d two kernel sizes", _pool("avg_pool1d", (2, 2)), X3),
    ("adaptive_avg_pool2d on a 2-d input", _pool("adaptive_avg_pool2d", 2), X2),
    ("adaptive_avg_pool2d three output sizes", _pool("adaptive_avg_pool2d", (2, 2, 2)), X4),
    ("adaptive_avg_pool2d on an empty height", _pool("adaptive_avg_pool2d", 2), np.zeros((2, 3, 0, 4))),
    ("adaptive_avg_pool2d negative output size", _pool("adaptive_avg_pool2d", -1), X4),
    ("adaptive_max_pool2d on a 2-d input", _pool("adaptive_max_pool2d", 2), X2),
    ("adaptive_max_pool2d on an empty height", _pool("adaptive_max_pool2d", 2), np.zeros((2, 3, 0, 4))),
    ("adaptive_avg_pool1d two output sizes", _pool("adaptive_avg_pool1d", (2, 2)), X3),
    ("adaptive_max_pool1d on a 1-d input", _pool("adaptive_max_pool1d", 2), distinct((3,))),
    ("max_unpool2d output_size out of range", _unpool_with(np.zeros((2, 3, 5, 5), np.int64), 2, output_size=(3, 3)),
     X4),
    ("max_unpool2d output_size of 3 sizes", _unpool_with(np.zeros((2, 3, 5, 5), np.int64), 2, output_size=(1, 2, 3)),
     X4),
    ("max_unpool2d index out of range", _unpool_with(np.full((2, 3, 5, 5), 200), 2), X4),
    ("max_unpool2d indices of another shape", _unpool_with(np.zeros((2, 3, 4, 5), np.int64), 2), X4),
    ("max_unpool2d float indices", _unpool_with(np.zeros((2, 3, 5, 5)), 2), X4),
    ("interpolate with size and scale_factor", _pool("interpolate", size=3, scale_factor=2), X4),
    ("interpolate with neither size nor scale_factor", _pool("interpolate"), X4),
    ("interpolate bilinear on a 3-d input", _pool("interpolate", scale_factor=2, mode="bilinear"), X3),
    ("interpolate linear on a 4-d input", _pool("interpolate", scale_factor=2, mode="linear"), X4),
    ("interpolate align_corners with nearest", _pool("interpolate", size=3, align_corners=True), X4),
    ("interpolate three sizes for a 4-d input", _pool("interpolate", size=(2, 3, 4)), X4),
    ("interpolate three scale factors for a 4-d input", _pool("interpolate", scale_factor=(2, 3, 4)), X4),
    ("interpolate an unknown mode", _pool("interpolate", size=3, mode="foo"), X4),
    ("interpolate a 2-d input", _pool("interpolate", size=3), X2),
    ("interpolate to nothing", _pool("interpolate", scale_factor=0.1), X4),
    ("interpolate linear to nothing", _pool("interpolate", scale_factor=0.1, mode="linear"), X3),
    ("interpolate recompute_scale_factor with a size", _pool("interpolate", size=3, recompute_scale_factor=True), X4),
    ("pixel_shuffle channels not divisible", _pool("pixel_shuffle", 2), distinct((2, 5, 3, 3))),
    ("pixel_shuffle a 2-d input", _pool("pixel_shuffle", 2), X2),
    ("pixel_shuffle factor zero", _pool("pixel_shuffle", 0), X4),
    ("pixel_unshuffle height not divisible", _pool("pixel_unshuffle", 2), distinct((2, 4, 3, 4))),
    ("pixel_unshuffle width not divisible", _pool("pixel_unshuffle", 2), distinct((2, 4, 4, 3))),
]


@pytest.mark.parametrize("name, program, x", ERRORS, ids=[name for name, _, _ in ERRORS])
def test_invalid_arguments_raise_as_in_torch(name, program, x):
    error = check_program(program, x)
    assert isinstance(error, Exception), f"{name}: torch raises nothing"
