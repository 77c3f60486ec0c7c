"""Shape ops: views (reshape, permute, expand, ...) and joins/splits (cat, stack, split, ...).

A view shares memory with its input, as NumPy views do; ``is_view = True``
tells ``Function.apply`` to share the input's version counter with it.

Few primitives carry the family. ``Reshape``/``View`` serve squeeze,
unsqueeze, flatten and unflatten (each only computes a new shape);
``Permute`` serves transpose, t and movedim; ``Split`` cuts a tensor into
pieces (split, chunk) and ``Cat`` joins them again, each being the other's
backward; ``Narrow`` keeps one piece and pads its gradient back with zeros;
stack is a cat of unsqueezed tensors and ``Unbind`` its inverse.
"""
from __future__ import annotations

__all__ = [
    "view", "reshape", "expand", "permute", "transpose", "swapaxes", "swapdims", "t", "movedim", "moveaxis",
    "squeeze", "unsqueeze", "repeat", "flatten", "unflatten", "cat", "concat", "concatenate", "stack", "split",
    "chunk", "unbind", "narrow", "flip", "tril", "triu",
]

import functools

from minitorch import backend
from minitorch.autograd.function import Function
from minitorch.ops import conversion
from minitorch.tensor import _wrap_dim


def _shape_arg(shape) -> tuple:
    """``view(2, 3)`` and ``view((2, 3))`` both mean (2, 3); so do ``permute(1, 0)`` and ``permute((1, 0))``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(n) for n in shape)


def _infer_shape(shape: tuple, numel: int) -> tuple:
    """Resolve one -1 in ``shape``; RuntimeError when ``shape`` cannot hold ``numel`` elements."""
    unknown = [i for i, n in enumerate(shape) if n == -1]
    if len(unknown) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for n in shape:
        if n != -1:
            known *= n
    if unknown:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = shape[:unknown[0]] + (numel // known,) + shape[unknown[0] + 1:]
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _unique_dims(dims, ndim: int) -> tuple:
    """``dims`` wrapped to non-negative axes; RuntimeError when one repeats."""
    axes = tuple(_wrap_dim(d, ndim) for d in dims)
    for axis in axes:
        if axes.count(axis) > 1:
            raise RuntimeError(f"dim {axis} appears multiple times in the list of dims")
    return axes


def _at(dim: int, index) -> tuple:
    """The NumPy index that takes ``index`` (an int or a slice) along axis ``dim``."""
    return (slice(None),) * dim + (index,)


def _as_tuple(value) -> tuple:
    """One dim or several: ``0`` and ``(0, 1)`` both work where PyTorch takes an int or a sequence."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _prod(sizes) -> int:
    return functools.reduce(lambda a, b: a * b, sizes, 1)


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------

class Reshape(Function):
    """x seen with another shape (a view when the layout allows); the gradient is reshaped back."""

    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.reshape(ctx.input_shape), None


