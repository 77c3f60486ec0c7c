"""LayerNorm, GroupNorm, InstanceNorm2d."""
from __future__ import annotations

__all__ = []
