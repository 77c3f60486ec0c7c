"""Pooling, unpooling, interpolation and pixel shuffle.

Everything here works on the trailing spatial axes of an ``(N, C, ...)`` or
``(C, ...)`` input; a 1-d pool is the 2-d pool over a height of 1.

- ``GatherLast`` / ``ScatterLast`` (each the other's backward, so double
  backward comes for free): read ``x[..., index]`` along the last axis, and its
  adjoint, which adds (or writes) values back at ``index`` with one
  ``scatter_add``. Seen through planes flattened to one axis, this is max-pool
  backward (the gradient goes to each window's argmax, kept as PyTorch's flat
  per-plane index ``h * W + w``), ``max_unpool``, and every ``interpolate`` mode
  (nearest reads one neighbour; the linear modes add up 2, 4 or 8 weighted ones).
- ``MaxPool2d`` and ``AdaptiveMaxPool2d`` find each window's max and where it is,
  over a ``sliding_window_view`` of the ``-inf``-padded input (or a gather, for
  adaptive windows of uneven length), in one argmax.
- ``TiledMaxPool2d``, for windows that tile the input (``MaxPool2d(2)``, without
  indices), needs no argmax: the max of kh * kw strided views, and a saved mask of
  where each maximum is, which the backward multiplies the gradient by.
- Average pooling is linear: im2col (``Unfold``, from ``conv.py``) summed over
  the kernel axes, divided by the window counts; its backward is col2im.
  Adaptive average pooling is separable: per axis a reshape-and-mean when the
  sizes divide, else an (out x in) averaging matrix.
- Pixel shuffle is a reshape and a permute.
"""
from __future__ import annotations

__all__ = ["max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices", "max_unpool1d",
           "max_unpool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear",
           "pixel_shuffle", "pixel_unshuffle"]

import itertools
import math
import numbers
import warnings

import numpy

from minitorch import backend
from minitorch.autograd.function import Function
from minitorch.ops.conv import Unfold, Window, _padded, _window_view
from minitorch.tensor import Tensor, _type_name
from minitorch.ops.autocast import autocast_op

# ---------------------------------------------------------------------------------------------
# The primitives
# ---------------------------------------------------------------------------------------------

