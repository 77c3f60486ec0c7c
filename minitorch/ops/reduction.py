"""Reductions: sums, means, products, extrema, statistics, norms, running sums, softmax.

A reduction collapses the axes named by ``dim`` (an int, a tuple, or None for
all of them); ``keepdim=True`` keeps them as size 1. Every backward here does
the same first step: put the reduced axes back as size 1 (``_Reduction.kept``)
so the gradient broadcasts against the input, then multiplies by the local
derivative. Result dtypes follow PyTorch: integer sums and products are int64,
``all``/``any`` give bools, ``argmax`` gives int64 indices.

This module defines ``sum``, ``max``, ``min``, ``all`` and ``any``, so Python's
builtins of those names are reached as ``builtins.max`` and so on.
"""
from __future__ import annotations

__all__ = ["sum", "sum_to_size", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std",
           "logsumexp", "norm", "cumsum", "all", "any", "softmax", "log_softmax"]

import builtins
import collections
import math

import numpy

from minitorch import backend, creation
from minitorch.autograd.function import Function
from minitorch.ops import shape as shape_ops
from minitorch.tensor import Tensor, _type_name, _wrap_dim
from minitorch.ops.autocast import autocast_op

# What max(input, dim) and min(input, dim) return: a tuple that also has .values and .indices
# (torch.return_types.max / torch.return_types.min).
_VALUES_AND_INDICES = {name: collections.namedtuple(name, ["values", "indices"]) for name in ("max", "min")}


# ---------------------------------------------------------------------------------------------
# Axes and shapes
# ---------------------------------------------------------------------------------------------

def _names_no_dim(dim) -> bool:
    """None, () and []: no dim given, so a reduction reduces every axis (all/any reduce none)."""
    return dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0)


def _dims(dim, ndim: int):
    """``dim`` (None, an int, or a sequence) as a sorted tuple of non-negative axes; None or () means all."""
    if type(dim) is int and ndim:  # the common case first (sum(0), mean(-1)): this runs for every reduction
        return (_wrap_dim(dim, ndim),)
    if _names_no_dim(dim):
        return tuple(range(ndim))
    if isinstance(dim, int):
        dim = (dim,)
    axes = [_wrap_dim(d, ndim) for d in dim]
    for index, axis in enumerate(axes):
        if axis in axes[:index]:
            raise RuntimeError(f"dim {axis} appears multiple times in the list of dims")
    return tuple(sorted(axes)) if ndim else ()  # a 0-d tensor accepts dim 0 or -1, and has no axis to reduce


def _kept_shape(shape, axes):
    """``shape`` with the reduced ``axes`` kept as size 1 (to broadcast a reduced gradient back)."""
    return tuple(1 if axis in axes else size for axis, size in enumerate(shape))


def _reduced_shape(shape, axes, keepdim: bool):
    """The shape of a reduction's result."""
    if keepdim:
        return _kept_shape(shape, axes)
    return tuple(size for axis, size in enumerate(shape) if axis not in axes)


def _accumulate_dtype(input: Tensor, dtype):
    """The NumPy dtype a sum, product or running sum accumulates in: ``dtype``, or int64 for integer and bool inputs."""
    if dtype is None and input._data.dtype.kind in "bui":
        dtype = backend.int64
    return dtype.numpy_dtype if dtype is not None else None


def _to_float(input: Tensor) -> Tensor:
    """Integer and bool tensors become the default float dtype (logsumexp works on floats)."""
    return input if input.is_floating_point() else input.to(backend.get_default_dtype())


def _finite_max(xp, x, axes):
    """The max over ``axes`` (kept as size 1), 0 where it is infinite or the axes are empty: the shift that keeps
    ``exp`` in range in softmax and logsumexp without turning an infinite input into inf - inf."""
    if x.size == 0:
        return xp.zeros(_kept_shape(x.shape, axes), dtype=x.dtype)
    peak = x.max(axis=axes, keepdims=True)
    return xp.where(xp.isfinite(peak), peak, 0)


def _divide_or_zero(numerator: Tensor, denominator: Tensor) -> Tensor:
    """``numerator / denominator``, and 0 where the denominator is 0: PyTorch's gradient of std and of the
    2-norm at a point where they are 0 (the division itself never sees a 0, so double backward stays finite)."""
    zero = denominator == 0
    return (numerator / denominator.masked_fill(zero, 1)).masked_fill(zero, 0)


