"""Elementwise ops: arithmetic, math functions, comparisons and logic.

Three patterns cover the family:

- arithmetic (``Add``, ``Mul``, ``Pow``, ``Where`` ...): one ``Function`` each, forward and
  backward side by side, because each saves and returns something different (ops that differ
  only in their array function, as maximum and minimum, share ``BinaryFunction``'s forward);
- math functions of one input (exp, log, sin, tanh, sigmoid ...): one row each in a table that
  gives the function on arrays and its derivative in Tensor ops (``_unary`` makes the Function);
- piecewise-constant ops (floor, sign, rounded division, comparisons, logic, bitwise): their
  derivative is zero wherever it exists, so one Function, ``PiecewiseConstant``, serves them all.

Operands of a binary op are first brought to one dtype by PyTorch's promotion rules
(``_promote``); Python numbers become NumPy scalars of that dtype, so a forward only ever sees
operands of one dtype. Broadcast gradients need no care here: the engine sums them
back to each input's shape.
"""
from __future__ import annotations

__all__ = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide", "remainder",
    "fmod", "pow", "neg", "negative", "abs", "absolute", "sign", "square",
    "exp", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt", "reciprocal",
    "sin", "cos", "tan", "tanh", "sigmoid", "relu",
    "clamp", "clip", "maximum", "minimum", "where",
    "eq", "ne", "lt", "le", "gt", "ge", "isclose", "isnan", "isinf", "isfinite",
    "logical_and", "logical_or", "logical_xor", "logical_not",
    "bitwise_not", "bitwise_and", "bitwise_or", "bitwise_xor",
    "floor", "ceil", "round", "trunc",
]

import math

import numpy

from minitorch import backend, creation
from minitorch.autograd.function import Function
from minitorch.ops import conversion
from minitorch.tensor import Tensor, _type_name

_NUMBER_TYPES = (bool, int, float, numpy.bool_, numpy.integer, *backend.FLOATING_SCALAR_TYPES)


# ---------------------------------------------------------------------------------------------
# Promotion and broadcasting
# ---------------------------------------------------------------------------------------------

def _promote(*operands, dtype: backend.dtype | None = None):
    """The operands in one dtype: the promoted one (``torch.result_type``), or ``dtype`` when given.

    Tensors are cast differentiably; Python numbers become NumPy scalars of the dtype (NumPy and
    CuPy compute array-with-scalar in the array's dtype). None (a missing clamp bound) stays None.
    """
    if dtype is None:
        if len(operands) == 2:
            pair = _simple_pair(*operands)
            if pair is not None:
                return pair
        # A NumPy number counts as a Python number in PyTorch, not as a 0-d tensor.
        operands = tuple(operand.item() if isinstance(operand, numpy.generic) else operand for operand in operands)
        dtype = backend.result_type(*(operand for operand in operands if operand is not None))
    return tuple(_cast(operand, dtype) for operand in operands)


def _simple_pair(a, b):
    """The two common cases, decided without ``result_type``'s general walk (this runs for every
    binary op of every forward and backward): two tensors of one dtype, returned as they are, and
    a floating tensor with a Python float or int (``x * 2.0``, ``1 - x``), where the number takes
    the tensor's dtype. None for any other pair."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            return (a, b) if a._data.dtype == b._data.dtype else None
        if type(b) in _PLAIN_NUMBERS and a._data.dtype.kind in backend.FLOATING_KINDS:
            return a, a._data.dtype.type(b)
    elif isinstance(b, Tensor) and type(a) in _PLAIN_NUMBERS and b._data.dtype.kind in backend.FLOATING_KINDS:
        return b._data.dtype.type(a), b
    return None


_PLAIN_NUMBERS = (float, int)  # not bool (an int subclass): exact types only


def _cast(value, dtype: backend.dtype):
    """A tensor cast to ``dtype``, or a number as a NumPy scalar of ``dtype``."""
    if value is None:
        return None
    if isinstance(value, Tensor):
        return value if value._data.dtype == dtype.numpy_dtype else conversion.to_dtype(value, dtype)
    if not isinstance(value, _NUMBER_TYPES):
        raise TypeError(f"unsupported operand type: expected a Tensor or a number, got {type(value).__name__}")
    # Through a NumPy array first, so that an int out of the dtype's range wraps, as in PyTorch.
    return numpy.asarray(value).astype(dtype.numpy_dtype)[()]


def _to_float(input: Tensor) -> Tensor:
    """Integer and bool tensors become the default float dtype (for exp, sqrt, true division ...)."""
    if input._data.dtype.kind in backend.FLOATING_KINDS:
        return input
    return conversion.to_dtype(input, backend.get_default_dtype())


def _apply(primitive, *args):
    """``primitive.apply(*args)``; operands that do not broadcast raise PyTorch's RuntimeError."""
    try:
        return primitive.apply(*args)
    except ValueError:  # what NumPy and CuPy raise for shapes that do not broadcast
        _check_broadcastable([arg._data.shape for arg in args if isinstance(arg, Tensor)])
        raise


