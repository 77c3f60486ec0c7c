"""``linear`` and ``bilinear``: the affine maps behind ``nn.Linear`` and ``nn.Bilinear``.

``linear`` is the hottest op of most networks, so it is one primitive, ``Linear``: the input's
leading dimensions are folded into rows, and forward is one matrix product plus the bias, as
PyTorch's ``addmm``. Its backward is three Tensor ops: ``g @ W`` for the input, one 2-D product
``g^T @ x`` for the weight (not a stack of products the engine would have to sum), and a row sum
for the bias. It measured faster than the composite ``matmul(input, weight.t()) + bias``
(forward and backward of a (64, 256) input through a (512, 256) weight: 0.49 ms against 0.67 ms
on NumPy; one graph node instead of three); the tests keep that composite as a cross-check.
``bilinear`` is a composite: one ``einsum``.
"""
from __future__ import annotations

__all__ = ["linear", "bilinear"]

import math

from minitorch.autograd.function import Function
from minitorch.ops import linalg
from minitorch.ops.linalg import einsum, matmul
from minitorch.tensor import Tensor, _type_name


class Linear(Function):
    """y = x @ W^T + b, x's leading dims folded into rows; d/dx = g @ W, d/dW = g^T @ x, d/db = sum of g's rows."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x if ctx.needs_input_grad and ctx.needs_input_grad[1] else None, weight)
        rows = x.reshape(-1, x.shape[-1])
        result = rows @ weight.T
        if bias is not None:
            result += bias
        return result.reshape(x.shape[:-1] + (weight.shape[0],))

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        needs_x, needs_weight, needs_bias = ctx.needs_input_grad
        grad_rows = grad_output.reshape(-1, grad_output.shape[-1])
        return (matmul(grad_output, weight) if needs_x else None,
                matmul(grad_rows.t(), x.reshape(-1, x.shape[-1])) if needs_weight else None,
                grad_rows.sum(0) if needs_bias else None)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight^T + bias over the last dimension of ``input``, as ``torch.nn.functional.linear``.

    >>> import minitorch
    >>> linear(minitorch.ones(2, 3), minitorch.ones(4, 3), minitorch.zeros(4)).shape
    minitorch.Size([2, 4])
    """
    if input.ndim == 0 or weight.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {input.ndim}D and "
                           f"{weight.ndim}D")
    if weight.ndim != 2 or (bias is not None and bias.ndim > 1):
        # rare forms (a 1-D weight gives one output per row): the composite, with matmul's checks
        result = matmul(input, weight.t())
        return result if bias is None else result + bias
    linalg._check_dtypes("addmm_impl_cpu_", input, weight)
    rows = math.prod(input.shape[:-1])
    if input.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} and "
                           f"{weight.shape[1]}x{weight.shape[0]})")
    if bias is not None:
        if bias.dtype is not input.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got {_type_name(bias.dtype)} and "
                               f"{_type_name(input.dtype)}")
        if bias.numel() not in (1, weight.shape[0]):
            raise RuntimeError(f"The expanded size of the tensor ({weight.shape[0]}) must match the existing size "
                               f"({bias.numel()}) at non-singleton dimension {max(input.ndim - 1, 0)}.  Target "
                               f"sizes: {[*input.shape[:-1], weight.shape[0]]}.  Tensor sizes: {list(bias.shape)}")
    return Linear.apply(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y[..., o] = sum_ij input1[..., i] weight[o, i, j] input2[..., j] + bias[o], as ``F.bilinear``."""
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} and {input2.ndim}")
    for dim, (size1, size2) in enumerate(zip(input1.shape[:-1], input2.shape[:-1])):
        if size1 != size2:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {size1} and {size2}")
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be three-dimensional, but got {weight.ndim} dimensions")
    for position, input in enumerate((input1, input2), start=1):
        if input.shape[-1] != weight.shape[position]:
            raise RuntimeError(f"bilinear(): input{position} size does not match weight size: got "
                               f"{input.shape[-1]} but expected {weight.shape[position]}")
    result = einsum("...i,oij,...j->...o", input1, weight, input2)
    if bias is None:
        return result
    if bias.ndim != 1 or bias.shape[0] != weight.shape[0]:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias.shape[-1]} but expected "
                           f"{weight.shape[0]}")
    return result + bias
