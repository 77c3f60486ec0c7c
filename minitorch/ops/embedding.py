"""Embedding lookups and ``one_hot``, as ``torch.nn.functional``'s.

``Embedding`` is a primitive: forward gathers rows of the weight (``weight[indices]``) and
backward scatter-adds the gradient rows back into a zero matrix of the weight's shape, so a
row used twice gets both gradients. The padding row gets none (its gradient rows are zeroed
before the scatter), and ``scale_grad_by_freq`` divides each row's gradient by how often its
index occurs in the batch. The backward is ``index_put`` with accumulation, a Tensor op, so the
gradient is itself differentiable (with respect to the upstream gradient).
"""
from __future__ import annotations

__all__ = ["embedding", "one_hot"]

import numpy

from minitorch import backend, creation
from minitorch.autograd.function import Function
from minitorch.autograd.grad_mode import no_grad
from minitorch.ops.elementwise import where
from minitorch.ops.indexing import index_put
from minitorch.tensor import Tensor, _type_name


class Embedding(Function):
    """weight[indices]; d/dweight = zeros with each gradient row added at its index (none at padding_idx)."""

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        ctx.save_for_backward(indices)
        ctx.num_weights = weight.shape[0]
        ctx.padding_idx, ctx.scale_grad_by_freq = padding_idx, scale_grad_by_freq
        return weight[indices]

    @staticmethod
    def backward(ctx, grad_output):
        indices, = ctx.saved_tensors
        flat = indices.reshape(-1)
        rows = grad_output.reshape(-1, grad_output.shape[-1])
        if ctx.scale_grad_by_freq:
            counts = creation.zeros(ctx.num_weights, dtype=rows.dtype, device=rows.device)
            counts = index_put(counts, (flat,), creation.ones_like(flat, dtype=rows.dtype), accumulate=True)
            rows = rows / counts[flat].unsqueeze(1)
        if ctx.padding_idx is not None:
            rows = where((flat == ctx.padding_idx).unsqueeze(1), 0.0, rows)
        zeros = creation.zeros(ctx.num_weights, rows.shape[1], dtype=rows.dtype, device=rows.device)
        return index_put(zeros, (flat,), rows, accumulate=True), None, None, None


def _check_indices(input: Tensor, name: str = "indices") -> None:
    if input.dtype not in (backend.int64, backend.int32):
        raise RuntimeError(f"Expected tensor for argument #1 '{name}' to have one of the following scalar types: "
                           f"Long, Int; but got torch.{_type_name(input.dtype)}Tensor instead (while checking "
                           "arguments for embedding)")


def _renorm_(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    """Rescale, in place, the rows of ``weight`` that ``input`` uses whose norm exceeds ``max_norm``."""
    xp = backend.array_module(weight._data)
    rows = xp.unique(input._data.reshape(-1))
    norms = (xp.abs(weight._data[rows].astype(numpy.float64)) ** norm_type).sum(axis=1) ** (1 / norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
    with no_grad():
        weight[Tensor._wrap(rows)] = weight[Tensor._wrap(rows)] * Tensor._wrap(scale[:, None].astype(weight._data.dtype))


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """The rows of ``weight`` at the integer positions in ``input``: shape ``input.shape + (embedding_dim,)``.

    With ``max_norm``, the rows used are first renormalised in place, as in PyTorch.
    """
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < weight.shape[0], "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -weight.shape[0], "Padding_idx must be within num_embeddings"
            padding_idx = weight.shape[0] + padding_idx
    _check_indices(input)
    if sparse:
        raise NotImplementedError("minitorch has no sparse gradients: use sparse=False")
    indices = input._data
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= weight.shape[0]):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _renorm_(weight, input, max_norm, norm_type)
    return Embedding.apply(weight, input, padding_idx, scale_grad_by_freq)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 tensor of shape ``tensor.shape + (num_classes,)``: 1 at each index, 0 elsewhere."""
    if tensor.dtype is not backend.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    indices = tensor._data
    if num_classes == -1:
        if indices.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(indices.max()) + 1
    if indices.size:
        if int(indices.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(indices.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    xp = backend.array_module(indices)
    return Tensor._wrap((indices[..., None] == xp.arange(num_classes)).astype(numpy.int64))
