"""``minitorch.nn.functional``: every layer as a function, with PyTorch's names and signatures.

The functions live in ``minitorch/ops/`` by family; this module gathers them.
"""
from minitorch.ops.elementwise import sigmoid, tanh  # noqa: F401
from minitorch.ops.activation import *  # noqa: F401,F403
from minitorch.ops.dropout import *  # noqa: F401,F403
from minitorch.ops.linear import *  # noqa: F401,F403
from minitorch.ops.embedding import *  # noqa: F401,F403
from minitorch.ops.normalization import *  # noqa: F401,F403
from minitorch.ops.conv import *  # noqa: F401,F403
from minitorch.ops.pooling import *  # noqa: F401,F403
from minitorch.ops.loss import *  # noqa: F401,F403
from minitorch.ops.distance import *  # noqa: F401,F403
from minitorch.ops.recurrent import *  # noqa: F401,F403
from minitorch.ops.attention import *  # noqa: F401,F403