def _check_broadcastable(shapes):
    """Broadcast ``shapes`` left to right as PyTorch does, with its message at the first mismatch."""
    result = ()
    for shape in shapes:
        ndim = max(len(result), len(shape))
        a = (1,) * (ndim - len(result)) + tuple(result)
        b = (1,) * (ndim - len(shape)) + tuple(shape)
        for dim in reversed(range(ndim)):  # PyTorch compares from the last dimension
            if a[dim] != b[dim] and a[dim] != 1 and b[dim] != 1:
                raise RuntimeError(f"The size of tensor a ({a[dim]}) must match the size of tensor b ({b[dim]}) "
                                   f"at non-singleton dimension {dim}")
        result = tuple(size_b if size_a == 1 else size_a for size_a, size_b in zip(a, b))


def _not_implemented(kernel: str, dtype: backend.dtype) -> NotImplementedError:
    """PyTorch's error for an op that has no kernel for a dtype (bitwise ops on floats, abs on bool ...)."""
    return NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(dtype)}'")


def _array(operand):
    """The array of a promoted operand: a tensor's array, or the NumPy scalar a number became."""
    return operand._data if isinstance(operand, Tensor) else operand


def _is_bool(value) -> bool:
    if isinstance(value, Tensor):
        return value._data.dtype == numpy.bool_
    return isinstance(value, (bool, numpy.bool_))


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
        needs_x, needs_y = ctx.needs_input_grad
        return grad_output if needs_x else None, grad_output if needs_y else None


class Sub(Function):
    """x - y; d/dx = 1, d/dy = -1."""

    @staticmethod
    def forward(ctx, x, y):
        return x - y

    @staticmethod
    def backward(ctx, grad_output):
        needs_x, needs_y = ctx.needs_input_grad
        return grad_output if needs_x else None, -grad_output if needs_y else None


class Mul(Function):
    """x * y; d/dx = y, d/dy = x."""

    @staticmethod
    def forward(ctx, x, y):
        if ctx.needs_input_grad:  # (empty when nothing is recorded)
            needs_x, needs_y = ctx.needs_input_grad
            ctx.save_for_backward(x if needs_y else None, y if needs_x else None)  # each serves the other's grad
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
        needs_y = ctx.needs_input_grad[1] if ctx.needs_input_grad else False
        ctx.save_for_backward(x if needs_y else None, y)
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


