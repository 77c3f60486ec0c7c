"""Batch, layer, group and instance normalization."""
from __future__ import annotations

__all__ = []
