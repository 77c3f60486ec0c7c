"""``minitorch.utils``: tools built on the public API rather than part of the core (``torch.utils``).

``data`` feeds a training loop: datasets, samplers, batching and the ``DataLoader``;
``summary`` tabulates a model's layers (torchinfo's table).
"""
from minitorch.utils import data  # noqa: F401
from minitorch.utils.summary import summary  # noqa: F401
