"""Indexing: ``tensor[index]``, ``tensor[index] = value``, gather/scatter, masks.

Every op in this file comes down to a few primitives over a NumPy index ``key``:

- ``BasicIndex``: ``x[key]`` for ints, slices and None; a view of ``x``.
- ``AdvancedIndex``: ``x[key]`` for integer arrays (and full slices); a copy.
- ``IndexPut``: ``x`` with ``values`` written (or, with ``accumulate``, added) at ``key``,
  out of place. It is the adjoint of indexing: the gradient of ``x[key]`` is
  ``zeros`` with the gradient added at ``key`` (repeated indices accumulate),
  and the gradient of ``IndexPut`` with respect to ``values`` is ``grad[key]``.
  So each backward is the other op, and double backward comes for free.

``gather``, ``index_select`` and ``masked_select`` are ``AdvancedIndex`` with a
key built from their arguments; ``scatter``, ``scatter_add`` and ``setitem``
are ``IndexPut``; ``masked_fill`` is ``where(mask, value, input)``.

A PyTorch index is applied as two NumPy keys, one after the other (see
``_split_index``): the basic part first (a view), then the advanced part. That
is PyTorch's order, and it is where PyTorch and NumPy differ: for ``x`` of
shape (2, 3, 4), ``x[0, :, [0, 1]]`` has shape (3, 2) in PyTorch but (2, 3) in
NumPy, which counts the int as one more advanced index.
"""
from __future__ import annotations

__all__ = ["gather", "scatter", "scatter_add", "index_select", "index_put", "masked_fill", "masked_select",
           "nonzero"]

import numbers
import operator

import numpy

from minitorch import backend
from minitorch.autograd import grad_mode
from minitorch.autograd.function import Function
from minitorch.ops import elementwise
from minitorch.tensor import Tensor, _type_name, _wrap_dim

_INDEX_DTYPES = (numpy.dtype(numpy.int32), numpy.dtype(numpy.int64))


# ---------------------------------------------------------------------------------------------
# The primitives
# ---------------------------------------------------------------------------------------------

class BasicIndex(Function):
    """x[key] for ints, slices and None: a view; d/dx = zeros with the gradient written at key."""

    is_view = True

    @staticmethod
    def forward(ctx, x, key):
        ctx.input_shape = x.shape
        ctx.key = key
        return x[key + (Ellipsis,)]  # the Ellipsis keeps an all-int key a 0-d view, not a scalar

    @staticmethod
    def backward(ctx, grad_output):
        return _index_put(_zeros(grad_output, ctx.input_shape), grad_output, ctx.key, accumulate=False), None


class AdvancedIndex(Function):
    """x[key] for integer arrays: a copy; d/dx = zeros with the gradient added at key (repeats add up)."""

    @staticmethod
    def forward(ctx, x, key):
        ctx.input_shape = x.shape
        ctx.key = key
        return x[key]

    @staticmethod
    def backward(ctx, grad_output):
        return _index_put(_zeros(grad_output, ctx.input_shape), grad_output, ctx.key, accumulate=True), None


class IndexPut(Function):
    """x with values written (or added) at key; d/dx = 1 (0 where overwritten), d/dvalues = grad[key]."""

    @staticmethod
    def forward(ctx, x, values, key, accumulate):
        ctx.key = key
        ctx.accumulate = accumulate
        result = x.copy()
        if accumulate:
            backend.scatter_add(backend.array_module(x), result, key, _broadcast_values(x, values, key))
        else:
            result[key] = values
        return result

    @staticmethod
    def backward(ctx, grad_output):
        grad_x = grad_values = None
        if ctx.needs_input_grad[0]:
            grad_x = grad_output if ctx.accumulate else _index_put(grad_output, 0, ctx.key, accumulate=False)
        if ctx.needs_input_grad[1]:
            grad_values = _take(grad_output, ctx.key)  # the engine sums it over the broadcast of values
        return grad_x, grad_values, None, None


class ScatterReduce(Function):
    """scatter with reduce='add' or 'multiply'; PyTorch defines no derivative for it, nor do we."""

    @staticmethod
    def forward(ctx, x, values, key, reduce):
        xp = backend.array_module(x)
        result = x.copy()
        values = _broadcast_values(x, values, key)
        if reduce == "add":
            backend.scatter_add(xp, result, key, values)
        else:
            backend.scatter_multiply(xp, result, key, values)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        raise RuntimeError("derivative for aten::scatter is not implemented")