class Pow(Function):
    """x ** y for tensors x and y; d/dx = y * x^(y-1), d/dy = x^y * log(x).

    Where a formula gives nan but the limit exists, PyTorch's gradient is 0: d/dx where y = 0
    (0 * x^-1 at x = 0), and d/dy where x = 0 and y >= 0 (0 * log 0).
    """

    @staticmethod
    def forward(ctx, x, y):
        result = x ** y if x.dtype.kind in backend.FLOATING_KINDS else _integer_power(backend.array_module(x), x, y)
        ctx.save_for_backward(x, y, result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        x, y, result = ctx.saved_tensors
        grad_x = grad_y = None
        if ctx.needs_input_grad[0]:
            grad_x = where(y == 0, 0.0, grad_output * y * x ** (y - 1))
        if ctx.needs_input_grad[1]:
            grad_y = where((x == 0) & (y >= 0), 0.0, grad_output * result * log(x))
        return grad_x, grad_y


def _integer_power(xp, x, y):
    """PyTorch's integer x ** y: a negative exponent gives 0, except for the bases 1 and -1."""
    power = x ** xp.abs(y)
    return xp.where((y < 0) & (xp.abs(x) != 1), 0, power)


class PowScalar(Function):
    """x ** n for a Python number n (x ** 2, the common case); d/dx = n * x^(n-1), and 0 when n = 0."""

    @staticmethod
    def forward(ctx, x, exponent):
        ctx.save_for_backward(x)
        ctx.exponent = exponent
        return x ** exponent

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        exponent = ctx.exponent
        if exponent == 0:
            return creation.zeros_like(grad_output), None
        if exponent == 2:  # the common square: two ops, not three (x ** 1 is x)
            return grad_output * (2 * x), None
        return grad_output * (exponent * x ** (exponent - 1)), None


class BinaryFunction(Function):
    """z = f(x, y) for the array function ``function`` a subclass gives, next to its backward;
    forward saves x and y for that backward."""

    function = None  # (xp, x, y) -> z, on arrays

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return ctx.function(backend.array_module(x), x, y)


class Remainder(BinaryFunction):
    """x mod y with the sign of y (Python's %): x - y * floor(x/y); d/dx = 1, d/dy = -floor(x/y)."""

    function = staticmethod(lambda xp, x, y: xp.remainder(x, y))
    rounding_mode = "floor"

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        return (grad_output if ctx.needs_input_grad[0] else None,
                -grad_output * div(x, y, rounding_mode=ctx.rounding_mode) if ctx.needs_input_grad[1] else None)


class Fmod(Remainder):
    """x mod y with the sign of x (C's fmod): x - y * trunc(x/y); d/dx = 1, d/dy = -trunc(x/y)."""

    function = staticmethod(lambda xp, x, y: xp.fmod(x, y))
    rounding_mode = "trunc"


class Maximum(BinaryFunction):
    """max(x, y); d/dx = 1 where x > y, d/dy = 1 where y > x, and each gets 1/2 on ties (as PyTorch)."""

    function = staticmethod(lambda xp, x, y: xp.maximum(x, y))
    x_wins = staticmethod(lambda x, y: x > y)

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        x_share = where(x == y, 0.5, ctx.x_wins(x, y).to(grad_output.dtype))
        needs_x, needs_y = ctx.needs_input_grad
        return grad_output * x_share if needs_x else None, grad_output * (1 - x_share) if needs_y else None


class Minimum(Maximum):
    """min(x, y); d/dx = 1 where x < y, d/dy = 1 where y < x, and each gets 1/2 on ties (as PyTorch)."""

    function = staticmethod(lambda xp, x, y: xp.minimum(x, y))
    x_wins = staticmethod(lambda x, y: x < y)


class Clamp(Function):
    """min(max(x, low), high), either bound optional; d/dx = 1 where low <= x <= high, else 0.

    Outside, the result is a bound, and the gradient goes to that bound (when it is a tensor):
    d/dlow = 1 where x < low, d/dhigh = 1 where x > high; if low > high the result is high.
    """

    @staticmethod
    def forward(ctx, x, low, high):
        ctx.save_for_backward(x, low, high)
        xp = backend.array_module(x)
        result = x if low is None else xp.maximum(x, low)
        return result if high is None else xp.minimum(result, high)

    @staticmethod
    def backward(ctx, grad_output):
        x, low, high = ctx.saved_tensors
        if high is None:
            inside, to_low, to_high = x >= low, x < low, None
        elif low is None:
            inside, to_low, to_high = x <= high, None, x > high
        else:
            inside = (x >= low) & (x <= high)
            to_low = (x < low) & (low < high)
            to_high = (x > high) | (high < low)
        return tuple(where(mask, grad_output, 0.0) if needed else None
                     for mask, needed in zip((inside, to_low, to_high), ctx.needs_input_grad))


class Where(Function):
    """condition ? x : y; d/dx = 1 where the condition holds, d/dy = 1 where it does not."""

    @staticmethod
    def forward(ctx, condition, x, y):
        ctx.save_for_backward(condition)
        return backend.array_module(x).where(condition, x, y)

    @staticmethod
    def backward(ctx, grad_output):
        condition, = ctx.saved_tensors
        return (None,
                where(condition, grad_output, 0.0) if ctx.needs_input_grad[1] else None,
                where(condition, 0.0, grad_output) if ctx.needs_input_grad[2] else None)


# ---------------------------------------------------------------------------------------------
# Math functions of one input: a table
# ---------------------------------------------------------------------------------------------

class UnaryFunction(Function):
    """y = f(x) for a function of the table below; dy/dx from the same row.

    A row writes the derivative from the input x or from the result y, whichever is simpler
    (exp' = y, log' = 1/x); only that tensor is saved for backward, as PyTorch does.
    """

    function = None                # (xp, x) -> y, on arrays
    derivative = None              # x or y -> dy/dx, in Tensor ops (so double backward works)
    derivative_from_result = False

    @staticmethod
    def forward(ctx, x):
        result = ctx.function(backend.array_module(x), x)
        ctx.save_for_backward(result if ctx.derivative_from_result else x)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        saved, = ctx.saved_tensors
        return grad_output * ctx.derivative(saved)


class Relu(UnaryFunction):
    """max(x, 0); d/dx = 1 where the result is positive, else 0 (0 at 0 too, as PyTorch).

    Its backward is one op, ``ReluGradient``, rather than the table's ``grad * derivative(y)``
    (two ops): relu sits in the backward of nearly every network, once per layer."""

    function = staticmethod(lambda xp, x: xp.maximum(x, 0))
    derivative_from_result = True

    @staticmethod
    def backward(ctx, grad_output):
        result, = ctx.saved_tensors
        return ReluGradient.apply(grad_output, result)


class ReluGradient(Function):
    """g where y > 0, else 0: relu's backward (PyTorch's threshold_backward); d/dg = the same mask,
    d/dy = 0 (zeros, not None, as PyTorch)."""

    @staticmethod
    def forward(ctx, grad, result):
        ctx.save_for_backward(result)
        return grad * (result > 0)

    @staticmethod
    def backward(ctx, grad_output):
        result, = ctx.saved_tensors
        needs_grad, needs_result = ctx.needs_input_grad
        return (ReluGradient.apply(grad_output, result) if needs_grad else None,
                creation.zeros_like(result) if needs_result else None)


def _unary(name, function=None, *, from_x=None, from_y=None, integers=False, primitive=None):
    """The public op ``name``: a UnaryFunction subclass (``Exp`` for "exp", or ``primitive`` when the
    row needs its own backward) applied to its input.

    Integer and bool inputs become the default float dtype, unless ``integers`` (abs, relu)
    keeps integers; then bool inputs raise, as in PyTorch.
    """
    if primitive is None:
        primitive = type(name.capitalize(), (UnaryFunction,), {
            "function": staticmethod(function),
            "derivative": staticmethod(from_y or from_x),
            "derivative_from_result": from_y is not None,
            "__module__": __name__,
        })

    def op(input):
        if not integers:
            input = _to_float(input)
        elif input._data.dtype == numpy.bool_:
            raise _not_implemented(name, input.dtype)
        return primitive.apply(input)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"{name}(input), elementwise, as ``torch.{name}``."
    return op


# xp is NumPy or CuPy. Each row: y = f(x) on arrays, then dy/dx written from x or from y.
exp = _unary("exp", lambda xp, x: xp.exp(x), from_y=lambda y: y)
expm1 = _unary("expm1", lambda xp, x: xp.expm1(x), from_y=lambda y: y + 1)
log = _unary("log", lambda xp, x: xp.log(x), from_x=lambda x: 1 / x)
log2 = _unary("log2", lambda xp, x: xp.log2(x), from_x=lambda x: 1 / (x * math.log(2)))
log10 = _unary("log10", lambda xp, x: xp.log10(x), from_x=lambda x: 1 / (x * math.log(10)))
log1p = _unary("log1p", lambda xp, x: xp.log1p(x), from_x=lambda x: 1 / (1 + x))
sqrt = _unary("sqrt", lambda xp, x: xp.sqrt(x), from_y=lambda y: 0.5 / y)
rsqrt = _unary("rsqrt", lambda xp, x: 1 / xp.sqrt(x), from_y=lambda y: -0.5 * y ** 3)
reciprocal = _unary("reciprocal", lambda xp, x: 1 / x, from_y=lambda y: -y * y)
sin = _unary("sin", lambda xp, x: xp.sin(x), from_x=lambda x: cos(x))
cos = _unary("cos", lambda xp, x: xp.cos(x), from_x=lambda x: -sin(x))
tan = _unary("tan", lambda xp, x: xp.tan(x), from_y=lambda y: 1 + y * y)
tanh = _unary("tanh", lambda xp, x: xp.tanh(x), from_y=lambda y: 1 - y * y)
sigmoid = _unary("sigmoid", lambda xp, x: 1 / (1 + xp.exp(-x)), from_y=lambda y: y * (1 - y))  # as PyTorch
relu = _unary("relu", primitive=Relu, integers=True)
abs = _unary("abs", lambda xp, x: xp.abs(x), from_x=lambda x: sign(x), integers=True)  # abs'(0) = sign(0) = 0


# ---------------------------------------------------------------------------------------------
# Piecewise-constant ops: rounding, comparisons, logic
# ---------------------------------------------------------------------------------------------

class PiecewiseConstant(Function):
    """An op that is flat between its jumps (floor, sign, x < y, x & y ...): d/dx = 0 wherever it exists.

    ``forward`` gets the function to run on the arrays. PyTorch gives such ops zero gradients
    (not none) when their result is floating point, and so do we; bool and integer results
    never join the graph at all.
    """

    @staticmethod
    def forward(ctx, function, *args):
        return function(backend.array_module(args[0]), *args)

    @staticmethod
    def backward(ctx, grad_output):
        zeros = creation.zeros_like(grad_output)
        return (None,) + tuple(zeros if needed else None for needed in ctx.needs_input_grad[1:])


def _sign(xp, x):
    """(x > 0) - (x < 0): 0 at NaN, as PyTorch's sign."""
    if x.dtype == numpy.bool_:
        return x.copy()
    return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)


