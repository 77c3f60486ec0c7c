"""Convolution as im2col + one matmul; transposed convolution, padding, unfold and fold.

Two kernels carry the family, each the other's adjoint:

- im2col copies every window a kernel sees into a column: it reads the zero-padded
  input through one strided view (``sliding_window_view``), so the copy is the only
  pass over memory; NumPy and CuPy both have it.
- col2im adds the columns back onto the image they came from: one strided slice-add
  per kernel offset (9 for a 3x3 kernel), never a loop over pixels.

A convolution is then ``weight @ im2col(input)``, one matrix product (per group).
Like cuDNN, it has three primitives, the three faces of one bilinear map
``(input, weight) -> output``, and each one's gradients are the other two:

- ``Convolution``: output = weight @ im2col(input);
- ``TransposedConvolution``: input-sized image = col2im(weight^T @ output-sized x), the
  convolution's input gradient, and ``conv_transpose*d`` itself;
- ``ConvolutionWeightGrad``: weight-sized = output-sized g @ im2col(input)^T, the
  convolution's weight gradient.

Their backwards are written with each other, so double backward works through all three.
The batch is folded into the GEMM (its rows run over batch and positions together), so the
whole batch is one large GEMM per group (a stack of per-sample products is many small ones),
and the weight gradient is one GEMM summing over batch and positions at once. The working
layout that makes this fast is explained above ``_channels_last``.

``Unfold`` and ``Fold`` are im2col and col2im as primitives in PyTorch's
``(N, C, *kernel_size, *output_size)`` layout, for ``unfold``, ``fold`` and average pooling.

Padding (``pad``) is a ``ConstantPad`` primitive (its backward is the opposite
pad, which crops) or, for reflect/replicate/circular, a gather of an index
array along each padded dimension, whose backward adds the gradient back.
"""
from __future__ import annotations

__all__ = [
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "unfold", "fold", "pad",
]

import itertools
import math
from typing import NamedTuple

from minitorch import backend
from minitorch.autograd.function import Function
from minitorch.ops.indexing import AdvancedIndex
from minitorch.tensor import Tensor
from minitorch.ops.autocast import autocast_op


# ---------------------------------------------------------------------------------------------
# The kernels: im2col and col2im
# ---------------------------------------------------------------------------------------------

class Window(NamedTuple):
    """Where a kernel's windows lie on an image, per spatial dimension.

    ``padding`` is the zero padding before the image; the padding after it is whatever the
    ``output_size`` windows need (so 'same' padding with an even kernel, and the extra
    ``output_padding`` rows of a transposed convolution, need no special case).
    """
    kernel_size: tuple
    stride: tuple
    padding: tuple
    dilation: tuple
    input_size: tuple    # the image's spatial size, unpadded
    output_size: tuple   # how many windows along each spatial dimension

    def padded_size(self) -> tuple:
        """The padded image: room for the image after its padding and for every window."""
        return tuple(max(size + before, (count - 1) * step + spacing * (kernel - 1) + 1)
                     for size, before, count, step, spacing, kernel in
                     zip(self.input_size, self.padding, self.output_size, self.stride, self.dilation,
                         self.kernel_size))

    def image_slices(self) -> tuple:
        """Where the unpadded image sits inside the padded one."""
        return tuple(slice(before, before + size) for before, size in zip(self.padding, self.input_size))

    def offset_slices(self, offset) -> tuple:
        """The image positions that kernel element ``offset`` sees, one per window."""
        return tuple(slice(k * spacing, k * spacing + (count - 1) * step + 1, step)
                     for k, spacing, count, step in zip(offset, self.dilation, self.output_size, self.stride))


def _at_axes(ndim: int, axes, slices) -> tuple:
    """An index of an ndim-d array: ``slices`` along ``axes``, everything elsewhere."""
    index = [slice(None)] * ndim
    for axis, item in zip(axes, slices):
        index[axis] = item
    return tuple(index)


