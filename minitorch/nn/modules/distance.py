"""PairwiseDistance and CosineSimilarity: ``F.pairwise_distance`` and ``F.cosine_similarity`` as layers."""
from __future__ import annotations

__all__ = ["PairwiseDistance", "CosineSimilarity"]

from minitorch.nn import functional as F
from minitorch.nn.modules.module import Module


class PairwiseDistance(Module):
    """The p-norm of x1 - x2 + eps along the last axis. (PyTorch keeps ``p`` as ``self.norm``.)"""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    """The cosine of the angle between x1 and x2 along ``dim``."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)