def _divide_toward_zero(xp, x, y):
    """x / y rounded toward zero (C's integer division)."""
    if x.dtype.kind in backend.FLOATING_KINDS:
        return xp.trunc(x / y)
    quotient = x // y  # rounded down, so one too low where negative and inexact
    return quotient + ((quotient < 0) & (quotient * y != x))


_ROUNDED_DIVISION = {
    "floor": lambda xp, x, y: xp.floor_divide(x, y),
    "trunc": _divide_toward_zero,
}


def _rounding(name, function):
    """floor, ceil, trunc, round: integers are whole already (a copy comes back); bool raises, and so
    does rounding integers to decimal places, as in PyTorch."""
    def op(input, *args):
        if input._data.dtype.kind not in backend.FLOATING_KINDS:
            if input._data.dtype == numpy.bool_ or any(args):
                raise _not_implemented(f"{name}_cpu", input.dtype)
            return conversion.clone(input)
        return PiecewiseConstant.apply(function, input, *args)

    op.__name__ = op.__qualname__ = name
    return op


floor = _rounding("floor", lambda xp, x: xp.floor(x))
ceil = _rounding("ceil", lambda xp, x: xp.ceil(x))
trunc = _rounding("trunc", lambda xp, x: xp.trunc(x))
_round_half_to_even = _rounding("round", lambda xp, x, decimals: xp.round(x, decimals))


