"""Activation layers: ReLU, GELU, Softmax, ..."""
from __future__ import annotations

__all__ = []