def _broadcast_values(x, values, key):
    """``values`` broadcast to the shape of ``x[key]`` for ``ufunc.at``: NumPy 2.4's ``add.at`` adds wrong
    (even uninitialized) values when ``values`` has fewer dimensions than ``x[key]``."""
    return backend.array_module(x).broadcast_to(values, _advanced_shape(x.shape, key))


def _index_put(tensor, values, key, accumulate):
    return IndexPut.apply(tensor, values, key, accumulate)


def _take(tensor, key):
    """tensor[key] for a key made here: a view for a basic key, a copy when it holds arrays."""
    return (AdvancedIndex if _has_arrays(key) else BasicIndex).apply(tensor, key)


def _has_arrays(key) -> bool:
    return any(not (item is None or isinstance(item, (int, slice))) for item in key)


def _zeros(like: Tensor, shape) -> Tensor:
    return Tensor._wrap(backend.array_module(like._data).zeros(shape, dtype=like._data.dtype))


# ---------------------------------------------------------------------------------------------
# tensor[index] and tensor[index] = value
# ---------------------------------------------------------------------------------------------

def _classify(item, device):
    """One item of a PyTorch index as (kind, value): int, slice, None, bool, Ellipsis, mask or indices."""
    if item is None:
        return "none", None
    if item is Ellipsis:
        return "ellipsis", None
    if isinstance(item, (bool, numpy.bool_)):
        return "bool", bool(item)
    if isinstance(item, (numbers.Integral, numpy.integer)):
        return "int", int(item)
    if isinstance(item, slice):
        return "slice", _check_slice(item)
    if isinstance(item, Tensor):
        array = backend.to_device(item._data, device)
    elif isinstance(item, (list, tuple)) or (hasattr(item, "dtype") and hasattr(item, "ndim")):  # lists, arrays
        empty = isinstance(item, (list, tuple)) and not item
        array = backend.asarray(item, numpy.int64 if empty else None, device)
    else:
        raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                         f"valid indices (got {type(item).__name__})")
    if array.ndim == 0 and array.dtype.kind in "biu":  # a 0-d integer tensor acts as a Python int or bool
        is_bool = array.dtype.kind == "b" or array.dtype == numpy.uint8
        return ("bool", bool(array)) if is_bool else ("int", int(array))
    if array.dtype.kind == "b" or array.dtype == numpy.uint8:
        return "mask", array.astype(bool)
    if array.dtype not in _INDEX_DTYPES:
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return "indices", array


def _check_slice(item: slice) -> slice:
    start, stop, step = (None if part is None else operator.index(part)
                         for part in (item.start, item.stop, item.step))
    if step == 0:
        raise ValueError("slice step cannot be zero")
    if step is not None and step < 0:
        raise ValueError("step must be greater than zero")
    return slice(start, stop, step)


def _split_index(tensor: Tensor, index):
    """A PyTorch index as two NumPy keys applied one after the other: ``(basic, advanced)``.

    ``basic`` holds ints, slices and None, and gives a view. ``advanced`` indexes
    that view with integer arrays and full slices, or is None when there are no
    arrays. Masks become their ``nonzero()`` arrays and negative indices are
    wrapped, so ``IndexPut`` only ever sees non-negative integer arrays.
    """
    xp = backend.array_module(tensor._data)
    shape = tensor._data.shape
    items = [_classify(item, tensor.device) for item in (index if isinstance(index, tuple) else (index,))]
    consumed = sum(1 if kind in ("int", "slice", "indices") else value.ndim if kind == "mask" else 0
                   for kind, value in items)
    if consumed > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    if sum(kind == "ellipsis" for kind, _ in items) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    basic, advanced = [], []
    dim = 0  # the dimension of ``tensor`` the next item indexes
    for kind, value in items:
        if kind == "ellipsis":
            skipped = len(shape) - consumed
            basic += [slice(None)] * skipped
            advanced += [slice(None)] * skipped
            dim += skipped
        elif kind in ("none", "bool"):  # a new dimension of size 1; False then selects nothing from it
            basic.append(None)
            advanced.append(slice(None) if kind == "none" else xp.zeros(int(value), dtype=numpy.int64))
        elif kind == "int":
            if not -shape[dim] <= value < shape[dim]:
                raise IndexError(f"index {value} is out of bounds for dimension {dim} with size {shape[dim]}")
            basic.append(value)
            dim += 1
        elif kind == "slice":
            basic.append(value)
            advanced.append(slice(None))
            dim += 1
        elif kind == "mask":
            _check_mask(value.shape, shape, dim)
            basic += [slice(None)] * value.ndim
            advanced += list(xp.nonzero(value))
            dim += value.ndim
        else:
            advanced.append(_wrap_indices(value, shape[dim], dim))
            basic.append(slice(None))
            dim += 1
    arrays = [item for item in advanced if not isinstance(item, slice)]
    if not arrays:
        return tuple(basic), None
    _broadcast_index_shapes([a.shape for a in arrays])
    return tuple(basic), tuple(advanced)