def _binary(name, function, *, promote=True, floats=True):
    """A public op of two tensors with a bool or integer result (==, logical_and, &, ...).

    ``promote`` brings both to one dtype first (comparisons compare as the promoted dtype);
    ``floats=False`` rejects floating-point operands, as PyTorch's bitwise kernels do.
    """
    def op(input, other):
        if promote:
            input, other = _promote(input, other)
        if not floats and input._data.dtype.kind in backend.FLOATING_KINDS:
            raise _not_implemented(f"{name}_cpu", input.dtype)
        return _apply(PiecewiseConstant, function, input, other)

    op.__name__ = op.__qualname__ = name
    return op


eq = _binary("eq", lambda xp, x, y: x == y)
ne = _binary("ne", lambda xp, x, y: x != y)
lt = _binary("lt", lambda xp, x, y: x < y)
le = _binary("le", lambda xp, x, y: x <= y)
gt = _binary("gt", lambda xp, x, y: x > y)
ge = _binary("ge", lambda xp, x, y: x >= y)
logical_and = _binary("logical_and", lambda xp, x, y: xp.logical_and(x, y), promote=False)
logical_or = _binary("logical_or", lambda xp, x, y: xp.logical_or(x, y), promote=False)
logical_xor = _binary("logical_xor", lambda xp, x, y: xp.logical_xor(x, y), promote=False)
bitwise_and = _binary("bitwise_and", lambda xp, x, y: x & y, floats=False)
bitwise_or = _binary("bitwise_or", lambda xp, x, y: x | y, floats=False)
bitwise_xor = _binary("bitwise_xor", lambda xp, x, y: x ^ y, floats=False)


