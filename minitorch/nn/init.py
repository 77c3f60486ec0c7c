"""``minitorch.nn.init``: initialising weights in place, with PyTorch's distributions.

Each function fills its tensor under ``no_grad`` (an initialisation is not part of
any graph) and returns it. The draws come from minitorch's generator (pass
``generator=`` for a private stream), so the numbers differ from PyTorch's for the
same seed; the distributions, bounds and scales are PyTorch's.

The scale rules: Xavier/Glorot keeps the variance of activations and gradients
equal across a layer, ``std = gain * sqrt(2 / (fan_in + fan_out))``; Kaiming/He
keeps one of them, ``std = gain / sqrt(fan)``. A uniform draw on ``[-bound, bound]``
with ``bound = sqrt(3) * std`` has that standard deviation.
"""
from __future__ import annotations

import math
import warnings

import minitorch
from minitorch import backend
from minitorch.backend import float64
from minitorch.autograd.grad_mode import no_grad
from minitorch.creation import arange, eye
from minitorch.tensor import Tensor

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
]

_LINEAR_FUNCTIONS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                     "conv_transpose3d")


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The factor that keeps activations' variance through ``nonlinearity`` (PyTorch's table)."""
    if nonlinearity in _LINEAR_FUNCTIONS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4  # chosen empirically by PyTorch, to keep the gradients' scale
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor):
    """(fan_in, fan_out) of a weight laid out (out_features, in_features, *kernel)."""
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive_field_size = math.prod(tensor.shape[2:])
    return tensor.size(1) * receptive_field_size, tensor.size(0) * receptive_field_size


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with draws from U(a, b)."""
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with draws from N(mean, std²)."""
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator=None) -> Tensor:
    """Fill with draws from N(mean, std²) truncated to [a, b] (bounds in absolute units, not stds).

    By inverting the normal CDF, as PyTorch does: a uniform draw between the CDF's values at
    ``a`` and ``b`` is mapped back through the inverse CDF, so every draw lands in [a, b].
    """
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of values "
                      "may be incorrect.", stacklevel=2)
    low, high = _normal_cdf((a - mean) / std), _normal_cdf((b - mean) / std)
    with no_grad():
        uniform = tensor.new_empty(tensor.shape, dtype=float64).uniform_(low, high, generator=generator)
        return tensor.copy_((_normal_quantile(uniform) * std + mean).clamp(min=a, max=b))


def _normal_cdf(x: float) -> float:
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


# Acklam's rational approximation of the standard normal quantile (relative error below 1.2e-9):
# one rational function for the centre, another for the tails.
_CENTRE_NUMERATOR = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
                     -3.066479806614716e+01, 2.506628277459239e+00)
_CENTRE_DENOMINATOR = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
                       -1.328068155288572e+01, 1.0)
_TAIL_NUMERATOR = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
                   4.374664141464968e+00, 2.938163982698783e+00)
_TAIL_DENOMINATOR = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00, 1.0)
_TAIL = 0.02425  # below this probability (or above 1 - it) the tail formula is used


def _polynomial(coefficients, x):
    result = x * 0 + coefficients[0]
    for coefficient in coefficients[1:]:
        result = result * x + coefficient
    return result


def _normal_quantile(p: Tensor) -> Tensor:
    """Φ⁻¹(p) elementwise: the x at which the standard normal CDF is p."""
    p = p.clamp(min=1e-300, max=1 - 1e-16)
    centred = p - 0.5
    squared = centred * centred
    centre = centred * _polynomial(_CENTRE_NUMERATOR, squared) / _polynomial(_CENTRE_DENOMINATOR, squared)
    # the tail formula is for the lower tail; the upper one is its mirror image
    tail_depth = (-2 * minitorch.minimum(p, 1 - p).log()).sqrt()
    tail = _polynomial(_TAIL_NUMERATOR, tail_depth) / _polynomial(_TAIL_DENOMINATOR, tail_depth)
    tail = minitorch.where(p < 0.5, tail, -tail)
    return minitorch.where((p < _TAIL) | (p > 1 - _TAIL), tail, centre)


def constant_(tensor: Tensor, val: float) -> Tensor:
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def eye_(tensor: Tensor) -> Tensor:
    """The identity matrix (a 2-D tensor only): a linear layer that passes its input through."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    with no_grad():
        return tensor.copy_(eye(*tensor.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """The Dirac delta (3-, 4- or 5-D convolution weights): a convolution that passes its input
    channels through, within each of ``groups``."""
    dimensions = tensor.dim()
    if dimensions not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.shape
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_channels_per_group = sizes[0] // groups
    min_dim = min(out_channels_per_group, sizes[1])
    channels = arange(min_dim)
    output_channels = (arange(groups).unsqueeze(1) * out_channels_per_group + channels).flatten()
    input_channels = channels.repeat(groups)
    centres = tuple(size // 2 for size in sizes[2:])
    with no_grad():
        tensor.zero_()
        tensor[(output_channels, input_channels) + centres] = 1
    return tensor


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """U(-bound, bound), ``bound = gain * sqrt(6 / (fan_in + fan_out))`` (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """N(0, std²), ``std = gain * sqrt(2 / (fan_in + fan_out))`` (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    return calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator=None) -> Tensor:
    """U(-bound, bound), ``bound = sqrt(3) * gain / sqrt(fan)`` (He et al., 2015). Linear and Conv
    weights use ``a=sqrt(5)``: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator=None) -> Tensor:
    """N(0, std²), ``std = gain / sqrt(fan)`` (He et al., 2015)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def orthogonal_(tensor: Tensor, gain: float = 1, generator=None) -> Tensor:
    """A (semi-)orthogonal matrix, times ``gain`` (Saxe et al., 2013): the Q of a Gaussian matrix's
    QR decomposition, with signs fixed so that it is uniformly distributed. Dims after the first
    are flattened."""
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.size(0)
    columns = tensor.numel() // rows
    with no_grad():
        flattened = tensor.new_empty((rows, columns)).normal_(0, 1, generator=generator)
        if rows < columns:
            flattened = flattened.t()
        # QR is not an op of ours (nothing differentiates through an initialisation): the array module's
        xp = backend.array_module(flattened._data)
        q, r = xp.linalg.qr(flattened._data)
        q = Tensor._wrap(q) * Tensor._wrap(xp.sign(xp.diagonal(r)))
        if rows < columns:
            q = q.t()
        tensor.copy_(q.reshape(tensor.shape) * gain)
    return tensor
