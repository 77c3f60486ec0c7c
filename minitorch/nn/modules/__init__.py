"""The layers; each file lists its classes in ``__all__``."""
from minitorch.nn.modules.module import *  # noqa: F401,F403
from minitorch.nn.modules.container import *  # noqa: F401,F403
from minitorch.nn.modules.flatten import *  # noqa: F401,F403
from minitorch.nn.modules.linear import *  # noqa: F401,F403
from minitorch.nn.modules.sparse import *  # noqa: F401,F403
from minitorch.nn.modules.activation import *  # noqa: F401,F403
from minitorch.nn.modules.dropout import *  # noqa: F401,F403
from minitorch.nn.modules.batchnorm import *  # noqa: F401,F403
from minitorch.nn.modules.normalization import *  # noqa: F401,F403
from minitorch.nn.modules.conv import *  # noqa: F401,F403
from minitorch.nn.modules.pooling import *  # noqa: F401,F403
from minitorch.nn.modules.upsampling import *  # noqa: F401,F403
from minitorch.nn.modules.loss import *  # noqa: F401,F403
from minitorch.nn.modules.rnn import *  # noqa: F401,F403
from minitorch.nn.modules.transformer import *  # noqa: F401,F403
