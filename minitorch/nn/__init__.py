"""``minitorch.nn``: Module, layers, ``functional``, ``init`` and ``utils``, as ``torch.nn``.

Layers are written only with the public API and ``nn.functional``; the
differentiable primitives they need (convolution, pooling, normalization,
recurrent cells, losses) live in ``minitorch/ops/`` beside the others.
"""
from minitorch.nn.parameter import Parameter  # noqa: F401
from minitorch.nn.modules import *  # noqa: F401,F403
from minitorch.nn import functional, init, parallel, utils  # noqa: F401
from minitorch.nn.parallel import DataParallel  # noqa: F401
