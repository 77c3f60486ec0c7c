"""BatchNorm1d, BatchNorm2d."""
from __future__ import annotations

__all__ = []
