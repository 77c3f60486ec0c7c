"""``minitorch.nn.init``: initialising weights in place, with PyTorch's distributions."""
from __future__ import annotations
