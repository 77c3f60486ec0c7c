"""``minitorch.utils``: tools built on the public API rather than part of the core (``torch.utils``).

``data`` feeds a training loop: datasets, samplers, batching and the ``DataLoader``.
"""
from minitorch.utils import data  # noqa: F401
