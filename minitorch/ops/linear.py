"""linear and bilinear layers as functions."""
from __future__ import annotations

__all__ = []