# ---------------------------------------------------------------------------------------------
# The public API: PyTorch's names, signatures and result dtypes
# ---------------------------------------------------------------------------------------------

def add(input, other, *, alpha=1):
    """input + alpha * other, with type promotion."""
    input, other = _promote(input, other)
    return _apply(Add, input, other if alpha == 1 and type(alpha) is int else _times_alpha(other, alpha))


def sub(input, other, *, alpha=1):
    """input - alpha * other, with type promotion; bool operands raise, as in PyTorch."""
    if _is_bool(input) or _is_bool(other):
        if _is_bool(input) and _is_bool(other):
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
                               "`^` or `logical_xor()` operator instead.")
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
                           "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    input, other = _promote(input, other)
    return _apply(Sub, input, other if alpha == 1 and type(alpha) is int else _times_alpha(other, alpha))


def _times_alpha(other: Tensor, alpha):
    """``alpha * other`` for add and sub; alpha may not be of a higher category than other's dtype."""
    if isinstance(alpha, bool) and _array(other).dtype != numpy.bool_:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, float) and _array(other).dtype.kind not in backend.FLOATING_KINDS:
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
    return other if alpha == 1 else mul(other, alpha)


def mul(input, other):
    return _apply(Mul, *_promote(input, other))


def div(input, other, *, rounding_mode=None):
    """input / other: true division (integers give floats), or rounded with 'trunc' or 'floor'.

    Rounded division is piecewise constant, so its gradient is zero, as PyTorch's.
    """
    if rounding_mode is None:
        pair = _simple_pair(input, other)
        if pair is not None and _array(pair[0]).dtype.kind in backend.FLOATING_KINDS:  # already floating: no promotion to work out
            return _apply(Div, *pair)
        dtype = backend.float_dtype_for(backend.result_type(input, other))
        return _apply(Div, *_promote(input, other, dtype=dtype))
    if rounding_mode not in _ROUNDED_DIVISION:
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")
    input, other = _promote(input, other)
    if _array(input).dtype == numpy.bool_:
        raise _not_implemented(f"div_{rounding_mode}_cpu", backend.bool_)
    _check_integer_divisor(other)
    return _apply(PiecewiseConstant, _ROUNDED_DIVISION[rounding_mode], input, other)


def floor_divide(input, other):
    """input // other, rounded down (PyTorch defines no gradient for it; ours is zero, as div's)."""
    return div(input, other, rounding_mode="floor")


