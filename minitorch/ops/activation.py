"""Activation functions beyond the elementwise basics (relu6, gelu, silu, ...)."""
from __future__ import annotations

__all__ = []
