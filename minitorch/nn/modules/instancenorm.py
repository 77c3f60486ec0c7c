"""InstanceNorm1d, InstanceNorm2d, InstanceNorm3d: each channel of each sample normalized over its own
spatial axes. They share BatchNorm's state (``_NormBase``) but by default keep no running statistics
and have no affine parameters."""
from __future__ import annotations

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]

import warnings

from minitorch.nn import functional as F
from minitorch.nn.modules.batchnorm import _NormBase


class _InstanceNorm(_NormBase):
    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = False,
                 track_running_stats: bool = False, device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def forward(self, input):
        self._check_input_dim(input)
        unbatched = input.dim() == self._input_dims[0]  # (C, *): no batch axis
        feature_dim = 0 if unbatched else 1
        if input.size(feature_dim) != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match num_features "
                                 f"({self.num_features}), but got: {input.size(feature_dim)}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. You can silence this "
                          "warning by not passing in num_features, which is not used because affine=False",
                          stacklevel=2)
        batched = input.unsqueeze(0) if unbatched else input
        output = F.instance_norm(batched, self.running_mean, self.running_var, self.weight, self.bias,
                                 self.training or not self.track_running_stats,
                                 self.momentum if self.momentum is not None else 0.0, self.eps)
        return output.squeeze(0) if unbatched else output


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization over a (N, C, L) or (C, L) input."""

    _input_dims = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization over a (N, C, H, W) or (C, H, W) input."""

    _input_dims = (3, 4)


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization over a (N, C, D, H, W) or (C, D, H, W) input."""

    _input_dims = (4, 5)
