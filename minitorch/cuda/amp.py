"""``minitorch.cuda.amp``: the CUDA spellings of ``autocast`` and ``GradScaler`` (``torch.cuda.amp``).

``minitorch.cuda.amp.autocast(...)`` is ``minitorch.amp.autocast('cuda', ...)`` and
``minitorch.cuda.amp.GradScaler(...)`` is ``minitorch.amp.GradScaler('cuda', ...)``;
PyTorch deprecates these spellings in favour of ``torch.amp`` but programs still use them.
"""
from __future__ import annotations

from minitorch import backend
from minitorch.amp import autocast_mode, grad_scaler


class autocast(autocast_mode.autocast):
    """``autocast`` on ``cuda``: float16 by default."""

    def __init__(self, enabled: bool = True, dtype: backend.dtype = backend.float16, cache_enabled: bool = True):
        super().__init__("cuda", enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)


class GradScaler(grad_scaler.GradScaler):
    """``GradScaler`` for ``cuda``."""

    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True):
        super().__init__("cuda", init_scale=init_scale, growth_factor=growth_factor, backoff_factor=backoff_factor,
                         growth_interval=growth_interval, enabled=enabled)