class GatherLast(Function):
    """out[..., j] = x[..., index[..., j]] (``index`` 1-d, or shaped like out); d/dx = the gradient added at index."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.index, ctx.size = index, x.shape[-1]
        xp = backend.array_module(x)
        return xp.take(x, index, axis=-1) if index.ndim == 1 else xp.take_along_axis(x, index, axis=-1)

    @staticmethod
    def backward(ctx, grad_output):
        return ScatterLast.apply(grad_output, ctx.index, ctx.size, True), None


class ScatterLast(Function):
    """zeros(..., size) with values[..., j] added (or written) at index[..., j]; d/dvalues = the gradient at index."""

    @staticmethod
    def forward(ctx, values, index, size, accumulate):
        ctx.index = index
        xp = backend.array_module(values)
        lead = values.shape[:-1]
        result = xp.zeros(lead + (size,), dtype=values.dtype)
        # one scatter over the whole array: each value's position in the flattened result
        rows = xp.arange(math.prod(lead)).reshape(lead + (1,)) * size
        positions = (rows + index).reshape(-1)
        if accumulate:
            backend.scatter_add(xp, result.reshape(-1), positions, values.reshape(-1))
        else:  # max_unpool writes; with repeated indices the last write wins, as on PyTorch's CPU
            result.reshape(-1)[positions] = values.reshape(-1)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        return GatherLast.apply(grad_output, ctx.index), None, None, None


class _MaxOverWindows(Function):
    """The max of each window and its flat position in the input plane; d/dx = the gradient sent to that position."""

    def found(ctx, x, windows, rows, cols):
        """Record and return the max of each of ``windows`` (..., Ho, Wo, taps_h, taps_w) and where it is;
        ``rows[o, a]`` is the input row that tap ``a`` of output row ``o`` reads (``cols`` likewise)."""
        xp = backend.array_module(x)
        taps = windows.reshape(windows.shape[:-2] + (windows.shape[-2] * windows.shape[-1],))
        tap = taps.argmax(axis=-1)  # the first maximum in row-major order, as PyTorch's scan finds it
        values = xp.take_along_axis(taps, tap[..., None], axis=-1)[..., 0]
        # the flat input position of tap t of output (i, j): row_part[i, t] + col_part[j, t]
        every_tap = xp.arange(taps.shape[-1])
        row_part = rows[:, every_tap // windows.shape[-1]] * x.shape[-1]
        col_part = cols[:, every_tap % windows.shape[-1]]
        indices = row_part[xp.arange(rows.shape[0])[:, None], tap] + col_part[xp.arange(cols.shape[0]), tap]
        ctx.indices, ctx.input_shape = indices, x.shape
        ctx.mark_non_differentiable(indices)
        return values, indices

    @staticmethod
    def backward(ctx, grad_output, grad_indices=None):
        return _scatter_planes(grad_output, ctx.indices, ctx.input_shape[-2:]), None


class MaxPool2d(_MaxOverWindows):
    """Max pooling over regular (strided, dilated, -inf padded) windows."""

    @staticmethod
    def forward(ctx, x, window):
        xp = backend.array_module(x)
        lowest = -numpy.inf if x.dtype.kind in backend.FLOATING_KINDS else numpy.iinfo(x.dtype).min
        taps = []
        for axis in (0, 1):  # the input row (column) each tap reads; a padding tap, never the max, is clipped in
            starts = xp.arange(window.output_size[axis]) * window.stride[axis] - window.padding[axis]
            positions = starts[:, None] + xp.arange(window.kernel_size[axis]) * window.dilation[axis]
            taps.append(positions.clip(0, x.shape[axis - 2] - 1))
        axes = (x.ndim - 2, x.ndim - 1)
        return ctx.found(x, _window_view(_padded(x, window, axes, lowest), window, axes), *taps)


class AdaptiveMaxPool2d(_MaxOverWindows):
    """Max pooling over PyTorch's adaptive windows [floor(i*in/out), ceil((i+1)*in/out))."""

    @staticmethod
    def forward(ctx, x, output_size):
        xp = backend.array_module(x)
        rows, cols = (_adaptive_taps(xp, size, out) for size, out in zip(x.shape[-2:], output_size))
        windows = x[..., rows[:, None, :, None], cols[None, :, None, :]]  # (..., Ho, Wo, taps_h, taps_w)
        return ctx.found(x, windows, rows, cols)


class TiledMaxPool2d(Function):
    """Max pooling whose windows tile the input (stride = kernel, no padding or dilation: the usual
    ``MaxPool2d(2)``); d/dx = the gradient sent to each window's maximum.

    Faster than ``MaxPool2d``'s argmax over gathered windows: the max is taken over the kh * kw strided
    views of the input (one per kernel offset, never copying the windows), and the backward multiplies
    the gradient by a saved 0/1 mask of where each window's maximum is, in the input's own layout
    (N, C, Ho, kh, Wo, kw). Ties go to the first maximum in row-major order and a NaN wins, the
    last NaN of a window over earlier ones, as in PyTorch's scan.
    """

    @staticmethod
    def forward(ctx, x, kernel_size):
        xp = backend.array_module(x)
        (kernel_h, kernel_w), (height, width) = kernel_size, x.shape[-2:]
        out_h, out_w = height // kernel_h, width // kernel_w
        taps = [x[..., i:out_h * kernel_h:kernel_h, j:out_w * kernel_w:kernel_w]
                for i in range(kernel_h) for j in range(kernel_w)]
        values = xp.maximum(taps[0], taps[-1])
        for tap in taps[1:-1]:
            xp.maximum(values, tap, out=values)
        mask = xp.empty(x.shape[:-2] + (out_h, kernel_h, out_w, kernel_w), dtype=bool)
        picks = [mask[..., i, :, j] for i in range(kernel_h) for j in range(kernel_w)]
        claimed = xp.zeros(values.shape, dtype=bool)  # windows whose maximum an earlier tap already holds
        for tap, pick in zip(taps[:-1], picks[:-1]):
            xp.equal(tap, values, out=pick)
            xp.greater(pick, claimed, out=pick)  # (a > b is a and not b)
            xp.logical_or(claimed, pick, out=claimed)
        xp.logical_not(claimed, out=picks[-1])
        if x.dtype.kind in backend.FLOATING_KINDS and xp.isnan(values).any():
            later_nan = xp.zeros(values.shape, dtype=bool)
            for tap, pick in zip(reversed(taps), reversed(picks)):
                nan = xp.isnan(tap)
                xp.copyto(pick, nan & ~later_nan, where=xp.isnan(values))
                later_nan |= nan
        ctx.mask, ctx.input_size = mask, (height, width)
        return values

    @staticmethod
    def backward(ctx, grad_output):
        return ToWindowMaxima.apply(grad_output, ctx.mask, ctx.input_size), None


