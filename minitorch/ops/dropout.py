"""Dropout and its variants."""
from __future__ import annotations

__all__ = []
