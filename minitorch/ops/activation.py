"""Activation functions beyond the elementwise basics, as ``torch.nn.functional``'s.

Most are composites of existing ops: ``prelu`` is a ``where``, ``silu`` is ``x * sigmoid(x)``,
``hardswish`` is ``x * hardsigmoid(x)``; their gradients, kinks included, come out as PyTorch's.
A few are primitives, each for a reason given in its docstring:

- ``Erf``: NumPy has no erf; ours is vectorised and accurate to a few float64 ulps (below);
- ``Gelu``: the transformer's activation, one node instead of five;
- ``LeakyRelu``: the GAN discriminator's activation, one node and a one-op backward instead of a
  ``where`` of three ops with a two-sided backward;
- ``Softplus``, ``LogSigmoid``: ``log(1 + exp(x))`` overflows for large x, so they are computed
  in a stable form;
- ``Elu`` (elu, selu, celu): ``expm1`` for accuracy near 0, and a backward that never computes
  ``exp`` of a large positive input (whose inf would turn into nan under ``where``);
- ``Hardtanh`` (relu6, hardsigmoid): ``clamp``'s gradient is 1 at the bounds, PyTorch's hardtanh's is 0.

Every backward is written with Tensor ops, so each has a second derivative.
"""
from __future__ import annotations

__all__ = [
    "erf", "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "prelu", "elu", "elu_", "selu", "celu", "gelu",
    "silu", "mish", "hardtanh", "hardtanh_", "hardsigmoid", "hardswish", "softplus", "softsign", "logsigmoid",
    "softmax", "log_softmax", "softmin", "threshold", "threshold_", "glu", "tanhshrink", "softshrink", "hardshrink",
]

import math

import numpy

from minitorch import backend, creation
from minitorch.autograd.function import Function
from minitorch.ops import elementwise
from minitorch.ops.elementwise import exp, sigmoid, tanh, where
import warnings

from minitorch.ops import reduction
from minitorch.tensor import Tensor, _type_name
from minitorch.ops.autocast import autocast_op


# ---------------------------------------------------------------------------------------------
# erf: Chebyshev fits to the standard library's erf, made once at import
# ---------------------------------------------------------------------------------------------
#
# math.erf is exact to an ulp but works on one Python float at a time. We interpolate it once,
# at import, at Chebyshev nodes (a few dozen calls), and evaluate those polynomials on whole arrays:
#   |x| < 1:      erf(x)  = x * P(x^2),            P interpolating erf(x)/x in u = x^2 on [0, 1]
#   1 <= |x| < 6: erfc(x) = exp(-x^2) / x * Q(1/x), Q interpolating x * exp(x^2) * erfc(x) in 1/x
#   |x| >= 6:     erf(x)  = sign(x) (erfc(6) ~ 2e-17 is below float64's resolution at 1)
# Both are smooth on their intervals, so degrees 14 and 24 reach float64 accuracy (a few ulps,
# checked against torch.erf in the tests).

_ERF_CUTOFF = 6.0


def _chebyshev_interpolant(function, low: float, high: float, degree: int):
    """Chebyshev coefficients of the polynomial of ``degree`` interpolating ``function`` on [low, high]."""
    nodes = numpy.cos(numpy.pi * (numpy.arange(degree + 1) + 0.5) / (degree + 1))
    values = [function(low + (high - low) * (node + 1) / 2) for node in nodes]
    return numpy.polynomial.chebyshev.chebfit(nodes, values, degree)


def _clenshaw(xp, coefficients, t):
    """sum_k coefficients[k] * T_k(t) for an array t in [-1, 1], by Clenshaw's stable recurrence
    b_k = c_k + 2t b_(k+1) - b_(k+2), in place on three buffers (this loop is erf's whole cost)."""
    twice_t = 2 * t
    b1, b2, step = xp.full_like(t, coefficients[-1]), xp.zeros_like(t), xp.empty_like(t)
    for coefficient in coefficients[-2:0:-1]:
        xp.multiply(twice_t, b1, out=step)
        step -= b2
        step += coefficient
        b2, b1, step = b1, step, b2
    return coefficients[0] + t * b1 - b2


_ERF_NEAR_ZERO = _chebyshev_interpolant(
    lambda u: math.erf(math.sqrt(u)) / math.sqrt(u) if u > 0 else 2 / math.sqrt(math.pi), 0.0, 1.0, 14)
_ERFC_TAIL = _chebyshev_interpolant(
    lambda t: math.erfc(1 / t) * math.exp(1 / t ** 2) / t, 1 / _ERF_CUTOFF, 1.0, 24)


