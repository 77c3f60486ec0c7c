"""Pooling, unpooling, interpolation and pixel shuffle."""
from __future__ import annotations

__all__ = []
