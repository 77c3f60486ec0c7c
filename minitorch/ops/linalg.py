"""Linear algebra: matmul and its relatives, einsum."""
from __future__ import annotations

__all__ = []

from minitorch import backend
from minitorch.autograd.function import Function
from minitorch.tensor import Tensor