def _erf(xp, x):
    """erf of an array, computed in float64 and returned in x's dtype."""
    x64 = x.astype(numpy.float64)
    magnitude = xp.abs(x64)
    result = xp.empty_like(x64)
    near = magnitude < 1
    x_near = x64[near]
    result[near] = x_near * _clenshaw(xp, _ERF_NEAR_ZERO, 2 * x_near * x_near - 1)
    far = ~near  # NaN lands here too, and stays NaN
    x_far = xp.minimum(magnitude[far], _ERF_CUTOFF)
    t = 1 / x_far
    erfc = xp.exp(-x_far * x_far) * t * _clenshaw(xp, _ERFC_TAIL, (t - 1 / _ERF_CUTOFF) / (1 - 1 / _ERF_CUTOFF) * 2 - 1)
    result[far] = xp.copysign(1 - erfc, x64[far])
    return result.astype(x.dtype, copy=False)


class Erf(Function):
    """erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt; d/dx = 2/sqrt(pi) * exp(-x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _erf(backend.array_module(x), x)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * (2 / math.sqrt(math.pi)) * exp(-x * x)


def erf(input: Tensor) -> Tensor:
    """The error function, elementwise, as ``torch.erf`` (integers become the default float dtype)."""
    return Erf.apply(elementwise._to_float(input))


# ---------------------------------------------------------------------------------------------
# Primitives
# ---------------------------------------------------------------------------------------------

_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_TANH_CUBIC = 0.044715


class Gelu(Function):
    """x * Phi(x), Phi the standard normal CDF (or its tanh approximation); d/dx = Phi(x) + x * phi(x).

    A primitive because it is the hot activation of transformers: one node, not five.
    """

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        xp = backend.array_module(x)
        if approximate == "tanh":
            return backend.in_dtype_of(x, 0.5 * x * (1 + xp.tanh(_SQRT_2_OVER_PI * (x + _TANH_CUBIC * x * x * x))))
        return backend.in_dtype_of(x, 0.5 * x * (1 + _erf(xp, x * (1 / math.sqrt(2)))))

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        if ctx.approximate == "tanh":
            inner = tanh(_SQRT_2_OVER_PI * (x + _TANH_CUBIC * x * x * x))
            slope = _SQRT_2_OVER_PI * (1 + 3 * _TANH_CUBIC * x * x)
            return grad_output * (0.5 * (1 + inner) + 0.5 * x * (1 - inner * inner) * slope), None
        cdf = 0.5 * (1 + erf(x * (1 / math.sqrt(2))))
        pdf = exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
        return grad_output * (cdf + x * pdf), None


class LeakyRelu(Function):
    """x where x > 0, negative_slope * x elsewhere; d/dx = 1 where x > 0, else negative_slope (at 0 too,
    as PyTorch)."""

    @staticmethod
    def forward(ctx, x, negative_slope):
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        return backend.in_dtype_of(x, backend.array_module(x).where(x > 0, x, x * negative_slope))

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return LeakyReluGradient.apply(grad_output, x, ctx.negative_slope), None


class LeakyReluGradient(Function):
    """g where x > 0, else negative_slope * g: leaky_relu's backward (PyTorch's leaky_relu_backward);
    d/dg = the same map, d/dx = 0 (zeros, as PyTorch)."""

    @staticmethod
    def forward(ctx, grad, x, negative_slope):
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        return backend.array_module(x).where(x > 0, grad, grad * negative_slope)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        needs_grad, needs_x, _ = ctx.needs_input_grad
        return (LeakyReluGradient.apply(grad_output, x, ctx.negative_slope) if needs_grad else None,
                creation.zeros_like(x) if needs_x else None, None)


class Softplus(Function):
    """log(1 + exp(beta x)) / beta, and x where beta x > threshold; d/dx = sigmoid(beta x), and 1 there.

    A primitive for numerics: computed as max(z, 0) + log1p(exp(-|z|)), which never overflows.
    """

    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.save_for_backward(x)
        ctx.beta, ctx.threshold = beta, threshold
        xp = backend.array_module(x)
        z = x * beta
        smooth = (xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))) / beta
        return xp.where(z > threshold, x, smooth).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        z = x * ctx.beta
        return where(z > ctx.threshold, grad_output, grad_output * sigmoid(z)), None, None


class LogSigmoid(Function):
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)); d/dx = sigmoid(-x).

    A primitive for numerics: log(sigmoid(x)) is -inf once sigmoid(x) underflows (x < -745).
    """

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        xp = backend.array_module(x)
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * sigmoid(-x)


class Elu(Function):
    """scale * x for x > 0, scale * alpha * (exp(input_scale * x) - 1) otherwise (PyTorch's one kernel
    for elu, selu and celu); d/dx = scale, or scale * alpha * input_scale * exp(input_scale * x).

    A primitive for numerics: expm1 near 0, and exp only ever of non-positive numbers (so no inf
    in a branch that ``where`` discards, which would turn a gradient into nan).
    """

    @staticmethod
    def forward(ctx, x, alpha, scale, input_scale):
        ctx.save_for_backward(x)
        ctx.constants = alpha, scale, input_scale
        xp = backend.array_module(x)
        negative = (scale * alpha) * xp.expm1(xp.minimum(x, 0) * input_scale)
        return xp.where(x > 0, x * scale, negative).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        alpha, scale, input_scale = ctx.constants
        negative_slope = (scale * alpha * input_scale) * exp(x.clamp(max=0) * input_scale)
        return where(x > 0, grad_output * scale, grad_output * negative_slope), None, None, None


