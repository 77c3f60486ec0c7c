"""LayerNorm, GroupNorm, LocalResponseNorm: normalizations that need no running statistics."""
from __future__ import annotations

__all__ = ["LayerNorm", "GroupNorm", "LocalResponseNorm"]

import numbers

import minitorch
from minitorch.nn import functional as F
from minitorch.nn.modules.module import Module
from minitorch.nn.parameter import Parameter


def _affine_parameters(module: Module, shape, affine: bool, bias: bool, factory_kwargs) -> None:
    """Register ``weight`` (ones) and ``bias`` (zeros) of ``shape``, or None in their place."""
    module.register_parameter("weight", Parameter(minitorch.ones(shape, **factory_kwargs)) if affine else None)
    module.register_parameter("bias", Parameter(minitorch.zeros(shape, **factory_kwargs)) if affine and bias
                              else None)


def _reset_affine(module: Module) -> None:
    with minitorch.no_grad():
        if module.weight is not None:
            module.weight.fill_(1)
        if module.bias is not None:
            module.bias.zero_()


class LayerNorm(Module):
    """Normalize over the trailing ``normalized_shape`` axes of each sample, with an elementwise affine."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 device=None, dtype=None) -> None:
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _affine_parameters(self, self.normalized_shape, elementwise_affine, bias, {"device": device, "dtype": dtype})

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalize each of ``num_groups`` groups of channels of each sample; per-channel affine."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _affine_parameters(self, num_channels, affine, bias, {"device": device, "dtype": dtype})

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class LocalResponseNorm(Module):
    """Divide by a power of the mean square over neighbouring channels (AlexNet's normalization)."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