def _check_mask(mask_shape, shape, dim):
    for offset, size in enumerate(mask_shape):
        if size != shape[dim + offset]:
            raise IndexError(f"The shape of the mask {list(mask_shape)} at index {offset} does not match the shape "
                             f"of the indexed tensor {list(shape)} at index {dim + offset}")


def _wrap_indices(array, size: int, dim: int):
    """Integer indices as non-negative int64, with PyTorch's IndexError for one out of range."""
    xp = backend.array_module(array)
    outside = (array < -size) | (array >= size)
    if outside.any():
        raise IndexError(f"index {int(array[outside][0])} is out of bounds for dimension {dim} with size {size}")
    return xp.where(array < 0, array + size, array).astype(numpy.int64)


def _broadcast_index_shapes(shapes):
    try:
        return numpy.broadcast_shapes(*shapes)
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                         + ", ".join(str(list(s)) for s in shapes)) from None


def _advanced_shape(shape, key) -> tuple:
    """The shape of ``array[key]`` for an advanced key (arrays and full slices), without indexing."""
    positions = [i for i, item in enumerate(key) if not isinstance(item, slice)]
    indexed = _broadcast_index_shapes([key[i].shape for i in positions])
    rest = list(shape[:positions[0]]), list(shape[positions[-1] + 1:])
    if positions[-1] - positions[0] + 1 != len(positions):  # arrays split by a slice: their dims go first
        middle = [shape[i] for i in range(positions[0], positions[-1] + 1) if i not in positions]
        return tuple(indexed) + tuple(rest[0] + middle + rest[1])
    return tuple(rest[0]) + tuple(indexed) + tuple(rest[1])


def getitem(tensor: Tensor, index) -> Tensor:
    """``tensor[index]``: a view for ints, slices, None and Ellipsis; a copy for tensors, lists and masks."""
    basic, advanced = _split_index(tensor, index)
    if advanced is None:
        return BasicIndex.apply(tensor, basic)
    if any(item != slice(None) for item in basic):
        tensor = BasicIndex.apply(tensor, basic)
    return AdvancedIndex.apply(tensor, advanced)


def setitem(tensor: Tensor, index, value) -> None:
    """``tensor[index] = value``: ``value`` is cast to the tensor's dtype and broadcast over the selection.

    Without autograd involved, the values are written straight into the memory.
    Otherwise the write is computed out of place (``IndexPut``) and handed to
    ``tensor._inplace``, which rebases the tensor's graph on it.
    """
    basic, advanced = _split_index(tensor, index)
    region = tensor._data[basic + (Ellipsis,)]  # a view: cheap, and what an all-basic index writes into
    region_shape = region.shape if advanced is None else _advanced_shape(region.shape, advanced)
    value = _value_for(tensor, value, region_shape)
    value_requires_grad = isinstance(value, Tensor) and value.requires_grad
    if not grad_mode.is_grad_enabled() or not (tensor.requires_grad or value_requires_grad):
        array = value._data if isinstance(value, Tensor) else value
        region[advanced if advanced is not None else Ellipsis] = array
        tensor._version.bump()
        return
    if advanced is None:
        result = _index_put(tensor, value, basic, accumulate=False)
    elif all(item == slice(None) for item in basic):
        result = _index_put(tensor, value, advanced, accumulate=False)
    else:  # write into the view, then the view back into the tensor
        inner = _index_put(BasicIndex.apply(tensor, basic), value, advanced, accumulate=False)
        result = _index_put(tensor, inner, basic, accumulate=False)
    tensor._inplace(result)


