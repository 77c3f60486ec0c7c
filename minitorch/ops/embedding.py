"""Embedding lookups and one_hot."""
from __future__ import annotations

__all__ = []
