"""Scaled dot-product and multi-head attention."""
from __future__ import annotations

__all__ = []