def _mean(x, axes, keepdim: bool, count: int):
    """``x.mean(axes)`` computed as NumPy computes it (float16 summed in float32), without the Python
    layer of ``ndarray.mean``, which costs more than the sum itself on small arrays."""
    if x.dtype == numpy.float16:
        return (x.sum(axis=axes, keepdims=keepdim, dtype=numpy.float32) / count).astype(numpy.float16)
    return x.sum(axis=axes, keepdims=keepdim) / count


class _Reduction(Function):
    """A reduction over ``axes``: remembers the input's shape so that its backward can broadcast back."""

    def remember(ctx, x, axes, keepdim):
        ctx.input_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim

    def kept(ctx, reduced: Tensor) -> Tensor:
        """A result-shaped tensor with the reduced axes put back as size 1, to broadcast against the input."""
        return reduced if ctx.keepdim else reduced.reshape(_kept_shape(ctx.input_shape, ctx.axes))

    def broadcast_back(ctx, reduced: Tensor) -> Tensor:
        """A result-shaped tensor expanded back to the input's shape. When the reduced axes lead
        (a full reduction, ``sum(0)``), broadcasting puts them back by itself: one op, not two."""
        axes = ctx.axes
        if not ctx.keepdim and axes != tuple(range(len(axes))):
            reduced = reduced.reshape(_kept_shape(ctx.input_shape, axes))
        return shape_ops.Expand.apply(reduced, ctx.input_shape)  # the primitive: the shape is known to be valid


# ---------------------------------------------------------------------------------------------
# Sum, mean, product
# ---------------------------------------------------------------------------------------------

class Sum(_Reduction):
    """sum(x, axes); d/dx = 1 broadcast back over the summed axes."""

    @staticmethod
    def forward(ctx, x, axes, keepdim, numpy_dtype):
        ctx.remember(x, axes, keepdim)
        if numpy_dtype is None and x.dtype.itemsize == 2 and x.dtype.kind in backend.FLOATING_KINDS:
            # float16 and bfloat16 add up in float32, rounded once at the end, as PyTorch's kernels do
            return x.sum(axis=axes, keepdims=keepdim, dtype=numpy.float32).astype(x.dtype)
        return x.sum(axis=axes, keepdims=keepdim, dtype=numpy_dtype)

    @staticmethod
    def backward(ctx, grad_output):
        return ctx.broadcast_back(grad_output), None, None, None


