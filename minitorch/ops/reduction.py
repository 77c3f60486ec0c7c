"""Reductions: sums, means, extrema, statistics, softmax."""
from __future__ import annotations

__all__ = ["sum", "mean", "sum_to_size"]

import numpy

from minitorch import backend
from minitorch.autograd.function import Function
from minitorch.tensor import Tensor, _wrap_dim


def _dims(dim, ndim: int):
    """``dim`` (None, an int, or a sequence) as a sorted tuple of non-negative axes; None means all."""
    if dim is None or dim == () or dim == []:
        return tuple(range(ndim))
    if isinstance(dim, int):
        dim = (dim,)
    axes = tuple(sorted(_wrap_dim(d, ndim) for d in dim))
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"dim {axes[0]} appears multiple times in the list of dims")
    return axes


class Sum(Function):
    """sum(x, axes); d/dx = 1 broadcast back over the summed axes."""

    @staticmethod
    def forward(ctx, x, axes, keepdim, numpy_dtype):
        ctx.input_shape = x.shape
        ctx.axes = axes
        ctx.keepdim = keepdim
        return x.sum(axis=axes, keepdims=keepdim, dtype=numpy_dtype)

    @staticmethod
    def backward(ctx, grad_output):
        if not ctx.keepdim:
            grad_output = grad_output.reshape(_kept_shape(ctx.input_shape, ctx.axes))
        return grad_output.expand(*ctx.input_shape), None, None, None


def _kept_shape(shape, axes):
    """``shape`` with the reduced ``axes`` kept as size 1 (to broadcast a reduced gradient back)."""
    return tuple(1 if axis in axes else size for axis, size in enumerate(shape))


def sum(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is None and input._data.dtype.kind in "bui":
        dtype = backend.int64  # PyTorch sums integers and bools as int64
    numpy_dtype = dtype.numpy_dtype if dtype is not None else None
    return Sum.apply(input, _dims(dim, input._data.ndim), keepdim, numpy_dtype)


def sum_to_size(input, *size):
    """Sum ``input`` down to ``size`` (the inverse of broadcasting), e.g. (4, 3) -> (1, 3) or (3,)."""
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
    source = input._data.shape
    if tuple(source) == shape:
        return input
    if len(shape) > len(source) or any(s != 1 and s != n for s, n in zip(shape[::-1], source[::-1])):
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size {{{list(source)}}}.")
    leading = len(source) - len(shape)
    axes = tuple(range(leading)) + tuple(leading + i for i, s in enumerate(shape) if s == 1 and source[leading + i] != 1)
    result = Sum.apply(input, axes, True, None) if axes else input
    return result.reshape(shape) if result._data.shape != shape else result


def mean(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is None and input._data.dtype.kind != "f":
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point or "
                           f"complex dtype. Got: {_type_name(input.dtype)}")
    if dtype is not None:
        input = input.to(dtype)
    axes = _dims(dim, input._data.ndim)
    count = 1
    for axis in axes:
        count *= input._data.shape[axis]
    return Sum.apply(input, axes, keepdim, None) / count


def _type_name(dtype):
    from minitorch.tensor import _type_name as name
    return name(dtype)
