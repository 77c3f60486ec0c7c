"""Dropout and its variants, as ``torch.nn.functional``'s.

Each is a composite: draw a keep-mask from the default generator (1 with probability 1 - p),
scale it, and multiply. The mask is a constant of the graph, so the gradient is the same mask
times the upstream gradient, with no primitive of its own. The masks are not PyTorch's (the
generators differ), but their distribution is.

- ``dropout`` masks each element and scales the kept ones by 1/(1-p), so the mean is unchanged;
- ``dropout1d/2d/3d`` (``feature_dropout``) mask whole channels: one draw per (sample, channel);
- ``alpha_dropout`` (for SELU networks) sets dropped elements to SELU's negative saturation value
  and applies an affine map that keeps mean 0 and variance 1.
"""
from __future__ import annotations

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]

import math
import warnings

from minitorch import creation
from minitorch.tensor import Tensor, _type_name

# -SELU's scale * alpha: where a SELU's output saturates for very negative inputs
_SELU_SATURATION = 1.7580993408473766


def _check_probability(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(input: Tensor, p: float, per_channel: bool) -> Tensor:
    """1 with probability 1 - p, else 0, in ``input``'s dtype: one per element, or one per (sample, channel)."""
    if per_channel:
        if input.ndim < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    else:
        shape = tuple(input.shape)
    return creation.bernoulli(creation.full(shape, 1 - p, dtype=input.dtype, device=input.device))


def _apply_noise(input: Tensor, p: float, training: bool, inplace: bool, per_channel: bool, alpha: bool):
    """PyTorch's ``_dropout_impl``: input * noise (+ shift), the input itself when nothing is dropped."""
    _check_probability(p)
    if p == 0 or not training or input.numel() == 0:
        return input
    if not input.is_floating_point():
        raise RuntimeError(f"result type Float can't be cast to the desired output type {_type_name(input.dtype)}")
    if p == 1:  # 1/(1-p) would be inf, and 0 * inf nan
        noise, shift = creation.zeros_like(input), None
    else:
        keep = _keep_mask(input, p, per_channel)
        if alpha:
            # kept: a * x + a*alpha*p; dropped: -a*alpha + a*alpha*p, with a making the variance 1
            a = 1 / math.sqrt((_SELU_SATURATION ** 2 * p + 1) * (1 - p))
            noise, shift = keep * a, (keep - 1) * (_SELU_SATURATION * a) + _SELU_SATURATION * a * p
        else:
            noise, shift = keep / (1 - p), None
    if inplace:
        input.mul_(noise)
        return input if shift is None else input.add_(shift)
    result = input * noise
    return result if shift is None else result + shift


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p); identity when not training."""
    return _apply_noise(input, p, training, inplace, per_channel=False, alpha=False)


def _channel_dropout(input, p, training, inplace, batched: bool):
    """Feature dropout on ``input``, which gets a batch dimension of 1 for the draw when it has none."""
    if batched:
        return _apply_noise(input, p, training, inplace, per_channel=True, alpha=False)
    result = _apply_noise(input.unsqueeze(0), p, training, inplace, per_channel=True, alpha=False)
    if inplace:
        return input  # the unsqueezed view wrote into it
    return result.squeeze(0)


def _warn_deprecated_dims(name: str, ndim: int, spatial: int) -> None:
    if ndim not in (spatial + 1, spatial + 2):
        dims = {2: "2 spatial dimensions", 3: "3 spatial dimensions"}[spatial]
        warnings.warn(f"{name}: Received a {ndim}-D input to {name}, which is deprecated and will result in an "
                      "error in a future release. To retain the behavior and silence this warning, please use "
                      f"dropout instead. Note that {name} exists to provide channel-wise dropout on inputs with "
                      f"{dims}, a channel dimension, and an optional batch dimension (i.e. {spatial + 1}D or "
                      f"{spatial + 2}D inputs).", stacklevel=3)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of an (N, C, L) or (C, L) input with probability ``p``; scale the rest by 1/(1-p)."""
    _check_probability(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _channel_dropout(input, p, training, inplace, batched=input.ndim == 3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of an (N, C, H, W) input with probability ``p``.

    A 3-D input is read as (N, C, L), as PyTorch still does (with its warning).
    """
    _check_probability(p)
    _warn_deprecated_dims("dropout2d", input.ndim, spatial=2)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel "
                      "dim. This behavior will change in a future release to interpret the input as one without "
                      "a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout "
                      "behavior, please switch to using dropout1d instead.", stacklevel=2)
    return _channel_dropout(input, p, training, inplace, batched=True)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of an (N, C, D, H, W) or (C, D, H, W) input with probability ``p``."""
    _check_probability(p)
    _warn_deprecated_dims("dropout3d", input.ndim, spatial=3)
    return _channel_dropout(input, p, training, inplace, batched=input.ndim == 5)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: dropped elements take SELU's saturation value, mean and variance kept."""
    return _apply_noise(input, p, training, inplace, per_channel=False, alpha=True)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """``alpha_dropout`` of whole channels."""
    return _apply_noise(input, p, training, inplace, per_channel=True, alpha=True)