def _padded(x, window: Window, axes, fill=0):
    """``x`` with its spatial ``axes`` padded with ``fill`` to ``window.padded_size()`` (itself if no padding)."""
    xp = backend.array_module(x)
    padded_size = window.padded_size()
    if padded_size == tuple(x.shape[axis] for axis in axes):
        return x
    shape = list(x.shape)
    for axis, size in zip(axes, padded_size):
        shape[axis] = size
    padded = xp.full(shape, fill, dtype=x.dtype)
    padded[_at_axes(x.ndim, axes, window.image_slices())] = x
    return padded


def _window_view(padded, window: Window, axes):
    """A strided view of every window of a padded image: the spatial ``axes`` become ``output_size``
    (one per window) and ``kernel_size`` axes are appended (the window's taps). Copying it is im2col."""
    xp = backend.array_module(padded)
    reach = tuple(spacing * (kernel - 1) + 1 for spacing, kernel in zip(window.dilation, window.kernel_size))
    view = xp.lib.stride_tricks.sliding_window_view(padded, reach, axis=tuple(axes))
    windows = _at_axes(padded.ndim, axes, (slice(0, (count - 1) * step + 1, step)
                                           for count, step in zip(window.output_size, window.stride)))
    return view[windows + tuple(slice(None, None, spacing) for spacing in window.dilation)]


def _add_windows(image, columns, window: Window, axes) -> None:
    """col2im, in place: add each window's column back onto the padded ``image`` where the window lies;
    ``columns`` is indexed like ``_window_view(image)``. One strided add per kernel offset."""
    for offset in itertools.product(*(range(kernel) for kernel in window.kernel_size)):
        image[_at_axes(image.ndim, axes, window.offset_slices(offset))] += columns[(Ellipsis,) + offset]


class Unfold(Function):
    """im2col: ``(N, C, *size)`` -> ``(N, C, *kernel_size, *output_size)``; d/dx = fold(grad)."""

    @staticmethod
    def forward(ctx, x, window):
        ctx.window = window
        axes = tuple(range(2, x.ndim))
        view = _window_view(_padded(x, window, axes), window, axes)  # (N, C, *output_size, *kernel_size)
        dims = len(axes)
        kernel_first = (0, 1) + tuple(range(2 + dims, 2 + 2 * dims)) + axes
        return backend.array_module(x).ascontiguousarray(view.transpose(kernel_first))

    @staticmethod
    def backward(ctx, grad_output):
        return Fold.apply(grad_output, ctx.window), None


class Fold(Function):
    """col2im: ``(N, C, *kernel_size, *output_size)`` -> ``(N, C, *size)``, overlaps adding up;
    d/dcolumns = unfold(grad)."""

    @staticmethod
    def forward(ctx, columns, window):
        ctx.window = window
        xp = backend.array_module(columns)
        dims = len(window.kernel_size)
        axes = tuple(range(2, 2 + dims))
        image = xp.zeros(columns.shape[:2] + window.padded_size(), dtype=columns.dtype)
        output_first = (0, 1) + tuple(range(2 + dims, 2 + 2 * dims)) + axes
        _add_windows(image, columns.transpose(output_first), window, axes)
        return xp.ascontiguousarray(image[_at_axes(image.ndim, axes, window.image_slices())])

    @staticmethod
    def backward(ctx, grad_output):
        return Unfold.apply(grad_output, ctx.window), None


# ---------------------------------------------------------------------------------------------
# The convolution primitives: one bilinear map, three faces
# ---------------------------------------------------------------------------------------------
#
# The working layout. The GEMM contracts over (kernel taps, input channels) and runs over
# (batch, output positions). im2col and col2im move k*k times the image's data, and NumPy copies
# and adds fast only along long contiguous runs: so both work on a channels-last image
# (groups, N, *padded_size, C / groups), where each tap's run is (kernel_w * channels) long
# (an NCHW image gives runs of one output row, 7 values for a 7x7 output). The GEMM is oriented
# so that its result comes out as (C_out, N * L), which becomes (N, C_out, *output_size) with a copy
# of contiguous rows (and takes the bias on the way). The weight is reordered to match,
# (C_out, *kernel_size, C_in / groups): a small copy.

