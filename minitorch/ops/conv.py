"""Convolution as im2col + one matmul; padding, unfold and fold."""
from __future__ import annotations

__all__ = []
