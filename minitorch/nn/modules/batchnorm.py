"""BatchNorm1d, BatchNorm2d, BatchNorm3d, and ``_NormBase``: the state they share with the instance norms.

A batch norm layer normalizes each channel with this batch's statistics while training and
keeps running estimates of them (buffers ``running_mean``, ``running_var`` and the number of
batches seen, ``num_batches_tracked``), which it uses instead in evaluation.
"""
from __future__ import annotations

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]

import minitorch
from minitorch.nn import functional as F
from minitorch.nn.modules.module import Module
from minitorch.nn.parameter import Parameter


class _NormBase(Module):
    """Per-channel affine parameters and running statistics (``torch.nn.modules.batchnorm._NormBase``)."""

    _version = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(minitorch.empty(num_features, **factory_kwargs))
            if bias:
                self.bias = Parameter(minitorch.empty(num_features, **factory_kwargs))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", minitorch.zeros(num_features, **factory_kwargs))
            self.register_buffer("running_var", minitorch.ones(num_features, **factory_kwargs))
            self.register_buffer("num_batches_tracked", minitorch.tensor(0, dtype=minitorch.long, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            with minitorch.no_grad():
                self.weight.fill_(1)
                if self.bias is not None:
                    self.bias.zero_()

    _input_dims = ()  # the numbers of dimensions an input may have (set by each layer)

    def _check_input_dim(self, input) -> None:
        if input.dim() not in self._input_dims:
            expected = " or ".join(f"{dims}D" for dims in self._input_dims)
            raise ValueError(f"expected {expected} input (got {input.dim()}D input)")

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    def forward(self, input):
        self._check_input_dim(input)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # a cumulative moving average: every batch so far weighs the same
                momentum = 1.0 / float(self.num_batches_tracked)
        # Batch statistics while training, and in evaluation too when there are no running ones.
        use_batch_stats = self.training or self.running_mean is None
        # Running statistics are passed only to be updated (training and tracking) or used (evaluation).
        use_running = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if use_running else None,
                            self.running_var if use_running else None, self.weight, self.bias, use_batch_stats,
                            momentum, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalization over a (N, C) or (N, C, L) input."""

    _input_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization over a (N, C, H, W) input."""

    _input_dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalization over a (N, C, D, H, W) input."""

    _input_dims = (5,)
