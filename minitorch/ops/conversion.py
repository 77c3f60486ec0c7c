"""Conversions that autograd sees through: dtype casts, device moves, copies.

``Tensor.to``, ``.float()``, ``.cuda()`` ... are all one op, ``ToCopy``, as in
PyTorch (its node is ``ToCopyBackward``): a new array with the requested
dtype on the requested device. Its gradient goes back to the input's device;
the engine casts every gradient to its input's dtype, so no op does that.
"""
from __future__ import annotations

from minitorch import backend
from minitorch.autograd.function import Function


class ToCopy(Function):
    """x on ``device`` as ``numpy_dtype`` (either may be None: unchanged); d to(x)/dx = 1."""

    @staticmethod
    def forward(ctx, x, device, numpy_dtype):
        ctx.source_device = backend.device_of(x)
        if device is not None and device != ctx.source_device:
            x = backend.to_device(x, device)  # a copy
            return x if numpy_dtype is None else x.astype(numpy_dtype, copy=False)
        return x.astype(x.dtype if numpy_dtype is None else numpy_dtype, copy=True)

    @staticmethod
    def backward(ctx, grad_output):
        return to_copy(grad_output, ctx.source_device, None), None, None


class Clone(Function):
    """A copy with its own memory; d clone(x)/dx = 1.

    ``order="K"`` keeps the input's memory layout (PyTorch's ``clone`` keeps
    strides); ``order="C"`` makes it row-major (``contiguous``).
    """

    @staticmethod
    def forward(ctx, x, order):
        return x.copy(order=order)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, None


def to_copy(input, device, dtype):
    """``input`` copied to ``device`` (a backend.device or None) as ``dtype`` (a backend.dtype or None)."""
    if device is not None and device == input.device:
        device = None
    if dtype is not None and dtype.numpy_dtype == input._data.dtype:
        dtype = None
    return ToCopy.apply(input, device, None if dtype is None else dtype.numpy_dtype)


def to_dtype(input, dtype: backend.dtype):
    return to_copy(input, None, dtype)


def to_device(input, device: backend.device):
    return to_copy(input, device, None)


def clone(input):
    return Clone.apply(input, "K")


def contiguous(input):
    """``input`` itself when its memory is row-major already, else a row-major copy."""
    return input if input._data.flags.c_contiguous else Clone.apply(input, "C")