class ToWindowMaxima(Function):
    """Zeros of ``input_size`` (the last two axes) with each window's value where its maximum is
    (``mask``: (..., Ho, kh, Wo, kw), one True per window); d/dvalues = the gradient read at the maxima."""

    @staticmethod
    def forward(ctx, values, mask, input_size):
        ctx.mask = mask
        xp = backend.array_module(values)
        *lead, out_h, kernel_h, out_w, kernel_w = mask.shape
        # repeated along each row first, so that the multiply runs along whole contiguous rows
        spread = xp.repeat(values, kernel_w, axis=-1)[..., None, :] * mask.reshape(
            *lead, out_h, kernel_h, out_w * kernel_w)
        spread = spread.reshape(*lead, out_h * kernel_h, out_w * kernel_w)
        if spread.shape[-2:] == tuple(input_size):
            return spread
        result = xp.zeros(tuple(lead) + tuple(input_size), dtype=values.dtype)  # rows no window reached stay 0
        result[..., :out_h * kernel_h, :out_w * kernel_w] = spread
        return result

    @staticmethod
    def backward(ctx, grad_output):
        return FromWindowMaxima.apply(grad_output, ctx.mask), None, None


class FromWindowMaxima(Function):
    """Each window's value at its maximum (``mask`` as for ``ToWindowMaxima``, whose adjoint this is);
    d/dx = the gradient sent to the maxima."""

    @staticmethod
    def forward(ctx, x, mask):
        ctx.mask, ctx.input_size = mask, x.shape[-2:]
        *_, out_h, kernel_h, out_w, kernel_w = mask.shape
        tiled = x[..., :out_h * kernel_h, :out_w * kernel_w].reshape(mask.shape)
        return (tiled * mask).sum(axis=(-3, -1))

    @staticmethod
    def backward(ctx, grad_output):
        return ToWindowMaxima.apply(grad_output, ctx.mask, ctx.input_size), None


def _adaptive_taps(xp, size: int, out: int):
    """For each of ``out`` adaptive windows over ``size`` positions, the positions it reads: windows differ
    in length, so the shorter ones repeat their last position (which changes neither max nor first argmax)."""
    start, end = _adaptive_bounds(xp, size, out)
    longest = int((end - start).max()) if out else 1
    return xp.minimum(start[:, None] + xp.arange(longest), end[:, None] - 1)


def _adaptive_bounds(xp, size: int, out: int):
    """PyTorch's adaptive windows over ``size`` positions: window i is [floor(i*size/out), ceil((i+1)*size/out))."""
    position = xp.arange(out)
    return position * size // out, -(-(position + 1) * size // out)


# ---------------------------------------------------------------------------------------------
# Planes seen as one axis
# ---------------------------------------------------------------------------------------------

def _gather_planes(input: Tensor, index) -> Tensor:
    """``input``'s trailing planes (``index.ndim`` axes) read at the flat positions ``index``, shared by every
    plane: the result's planes have ``index``'s shape."""
    lead = input.shape[:input.ndim - index.ndim]
    planes = input.reshape(*lead, math.prod(input.shape[input.ndim - index.ndim:]))
    return GatherLast.apply(planes, index.reshape(-1)).reshape(*lead, *index.shape)


def _scatter_planes(values: Tensor, index, plane_shape, accumulate: bool = True) -> Tensor:
    """Zero planes of ``plane_shape`` with ``values`` added (or written) at the flat positions ``index``
    (an array shaped like ``values``: one position per value)."""
    lead = values.shape[:values.ndim - len(plane_shape)]
    count = math.prod(values.shape[len(lead):])
    return ScatterLast.apply(values.reshape(*lead, count), index.reshape(lead + (count,)), math.prod(plane_shape),
                             accumulate).reshape(*lead, *plane_shape)


