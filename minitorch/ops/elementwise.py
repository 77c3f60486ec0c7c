"""Elementwise ops: arithmetic, math functions, comparisons and logic.

Binary ops first bring both operands to one dtype with PyTorch's promotion
rules (``_promote``); the primitives then see arrays of that dtype. Broadcast
gradients need no care here: the engine sums them back to each input's shape.
"""
from __future__ import annotations

__all__ = ["add", "sub", "mul", "div", "neg", "exp"]

import numpy

from minitorch import backend
from minitorch.autograd.function import Function
from minitorch.ops import conversion
from minitorch.tensor import Tensor


def _cast(value, dtype: backend.dtype):
    """A tensor cast (differentiably) to ``dtype``, or a Python number as a NumPy scalar of ``dtype``."""
    if isinstance(value, Tensor):
        return value if value._data.dtype == dtype.numpy_dtype else conversion.to_dtype(value, dtype)
    if not isinstance(value, (int, float, bool, numpy.number, numpy.bool_)):
        raise TypeError(f"unsupported operand type: expected a Tensor or a number, got {type(value).__name__}")
    return dtype.numpy_dtype.type(value)


def _promote(input, other, dtype: backend.dtype | None = None):
    """Both operands in their promoted dtype (or ``dtype`` when given)."""
    if (dtype is None and isinstance(input, Tensor) and isinstance(other, Tensor)
            and input._data.dtype == other._data.dtype):
        return input, other  # the common case: no promotion needed
    dtype = dtype or backend.result_type(input, other)
    return _cast(input, dtype), _cast(other, dtype)


def _to_float(input: Tensor) -> Tensor:
    """Integer and bool tensors become the default float dtype (for exp, sqrt, true division ...)."""
    if input._data.dtype.kind == "f":
        return input
    return conversion.to_dtype(input, backend.get_default_dtype())


# ---------------------------------------------------------------------------------------------
# Arithmetic
# ---------------------------------------------------------------------------------------------

class Add(Function):
    """x + y; d/dx = 1, d/dy = 1."""

    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, grad_output


class Sub(Function):
    """x - y; d/dx = 1, d/dy = -1."""

    @staticmethod
    def forward(ctx, x, y):
        return x - y

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, -grad_output


class Mul(Function):
    """x * y; d/dx = y, d/dy = x."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        return (grad_output * y if ctx.needs_input_grad[0] else None,
                grad_output * x if ctx.needs_input_grad[1] else None)


class Div(Function):
    """x / y; d/dx = 1/y, d/dy = -x/y^2."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x / y

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        grad_x = grad_output / y
        return (grad_x if ctx.needs_input_grad[0] else None,
                -grad_x * x / y if ctx.needs_input_grad[1] else None)


class Neg(Function):
    """-x; d/dx = -1."""

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad_output):
        return -grad_output


class Exp(Function):
    """exp(x); d/dx = exp(x), the output itself."""

    @staticmethod
    def forward(ctx, x):
        result = backend.array_module(x).exp(x)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        result, = ctx.saved_tensors
        return grad_output * result


def add(input, other, *, alpha=1):
    if alpha != 1:
        other = mul(other, alpha)
    input, other = _promote(input, other)
    return Add.apply(input, other)


def sub(input, other, *, alpha=1):
    if input._data.dtype == numpy.bool_ if isinstance(input, Tensor) else False:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                           "`logical_xor()` operator instead.")
    if alpha != 1:
        other = mul(other, alpha)
    input, other = _promote(input, other)
    return Sub.apply(input, other)


def mul(input, other):
    input, other = _promote(input, other)
    return Mul.apply(input, other)


def div(input, other, *, rounding_mode=None):
    if rounding_mode is None:
        dtype = backend.float_dtype_for(backend.result_type(input, other))  # true division: ints give floats
        input, other = _promote(input, other, dtype)
        return Div.apply(input, other)
    raise NotImplementedError("div with rounding_mode")


def neg(input):
    if input._data.dtype == numpy.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")
    return Neg.apply(input)


def exp(input):
    return Exp.apply(_to_float(input))