def _channels_last(x, window: Window, groups: int):
    """The padded image (groups, N, *padded_size, C / groups) of ``x`` (N, C, *size)."""
    batch, channels, *size = x.shape
    grouped = x.reshape((batch, groups, channels // groups) + tuple(size))
    dims = len(size)
    grouped = grouped.transpose((1, 0) + tuple(range(3, 3 + dims)) + (2,))
    # (copied even without padding: im2col then reads contiguous runs of channels)
    return backend.array_module(x).ascontiguousarray(_padded(grouped, window, tuple(range(2, 2 + dims))))


def _gemm_columns(x, window: Window, groups: int):
    """im2col of ``x`` (N, C, *size): ``(groups, N * L, prod(kernel_size) * C / groups)``."""
    dims = len(window.kernel_size)
    view = _window_view(_channels_last(x, window, groups), window, tuple(range(2, 2 + dims)))
    # (groups, N, *output_size, C / groups, *kernel_size) -> channels last again, then copied
    taps_then_channels = tuple(range(2 + dims)) + tuple(range(3 + dims, 3 + 2 * dims)) + (2 + dims,)
    columns = backend.array_module(x).ascontiguousarray(view.transpose(taps_then_channels))
    return columns.reshape(groups, x.shape[0] * math.prod(window.output_size), -1)


def _gemm_weight(weight, groups: int):
    """(C_out, C_in / groups, *kernel_size) -> (groups, C_out / groups, prod(kernel_size) * C_in / groups)."""
    channels_last = weight.transpose((0,) + tuple(range(2, weight.ndim)) + (1,))
    return backend.array_module(weight).ascontiguousarray(channels_last).reshape(groups, weight.shape[0] // groups,
                                                                                 -1)


def _gemm_rows(y, groups: int):
    """An output-sized ``y`` (N, C_out, *output_size) as the GEMM's ``(groups, C_out / groups, N * L)``."""
    batch, channels = y.shape[:2]
    rows = backend.array_module(y).ascontiguousarray(y.reshape(batch, channels, -1).swapaxes(0, 1))
    return rows.reshape(groups, channels // groups, -1)


def _from_gemm_rows(rows, batch: int, spatial_size: tuple, bias):
    """The GEMM's ``(groups, C_out / groups, N * L)`` back as (N, C_out, *spatial_size), plus the bias
    (added during the transposing copy, so it costs no pass of its own)."""
    xp = backend.array_module(rows)
    channels = rows.shape[0] * rows.shape[1]
    transposed = rows.reshape(channels, batch, -1).swapaxes(0, 1)
    if bias is None:
        return xp.ascontiguousarray(transposed).reshape((batch, channels) + spatial_size)
    output = xp.empty((batch, channels) + spatial_size, dtype=rows.dtype)
    xp.add(transposed, bias.reshape(-1, 1), out=output.reshape(transposed.shape))
    return output


def _convolve(x, weight, bias, window: Window, groups: int, columns):
    """output (N, C_out, *output_size) = weight @ im2col(x) (+ bias), given ``columns`` = im2col(x)."""
    rows = backend.matmul(_gemm_weight(weight, groups), columns.swapaxes(1, 2))
    return _from_gemm_rows(rows, x.shape[0], window.output_size, bias)


def _convolve_transpose(y, weight, bias, window: Window, groups: int):
    """image (N, C_in, *input_size) = col2im(weight^T @ y) (+ bias): the adjoint of ``_convolve``."""
    xp = backend.array_module(y)
    batch, dims = y.shape[0], len(window.kernel_size)
    # (groups, N * L, taps * C)
    columns = backend.matmul(_gemm_rows(y, groups).swapaxes(1, 2), _gemm_weight(weight, groups))
    group_channels = weight.shape[1]
    columns = columns.reshape((groups, batch) + window.output_size + window.kernel_size + (group_channels,))
    axes = tuple(range(2, 2 + dims))
    image = xp.zeros((groups, batch) + window.padded_size() + (group_channels,), dtype=y.dtype)
    _add_windows(image, xp.moveaxis(columns, -1, 2 + dims), window, axes)
    # (groups, N, *size, C / groups) -> (N, C, *size), cropped and transposed in one copy
    image = image[_at_axes(image.ndim, axes, window.image_slices())]
    image = image.transpose((1, 0, 2 + dims) + axes)
    output = xp.empty((batch, groups, group_channels) + window.input_size, dtype=y.dtype)
    if bias is None:
        output[...] = image
    else:
        xp.add(image, bias.reshape((groups, group_channels) + (1,) * dims), out=output)
    return output.reshape((batch, groups * group_channels) + window.input_size)


def _weight_gradient(x, y, window: Window, groups: int, columns=None):
    """weight-sized = y @ im2col(x)^T: one GEMM summing over batch and positions."""
    if columns is None:
        columns = _gemm_columns(x, window, groups)
    gradient = backend.matmul(_gemm_rows(y, groups), columns)  # (groups, C_out / groups, taps * C_in / groups)
    dims = len(window.kernel_size)
    gradient = gradient.reshape((y.shape[1],) + window.kernel_size + (x.shape[1] // groups,))
    return backend.array_module(x).ascontiguousarray(gradient.transpose((0, dims + 1) + tuple(range(1, dims + 1))))


def _bias_gradient(grad_output: Tensor) -> Tensor:
    return grad_output.sum((0,) + tuple(range(2, grad_output.ndim)))


class Convolution(Function):
    """y = weight @ im2col(x) + bias; dx = conv_transpose(dy, weight), dweight = dy @ im2col(x)^T,
    dbias = dy summed over batch and positions. ``columns``: im2col of x, when the caller has it."""

    @staticmethod
    def forward(ctx, x, weight, bias, window, groups, columns=None):
        ctx.window, ctx.groups = window, groups
        ctx.save_for_backward(x, weight)
        if columns is None:
            columns = _gemm_columns(x, window, groups)
        # (the weight gradient makes the columns again: kept until backward, they would take
        # prod(kernel_size) times the input's memory, as many activations as the rest of a CNN)
        return _convolve(x, weight, bias, window, groups, columns)

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        window, groups = ctx.window, ctx.groups
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = TransposedConvolution.apply(grad_output, weight, None, window, groups)
        if ctx.needs_input_grad[1]:
            grad_weight = ConvolutionWeightGrad.apply(x, grad_output, window, groups)
        if ctx.needs_input_grad[2]:
            grad_bias = _bias_gradient(grad_output)
        return grad_input, grad_weight, grad_bias, None, None, None


class TransposedConvolution(Function):
    """x_image = col2im(weight^T @ y) + bias, the adjoint of ``Convolution`` (``window`` describes that
    convolution: its input is this one's output); dy = conv(dx_image, weight),
    dweight = y @ im2col(dx_image)^T, dbias = dx_image summed over batch and positions."""

    @staticmethod
    def forward(ctx, y, weight, bias, window, groups):
        ctx.window, ctx.groups = window, groups
        ctx.save_for_backward(y, weight)
        return _convolve_transpose(y, weight, bias, window, groups)

    @staticmethod
    def backward(ctx, grad_output):
        y, weight = ctx.saved_tensors
        window, groups = ctx.window, ctx.groups
        grad_input = grad_weight = grad_bias = None
        # both gradients read im2col(dx_image): made once
        columns = _gemm_columns(grad_output._data, window, groups) if all(ctx.needs_input_grad[:2]) else None
        if ctx.needs_input_grad[0]:
            grad_input = Convolution.apply(grad_output, weight, None, window, groups, columns)
        if ctx.needs_input_grad[1]:
            grad_weight = ConvolutionWeightGrad.apply(grad_output, y, window, groups, columns)
        if ctx.needs_input_grad[2]:
            grad_bias = _bias_gradient(grad_output)
        return grad_input, grad_weight, grad_bias, None, None


class ConvolutionWeightGrad(Function):
    """w = y @ im2col(x)^T (the weight gradient of a convolution of x with output gradient y);
    dx = conv_transpose(y, dw), dy = conv(x, dw). ``columns``: im2col of x, when the caller has it."""

    @staticmethod
    def forward(ctx, x, y, window, groups, columns=None):
        ctx.window, ctx.groups = window, groups
        ctx.save_for_backward(x, y)
        return _weight_gradient(x, y, window, groups, columns)

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        window, groups = ctx.window, ctx.groups
        grad_x = grad_y = None
        if ctx.needs_input_grad[0]:
            grad_x = TransposedConvolution.apply(y, grad_output, None, window, groups)
        if ctx.needs_input_grad[1]:
            grad_y = Convolution.apply(x, grad_output, None, window, groups)
        return grad_x, grad_y, None, None, None


# ---------------------------------------------------------------------------------------------
# Arguments: sizes per dimension, checked as PyTorch checks them
# ---------------------------------------------------------------------------------------------

def _per_dim(value, dims: int, name: str) -> tuple:
    """An int or a sequence of ``dims`` ints (``stride=2`` means ``(2, 2)`` in 2-D)."""
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            value = value[0]
        elif len(value) != dims:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {dims} values to match "
                               f"the convolution dimensions, but got {name}={list(value)}")
        else:
            return tuple(int(v) for v in value)
    return (int(value),) * dims


def _spatial(sizes) -> str:
    return " x ".join(str(size) for size in sizes)


def _check_input(name: str, dims: int, input: Tensor) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {name}, but got "
                           f"input of size: {list(input.shape)}")


def _check_weight(dims: int, input: Tensor, weight: Tensor, bias, groups: int, kernel_size, stride, dilation):
    if weight.ndim != dims + 2:
        raise RuntimeError(f"Expected {dims + 2}-dimensional weight for {input.ndim}-dimensional input "
                           f"{list(input.shape)}, but got {weight.ndim}-dimensional weight of size "
                           f"{list(weight.shape)} instead")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if any(k <= 0 for k in kernel_size):
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel size {list(kernel_size)}")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size [{list(weight.shape)}] instead")
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(input)} but found {_scalar_name(weight)}")
    if bias is not None:
        if bias.dtype is not input.dtype:
            raise RuntimeError(f"Input type ({_c_name(input)}) and bias type ({_c_name(bias)}) should be the same")


def _scalar_name(tensor: Tensor) -> str:
    from minitorch.tensor import _type_name
    return _type_name(tensor.dtype)


def _c_name(tensor: Tensor) -> str:
    return {"float16": "c10::Half", "float32": "float", "float64": "double"}.get(tensor.dtype.name, tensor.dtype.name)


def _check_bias(weight: Tensor, bias, channels: int) -> None:
    if bias is not None and tuple(bias.shape) != (channels,):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with "
                           f"{channels} elements, but got bias of size {list(bias.shape)} instead")