def remainder(input, other):
    """input % other with the sign of other, as Python's %."""
    input, other = _promote(input, other)
    _check_integer_divisor(other)
    return _apply(Remainder, input, other)


def fmod(input, other):
    """The remainder of input / other with the sign of input, as C's fmod."""
    input, other = _promote(input, other)
    _check_integer_divisor(other)
    return _apply(Fmod, input, other)


def _check_integer_divisor(other) -> None:
    """Integer division by zero raises in PyTorch (NumPy would warn and return 0)."""
    if _array(other).dtype.kind not in backend.FLOATING_KINDS and not _array(other).all():
        raise RuntimeError("ZeroDivisionError")


def pow(input, exponent):
    """input ** exponent, for a tensor and a number in either order, or two tensors."""
    if isinstance(input, Tensor) and not isinstance(exponent, Tensor):  # tensor ** number
        if isinstance(exponent, numpy.generic):
            exponent = exponent.item()  # a Python number, which NumPy does not let change x's dtype
        dtype = backend.result_type(input, exponent)
        if not dtype.is_floating_point and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return PowScalar.apply(input.to(dtype), exponent)
    input, exponent = _promote(input, exponent)
    if not isinstance(input, Tensor):  # number ** tensor: the base as a 0-d tensor beside the exponent
        input = Tensor._wrap(backend.array_module(exponent._data).asarray(input))
    if input._data.dtype == numpy.bool_:
        raise _not_implemented("pow", input.dtype)
    return _apply(Pow, input, exponent)


def neg(input):
    if input._data.dtype == numpy.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")
    return Neg.apply(input)


def square(input):
    """input * input: ``input ** 2``, as PyTorch computes it (so bool gives int64)."""
    return pow(input, 2)


def sign(input):
    """-1, 0 or 1 by the sign of each element (0 for NaN); its gradient is zero."""
    return PiecewiseConstant.apply(_sign, input)


def clamp(input, min=None, max=None):
    """Each element limited to [min, max]; the bounds are numbers or tensors, either may be None."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    input, min, max = _promote(input, min, max)
    if input._data.dtype == numpy.bool_:
        raise _not_implemented("clamp_cpu", input.dtype)
    return _apply(Clamp, input, min, max)


def maximum(input, other):
    return _apply(Maximum, *_promote(input, other))


def minimum(input, other):
    return _apply(Minimum, *_promote(input, other))


def where(condition, input=None, other=None):
    """input where condition holds, else other (each a tensor or a number); ``where(condition)`` is
    ``condition.nonzero(as_tuple=True)``."""
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if condition._data.dtype != numpy.bool_:
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{_type_name(condition.dtype)}")
    return _apply(Where, condition, *_promote(input, other))


def round(input, *, decimals=0):
    """Round half to even, at ``decimals`` decimal places (negative: tens, hundreds ...)."""
    return _round_half_to_even(input, decimals)


def isnan(input):
    return PiecewiseConstant.apply(lambda xp, x: xp.isnan(x), input)


def isinf(input):
    return PiecewiseConstant.apply(lambda xp, x: xp.isinf(x), input)


def isfinite(input):
    return PiecewiseConstant.apply(lambda xp, x: xp.isfinite(x), input)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol * |other|, elementwise; both must have one dtype, as in PyTorch."""
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"{_type_name(input.dtype)} did not match {_type_name(other.dtype)}")
    if input._data.dtype == numpy.bool_:
        return eq(input, other)
    return _apply(PiecewiseConstant, lambda xp, x, y: xp.isclose(x, y, rtol, atol, equal_nan), input, other)


def logical_not(input):
    return PiecewiseConstant.apply(lambda xp, x: xp.logical_not(x), input)


def bitwise_not(input):
    if input._data.dtype.kind in backend.FLOATING_KINDS:
        raise _not_implemented("bitwise_not_cpu", input.dtype)
    return PiecewiseConstant.apply(lambda xp, x: ~x, input)


# PyTorch's other names for the same ops.
subtract = sub
multiply = mul
divide = true_divide = div
negative = neg
absolute = abs
clip = clamp