class View(Reshape):
    """Like Reshape, but never copies: RuntimeError when the strides do not allow the new shape."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        result = backend.reshape_view(x, shape)
        if result is None:
            raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                               "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
        return result


class Permute(Function):
    """x with its axes reordered (a view); the gradient is permuted back by the inverse order."""

    is_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, grad_output):
        inverse = sorted(range(len(ctx.dims)), key=ctx.dims.__getitem__)
        return grad_output.permute(*inverse), None


class Expand(Function):
    """x broadcast to a larger shape (a read-only view); the engine sums the gradient back."""

    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        return backend.array_module(x).broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, None


def view(input, *shape):
    if len(shape) == 1 and isinstance(shape[0], backend.dtype):
        raise NotImplementedError("view(dtype) is not supported")
    return View.apply(input, _infer_shape(_shape_arg(shape), input._data.size))


def reshape(input, *shape):
    return Reshape.apply(input, _infer_shape(_shape_arg(shape), input._data.size))


def permute(input, *dims):
    dims = _shape_arg(dims)
    ndim = input._data.ndim
    if len(dims) != ndim:
        raise RuntimeError("permute(sparse_coo): number of dimensions in the tensor input does not match the length "
                           f"of the desired ordering of dimensions i.e. input.dim() = {ndim} is not equal to "
                           f"len(dims) = {len(dims)}")
    dims = tuple(_wrap_dim(d, ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, dims)


def transpose(input, dim0, dim1):
    ndim = input._data.ndim
    dim0, dim1 = _wrap_dim(dim0, ndim), _wrap_dim(dim1, ndim)
    order = list(range(ndim))
    if ndim:  # a 0-d tensor accepts dims 0 and -1 and stays as it is
        order[dim0], order[dim1] = order[dim1], order[dim0]
    return Permute.apply(input, tuple(order))


swapaxes = transpose
swapdims = transpose


def t(input):
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D")
    return transpose(input, 0, -1)


def movedim(input, source, destination):
    ndim = input._data.ndim
    source, destination = _as_tuple(source), _as_tuple(destination)
    if len(source) != len(destination):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(source)} dims) should "
                           f"contain the same number of dims as destination ({list(destination)} dims)")
    source = tuple(_wrap_dim(d, ndim) for d in source)
    destination = tuple(_wrap_dim(d, ndim) for d in destination)
    for name, dims in (("source", source), ("destination", destination)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(dims)})")
    # The moved dims take their destinations; the others keep their order in the places left.
    placed = dict(zip(destination, source))
    others = iter(d for d in range(ndim) if d not in source)
    return Permute.apply(input, tuple(placed[i] if i in placed else next(others) for i in range(ndim)))


moveaxis = movedim


def squeeze(input, dim=None):
    shape = input._data.shape
    if dim is None:
        axes = range(len(shape))
    else:
        axes = _unique_dims(_as_tuple(dim), len(shape))
    return View.apply(input, tuple(n for axis, n in enumerate(shape) if not (axis in axes and n == 1)))


def unsqueeze(input, dim):
    shape = input._data.shape
    dim = _wrap_dim(dim, len(shape) + 1)
    return View.apply(input, shape[:dim] + (1,) + shape[dim:])


def expand(input, *sizes):
    sizes = _shape_arg(sizes)
    source = input._data.shape
    if len(sizes) < len(source):
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(source)}}}, size=[{', '.join(map(str, sizes))}]): the "
                           f"number of sizes provided ({len(sizes)}) must be greater or equal to the number of "
                           f"dimensions in the tensor ({len(source)})")
    padded = (1,) * (len(sizes) - len(source)) + tuple(source)
    target = []
    for index, (size, current) in enumerate(zip(sizes, padded)):
        if size == -1:
            if index < len(sizes) - len(source):
                raise RuntimeError("The expanded size of the tensor (-1) isn't allowed in a leading, "
                                   "non-existing dimension")
            size = current
        if current != 1 and size != current:
            raise RuntimeError(f"The expanded size of the tensor ({size}) must match the existing size ({current}) "
                               f"at non-singleton dimension {index}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                               f"{list(source)}")
        target.append(size)
    return Expand.apply(input, tuple(target))


def flatten(input, start_dim=0, end_dim=-1):
    shape = input._data.shape
    if not shape:
        return Reshape.apply(input, (1,))
    start, end = _wrap_dim(start_dim, len(shape)), _wrap_dim(end_dim, len(shape))
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return input
    return Reshape.apply(input, shape[:start] + (_prod(shape[start:end + 1]),) + shape[end + 1:])


def unflatten(input, dim, sizes):
    sizes = tuple(int(n) for n in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    shape = input._data.shape
    if not shape:
        raise RuntimeError(f"unflatten: Dimension specified as {dim} but tensor has no dimensions")
    dim = _wrap_dim(dim, len(shape))
    if -1 not in sizes and _prod(sizes) != shape[dim]:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                           f"({shape[dim]}) in the input tensor")
    return View.apply(input, shape[:dim] + _infer_shape(sizes, shape[dim]) + shape[dim + 1:])


# ---------------------------------------------------------------------------------------------
# Splits and joins
# ---------------------------------------------------------------------------------------------

class Split(Function):
    """x cut along dim into pieces of the given sizes (views); the gradient is the pieces' gradients joined."""

    is_view = True

    @staticmethod
    def forward(ctx, x, dim, sizes):
        ctx.dim = dim
        starts = [sum(sizes[:i]) for i in range(len(sizes))]
        return tuple(x[_at(dim, slice(start, start + size))] for start, size in zip(starts, sizes))

    @staticmethod
    def backward(ctx, *grad_outputs):
        return cat(grad_outputs, ctx.dim), None, None