def _value_for(tensor: Tensor, value, region_shape):
    """``value`` ready to be written into ``tensor``: its dtype and device, leading 1s dropped, shape checked."""
    if not isinstance(value, Tensor):
        if isinstance(value, numbers.Number) or isinstance(value, (numpy.number, numpy.bool_)):
            return tensor._data.dtype.type(value)
        value = Tensor._wrap(backend.asarray(value, tensor._data.dtype, tensor.device))
    if value.device != tensor.device:
        value = value.to(tensor.device)
    if value._data.dtype != tensor._data.dtype:
        value = value.to(tensor.dtype)
    shape = tuple(value._data.shape)
    while len(shape) > len(region_shape) and shape[0] == 1:
        shape = shape[1:]
    try:
        fits = numpy.broadcast_shapes(shape, region_shape) == tuple(region_shape)
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(value.shape)} cannot be broadcast to "
                           f"indexing result of shape {list(region_shape)}")
    return value.reshape(shape) if shape != value._data.shape else value


def index_put(input: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    """``input`` with ``values`` written at ``input[indices]`` (added, repeats included, with ``accumulate``)."""
    _, advanced = _split_index(input, tuple(indices))
    if advanced is None:
        raise IndexError("index_put: indices must contain at least one tensor")
    values = _value_for(input, values, _advanced_shape(input._data.shape, advanced))
    return _index_put(input, values, advanced, accumulate)


# ---------------------------------------------------------------------------------------------
# gather, scatter, index_select
# ---------------------------------------------------------------------------------------------

def _index_array(op: str, index: Tensor, device, message: str = "Expected dtype int32/int64 for index"):
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._data.dtype not in _INDEX_DTYPES:
        raise RuntimeError(f"{op}(): {message}")
    return backend.to_device(index._data, device).astype(numpy.int64)


def _along_dim_key(index, dim: int) -> tuple:
    """The advanced key that reads ``x[..., index[i, j, k], ...]`` (``index`` at ``dim``) for every (i, j, k)."""
    xp = backend.array_module(index)
    key = []
    for axis, size in enumerate(index.shape):
        if axis == dim:
            key.append(index)
        else:
            shape = [1] * index.ndim
            shape[axis] = size
            key.append(xp.arange(size).reshape(shape))
    return tuple(key)


def _check_range(index, size: int, dim: int):
    outside = (index < 0) | (index >= size)
    if outside.any():
        raise RuntimeError(f"index {int(index[outside][0])} is out of bounds for dimension {dim} with size {size}")


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """``out[i][j][k] = input[index[i][j][k]][j][k]`` (for ``dim=0``); ``index`` no larger than ``input``."""
    array = _index_array("gather", index, input.device)
    dim = _wrap_dim(dim, input._data.ndim)
    source = input if input._data.ndim else input.reshape(1)
    array = array if array.ndim else array.reshape(1)
    if array.ndim != source._data.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for axis, (wanted, size) in enumerate(zip(array.shape, source._data.shape)):
        if axis != dim and wanted > size:
            raise RuntimeError(f"Size does not match at dimension {axis} expected index {list(index.shape)} to be "
                               f"no larger than self {list(input.shape)} apart from dimension {dim}")
    _check_range(array, source._data.shape[dim], dim)
    result = AdvancedIndex.apply(source, _along_dim_key(array, dim))
    return result.reshape(index.shape) if result._data.shape != index._data.shape else result


def _scatter_key(input: Tensor, dim: int, index: Tensor, src):
    """The key ``scatter`` writes at (``input`` is at least 1-d), and ``src`` cut down to the index's shape."""
    array = _index_array("scatter", index, input.device)
    array = array if array.ndim else array.reshape(1)
    shape = input._data.shape
    dim = _wrap_dim(dim, len(shape))
    if array.ndim != len(shape):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    src_shape = None
    if isinstance(src, Tensor):
        if src._data.dtype != input._data.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        src_shape = src._data.shape if src._data.ndim else (1,)
        if len(src_shape) != len(shape):
            raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    if any((axis != dim and wanted > size) or (src_shape is not None and wanted > src_shape[axis])
           for axis, (wanted, size) in enumerate(zip(array.shape, shape))):
        raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self {list(input.shape)} "
                           f"apart from dimension {dim}" + (f" and to be no larger size than src {list(src.shape)}"
                                                            if src_shape is not None else ""))
    _check_range(array, shape[dim], dim)
    if isinstance(src, Tensor):
        src = src.reshape(src_shape)
        if src_shape != array.shape:
            src = getitem(src, tuple(slice(0, n) for n in array.shape))
    return _along_dim_key(array, dim), src


def _scatter_result(input: Tensor, make):
    """Scatter into ``input`` seen as 1-d when it is 0-d (as PyTorch does), then back."""
    if input._data.ndim:
        return make(input)
    return make(input.reshape(1)).reshape(())


