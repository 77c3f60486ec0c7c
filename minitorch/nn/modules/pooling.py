"""Pooling: max, average, adaptive; MaxUnpool2d."""
from __future__ import annotations

__all__ = []