class Unbind(Function):
    """x taken apart along dim (views without that dim); the gradient is the pieces' gradients stacked."""

    is_view = True

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return tuple(x[_at(dim, index)] for index in range(x.shape[dim]))

    @staticmethod
    def backward(ctx, *grad_outputs):
        return stack(grad_outputs, ctx.dim), None


class Narrow(Function):
    """x[start:start + length] along dim (a view); the gradient is grad_output padded back with zeros."""

    is_view = True

    @staticmethod
    def forward(ctx, x, dim, start, length):
        ctx.dim, ctx.start, ctx.size = dim, start, x.shape[dim]
        return x[_at(dim, slice(start, start + length))]

    @staticmethod
    def backward(ctx, grad_output):
        shape, dim = tuple(grad_output.shape), ctx.dim

        def zeros(length):  # grad_output's shape, with ``length`` along dim
            return grad_output.new_zeros(shape[:dim] + (length,) + shape[dim + 1:])
        return cat([zeros(ctx.start), grad_output, zeros(ctx.size - ctx.start - shape[dim])], dim), None, None, None


class Cat(Function):
    """The inputs joined along dim (a copy); each input's gradient is its slice of grad_output."""

    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.dim = dim
        ctx.sizes = [None if _is_legacy_empty(array) else array.shape[dim] for array in arrays]
        joined = [array for array, size in zip(arrays, ctx.sizes) if size is not None] or arrays[:1]
        return backend.array_module(arrays[0]).concatenate(joined, axis=dim)

    @staticmethod
    def backward(ctx, grad_output):
        sizes = [size for size in ctx.sizes if size is not None]
        pieces = iter(split(grad_output, sizes, ctx.dim) if sizes else ())
        return (None,) + tuple(grad_output.new_zeros(0) if size is None else next(pieces) for size in ctx.sizes)


def _at_least_1d(input, name):
    if input._data.ndim == 0:
        raise RuntimeError(f"{name} expects at least a 1-dimensional tensor")


def split(tensor, split_size_or_sections, dim=0):
    _at_least_1d(tensor, "split")
    dim = _wrap_dim(dim, tensor._data.ndim)
    size = tensor._data.shape[dim]
    if not isinstance(split_size_or_sections, (tuple, list)):
        split_size = int(split_size_or_sections)
        if split_size < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={split_size}")
        if split_size == 0 and size != 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
        count = max(-(-size // split_size), 1) if split_size else 1
        sizes = [split_size] * (count - 1) + [size - split_size * (count - 1)]
    else:
        sizes = [int(n) for n in split_size_or_sections]
        if any(n < 0 for n in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                               f"split_sizes={sizes}")
        if sum(sizes) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size "
                               f"at dimension {dim}), but got split_sizes={sizes}")
    return Split.apply(tensor, dim, tuple(sizes))


def chunk(input, chunks, dim=0):
    _at_least_1d(input, "chunk")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    dim = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[dim]
    if size == 0:
        return Split.apply(input, dim, (0,) * chunks)
    return split(input, -(-size // chunks), dim)


def unbind(input, dim=0):
    if input._data.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return Unbind.apply(input, _wrap_dim(dim, input._data.ndim))


def narrow(input, dim, start, length):
    if input._data.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    dim = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[dim]
    start, length = int(start), int(length)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    start = start + size if start < 0 else start
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return Narrow.apply(input, dim, start, length)


def _is_legacy_empty(array) -> bool:
    """PyTorch's cat skips 1-D inputs with no elements, whatever the other inputs' shapes."""
    return array.shape == (0,)


def cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for position, tensor in enumerate(tensors):
        if tensor._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {position}) cannot be concatenated")
    joined = [(number, tensor._data.shape) for number, tensor in enumerate(tensors)
              if not _is_legacy_empty(tensor._data)]
    first = joined[0][1] if joined else (0,)
    dim = _wrap_dim(dim, len(first)) if joined else 0  # only legacy empty tensors: the result is one too
    for number, shape in joined:
        if len(shape) != len(first):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(first)} and {len(shape)}")
        for axis, (expected, got) in enumerate(zip(first, shape)):
            if axis != dim and expected != got:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. Expected size "
                                   f"{expected} but got size {got} for tensor number {number} in the list.")
    dtype = functools.reduce(backend.promote_types, (tensor.dtype for tensor in tensors))
    return Cat.apply(dim, *(tensor if tensor.dtype is dtype else conversion.to_dtype(tensor, dtype)
                            for tensor in tensors))


