"""Upsample and PixelShuffle."""
from __future__ import annotations

__all__ = []