class Mean(_Reduction):
    """mean(x, axes) over n elements; d/dx = 1/n broadcast back over the averaged axes.

    A primitive, not ``sum / n``: one op forward and two backward instead of two and three."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.remember(x, axes, keepdim)
        ctx.count = math.prod(x.shape[axis] for axis in axes)
        if ctx.count == 0:  # the mean of nothing is nan, as in PyTorch (and without NumPy's warning)
            return backend.array_module(x).full(_reduced_shape(x.shape, axes, keepdim), numpy.nan, dtype=x.dtype)
        return _mean(x, axes, keepdim, ctx.count)

    @staticmethod
    def backward(ctx, grad_output):
        return ctx.broadcast_back(grad_output / ctx.count), None, None


@autocast_op
def sum(input, dim=None, keepdim=False, *, dtype=None):
    return Sum.apply(input, _dims(dim, input._data.ndim), keepdim, _accumulate_dtype(input, dtype))


def sum_to_size(input, *size):
    """Sum ``input`` down to ``size`` (the inverse of broadcasting), e.g. (4, 3) -> (1, 3) or (3,)."""
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
    source = input._data.shape
    if tuple(source) == shape:
        return input
    if len(shape) > len(source) or builtins.any(s != 1 and s != n for s, n in zip(shape[::-1], source[::-1])):
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size {{{list(source)}}}.")
    leading = len(source) - len(shape)
    axes = tuple(range(leading)) + tuple(leading + i for i, s in enumerate(shape) if s == 1 and source[leading + i] != 1)
    result = Sum.apply(input, axes, True, None) if axes else input
    return result.reshape(shape) if result._data.shape != shape else result


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """The sum divided by the number of elements reduced; floating inputs only (or a floating ``dtype``)."""
    if not (dtype or input.dtype).is_floating_point:
        which = "Input" if dtype is None else "Optional"
        raise RuntimeError(f"mean(): could not infer output dtype. {which} dtype must be either a floating point or "
                           f"complex dtype. Got: {_type_name(dtype or input.dtype)}")
    if dtype is not None:
        input = input.to(dtype)
    return Mean.apply(input, _dims(dim, input._data.ndim), keepdim)


class Prod(_Reduction):
    """prod(x, axes); d/dx_i = the product of the other elements (result / x_i when no element is 0)."""

    @staticmethod
    def forward(ctx, x, axes, keepdim, numpy_dtype):
        ctx.remember(x, axes, keepdim)
        result = backend.ensure_array(x.prod(axis=axes, keepdims=keepdim, dtype=numpy_dtype))
        ctx.save_for_backward(x, result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        x, result = ctx.saved_tensors
        if not (x._data == 0).any():
            others = ctx.kept(result) / x
        else:  # dividing would give 0/0: multiply the others out instead
            others = _products_of_others(x, ctx.axes)
        return ctx.kept(grad_output) * others, None, None, None


def _products_of_others(x: Tensor, axes) -> Tensor:
    """For each element, the product of the other elements along ``axes`` (one axis, or all of them),
    computed without dividing so that zeros are fine. Row j of an n-by-n stack holds the line with
    its j-th entry replaced by 1; each row's product is then one answer. Being built from ``prod``
    itself, it is differentiable as often as needed (O(n^2) memory: used only when x has a zero)."""
    if len(axes) != 1:  # every axis: the elements as one line
        return _products_of_others(x.reshape(-1), (0,)).reshape(*x.shape)
    (axis,) = axes
    shape = tuple(x.shape)
    n = shape[axis]
    lines = x.reshape(*shape[:axis], 1, *shape[axis:]).expand(*shape[:axis], n, *shape[axis:])
    diagonal = creation.eye(n, dtype=backend.bool_, device=x.device).reshape(n, n, *(1,) * (len(shape) - axis - 1))
    return prod(lines.masked_fill(diagonal, 1), axis + 1)


@autocast_op
def prod(input, dim=None, keepdim=False, *, dtype=None):
    if dim is not None and not isinstance(dim, int):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    return Prod.apply(input, _dims(dim, input._data.ndim), keepdim, _accumulate_dtype(input, dtype))


# ---------------------------------------------------------------------------------------------
# Extrema: max, min, amax, amin, argmax, argmin
# ---------------------------------------------------------------------------------------------

def _first_extremum(xp, x, axis: int, largest: bool):
    """Where the first maximum (or minimum) along ``axis`` is, with that axis kept as size 1."""
    find = xp.argmax if largest else xp.argmin
    return xp.expand_dims(find(x, axis=axis), axis)


class Extremum(_Reduction):
    """The max or min over axes; d/dx = 1 at the chosen elements and 0 elsewhere. amax/amin split
    the gradient evenly among ties; max(dim)/min(dim) send it all to the index they return."""

    @staticmethod
    def forward(ctx, x, axes, keepdim, largest, with_indices):
        ctx.remember(x, axes, keepdim)
        xp = backend.array_module(x)
        if with_indices:
            axis = axes[0] if axes else 0
            line = x.reshape(x.shape or (1,))  # a 0-d tensor is a line of one
            indices = _first_extremum(xp, line, axis, largest)
            values = xp.take_along_axis(line, indices, axis)
            positions = xp.arange(line.shape[axis]).reshape([-1 if a == axis else 1 for a in range(line.ndim)])
            weights = (positions == indices).reshape(x.shape)
        else:
            values = (xp.max if largest else xp.min)(x, axis=axes, keepdims=True)
            ties = x == values
            with numpy.errstate(invalid="ignore"):  # NaN inputs: no element equals the NaN result
                weights = ties / ties.sum(axis=axes, keepdims=True)
        if x.dtype.kind in backend.FLOATING_KINDS:
            ctx.save_for_backward(weights.astype(x.dtype))
        shape = _reduced_shape(x.shape, axes, keepdim)
        values = values.reshape(shape)
        return (values, indices.reshape(shape)) if with_indices else values

    @staticmethod
    def backward(ctx, grad_output, grad_indices=None):
        weights, = ctx.saved_tensors
        return ctx.kept(grad_output) * weights, None, None, None, None


def _check_reducible(name: str, input: Tensor, dim, axes):
    """Extrema have no identity element: PyTorch refuses to take them over nothing."""
    shape = input._data.shape
    if input._data.size and builtins.all(shape[axis] for axis in axes):
        return
    if _names_no_dim(dim):
        error = IndexError if name.startswith("arg") else RuntimeError
        advice = "" if name.startswith("arg") else " Specify the reduction dim with the 'dim' argument."
        raise error(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.{advice}")
    empty = next((axis for axis in axes if shape[axis] == 0), None)
    if empty is not None:
        raise IndexError(f"{name}(): Expected reduction dim {empty} to have non-zero size.")


def _extremum(name: str, input, dim, keepdim: bool, largest: bool, with_indices: bool):
    axes = _dims(dim, input._data.ndim)
    _check_reducible(name, input, dim, axes)
    result = Extremum.apply(input, axes, keepdim, largest, with_indices)
    return _VALUES_AND_INDICES[name](*result) if with_indices else result


def _max_or_min(name: str, input, dim, keepdim: bool):
    """max(input) -> 0-d; max(input, dim, keepdim) -> (values, indices); max(input, other) -> maximum."""
    largest = name == "max"
    if isinstance(dim, Tensor):
        return input.maximum(dim) if largest else input.minimum(dim)
    if dim is None:
        return _extremum(name, input, None, False, largest, with_indices=False)
    if not isinstance(dim, int):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    return _extremum(name, input, dim, keepdim, largest, with_indices=True)


def max(input, dim=None, keepdim=False):
    return _max_or_min("max", input, dim, keepdim)


def min(input, dim=None, keepdim=False):
    return _max_or_min("min", input, dim, keepdim)


def amax(input, dim=(), keepdim=False):
    return _extremum("amax", input, dim, keepdim, largest=True, with_indices=False)


def amin(input, dim=(), keepdim=False):
    return _extremum("amin", input, dim, keepdim, largest=False, with_indices=False)


def _arg_extremum(name: str, input, dim, keepdim: bool, largest: bool) -> Tensor:
    """argmax/argmin: int64 indices along ``dim``, or into the flattened tensor when ``dim`` is None."""
    if dim is not None and not isinstance(dim, int):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    x = input._data
    axes = _dims(dim, x.ndim)
    _check_reducible(name, input, dim, axes)
    xp = backend.array_module(x)
    if dim is None:
        indices = _first_extremum(xp, x.reshape(-1), 0, largest)
        shape = (1,) * x.ndim if keepdim else ()
    else:
        indices = _first_extremum(xp, x.reshape(x.shape or (1,)), axes[0] if axes else 0, largest)
        shape = _reduced_shape(x.shape, axes, keepdim)
    return Tensor._wrap(indices.reshape(shape).astype(numpy.int64, copy=False))


def argmax(input, dim=None, keepdim=False):
    return _arg_extremum("argmax", input, dim, keepdim, largest=True)


def argmin(input, dim=None, keepdim=False):
    return _arg_extremum("argmin", input, dim, keepdim, largest=False)


# ---------------------------------------------------------------------------------------------
# Statistics: var, std, logsumexp, norm
# ---------------------------------------------------------------------------------------------

class Var(_Reduction):
    """var = sum((x - mean)^2) / (N - correction); d/dx = 2 (x - mean) / (N - correction)."""

    @staticmethod
    def forward(ctx, x, axes, keepdim, correction):
        ctx.remember(x, axes, keepdim)
        count = math.prod(x.shape[axis] for axis in axes)
        ctx.divisor = builtins.max(0, count - correction)  # PyTorch's clamp: N <= correction gives inf or nan
        deviation = x - x.mean(axis=axes, keepdims=True)
        ctx.save_for_backward(x)
        with numpy.errstate(divide="ignore", invalid="ignore"):
            return backend.ensure_array((deviation * deviation).sum(axis=axes, keepdims=keepdim) / ctx.divisor)

    @staticmethod
    def backward(ctx, grad_output):
        x = ctx.saved_tensors[0]
        return _variance_gradient(ctx, x, ctx.kept(grad_output)), None, None, None


def _variance_gradient(ctx, x: Tensor, grad: Tensor) -> Tensor:
    return grad * 2 * (x - x.mean(ctx.axes, keepdim=True)) / ctx.divisor


class Std(Var):
    """std = sqrt(var); d/dx = (d var/dx) / (2 std), taken as 0 where std is 0 (as PyTorch does)."""

    @staticmethod
    def forward(ctx, x, axes, keepdim, correction):
        result = backend.ensure_array(backend.array_module(x).sqrt(Var.forward(ctx, x, axes, keepdim, correction)))
        ctx.save_for_backward(x, result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        x, result = ctx.saved_tensors
        grad = _divide_or_zero(ctx.kept(grad_output), 2 * ctx.kept(result))
        return _variance_gradient(ctx, x, grad), None, None, None


def _spread(function, name: str, input, dim, unbiased, keepdim, correction):
    """var and std, with PyTorch's overloads: (dim, unbiased, keepdim), (unbiased), (dim, *, correction)."""
    if isinstance(dim, bool):  # var(input, unbiased)
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}(): pass either unbiased or correction, not both")
    if not input.is_floating_point():
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if correction is None:
        correction = 1 if unbiased is None else int(unbiased)
    return function.apply(input, _dims(dim, input._data.ndim), keepdim, correction)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _spread(Var, "var", input, dim, unbiased, keepdim, correction)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _spread(Std, "std", input, dim, unbiased, keepdim, correction)