concat = cat


def concatenate(tensors, axis=0):
    return cat(tensors, axis)


def stack(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    first = tensors[0]._data.shape
    for entry, tensor in enumerate(tensors):
        if tensor._data.shape != first:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(first)} at entry 0 and "
                               f"{list(tensor.shape)} at entry {entry}")
    dim = _wrap_dim(dim, len(first) + 1)
    return cat([unsqueeze(tensor, dim) for tensor in tensors], dim)


# ---------------------------------------------------------------------------------------------
# Copies: repeat, flip, triangles
# ---------------------------------------------------------------------------------------------

class Repeat(Function):
    """x tiled ``repeats`` times along each dim; the gradient sums the tiles."""

    @staticmethod
    def forward(ctx, x, repeats):
        ctx.input_shape = x.shape
        ctx.repeats = repeats
        return backend.array_module(x).tile(x, repeats)

    @staticmethod
    def backward(ctx, grad_output):
        # Each output dim of size r * n is seen as (r, n); summing the r axes adds the tiles up.
        sizes = (1,) * (len(ctx.repeats) - len(ctx.input_shape)) + tuple(ctx.input_shape)
        tiles = grad_output.reshape(*[n for pair in zip(ctx.repeats, sizes) for n in pair])
        summed = tiles.sum(dim=tuple(range(0, 2 * len(sizes), 2))) if sizes else tiles
        return summed.reshape(ctx.input_shape), None


class Flip(Function):
    """x reversed along dims (a copy); the gradient is flipped back."""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return backend.array_module(x).flip(x, dims).copy()

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.flip(ctx.dims), None


class Triangle(Function):
    """The lower (tril) or upper (triu) triangle of the last two dims, the rest zeroed; the gradient is
    masked the same way."""

    @staticmethod
    def forward(ctx, x, diagonal, upper):
        ctx.diagonal, ctx.upper = diagonal, upper
        xp = backend.array_module(x)
        return (xp.triu if upper else xp.tril)(x, diagonal)

    @staticmethod
    def backward(ctx, grad_output):
        return Triangle.apply(grad_output, ctx.diagonal, ctx.upper), None, None


def repeat(input, *repeats):
    repeats = _shape_arg(repeats)
    if len(repeats) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                           "tensor")
    padded = (1,) * (len(repeats) - input._data.ndim) + input._data.shape
    target = [r * n for r, n in zip(repeats, padded)]
    for n in target:
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {target}")
    return Repeat.apply(input, repeats)


def flip(input, *dims):
    dims = _unique_dims(_shape_arg(dims), input._data.ndim)
    return Flip.apply(input, dims if input._data.ndim else ())


def _triangle(input, diagonal, upper):
    if input._data.ndim < 2:
        raise RuntimeError(f"{'triu' if upper else 'tril'}: input tensor must have at least 2 dimensions")
    return Triangle.apply(input, int(diagonal), upper)


def tril(input, diagonal=0):
    return _triangle(input, diagonal, upper=False)


def triu(input, diagonal=0):
    return _triangle(input, diagonal, upper=True)
