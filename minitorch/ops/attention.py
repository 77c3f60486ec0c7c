"""Scaled dot-product and multi-head attention, as ``torch.nn.functional`` has them.

Attention is not a primitive: it is matmul, softmax, a mask added to the scores and
dropout, so its gradient (and second derivative) comes from theirs. Batch and heads are
leading axes of one batched matmul: nothing loops over them.

Two mask conventions meet here, as in PyTorch. In ``scaled_dot_product_attention`` a
boolean ``attn_mask`` says which positions *take part* (True = attend); in
``multi_head_attention_forward`` (and ``nn.MultiheadAttention``) a boolean mask says which
positions are *masked out* (True = ignore). Both become float masks of 0 and -inf that are
added to the scores (``_additive_mask``); float masks are added as given.

A query row whose every key is masked has no distribution to attend with. PyTorch's two
paths disagree and we follow each: ``scaled_dot_product_attention`` gives zeros there (its
"safe softmax"), while ``multi_head_attention_forward`` with ``need_weights=True`` computes
a plain softmax, which gives NaN.
"""
from __future__ import annotations

import math
import warnings

from minitorch import backend, creation
from minitorch.ops import shape
from minitorch.ops.dropout import dropout
from minitorch.ops.linear import linear
from minitorch.ops.reduction import softmax
from minitorch.tensor import Tensor, _type_name
from minitorch.ops.autocast import autocast_op

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


# ---------------------------------------------------------------------------------------------
# Scaled dot-product attention: softmax(Q K^T * scale + mask) V
# ---------------------------------------------------------------------------------------------

@autocast_op
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """``softmax(query @ key^T * scale + mask) @ value`` over the last two axes; every leading axis
    (batch, heads) broadcasts. ``scale`` defaults to ``1/sqrt(E)``; a boolean ``attn_mask`` is True
    where a query may attend; ``is_causal`` lets query i see keys 0..i (upper-left aligned when
    L != S); ``enable_gqa`` shares each key/value head among a group of query heads. Dropout is applied
    to the attention weights whenever ``dropout_p > 0``."""
    _check_sdpa_inputs(query, key, value, attn_mask, dropout_p, is_causal)
    if is_causal:
        future = creation.ones(query.size(-2), key.size(-2), dtype=backend.bool_, device=query.device).triu(1)
        attn_mask = _additive_mask(future, query.dtype)
    elif attn_mask is not None and attn_mask.dtype == backend.bool_:
        attn_mask = _additive_mask(attn_mask.logical_not(), query.dtype)
    if enable_gqa:
        key, value = _repeat_kv_heads(query, key, value)
    scale = 1.0 / math.sqrt(query.size(-1)) if scale is None else scale
    scores = query @ key.transpose(-2, -1) * scale
    if attn_mask is not None:
        scores = scores + attn_mask
    weights = _safe_softmax(scores)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    return weights @ value


def _check_sdpa_inputs(query, key, value, attn_mask, dropout_p, is_causal):
    """PyTorch's checks, with its messages; shape mismatches are left to matmul and broadcasting."""
    if min(query.dim(), key.dim(), value.dim()) < 2:
        raise RuntimeError("Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
                           f"{query.dim()} key.dim: {key.dim()} and value.dim: {value.dim()} instead.")
    if not query.dtype == key.dtype == value.dtype:
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{_c_type_name(query.dtype)} key.dtype: {_c_type_name(key.dtype)} and value.dtype: "
                           f"{_c_type_name(value.dtype)} instead.")
    if not query.is_floating_point():
        raise RuntimeError(f"expected scalar type Float but found {_type_name(query.dtype)}")
    if attn_mask is not None and attn_mask.dtype not in (backend.bool_, query.dtype):
        raise RuntimeError("Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                           f"attn_mask.dtype: {_c_type_name(attn_mask.dtype)} and  query.dtype: "
                           f"{_c_type_name(query.dtype)} instead.")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")


# The C++ names PyTorch's attention errors print for dtypes.
_C_TYPE_NAMES = {"float16": "c10::Half", "float32": "float", "float64": "double", "int8": "signed char",
                 "int16": "short int", "int32": "int", "int64": "long int", "uint8": "unsigned char", "bool": "bool"}


def _c_type_name(dtype) -> str:
    return _C_TYPE_NAMES[dtype.name]


def _additive_mask(ignore: Tensor, dtype) -> Tensor:
    """A boolean mask as the float mask added to the scores: -inf where ``ignore`` is True, else 0."""
    return creation.zeros(ignore.shape, dtype=dtype, device=ignore.device).masked_fill(ignore, float("-inf"))


def _repeat_kv_heads(query, key, value):
    """Grouped-query attention: key/value head j serves query heads j*g .. j*g+g-1 (``repeat_interleave``)."""
    query_heads, key_heads, value_heads = query.size(-3), key.size(-3), value.size(-3)
    if query_heads == key_heads == value_heads:
        return key, value
    if query_heads % key_heads or query_heads % value_heads:
        raise RuntimeError("Number of heads in key and value must divide the number of heads in ")

    def repeat(tensor, heads):
        groups = query_heads // heads
        grouped = tensor.unsqueeze(-3).expand(*tensor.shape[:-2], groups, *tensor.shape[-2:])
        return grouped.flatten(-4, -3)
    return repeat(key, key_heads), repeat(value, value_heads)