class LogSumExp(_Reduction):
    """log(sum(exp(x))), computed as m + log(sum(exp(x - m))) with m the max; d/dx = exp(x - result), a softmax."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.remember(x, axes, keepdim)
        xp = backend.array_module(x)
        shift = _finite_max(xp, x, axes)
        with numpy.errstate(divide="ignore"):  # log(0) = -inf: every input was -inf
            result = xp.log(xp.exp(x - shift).sum(axis=axes, keepdims=True)) + shift
        result = backend.ensure_array(result.reshape(_reduced_shape(x.shape, axes, keepdim)))
        ctx.save_for_backward(x, result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        x, result = ctx.saved_tensors
        return ctx.kept(grad_output) * (x - ctx.kept(result)).exp(), None, None


@autocast_op
def logsumexp(input, dim, keepdim=False):
    input = _to_float(input)
    return LogSumExp.apply(input, _dims(dim, input._data.ndim), keepdim)


class VectorNorm(_Reduction):
    """||x||_p = (sum |x|^p)^(1/p); d/dx = sign(x) |x|^(p-1) / ||x||^(p-1), taken as 0 where the norm is 0.
    p = 0 counts the nonzero elements (gradient 0)."""

    @staticmethod
    def forward(ctx, x, p, axes, keepdim):
        ctx.remember(x, axes, keepdim)
        ctx.p = p
        xp = backend.array_module(x)
        if p == 0:
            result = (x != 0).sum(axis=axes, keepdims=keepdim, dtype=x.dtype)
        elif p == 2:
            result = xp.sqrt((x * x).sum(axis=axes, keepdims=keepdim))
        else:
            result = (xp.abs(x) ** p).sum(axis=axes, keepdims=keepdim) ** (1 / p)
        result = backend.ensure_array(result)
        ctx.save_for_backward(x, result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        x, result = ctx.saved_tensors
        p = ctx.p
        if p == 0:
            return creation.zeros_like(x), None, None, None
        if p == 2:
            direction = x
        else:
            direction = x.sign() * x.abs() ** (p - 1)
            if p < 1:  # |x|^(p-1) is infinite at 0, where PyTorch takes the gradient as 0
                direction = direction.masked_fill(x == 0, 0)
        scale = _divide_or_zero(ctx.kept(grad_output), ctx.kept(result) ** (p - 1))
        return direction * scale, None, None, None


@autocast_op
def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """Vector p-norms over ``dim`` (all dims when None), as ``torch.norm`` does for a number p or 'fro'.
    p = inf and -inf are the largest and smallest magnitudes: amax/amin of |x|."""
    if out is not None:
        raise NotImplementedError("norm(out=...) is not supported: use the returned tensor")
    if isinstance(p, str):
        if p != "fro" or not (dim is None or isinstance(dim, int) or len(dim) <= 2):
            raise NotImplementedError(f"norm(p={p!r}) over these dims is a matrix norm, which minitorch does not have")
        p = 2
    if dtype is not None:
        input = input.to(dtype)
    if not input.is_floating_point():
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {_type_name(input.dtype)}")
    p = 2.0 if p is None else float(p)
    axes = _dims(dim, input._data.ndim)
    if math.isinf(p):
        if input._data.size == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {p} norm on an empty tensor because the "
                               "operation does not have an identity")
        return (amax if p > 0 else amin)(input.abs(), axes, keepdim)
    return VectorNorm.apply(input, p, axes, keepdim)


# ---------------------------------------------------------------------------------------------
# Running sums, truth reductions, softmax
# ---------------------------------------------------------------------------------------------

class CumSum(Function):
    """Running sum along an axis; d/dx = the running sum of the gradient taken from the other end."""

    @staticmethod
    def forward(ctx, x, axis, numpy_dtype):
        ctx.axis = axis
        return backend.array_module(x).cumsum(x, axis=axis, dtype=numpy_dtype)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.flip(ctx.axis).cumsum(ctx.axis).flip(ctx.axis), None, None


@autocast_op
def cumsum(input, dim, *, dtype=None):
    axis = _wrap_dim(dim, input._data.ndim)
    if input._data.ndim == 0:  # a 0-d tensor is a line of one
        return cumsum(input.reshape(1), 0, dtype=dtype).reshape(())
    return CumSum.apply(input, axis, _accumulate_dtype(input, dtype))


def _truth_reduction(name: str, input, dim, keepdim: bool) -> Tensor:
    """all/any: bool results (uint8 for uint8 inputs, kept by PyTorch for old code); not differentiable.
    Unlike sum, dim=() reduces nothing."""
    x = input._data
    axes = () if dim is not None and _names_no_dim(dim) else _dims(dim, x.ndim)
    result = getattr(backend.array_module(x), name)(x, axis=axes, keepdims=keepdim)
    return Tensor._wrap(backend.ensure_array(result).astype(x.dtype if x.dtype == numpy.uint8 else numpy.bool_))


def all(input, dim=None, keepdim=False):
    return _truth_reduction("all", input, dim, keepdim)


def any(input, dim=None, keepdim=False):
    return _truth_reduction("any", input, dim, keepdim)


class Softmax(Function):
    """y = exp(x) / sum(exp(x)) along an axis (shifted by the max first); d/dx = y * (g - sum(g * y))."""

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        xp = backend.array_module(x)
        exp = xp.exp(x - _finite_max(xp, x, axes))
        result = backend.ensure_array(exp / exp.sum(axis=axes, keepdims=True))
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        result, = ctx.saved_tensors
        return result * (grad_output - (grad_output * result).sum(ctx.axes, keepdim=True)), None


class LogSoftmax(Function):
    """y = x - logsumexp(x) along an axis; d/dx = g - exp(y) * sum(g). A primitive: the composite
    log(softmax(x)) underflows to -inf where softmax rounds to 0."""

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        xp = backend.array_module(x)
        shifted = x - _finite_max(xp, x, axes)
        result = backend.ensure_array(shifted - xp.log(xp.exp(shifted).sum(axis=axes, keepdims=True)))
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        result, = ctx.saved_tensors
        return grad_output - result.exp() * grad_output.sum(ctx.axes, keepdim=True), None


def _softmax_like(function, input, dim, dtype):
    if dtype is not None:
        input = input.to(dtype)
    if not input.is_floating_point():
        kernel = {Softmax: "softmax", LogSoftmax: "log_softmax"}[function]  # PyTorch's kernel names
        raise NotImplementedError(f"\"{kernel}_lastdim_kernel_impl\" not implemented for "
                                  f"'{_type_name(input.dtype)}'")
    return function.apply(input, _dims(dim, input._data.ndim))


@autocast_op
def softmax(input, dim, dtype=None):
    return _softmax_like(Softmax, input, dim, dtype)


@autocast_op
def log_softmax(input, dim, dtype=None):
    return _softmax_like(LogSoftmax, input, dim, dtype)