class Hardtanh(Function):
    """min(max(x, low), high); d/dx = 1 strictly between the bounds, 0 elsewhere (bounds included, as PyTorch)."""

    @staticmethod
    def forward(ctx, x, low, high):
        ctx.save_for_backward(x)
        ctx.low, ctx.high = low, high
        return backend.in_dtype_of(x, backend.array_module(x).clip(x, low, high))

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return where((x > ctx.low) & (x < ctx.high), grad_output, 0.0), None, None


# ---------------------------------------------------------------------------------------------
# The functions, with PyTorch's signatures
# ---------------------------------------------------------------------------------------------

def _result(input: Tensor, result: Tensor, inplace: bool) -> Tensor:
    """``result``, or, for ``inplace=True``, ``input`` overwritten with it."""
    return input._inplace(result) if inplace else result


def _check_floating(input: Tensor, kernel: str) -> None:
    if not input.is_floating_point():
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(input.dtype)}'")


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return _result(input, elementwise.relu(input), inplace)


def relu_(input: Tensor) -> Tensor:
    return relu(input, inplace=True)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _result(input, Hardtanh.apply(input, *elementwise._promote(min_val, max_val, dtype=input.dtype)),
                   inplace)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6): hardtanh(x, 0, 6), with its zero gradient at 0 and 6."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope * x otherwise (so the gradient at 0 is negative_slope, as PyTorch)."""
    _check_floating(input, "leaky_relu_cpu")
    return _result(input, LeakyRelu.apply(input, negative_slope), inplace)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


@autocast_op
def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """leaky_relu with a learned slope: one for all channels, or one per channel (dim 1 of input)."""
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}")
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                           f"{weight.numel()} and channel size = {channels}.")
    if weight.numel() != 1:
        weight = weight.reshape((channels,) + (1,) * (input.ndim - 2))  # broadcast along dim 1
    elif input.ndim == 0:
        weight = weight.reshape(())
    return where(input > 0, input, weight * input)


def _elu(input, alpha, scale, input_scale, inplace):
    _check_floating(input, "elu")
    return _result(input, Elu.apply(input, alpha, scale, input_scale), inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _elu(input, alpha, 1.0, 1.0, inplace)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants of Klambauer et al. (2017)."""
    return _elu(input, _SELU_ALPHA, _SELU_SCALE, 1.0, inplace)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _elu(input, alpha, 1.0, 1 / alpha, inplace)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), or with ``approximate='tanh'`` 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _check_floating(input, "GeluKernelImpl")
    return Gelu.apply(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    return _result(input, input * sigmoid(input), inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    source = input.clone() if inplace else input  # the in-place write must not overwrite what softplus saved
    return _result(input, source * tanh(softplus(source)), inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6: 0 below -3, 1 above 3, linear between (gradient 0 at -3 and 3, as PyTorch)."""
    return _result(input, hardtanh(input + 3, 0.0, 6.0) / 6, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * hardsigmoid(x)."""
    return _result(input, input * hardsigmoid(input), inplace)


@autocast_op
def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    _check_floating(input, "softplus_cpu")
    return Softplus.apply(input, beta, threshold)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return input / (1 + input.abs())


def logsigmoid(input: Tensor) -> Tensor:
    _check_floating(input, "log_sigmoid_forward_cpu")
    return LogSigmoid.apply(input)


def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    """PyTorch's legacy choice of dim when a softmax is called without one (with its warning)."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


@autocast_op
def softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim`` (``dim=None``: PyTorch's legacy choice, with a warning)."""
    if dim is None:
        dim = _softmax_dim("softmax", input.dim(), _stacklevel)
    return reduction.softmax(input, dim, dtype=dtype)


@autocast_op
def log_softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """log(softmax(x)) along ``dim``, computed stably (``dim=None``: PyTorch's legacy choice)."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim(), _stacklevel)
    return reduction.log_softmax(input, dim, dtype=dtype)


def softmin(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-input) along ``dim``."""
    if dim is None:
        dim = _softmax_dim("softmin", input.dim(), _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return reduction.softmax(-input, dim)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else value."""
    return _result(input, where(input > threshold, input, value), inplace)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return globals()["threshold"](input, threshold, value, inplace=True)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), where a and b are the two halves of ``input`` along ``dim``."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    size = input.shape[dim]
    if size % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % input.ndim} is size {size}")
    a, b = input.chunk(2, dim)
    return a * sigmoid(b)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    return input - tanh(input)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    if lambd < 0:
        largest = numpy.finfo(input._data.dtype).max if input.is_floating_point() else numpy.iinfo(numpy.int64).max
        raise RuntimeError(f"lambda must be in range [0, {largest:g}] for input dtype {_type_name(input.dtype)}, "
                           f"but found {lambd:g}")
    return where(input > lambd, input - lambd, where(input < -lambd, input + lambd, 0.0))


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    return where(input.abs() > lambd, input, 0.0)