def _constant(like: Tensor, array) -> Tensor:
    """An array of weights or divisors as a tensor of ``like``'s dtype (no gradient)."""
    return Tensor._wrap(backend.array_module(like._data).asarray(array, dtype=like._data.dtype))


# ---------------------------------------------------------------------------------------------
# Arguments and PyTorch's checks
# ---------------------------------------------------------------------------------------------

_PAIR_MESSAGES = {
    "kernel_size": "{op}: kernel_size must either be a single int, or a tuple of two ints",
    "stride": "{op}: stride must either be omitted, a single int, or a tuple of two ints",
    "padding": "{op}: padding must either be a single int, or a tuple of two ints",
    "dilation": "{op}: dilation must be either a single int, or a tuple of two ints",
}


def _ints(value) -> tuple:
    return (int(value),) if isinstance(value, numbers.Integral) else tuple(int(v) for v in value)


def _pair(op: str, name: str, value) -> tuple:
    values = _ints(value)
    if len(values) not in (1, 2):
        raise RuntimeError(_PAIR_MESSAGES[name].format(op=op))
    return values * 2 if len(values) == 1 else values


def _single(op: str, name: str, value) -> int:
    values = _ints(value)
    if len(values) != 1:
        raise RuntimeError(f"{op}() argument '{name}' should contain one int (got {len(values)})")
    return values[0]


def _sizes(input: Tensor) -> str:
    return str(list(input.shape))


def _check_1d_input(input: Tensor, op: str):
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument #1 "
                           f"'self' (while checking arguments for {op})")


def _pooled_size(size: int, kernel: int, stride: int, pad: int, dilation: int, ceil_mode: bool) -> int:
    """How many windows fit (PyTorch's pooling_output_shape): with ceil_mode a last partial window counts,
    but only if it starts inside the input or its left padding."""
    if stride == 0:
        raise RuntimeError("stride should not be zero")
    if pad < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {pad}")
    if pad > ((kernel - 1) * dilation + 1) // 2:
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pad}, "
                           f"kernel_size={kernel} and dilation={dilation}")
    out = (size + 2 * pad - dilation * (kernel - 1) - 1 + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _window(op: str, input: Tensor, kernel_size, stride, padding, dilation, ceil_mode) -> Window:
    """The checked geometry of a 2-d pool of ``input`` (3-d or 4-d), with PyTorch's errors in PyTorch's order."""
    kernel = _pair(op, "kernel_size", kernel_size)
    stride = kernel if stride is None or _ints(stride) == () else _pair(op, "stride", stride)
    padding = _pair(op, "padding", padding)
    dilation = _pair(op, "dilation", dilation)
    height, width = input.shape[-2:]
    output = tuple(_pooled_size(n, k, s, p, d, ceil_mode)
                   for n, k, s, p, d in zip((height, width), kernel, stride, padding, dilation))
    (kernel_h, kernel_w), (stride_h, stride_w), (dilation_h, dilation_w) = kernel, stride, dilation
    if kernel_h <= 0 or kernel_w <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kernel_h} kW: {kernel_w}")
    if stride_h <= 0 or stride_w <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {stride_h} dW: {stride_w}")
    if dilation_h <= 0 or dilation_w <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {dilation_h} "
                           f"dilationW: {dilation_w}")
    if 0 in input.shape[-3:]:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:"
                           + _sizes(input))
    if kernel_w // 2 < padding[1] or kernel_h // 2 < padding[0]:
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got padW = {padding[1]}, "
                           f"padH = {padding[0]}, kW = {kernel_w}, kH = {kernel_h}")
    if min(output) < 1:
        channels = input.shape[-3]
        raise RuntimeError(f"Given input size: ({channels}x{height}x{width}). Calculated output size: "
                           f"({channels}x{output[0]}x{output[1]}). Output size is too small")
    return Window(kernel, stride, padding, dilation, (height, width), output)


def _check_floating(op: str, input: Tensor):
    if not input.is_floating_point():
        raise NotImplementedError(f'"{op}" not implemented for \'{_type_name(input.dtype)}\'')


# ---------------------------------------------------------------------------------------------
# Max pooling and unpooling
# ---------------------------------------------------------------------------------------------

