"""normalize, cosine_similarity, pairwise_distance."""
from __future__ import annotations

__all__ = []