def _safe_softmax(scores: Tensor) -> Tensor:
    """Softmax over the last axis, with zeros (and zero gradient) for rows that are all -inf.

    Such a row is first replaced by zeros so the softmax stays finite (a NaN there would leak
    into every gradient through matmul's backward), and its result is then zeroed."""
    fully_masked = (scores == float("-inf")).all(-1, keepdim=True)
    weights = softmax(scores.masked_fill(fully_masked, 0.0), -1)
    return weights.masked_fill(fully_masked, 0.0)


# ---------------------------------------------------------------------------------------------
# Multi-head attention (the computation behind nn.MultiheadAttention)
# ---------------------------------------------------------------------------------------------

def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
                                 in_proj_weight: Tensor | None, in_proj_bias: Tensor | None,
                                 bias_k: Tensor | None, bias_v: Tensor | None, add_zero_attn: bool,
                                 dropout_p: float, out_proj_weight: Tensor, out_proj_bias: Tensor | None,
                                 training: bool = True, key_padding_mask: Tensor | None = None,
                                 need_weights: bool = True, attn_mask: Tensor | None = None,
                                 use_separate_proj_weight: bool = False, q_proj_weight: Tensor | None = None,
                                 k_proj_weight: Tensor | None = None, v_proj_weight: Tensor | None = None,
                                 static_k: Tensor | None = None, static_v: Tensor | None = None,
                                 average_attn_weights: bool = True, is_causal: bool = False):
    """Project query, key and value, split the embedding into ``num_heads`` heads, attend within
    each head, join the heads and project out. Inputs are sequence-first: query ``(L, N, E)`` or
    unbatched ``(L, E)``. Returns ``(attn_output, attn_weights or None)``; the weights are averaged
    over heads ``(N, L, S)`` or per head ``(N, num_heads, L, S)``. Boolean masks are True where a key
    is ignored."""
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:  # compute as a batch of one, squeeze it away at the end
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]

    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask),
                                       "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint alone tells scaled_dot_product_attention to mask causally
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if key_padding_mask is not None:
            is_causal = False  # the padding merged into the mask below makes it no longer causal

    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                                 f"{value.shape[:2]}")
        q, k, v = _in_projection(query, key, value, q_proj_weight, k_proj_weight, v_proj_weight, in_proj_bias)
    else:
        if key.shape != value.shape:
            raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)

    if attn_mask is not None:  # make it 3-D: (1 or N * num_heads, L, S)
        expected = (tgt_len, src_len) if attn_mask.dim() == 2 else (bsz * num_heads, tgt_len, src_len)
        if tuple(attn_mask.shape) != expected:
            raise RuntimeError(f"The shape of the {attn_mask.dim()}D attn_mask is {attn_mask.shape}, but should be "
                               f"{expected}.")
        if attn_mask.dim() == 2:
            attn_mask = attn_mask.unsqueeze(0)

    if bias_k is not None and bias_v is not None:  # one more learned key/value at the end of the sequence
        if static_k is not None or static_v is not None:
            raise AssertionError(f"bias cannot be added to static {'key' if static_k is not None else 'value'}.")
        k = shape.cat([k, bias_k.repeat(1, bsz, 1)])
        v = shape.cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask, key_padding_mask = _pad_key_axis(attn_mask), _pad_key_axis(key_padding_mask)
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k is set but bias_v is None" if bias_k is not None
                             else "bias_v is set but bias_k is None")

    # Heads become batch entries: (L, N, E) -> (N * num_heads, L, head_dim).
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _split_heads(k, static_k, bsz, num_heads, head_dim, "static_k")
    v = _split_heads(v, static_v, bsz, num_heads, head_dim, "static_v")

    if add_zero_attn:  # one more all-zero key/value
        zeros = creation.zeros(bsz * num_heads, 1, head_dim, dtype=k.dtype, device=k.device)
        k, v = shape.cat([k, zeros], dim=1), shape.cat([v, zeros], dim=1)
        attn_mask, key_padding_mask = _pad_key_axis(attn_mask), _pad_key_axis(key_padding_mask)
    src_len = k.size(1)

    if key_padding_mask is not None:  # merge it into attn_mask: (N, S) -> (N * num_heads, 1, S)
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            axis = 0 if key_padding_mask.shape[0] != bsz else 1
            raise AssertionError(f"Expected key_padded_mask.shape[{axis}] to be {(bsz, src_len)[axis]}, but got "
                                 f"{key_padding_mask.shape[axis]}")
        key_padding_mask = key_padding_mask.view(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1) \
                                           .reshape(bsz * num_heads, 1, src_len)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask

    if not training:
        dropout_p = 0.0

    if need_weights:
        q_scaled = q * math.sqrt(1.0 / head_dim)
        scores = q_scaled @ k.transpose(-2, -1)
        if attn_mask is not None:
            scores = attn_mask + scores
        weights = softmax(scores, -1)
        if dropout_p > 0.0:
            weights = dropout(weights, p=dropout_p)
        attn_output = _merge_heads_and_project(weights @ v, tgt_len, bsz, embed_dim, out_proj_weight, out_proj_bias)
        weights = weights.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not is_batched:
            attn_output, weights = attn_output.squeeze(1), weights.squeeze(0)
        return attn_output, weights

    if attn_mask is not None:  # (1 or N * num_heads, L, S) -> broadcastable to (N, num_heads, L, S)
        attn_mask = attn_mask.unsqueeze(0) if attn_mask.size(0) == 1 else attn_mask.view(bsz, num_heads, -1, src_len)
    attn_output = scaled_dot_product_attention(q.view(bsz, num_heads, tgt_len, head_dim),
                                               k.view(bsz, num_heads, src_len, head_dim),
                                               v.view(bsz, num_heads, src_len, head_dim),
                                               attn_mask, dropout_p, is_causal)
    attn_output = _merge_heads_and_project(attn_output.view(bsz * num_heads, tgt_len, head_dim), tgt_len, bsz,
                                           embed_dim, out_proj_weight, out_proj_bias)
    if not is_batched:
        attn_output = attn_output.squeeze(1)
    return attn_output, None


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """Whether the input is batched (3-D query) or not (2-D); PyTorch's shape assertions otherwise."""
    if query.dim() not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D "
                             "query tensor")
    batched = query.dim() == 3
    kind = "batched (3-D)" if batched else "unbatched (2-D)"
    if key.dim() != query.dim() or value.dim() != query.dim():
        raise AssertionError(f"For {kind} `query`, expected `key` and `value` to be {query.dim()}-D but found "
                             f"{key.dim()}-D and {value.dim()}-D tensors respectively")
    if key_padding_mask is not None and key_padding_mask.dim() != query.dim() - 1:
        raise AssertionError(f"For {kind} `query`, expected `key_padding_mask` to be `None` or "
                             f"{query.dim() - 1}-D but found {key_padding_mask.dim()}-D tensor instead")
    if attn_mask is not None:
        if attn_mask.dim() not in (2, 3):
            raise AssertionError(f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found "
                                 f"{attn_mask.dim()}-D tensor instead")
        if not batched and attn_mask.dim() == 3:
            expected = (num_heads, query.shape[0], key.shape[0])
            if tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}")
    return batched


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A boolean "ignore" mask as a float mask of ``target_type`` (-inf where True); float masks pass."""
    if mask is None:
        return None
    if mask.dtype != backend.bool_ and not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both "
                      "instead.", stacklevel=3)
    if mask.dtype == backend.bool_:
        return _additive_mask(mask, target_type)
    return mask


def _none_or_dtype(input):
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _in_projection_packed(q, k, v, w, b=None):
    """q, k, v projected by the three row blocks of ``w`` (3E, E); one matmul when they are one tensor."""
    embed_dim = q.size(-1)
    if q is k and k is v:  # self-attention
        return tuple(linear(q, w, b).chunk(3, dim=-1))
    if k is v:  # encoder-decoder attention: key and value in one matmul
        w_q, w_kv = w.split([embed_dim, 2 * embed_dim])
        b_q, b_kv = (None, None) if b is None else b.split([embed_dim, 2 * embed_dim])
        return (linear(q, w_q, b_q),) + tuple(linear(k, w_kv, b_kv).chunk(2, dim=-1))
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def _in_projection(q, k, v, w_q, w_k, w_v, b=None):
    """q, k, v projected by their own weights (kdim, vdim may differ from embed_dim)."""
    for name, weight in (("q", w_q), ("k", w_k), ("v", w_v)):
        if weight is None:
            raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight is None")
    sizes = {"query": (q, w_q), "key": (k, w_k), "value": (v, w_v)}
    for name, (input, weight) in sizes.items():
        expected = (q.size(-1), input.size(-1))
        if tuple(weight.shape) != expected:
            raise AssertionError(f"expecting {name} weights shape of {expected}, but got {weight.shape}")
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def _pad_key_axis(mask):
    """A mask with one more key position (0: take part) for the appended bias_k / zero key."""
    if mask is None:
        return None
    return shape.cat([mask, creation.zeros(*mask.shape[:-1], 1, dtype=mask.dtype, device=mask.device)], dim=-1)


def _split_heads(x, static, bsz, num_heads, head_dim, name):
    """(S, N, E) -> (N * num_heads, S, head_dim), or the given static key/value already in that layout."""
    if static is None:
        return x.reshape(x.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    if static.size(0) != bsz * num_heads:
        raise AssertionError(f"expecting {name}.size(0) of {bsz * num_heads}, but got {static.size(0)}")
    if static.size(2) != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {static.size(2)}")
    return static


def _merge_heads_and_project(attn_output, tgt_len, bsz, embed_dim, weight, bias):
    """(N * num_heads, L, head_dim) -> (L, N, E), then the output projection."""
    attn_output = attn_output.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    return linear(attn_output, weight, bias).view(tgt_len, bsz, -1)