def _max_pool_window(input: Tensor, kernel_size, stride, padding, dilation, ceil_mode) -> Window:
    if input.ndim not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    return _window("max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """The max of each window, and its flat index in the input plane (``h * W + w``)."""
    window = _max_pool_window(input, kernel_size, stride, padding, dilation, ceil_mode)
    return MaxPool2d.apply(input, window)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    if return_indices:
        return max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    window = _max_pool_window(input, kernel_size, stride, padding, dilation, ceil_mode)
    tiled = (window.stride == window.kernel_size and window.padding == (0, 0) and window.dilation == (1, 1)
             and window.output_size == tuple(n // k for n, k in zip(window.input_size, window.kernel_size)))
    if tiled:
        return TiledMaxPool2d.apply(input, window.kernel_size)
    return MaxPool2d.apply(input, window)[0]


def max_pool1d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    _check_1d_input(input, "max_pool1d")
    values, indices = max_pool2d_with_indices(
        input.unsqueeze(-2), (1, _single("max_pool1d", "kernel_size", kernel_size)),
        None if stride is None or _ints(stride) == () else (1, _single("max_pool1d", "stride", stride)),
        (0, _single("max_pool1d", "padding", padding)), (1, _single("max_pool1d", "dilation", dilation)), ceil_mode)
    return values.squeeze(-2), indices.squeeze(-2)


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    if return_indices:
        return max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    _check_max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode)
    return max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)[0]


def _check_max_pool1d(input: Tensor, kernel_size, stride, padding, dilation, ceil_mode):
    """The checks of PyTorch's max_pool1d without indices, which has messages of its own."""
    if input.ndim not in (2, 3) or 0 in input.shape[-2:]:
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                           f"input, but got:{_sizes(input)}")
    kernel = _ints(kernel_size)
    if len(kernel) != 1:
        raise RuntimeError("max_pool1d() kernel_size must be an int, list of ints or tuple of ints of size 1 but got "
                           f"size {len(kernel)}")
    kernel = kernel[0]
    stride = kernel if stride is None or _ints(stride) == () else _single("max_pool1d", "stride", stride)
    padding = _single("max_pool1d", "padding", padding)
    dilation = _single("max_pool1d", "dilation", dilation)
    for name, value in (("kernel_size", kernel), ("stride", stride)):
        if value <= 0:
            raise RuntimeError(f"max_pool1d() {name} must be greater than zero, but got {value}")
    if padding < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {padding}")
    if padding > kernel // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got padding={padding} "
                           f"and kernel_size={kernel}")
    if dilation <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {dilation}")
    out = _pooled_size(input.shape[-1], kernel, stride, padding, dilation, ceil_mode)
    if out <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out}")


def _unpool_output_size(input: Tensor, kernel_size, stride, padding, output_size) -> list:
    default = [(input.shape[-len(kernel_size) + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d]
               for d in range(len(kernel_size))]
    if output_size is None:
        return default
    output_size = list(output_size)
    if len(output_size) == len(kernel_size) + 2:
        output_size = output_size[2:]
    if len(output_size) != len(kernel_size):
        raise ValueError(f"output_size should be a sequence containing {len(kernel_size)} or {len(kernel_size) + 2} "
                         f"elements, but it has a length of '{len(output_size)}'")
    for d, size in enumerate(output_size):
        low, high = default[d] - stride[d], default[d] + stride[d]
        if not low < size < high:
            raise ValueError(f'invalid output_size "{tuple(output_size)}" (dim {d} must be between {low} and {high})')
    return output_size


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """Zero planes with each value of ``input`` put back at its max-pool index (a partial inverse of max_pool2d)."""
    kernel_size = _pair("max_unpool2d", "kernel_size", kernel_size)
    stride = kernel_size if stride is None else _pair("max_unpool2d", "stride", stride)
    padding = _pair("max_unpool2d", "padding", padding)
    height, width = _unpool_output_size(input, kernel_size, stride, padding, output_size)
    if indices.dtype is not backend.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: {_type_name(indices.dtype)}")
    if input.ndim not in (3, 4):
        raise RuntimeError(f"Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with {input.ndim} "
                           "dimensions.")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({_sizes(input)}) but "
                           f"got indices tensor with shape: {_sizes(indices)}")
    array = backend.to_device(indices._data, input.device)
    outside = (array < 0) | (array >= height * width)
    if outside.any():
        raise RuntimeError(f"Found an invalid max index: {int(array[outside][0])} (output volumes are of size "
                           f"{height}x{width})")
    return _scatter_planes(input, array, (height, width), accumulate=False)


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    kernel_size = (_single("max_unpool1d", "kernel_size", kernel_size),)
    stride = kernel_size if stride is None else (_single("max_unpool1d", "stride", stride),)
    padding = (_single("max_unpool1d", "padding", padding),)
    (length,) = _unpool_output_size(input, kernel_size, stride, padding, output_size)
    return max_unpool2d(input.unsqueeze(-1), indices.unsqueeze(-1), (kernel_size[0], 1), (stride[0], 1),
                        (padding[0], 0), (length, 1)).squeeze(-1)


