"""Distances and similarities between vectors along an axis: normalize, cosine_similarity, pairwise_distance.

Composites of Tensor ops (norms, divisions, sums), so they are differentiable twice for free. They
follow PyTorch's formulas to the letter, small constants included: ``pairwise_distance`` adds
``eps`` to the difference, ``cosine_similarity`` divides each vector by its (clamped) norm first.
"""
from __future__ import annotations

__all__ = ["normalize", "cosine_similarity", "pairwise_distance"]

import numpy

from minitorch import backend
from minitorch.autograd import grad_mode
from minitorch.ops import elementwise
from minitorch.tensor import Tensor, _type_name
from minitorch.ops.autocast import autocast_op


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """``input`` divided by its p-norm along ``dim`` (at least ``eps``): unit vectors."""
    if out is not None:
        raise NotImplementedError("normalize(out=...) is not supported: use the returned tensor")
    return input / input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)


def _broadcast_pair(x1: Tensor, x2: Tensor):
    if x1.shape == x2.shape:
        return x1, x2
    elementwise._check_broadcastable([x1.shape, x2.shape])  # PyTorch's message when they do not broadcast
    shape = numpy.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    return x1.expand(shape), x2.expand(shape)


def _clamped_norm(x: Tensor, dim: int, eps: float) -> Tensor:
    """The 2-norm along ``dim`` (kept), raised to ``eps`` in place under no_grad: the value is clamped,
    but the gradient is the norm's own (PyTorch's cosine_similarity does exactly this)."""
    norm = x.norm(2, dim, keepdim=True).clone()
    with grad_mode.no_grad():
        norm.clamp_(min=eps)
    return norm


@autocast_op
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """<x1 / max(|x1|, eps), x2 / max(|x2|, eps)> along ``dim``: normalising first keeps the result in
    [-1, 1] and avoids overflow in the product of norms (PyTorch 2.x's formula)."""
    dtype = backend.result_type(x1, x2)
    if not dtype.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is {_type_name(dtype)}")
    x1 = x1 if x1.is_floating_point() else x1.to(dtype)
    x2 = x2 if x2.is_floating_point() else x2.to(dtype)
    x1, x2 = _broadcast_pair(x1, x2)
    return ((x1 / _clamped_norm(x1, dim, eps)) * (x2 / _clamped_norm(x2, dim, eps))).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """The p-norm of x1 - x2 + eps along the last axis (of the two inputs broadcast together)."""
    last_dim = max(x1.dim(), x2.dim()) - 1
    return (x1 - x2 + eps).norm(p, last_dim, keepdim)
