"""``minitorch.amp``: automatic mixed precision (``torch.amp``): ``autocast`` and ``GradScaler``.

``autocast`` runs matmul, linear, convolution and attention in float16 or
bfloat16 and keeps losses (and, on CUDA, softmax, sums and norms) in float32;
``GradScaler`` keeps small float16 gradients from underflowing.
"""
from minitorch.amp.autocast_mode import autocast
from minitorch.amp.grad_scaler import GradScaler, OptState
from minitorch.ops.autocast import is_autocast_available

__all__ = ["autocast", "GradScaler", "OptState", "is_autocast_available"]

import minitorch.cuda.amp  # noqa: E402,F401  (torch.cuda.amp, as the seeds write it; minitorch.cuda cannot import amp)