def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce=None) -> Tensor:
    """``input`` with ``out[index[i][j]][j] = src[i][j]`` (for ``dim=0``); ``value`` writes one number."""
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src  # scatter(dim, index, 2.0) is the value overload
    if src is None and value is None:
        raise TypeError("scatter() missing 1 required argument: 'src' or 'value'")
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")

    def make(source):
        key, values = _scatter_key(source, dim, index, src)
        if values is None:
            values = source._data.dtype.type(value.item() if isinstance(value, Tensor) else value)
        if reduce is None:
            return _index_put(source, values, key, accumulate=False)
        return ScatterReduce.apply(source, values, key, reduce)
    return _scatter_result(input, make)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """``input`` with ``src[i][j]`` added at ``out[index[i][j]][j]`` (for ``dim=0``); repeats add up."""
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' (position 3) must be Tensor, not {type(src).__name__}")

    def make(source):
        key, values = _scatter_key(source, dim, index, src)
        return _index_put(source, values, key, accumulate=True)
    return _scatter_result(input, make)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of ``input`` along ``dim`` at the positions in the 1-d ``index``."""
    array = _index_array("index_select", index, input.device, "Expected dtype int32 or int64 for index")
    if array.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    dim = _wrap_dim(dim, input._data.ndim)
    source = input if input._data.ndim else input.reshape(1)
    outside = (array < 0) | (array >= source._data.shape[dim])
    if outside.any():
        if dim == 0:  # PyTorch's CPU kernel reports dim 0 apart from the others
            raise IndexError("index out of range in self")
        raise RuntimeError(f"INDICES element is out of DATA bounds, id={int(array[outside][0])} "
                           f"axis_dim={source._data.shape[dim]}")
    result = AdvancedIndex.apply(source, (slice(None),) * dim + (array.reshape(-1),))
    return result if input._data.ndim else result.reshape(())


# ---------------------------------------------------------------------------------------------
# Masks
# ---------------------------------------------------------------------------------------------

def _mask_shape(input: Tensor, mask: Tensor, message: str) -> tuple:
    """The shape ``input`` and ``mask`` broadcast to, with PyTorch's errors for a non-bool or misfit mask."""
    if not isinstance(mask, Tensor) or mask._data.dtype != numpy.bool_:
        raise RuntimeError(message.format(dtype=_type_name(mask.dtype).lower() if isinstance(mask, Tensor)
                                          else type(mask).__name__))
    a, b = mask._data.shape, input._data.shape  # PyTorch's message calls the mask "tensor a"
    try:
        return numpy.broadcast_shapes(a, b)
    except ValueError:
        padded_a, padded_b = (1,) * (len(b) - len(a)) + a, (1,) * (len(a) - len(b)) + b
        dim = next(i for i in reversed(range(len(padded_a)))
                   if padded_a[i] != padded_b[i] and 1 not in (padded_a[i], padded_b[i]))
        raise RuntimeError(f"The size of tensor a ({padded_a[dim]}) must match the size of tensor b "
                           f"({padded_b[dim]}) at non-singleton dimension {dim}") from None


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """``input`` with ``value`` (a number or a 0-d tensor) wherever ``mask`` is True: ``where(mask, value, input)``,
    with ``value`` in ``input``'s dtype. Its gradient is the sum of the output's gradient under the mask."""
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        value = value.to(input.device).to(input.dtype)
    else:
        value = Tensor._wrap(backend.array_module(input._data).asarray(input._data.dtype.type(value)))
    _mask_shape(input, mask, "masked_fill_ only supports boolean masks, but got mask with dtype {dtype}")
    return elementwise.where(mask.to(input.device), value, input)


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of ``input`` where ``mask`` is True, as a 1-d tensor (both broadcast first)."""
    shape = _mask_shape(input, mask, "masked_select: expected BoolTensor for mask")
    xp = backend.array_module(input._data)
    mask_array = xp.broadcast_to(backend.to_device(mask._data, input.device), shape)
    source = input.expand(*shape) if shape != input._data.shape else input
    return AdvancedIndex.apply(source.reshape(-1), (xp.flatnonzero(mask_array),))


def nonzero(input: Tensor, *, as_tuple: bool = False):
    """The indices of the nonzero elements: an (n, ndim) int64 tensor, or one 1-d tensor per dimension."""
    xp = backend.array_module(input._data)
    if as_tuple:
        return tuple(Tensor._wrap(a.astype(numpy.int64)) for a in xp.nonzero(xp.atleast_1d(input._data)))
    return Tensor._wrap(xp.argwhere(input._data).astype(numpy.int64))
