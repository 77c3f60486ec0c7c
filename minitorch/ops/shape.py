"""Shape ops: views (reshape, permute, expand, ...) and joins/splits (cat, stack, split, ...).

A view shares memory with its input, as NumPy views do; ``is_view = True``
tells ``Function.apply`` to share the input's version counter with it.
"""
from __future__ import annotations

__all__ = ["view", "reshape", "expand"]

from minitorch import backend
from minitorch.autograd.function import Function
from minitorch.tensor import Tensor, _wrap_dim


def _shape_arg(shape) -> tuple:
    """``view(2, 3)`` and ``view((2, 3))`` both mean (2, 3)."""
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
    new_shape = _infer_shape(_shape_arg(shape), input._data.size)
    if new_shape == input._data.shape:
        return input
    return Reshape.apply(input, new_shape)


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
    target = tuple(target)
    if target == source:
        return input
    return Expand.apply(input, target)