# ---------------------------------------------------------------------------------------------
# Average pooling
# ---------------------------------------------------------------------------------------------

def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None) -> Tensor:
    """The mean of each window: its sum over the divisor (window size, in-input count, or divisor_override)."""
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if input.ndim < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-input.ndim}, {input.ndim - 1}], but "
                         "got -3)")
    window = _window("avg_pool2d", input, kernel_size, stride, padding, 1, ceil_mode)
    _check_floating("avg_pool2d", input)
    batched = input if input.ndim == 4 else input.unsqueeze(0)
    columns = Unfold.apply(batched, window)
    total = columns.sum((2, 3))  # (N, C, kernel_h, kernel_w, Ho, Wo) -> the sum of each window
    total = total if input.ndim == 4 else total.squeeze(0)
    if divisor_override is not None:
        return total / divisor_override
    xp = backend.array_module(input._data)
    counts = []
    for axis, size in enumerate(input.shape[-2:]):
        start = xp.arange(window.output_size[axis]) * window.stride[axis] - window.padding[axis]
        end = xp.minimum(start + window.kernel_size[axis], size + window.padding[axis])
        counts.append(end - start if count_include_pad else xp.minimum(end, size) - xp.maximum(start, 0))
    return total / _constant(input, counts[0][:, None] * counts[1][None, :])


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True) -> Tensor:
    _check_1d_input(input, "avg_pool1d")
    kernel = _single("avg_pool1d", "kernel_size", kernel_size)
    stride = kernel if stride is None or _ints(stride) == () else _single("avg_pool1d", "stride", stride)
    padding = _single("avg_pool1d", "padding", padding)
    return avg_pool2d(input.unsqueeze(-2), (1, kernel), (1, stride), (0, padding), ceil_mode,
                      count_include_pad).squeeze(-2)


# ---------------------------------------------------------------------------------------------
# Adaptive pooling
# ---------------------------------------------------------------------------------------------

def _adaptive_output_size(op: str, input: Tensor, output_size) -> tuple:
    """The (height, width) an adaptive pool produces (None keeps the input's size), with PyTorch's checks."""
    if isinstance(output_size, numbers.Integral):
        output_size = (output_size, output_size)
    elif input.ndim <= len(output_size):
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
    else:
        output_size = tuple(size if size is not None else n
                            for size, n in zip(output_size, input.shape[-len(output_size):]))
    if len(output_size) != 2:
        raise RuntimeError(f"{op}: output_size must be 2" if op == "adaptive_avg_pool2d"
                           else f"{op}(): internal error: output_size.size() must be 2")
    if input.ndim not in (3, 4):
        separator = ": " if op == "adaptive_max_pool2d" else " "
        raise RuntimeError(f"{op}(): Expected 3D or 4D tensor, but got{separator}{_sizes(input)}")
    for axis in (input.ndim - 2, input.ndim - 1):
        if input.shape[axis] == 0:
            raise RuntimeError(f"{op}(): Expected input to have non-zero size for non-batch dimensions, but input has "
                               f"sizes {_sizes(input)} with dimension {axis} being empty")
    if min(output_size) < 0:
        raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to 0 but received "
                           f"{{{output_size[0]}, {output_size[1]}}}")
    return tuple(int(size) for size in output_size)