def _batched(input: Tensor, dims: int):
    """An unbatched input gets a batch of one, taken away again from the result."""
    if input.ndim == dims + 2:
        return input, lambda output: output
    return input.unsqueeze(0), lambda output: output.squeeze(0)


# ---------------------------------------------------------------------------------------------
# Convolution
# ---------------------------------------------------------------------------------------------

def _conv_padding(padding, dims: int, stride, dilation, kernel_size):
    """The padding before and after each spatial dim, from an int, a tuple, 'valid' or 'same'."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * dims, (0,) * dims
        if padding != "same":
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        totals = [d * (k - 1) for d, k in zip(dilation, kernel_size)]
        before = tuple(total // 2 for total in totals)
        return before, tuple(total - b for total, b in zip(totals, before))  # PyTorch pads the odd one after
    padding = _per_dim(padding, dims, "padding")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    return padding, padding


def _convolution(name: str, dims: int, input, weight, bias, stride, padding, dilation, groups):
    """``conv1d``/``conv2d``/``conv3d``: ``weight @ im2col(input)``, groups as the matmul's batch."""
    _check_input(name, dims, input)
    stride, dilation = _per_dim(stride, dims, "stride"), _per_dim(dilation, dims, "dilation")
    kernel_size = tuple(weight.shape[2:])
    _check_weight(dims, input, weight, bias, groups, kernel_size, stride, dilation)
    input, unbatch = _batched(input, dims)
    out_channels, group_channels = weight.shape[:2]
    if input.shape[1] != group_channels * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {group_channels * groups} channels, but got "
                           f"{input.shape[1]} channels instead")
    _check_bias(weight, bias, out_channels)
    before, after = _conv_padding(padding, dims, stride, dilation, kernel_size)
    size = tuple(input.shape[2:])
    padded = [n + b + a for n, b, a in zip(size, before, after)]
    spans = [d * (k - 1) + 1 for d, k in zip(dilation, kernel_size)]
    if any(span > n for span, n in zip(spans, padded)):
        raise RuntimeError(f"Calculated padded input size per channel: ({_spatial(padded)}). Kernel size: "
                           f"({_spatial(spans)}). Kernel size can't be greater than actual input size")
    output_size = tuple((n - span) // s + 1 for n, span, s in zip(padded, spans, stride))
    window = Window(kernel_size, stride, before, dilation, size, output_size)
    return unbatch(Convolution.apply(input, weight, bias, window, groups))


@autocast_op
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation of ``input (N, C_in, L)`` with ``weight (C_out, C_in / groups, k)``.

    >>> import minitorch
    >>> conv1d(minitorch.ones(1, 1, 4), minitorch.ones(1, 1, 2)).tolist()
    [[[2.0, 2.0, 2.0]]]
    """
    return _convolution("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


@autocast_op
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation of ``input (N, C_in, H, W)`` with ``weight (C_out, C_in / groups, kH, kW)``;
    ``padding`` is an int, a pair, 'valid' or 'same'."""
    return _convolution("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


@autocast_op
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _convolution("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


# ---------------------------------------------------------------------------------------------
# Transposed convolution
# ---------------------------------------------------------------------------------------------

def _transposed_convolution(name: str, dims: int, input, weight, bias, stride, padding, output_padding, groups,
                            dilation):
    """``conv_transpose*d``: ``col2im(weight^T @ input)``, the input gradient of the convolution with ``weight``."""
    _check_input(name, dims, input)
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    stride, dilation = _per_dim(stride, dims, "stride"), _per_dim(dilation, dims, "dilation")
    padding = _per_dim(padding, dims, "padding")
    output_padding = _per_dim(output_padding, dims, "output_padding")
    kernel_size = tuple(weight.shape[2:])
    _check_weight(dims, input, weight, bias, groups, kernel_size, stride, dilation)
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(extra >= s and extra >= d for extra, s, d in zip(output_padding, stride, dilation)):
        axes = ("height", "width") if dims == 2 else ("depth", "height", "width")[-dims:] if dims == 3 else ("",)
        described = " ".join(
            [f"output_padding_{axis}: {value}" for axis, value in zip(axes, output_padding)]
            + [f"stride_{axis}: {value}" for axis, value in zip(axes, stride)]
            + [f"dilation_{axis}: {value}" for axis, value in zip(axes, dilation)])
        raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got {described}")
    input, unbatch = _batched(input, dims)
    in_channels, group_out_channels = weight.shape[:2]
    if input.shape[1] != in_channels:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected input"
                           f"{list(input.shape)} to have {in_channels} channels, but got {input.shape[1]} channels "
                           f"instead")
    out_channels = group_out_channels * groups
    _check_bias(weight, bias, out_channels)
    size = tuple(input.shape[2:])
    output_size = tuple((n - 1) * s - 2 * p + d * (k - 1) + extra + 1 for n, s, p, d, k, extra in
                        zip(size, stride, padding, dilation, kernel_size, output_padding))
    if any(n <= 0 for n in output_size):
        raise RuntimeError(f"Given input size per channel: ({_spatial(size)}). Calculated output size per channel: "
                           f"({_spatial(output_size)}). Output size is too small")
    # The convolution this one transposes maps an image of output_size to windows of the input's size.
    window = Window(kernel_size, stride, padding, dilation, output_size, size)
    return unbatch(TransposedConvolution.apply(input, weight, bias, window, groups))


@autocast_op
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution of ``input (N, C_in, L)`` with ``weight (C_in, C_out / groups, k)``."""
    return _transposed_convolution("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding,
                                   groups, dilation)


@autocast_op
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution ("deconvolution"): the input gradient of ``conv2d`` with ``weight``."""
    return _transposed_convolution("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding,
                                   groups, dilation)


@autocast_op
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _transposed_convolution("conv_transpose3d", 3, input, weight, bias, stride, padding, output_padding,
                                   groups, dilation)


# ---------------------------------------------------------------------------------------------
# unfold and fold: im2col and col2im as public ops, (N, C * prod(kernel_size), L) columns
# ---------------------------------------------------------------------------------------------

def _blocks_window(name: str, image_size, kernel_size, dilation, padding, stride) -> Window:
    kernel_size, dilation = _per_dim(kernel_size, 2, "kernel_size"), _per_dim(dilation, 2, "dilation")
    padding, stride = _per_dim(padding, 2, "padding"), _per_dim(stride, 2, "stride")
    blocks = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                   for n, p, d, k, s in zip(image_size, padding, dilation, kernel_size, stride))
    if any(count < 1 for count in blocks):
        raise RuntimeError(f"Given {name} with spatial size {tuple(image_size)}, kernel_size={kernel_size}, "
                           f"dilation={dilation}, padding={padding}, calculated shape of the array of sliding "
                           f"blocks as {blocks}, but its components must be at least one.")
    return Window(kernel_size, stride, padding, dilation, tuple(image_size), blocks)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Every ``kernel_size`` block of ``input (N, C, H, W)`` as a column: ``(N, C * kH * kW, L)``."""
    if input.ndim < 3:  # PyTorch reads the kernel's dimensions off the input's third-last before it checks
        raise IndexError(f"Dimension out of range (expected to be in range of [{-input.ndim}, {input.ndim - 1}], "
                         f"but got {input.ndim})")
    if input.ndim > 4:
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(input.shape)}")
    input, unbatch = _batched(input, 2)
    window = _blocks_window("input", input.shape[2:], kernel_size, dilation, padding, stride)
    columns = Unfold.apply(input, window)
    return unbatch(columns.reshape(input.shape[0], -1, math.prod(window.output_size)))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The inverse layout of ``unfold``: columns ``(N, C * kH * kW, L)`` summed into ``(N, C, *output_size)``."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
                           f"non-zero dimensions for input, but got: {list(input.shape)}")
    input, unbatch = _batched(input, 1)
    window = _blocks_window("output_size", _per_dim(output_size, 2, "output_size"), kernel_size, dilation,
                            padding, stride)
    kernel_elements = math.prod(window.kernel_size)
    if input.shape[1] % kernel_elements:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
                           f"but got input.size(1)={input.shape[1]} and kernel_size={window.kernel_size}.")
    if input.shape[2] != math.prod(window.output_size):
        raise RuntimeError(f"Given output_size={window.input_size}, kernel_size={window.kernel_size}, "
                           f"dilation={window.dilation}, padding={window.padding}, stride={window.stride}, "
                           f"expected size of input's dimension 2 to match the calculated number of sliding "
                           f"blocks {' * '.join(map(str, window.output_size))} = {math.prod(window.output_size)}, "
                           f"but got input.size(2)={input.shape[2]}.")
    columns = input.reshape(input.shape[0], input.shape[1] // kernel_elements, *window.kernel_size,
                            *window.output_size)
    return unbatch(Fold.apply(columns, window))


# ---------------------------------------------------------------------------------------------
# pad
# ---------------------------------------------------------------------------------------------

class ConstantPad(Function):
    """x framed by ``value`` (a negative pad crops); d/dx = the gradient without its frame: the opposite pad."""

    @staticmethod
    def forward(ctx, x, pads, value):
        ctx.pads = pads
        xp = backend.array_module(x)
        shape = tuple(n + before + after for n, (before, after) in zip(x.shape, pads))
        result = xp.full(shape, value, dtype=x.dtype)
        source = tuple(slice(max(-before, 0), n - max(-after, 0)) for n, (before, after) in zip(x.shape, pads))
        target = tuple(slice(max(before, 0), max(before, 0) + s.stop - s.start) for s, (before, _) in
                       zip(source, pads))
        result[target] = x[source]
        return result

    @staticmethod
    def backward(ctx, grad_output):
        opposite = tuple((-before, -after) for before, after in ctx.pads)
        return ConstantPad.apply(grad_output, opposite, 0), None, None


def _source_positions(xp, size: int, before: int, after: int, mode: str):
    """For each position of a padded dimension, the input position it copies."""
    if mode == "circular":  # a negative pad crops first; the rest wraps around what is left
        start, stop = max(-before, 0), size - max(-after, 0)
        return start + xp.arange(-max(before, 0), stop - start + max(after, 0)) % (stop - start)
    positions = xp.arange(-before, size + after)
    if mode == "reflect":  # mirrored about the edge, the edge itself not repeated
        positions = xp.abs(positions)
        return xp.where(positions >= size, 2 * (size - 1) - positions, positions)
    return xp.clip(positions, 0, size - 1)  # replicate


_NON_CONSTANT_SUPPORT = (
    "Supported combinations for non-constant padding:\n"
    "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
    "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
    "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def _check_non_constant_pad(input: Tensor, pads, mode: str, value) -> None:
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    padded_dims = len(pads)
    if input.ndim not in (padded_dims + 1, padded_dims + 2):
        raise NotImplementedError(f"Padding size {2 * padded_dims} is not supported for {input.ndim}D input "
                                  f"tensor.\n{_NON_CONSTANT_SUPPORT}")
    for dim, (before, after) in zip(range(input.ndim - padded_dims, input.ndim), pads):
        size = input.shape[dim]
        if mode == "reflect" and (before >= size or after >= size):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding ({before}, {after}) at dimension {dim} of input "
                               f"{list(input.shape)}")
        if mode == "circular" and (before > size or after > size):
            raise RuntimeError("Padding value causes wrapping around more than once.")


def pad(input, pad, mode="constant", value=None):
    """``input`` padded: ``pad`` gives (before, after) pairs from the last dimension backwards,
    ``(left, right, top, bottom)`` for the last two; negative values crop.

    ``mode``: 'constant' (``value``, default 0), 'reflect', 'replicate' or 'circular'.

    >>> import minitorch
    >>> pad(minitorch.tensor([[1., 2.]]), (1, 0), value=9.).tolist()
    [[9.0, 1.0, 2.0]]
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.ndim}")
    # (before, after) per padded dimension, first dimension first
    pads = tuple((pad[i], pad[i + 1]) for i in range(len(pad) - 2, -1, -2))
    if mode == "constant":
        for dim, (before, after) in zip(range(input.ndim - len(pads), input.ndim), pads):
            if input.shape[dim] + before + after < 0:
                raise RuntimeError(f"The input size {input.shape[dim]}, plus negative padding {before} and {after} "
                                   f"resulted in a negative output size, which is invalid. Check dimension {dim} "
                                   f"of your input.")
        every_dim = ((0, 0),) * (input.ndim - len(pads)) + pads
        return ConstantPad.apply(input, every_dim, 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    _check_non_constant_pad(input, pads, mode, value)
    xp = backend.array_module(input._data)
    result = input
    for dim, (before, after) in zip(range(input.ndim - len(pads), input.ndim), pads):
        positions = _source_positions(xp, input.shape[dim], before, after, mode)
        result = AdvancedIndex.apply(result, (slice(None),) * dim + (positions,))
    return result
