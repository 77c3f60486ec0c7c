"""Indexing: ``tensor[index]``, ``tensor[index] = value``, gather/scatter, masks."""
from __future__ import annotations

__all__ = []

from minitorch import backend
from minitorch.autograd.function import Function
from minitorch.tensor import Tensor