def _averaging_matrix(xp, size: int, out: int):
    """(out, size): row i averages adaptive window i."""
    start, end = (bound[:, None] for bound in _adaptive_bounds(xp, size, out))
    inside = (xp.arange(size) >= start) & (xp.arange(size) < end)
    return inside / (end - start)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Averages over windows that tile the input as evenly as possible; linear and separable per axis."""
    out_h, out_w = _adaptive_output_size("adaptive_avg_pool2d", input, output_size)
    _check_floating("adaptive_avg_pool2d", input)
    *lead, height, width = input.shape
    if out_h and out_w and height % out_h == 0 and width % out_w == 0:  # even windows: a reshape and a mean
        return input.reshape(*lead, out_h, height // out_h, out_w, width // out_w).mean((-3, -1))
    xp = backend.array_module(input._data)
    rows = _constant(input, _averaging_matrix(xp, height, out_h))
    cols = _constant(input, _averaging_matrix(xp, width, out_w))
    return rows @ input @ cols.t()


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    _check_1d_input(input, "adaptive_avg_pool1d")
    size = _single("adaptive_avg_pool1d", "output_size", output_size)
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices=False):
    output_size = _adaptive_output_size("adaptive_max_pool2d", input, output_size)
    return AdaptiveMaxPool2d.apply(input, output_size)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices=False):
    result = adaptive_max_pool2d_with_indices(input, output_size)
    return result if return_indices else result[0]


def adaptive_max_pool1d_with_indices(input: Tensor, output_size, return_indices=False):
    _check_1d_input(input, "adaptive_max_pool1d")
    size = _single("adaptive_max_pool1d", "output_size", output_size)
    values, indices = adaptive_max_pool2d_with_indices(input.unsqueeze(-2), (1, size))
    return values.squeeze(-2), indices.squeeze(-2)


def adaptive_max_pool1d(input: Tensor, output_size, return_indices=False):
    result = adaptive_max_pool1d_with_indices(input, output_size)
    return result if return_indices else result[0]


# ---------------------------------------------------------------------------------------------
# Interpolation
# ---------------------------------------------------------------------------------------------

_LINEAR_MODES = {"linear": 3, "bilinear": 4, "trilinear": 5}  # mode -> the input dims it needs
_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")


def _source_scale(numpy_dtype, size: int, out: int, scale):
    """Input positions per output position (PyTorch's compute_scales_value): 1/scale_factor when one was
    given, else size/out, in ``numpy_dtype``."""
    if scale is not None and scale > 0:
        return numpy_dtype(1.0 / scale)
    return numpy_dtype(size) / numpy_dtype(out)


def _nearest_taps(xp, size: int, out: int, scale, exact: bool):
    """The input position each output position copies (PyTorch's nearest_idx / nearest_exact_idx, in float32)."""
    position = xp.arange(out)
    ratio = _source_scale(numpy.float32, size, out, scale)
    if exact:
        source = ((position + 0.5) * numpy.float64(ratio)).astype(numpy.float32)
    elif out == size:
        return [(position, None)]
    elif out == 2 * size:
        return [(position // 2, None)]
    else:
        source = position.astype(numpy.float32) * ratio
    return [(xp.minimum(xp.floor(source).astype(numpy.int64), size - 1), None)]


def _linear_taps(xp, size: int, out: int, scale, align_corners: bool, numpy_dtype):
    """Each output position's two input neighbours and their weights (area_pixel_compute_source_index)."""
    position = xp.arange(out, dtype=numpy_dtype)
    if align_corners:
        ratio = numpy_dtype(size - 1) / numpy_dtype(out - 1) if out > 1 else numpy_dtype(0)
        source = ratio * position
    else:
        ratio = _source_scale(numpy_dtype, size, out, scale)
        source = xp.maximum(ratio * (position + numpy_dtype(0.5)) - numpy_dtype(0.5), 0)
    low = xp.minimum(source.astype(numpy.int64), size - 1)
    weight = xp.clip(source - low, 0, 1)
    high = low + (low < size - 1)
    return [(low, 1 - weight), (high, weight)]


def _resample(input: Tensor, taps_per_axis) -> Tensor:
    """The sum over every combination of one tap per spatial axis (the corners around each output point)
    of the input read there times the product of the taps' weights."""
    xp = backend.array_module(input._data)
    spatial = input.shape[2:]
    result = None
    for corner in itertools.product(*taps_per_axis):
        index, weight = 0, None
        for axis, (positions, weights) in enumerate(corner):
            shape = [1] * len(spatial)
            shape[axis] = -1
            index = index * spatial[axis] + positions.reshape(shape)
            if weights is not None:
                weight = weights.reshape(shape) if weight is None else weight * weights.reshape(shape)
        term = _gather_planes(input, xp.broadcast_to(index, tuple(len(positions) for positions, _ in corner)))
        if weight is not None:
            term = term * _constant(input, weight)
        result = term if result is None else result + term
    return result


@autocast_op
def interpolate(input: Tensor, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False) -> Tensor:
    """Resamples the spatial axes of an (N, C, ...) input to ``size``, or by ``scale_factor``."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dims = input.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scales = None
        if isinstance(size, (list, tuple)):
            if len(size) != dims:
                raise ValueError("Input and output must have the same number of spatial dimensions, but got input with "
                                 f"spatial dimensions of {list(input.shape[2:])} and output size of {size}. Please "
                                 "provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, "
                                 "...,oK) format.")
            output_size = [int(s) for s in size]
        else:
            output_size = [int(size)] * dims
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dims:
                raise ValueError("Input and scale_factor must have the same number of spatial dimensions, but got "
                                 f"input with spatial dimensions of {list(input.shape[2:])} and scale_factor of shape "
                                 f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                                 "scale_factor in (s1, s2, ...,sK) format.")
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * dims
        output_size = [int(n * s) for n, s in zip(input.shape[2:], scales)]
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if recompute_scale_factor or mode == "area":
        scales = None  # the kernel works from the (integer) output size alone
    if antialias:
        raise NotImplementedError("minitorch's interpolate does not implement antialias=True")
    if mode not in _MODES or dims not in (1, 2, 3):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
                                  "the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
                                  f"nearest-exact (got {mode})")
    if mode in _LINEAR_MODES and _LINEAR_MODES[mode] != input.ndim:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {_LINEAR_MODES[mode]}D input")
    if mode == "area":
        pool = {1: adaptive_avg_pool1d, 2: adaptive_avg_pool2d}.get(dims)
        if pool is None:
            raise NotImplementedError("minitorch has no adaptive_avg_pool3d for 5D 'area' interpolation")
        return pool(input, output_size)
    if mode == "bicubic":
        raise NotImplementedError("minitorch's interpolate does not implement mode='bicubic'")
    _check_output_size(input, output_size, dims)
    xp = backend.array_module(input._data)
    scales = scales or [None] * dims
    if mode.startswith("nearest"):
        taps = [_nearest_taps(xp, n, o, s, mode == "nearest-exact") for n, o, s in zip(input.shape[2:], output_size, scales)]
    else:
        _check_floating(f"upsample_{mode}{dims}d", input)
        taps = [_linear_taps(xp, n, o, s, align_corners, input._data.dtype.type)
                for n, o, s in zip(input.shape[2:], output_size, scales)]
    return _resample(input, taps)


def _check_output_size(input: Tensor, output_size, dims: int):
    if min(input.shape[2:]) > 0 and min(output_size) > 0:
        return
    names = ("D", "H", "W")[3 - dims:]
    given = ", ".join(f"{name}: {n}" for name, n in zip(names, input.shape[2:]))
    wanted = ", ".join(f"{name}: {n}" for name, n in zip(names, output_size))
    joint = " and" if dims == 1 else ""
    raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({given}){joint} output "
                       f"({wanted})")


def upsample(input: Tensor, size=None, scale_factor=None, mode="nearest", align_corners=None) -> Tensor:
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---------------------------------------------------------------------------------------------
# Pixel shuffle
# ---------------------------------------------------------------------------------------------

def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r): each group of r*r channels becomes an r-by-r block of pixels."""
    r = upscale_factor
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with {input.ndim} "
                           "dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, channels, height, width = input.shape
    if channels % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={channels} is not divisible by {r * r}")
    n = len(lead)
    blocks = input.reshape(*lead, channels // (r * r), r, r, height, width)
    return blocks.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2).reshape(*lead, channels // (r * r), height * r,
                                                                              width * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W): the inverse of pixel_shuffle."""
    r = downscale_factor
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, channels, height, width = input.shape
    for name, axis, n in (("height", -2, height), ("width", -1, width)):
        if n % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                               f"input.size({axis})={n} is not divisible by {r}")
    n = len(lead)
    blocks = input.reshape(*lead, channels, height // r, r, width // r, r)
    return blocks.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3).reshape(*lead, channels * r * r, height // r,
                                                                              width // r)
