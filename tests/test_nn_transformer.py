"""Attention and the Transformer family against PyTorch: scaled_dot_product_attention,
multi_head_attention_forward, MultiheadAttention, the encoder/decoder layers and stacks, Transformer.

Layers are compared in eval mode (dropout off) with weights copied from the torch twin; dropout
itself is checked through its statistics and its agreement with the gradient.
"""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import minitorch
from tests.helpers import (assert_same, assert_same_state_dict, check_against_torch, check_double_backward_against_torch,
                           check_gradcheck, check_module_against_torch, check_program, to_numpy)
from tests.strategies import FLOAT_DTYPES

# Both libraries warn alike about a bool padding mask beside a float attention mask, and torch about
# its nested-tensor fast path, which minitorch does not have.
pytestmark = [pytest.mark.filterwarnings("ignore:Support for mismatched"),
              pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")]

# ---------------------------------------------------------------------------------------------
# Masks
# ---------------------------------------------------------------------------------------------

MASK_KINDS = [None, "bool", "float"]


def make_mask(rng, kind, shape, dtype, ignore_value=True):
    """A random mask: ``kind`` None, "bool" (``ignore_value`` where a key is ignored) or "float" (added:
    -inf where ignored, random elsewhere). The first key always takes part, so no row is fully masked
    (fully masked rows have their own test)."""
    if kind is None:
        return None
    ignore = rng.random(shape) < 0.3
    ignore[..., 0] = False
    if kind == "bool":
        return ignore if ignore_value else ~ignore
    return np.where(ignore, -np.inf, rng.standard_normal(shape)).astype(dtype)


def functional(lib):
    return lib.nn.functional


# ---------------------------------------------------------------------------------------------
# scaled_dot_product_attention
# ---------------------------------------------------------------------------------------------

@st.composite
def sdpa_cases(draw):
    """Inputs (..., L, E), (..., S, E), (..., S, Ev): a batch axis or not, a heads axis or not (fewer key
    heads than query heads is grouped-query attention), a mask broadcast or full, is_causal, scale."""
    dtype = draw(FLOAT_DTYPES)
    batch = draw(st.sampled_from([(), (2,)]))
    heads, kv_heads = draw(st.sampled_from([((), ()), ((1,), (1,)), ((2,), (2,)), ((4,), (2,)), ((3,), (1,))]))
    target, source, embed, value_embed = (draw(st.integers(1, 4)) for _ in range(4))
    mask_kind = draw(st.sampled_from(MASK_KINDS + ["causal"]))
    mask_shape = draw(st.sampled_from([(target, source), batch + heads + (target, source)]))
    scale = draw(st.sampled_from([None, 0.5, -1.3]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    arrays = [rng.standard_normal(batch + lead + (length, size)).astype(dtype) for lead, length, size in
              ((heads, target, embed), (kv_heads, source, embed), (kv_heads, source, value_embed))]
    mask = None if mask_kind == "causal" else make_mask(rng, mask_kind, mask_shape, dtype, ignore_value=False)
    return arrays, mask, dict(is_causal=mask_kind == "causal", scale=scale, enable_gqa=heads != kv_heads)


@given(sdpa_cases())
def test_scaled_dot_product_attention_matches_torch_with_masks_causal_scale_and_gqa(case):
    (query, key, value), mask, options = case

    def sdpa(lib):
        return lambda q, k, v, m: functional(lib).scaled_dot_product_attention(q, k, v, attn_mask=m, **options)
    check_against_torch(sdpa(minitorch), sdpa(torch), query, key, value, mask)


@pytest.mark.parametrize("mask_kind", ["bool", "float"])
def test_scaled_dot_product_attention_gives_zeros_and_zero_gradients_for_fully_masked_rows(mask_kind):
    rng = np.random.default_rng(0)
    query, key, value = (rng.standard_normal((2, 3, 4)) for _ in range(3))
    attend = np.ones((3, 3), bool)
    attend[1] = False
    mask = attend if mask_kind == "bool" else np.where(attend, 0.0, -np.inf)

    def sdpa(lib):
        return lambda q, k, v, m: functional(lib).scaled_dot_product_attention(q, k, v, attn_mask=m)
    out = check_against_torch(sdpa(minitorch), sdpa(torch), query, key, value, mask)
    assert not to_numpy(out)[:, 1].any()


def test_scaled_dot_product_attention_gradcheck_and_double_backward():
    rng = np.random.default_rng(1)
    query, key, value = rng.standard_normal((2, 3, 2)), rng.standard_normal((2, 4, 2)), rng.standard_normal((2, 4, 3))
    mask = rng.standard_normal((3, 4))
    check_gradcheck(lambda q, k, v, m: minitorch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m),
                    query, key, value, mask)

    def causal(lib):
        return lambda q, k, v: functional(lib).scaled_dot_product_attention(q, k, v, is_causal=True)
    check_double_backward_against_torch(causal(minitorch), causal(torch), query, key, value)


def test_scaled_dot_product_attention_dropout_zeroes_weights_and_the_gradient_agrees():
    """With the identity as values, the output *is* the dropped-out weight matrix."""
    minitorch.manual_seed(0)
    rng = np.random.default_rng(0)
    size, p = 64, 0.25
    query = minitorch.tensor(rng.standard_normal((4, size, 3)), requires_grad=True)
    key = minitorch.tensor(rng.standard_normal((4, size, 3)))
    value = minitorch.eye(size, dtype=minitorch.float64).expand(4, size, size).clone().requires_grad_()
    F = minitorch.nn.functional
    dropped = F.scaled_dot_product_attention(query, key, value, dropout_p=p)
    weights = to_numpy(F.scaled_dot_product_attention(query, key, value))
    out = to_numpy(dropped)
    kept = out != 0
    assert abs(1 - kept.mean() - p) < 0.02
    np.testing.assert_allclose(out[kept], weights[kept] / (1 - p), rtol=1e-12)
    upstream = rng.standard_normal(out.shape)
    dropped.backward(minitorch.tensor(upstream))
    np.testing.assert_allclose(to_numpy(value.grad), out.transpose(0, 2, 1) @ upstream, rtol=1e-10, atol=1e-12)


SDPA_ERRORS = {
    "causal with a mask": lambda lib, q, k, v: functional(lib).scaled_dot_product_attention(
        q, k, v, attn_mask=lib.ones(3, 5, dtype=lib.bool), is_causal=True),
    "integer mask": lambda lib, q, k, v: functional(lib).scaled_dot_product_attention(
        q, k, v, attn_mask=lib.ones(3, 5, dtype=lib.int64)),
    "mask of another float dtype": lambda lib, q, k, v: functional(lib).scaled_dot_product_attention(
        q, k, v, attn_mask=lib.ones(3, 5, dtype=lib.float64)),
    "key of another dtype": lambda lib, q, k, v: functional(lib).scaled_dot_product_attention(q, k.double(), v),
    "1-D inputs": lambda lib, q, k, v: functional(lib).scaled_dot_product_attention(q[0, 0], k[0, 0], v[0, 0]),
    "dropout above 1": lambda lib, q, k, v: functional(lib).scaled_dot_product_attention(q, k, v, dropout_p=1.5),
    "heads that do not divide": lambda lib, q, k, v: functional(lib).scaled_dot_product_attention(
        q.expand(3, 3, 4), k, v, enable_gqa=True),
}
SDPA_SHAPE_ERRORS = {  # raised by matmul or broadcasting: same type, PyTorch's kernel words its own message
    "mask of the wrong shape": lambda lib, q, k, v: functional(lib).scaled_dot_product_attention(
        q, k, v, attn_mask=lib.ones(3, 4, dtype=lib.bool)),
    "key of another embedding size": lambda lib, q, k, v: functional(lib).scaled_dot_product_attention(
        q, k[..., :3], v),
    "value of another length": lambda lib, q, k, v: functional(lib).scaled_dot_product_attention(q, k, v[:, :4]),
}


@pytest.mark.parametrize("name", list(SDPA_ERRORS) + list(SDPA_SHAPE_ERRORS))
def test_scaled_dot_product_attention_raises_like_torch(name):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(shape).astype(np.float32) for shape in ((2, 3, 4), (2, 5, 4), (2, 5, 6))]
    program = SDPA_ERRORS.get(name) or SDPA_SHAPE_ERRORS[name]
    error = check_program(lambda lib, *xs: program(lib, *[lib.tensor(x) for x in xs]), *arrays,
                          message=name in SDPA_ERRORS)
    assert isinstance(error, Exception)


# ---------------------------------------------------------------------------------------------
# MultiheadAttention
# ---------------------------------------------------------------------------------------------

def wrap(lib, module, call):
    """``module`` inside a Module whose forward is ``call(module, *inputs)`` (keyword options, self-attention)."""
    class Calling(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = module

        def forward(self, *inputs):
            return call(self.inner, *inputs)
    return Calling()


def check_twins(make, call, arrays, dtype, train=False):
    """``make(lib)`` built in both libraries (torch's weights copied over) and run as ``call``."""
    modules = []
    for lib in (torch, minitorch):
        lib.manual_seed(0)
        module = wrap(lib, make(lib), call).train(train)
        modules.append(module.double() if dtype == np.float64 else module)
    theirs, ours = modules
    return check_module_against_torch(ours, theirs, *arrays)


@st.composite
def mha_cases(draw):
    dtype = draw(FLOAT_DTYPES)
    batch = draw(st.sampled_from([None, 1, 3]))
    heads, head_dim = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    embed_dim = heads * head_dim
    kdim, vdim = draw(st.sampled_from([None, 2])), draw(st.sampled_from([None, 5]))
    self_attention = kdim is None and vdim is None and draw(st.booleans())
    target = draw(st.integers(1, 4))
    source = target if self_attention else draw(st.integers(1, 4))
    options = dict(bias=draw(st.booleans()), add_bias_kv=draw(st.booleans()), add_zero_attn=draw(st.booleans()),
                   kdim=kdim, vdim=vdim, batch_first=draw(st.booleans()))
    call = dict(need_weights=draw(st.booleans()), average_attn_weights=draw(st.booleans()))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))

    def sequence(length, size):
        if batch is None:
            return rng.standard_normal((length, size)).astype(dtype)
        shape = (batch, length, size) if options["batch_first"] else (length, batch, size)
        return rng.standard_normal(shape).astype(dtype)
    inputs = [sequence(target, embed_dim)]
    if not self_attention:
        inputs += [sequence(source, kdim or embed_dim), sequence(source, vdim or embed_dim)]
    mask_shape = draw(st.sampled_from([(target, source), ((batch or 1) * heads, target, source)]))
    attn_mask = make_mask(rng, draw(st.sampled_from(MASK_KINDS)), mask_shape, dtype)
    padding_shape = (source,) if batch is None else (batch, source)
    key_padding_mask = make_mask(rng, draw(st.sampled_from(MASK_KINDS)), padding_shape, dtype)
    return dtype, heads, embed_dim, options, call, self_attention, inputs, attn_mask, key_padding_mask


@given(mha_cases())
def test_multihead_attention_matches_torch(case):
    dtype, heads, embed_dim, options, call, self_attention, inputs, attn_mask, key_padding_mask = case

    def forward(attention, *tensors):
        query, key, value = tensors[:1] * 3 if self_attention else tensors[:3]
        attn_mask, key_padding_mask = tensors[-2:]
        return attention(query, key, value, attn_mask=attn_mask, key_padding_mask=key_padding_mask, **call)
    out, weights = check_twins(lambda lib: lib.nn.MultiheadAttention(embed_dim, heads, **options), forward,
                               inputs + [attn_mask, key_padding_mask], dtype)
    assert (weights is None) == (not call["need_weights"])


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_multihead_attention_with_need_weights_gives_nan_for_fully_masked_rows_like_torch():
    rng = np.random.default_rng(0)
    query = rng.standard_normal((3, 2, 4)).astype(np.float32)
    attn_mask = np.zeros((3, 3), bool)
    attn_mask[1] = True

    def forward(attention, query, attn_mask, need_weights):
        return attention(query, query, query, attn_mask=attn_mask, need_weights=need_weights)[0]
    for need_weights in (True, False):
        out = check_twins(lambda lib: lib.nn.MultiheadAttention(4, 2), forward, [query, attn_mask, need_weights],
                          np.float32)
        assert np.isnan(to_numpy(out)[1]).all() == need_weights


def test_multihead_attention_is_causal_uses_the_mask_it_is_given():
    rng = np.random.default_rng(0)
    query, padding = rng.standard_normal((4, 2, 6)), np.array([[False] * 4, [False, False, False, True]])
    causal = np.triu(np.ones((4, 4), bool), 1)

    def forward(attention, query, causal, padding, need_weights):
        return attention(query, query, query, attn_mask=causal, key_padding_mask=padding, is_causal=True,
                         need_weights=need_weights)
    for kept_padding in (None, padding):
        for need_weights in (True, False):
            check_twins(lambda lib: lib.nn.MultiheadAttention(6, 3), forward,
                        [query, causal, kept_padding, need_weights], np.float64)


def test_multi_head_attention_forward_gradcheck():
    rng = np.random.default_rng(2)
    embed_dim, heads = 4, 2
    arrays = [rng.standard_normal(shape) for shape in
              ((2, 2, embed_dim), (3, 2, embed_dim), (3 * embed_dim, embed_dim), (3 * embed_dim,),
               (embed_dim, embed_dim), (embed_dim,), (2, 3))]

    def attention(query, memory, in_weight, in_bias, out_weight, out_bias, attn_mask):
        return minitorch.nn.functional.multi_head_attention_forward(
            query, memory, memory, embed_dim, heads, in_weight, in_bias, None, None, False, 0.0, out_weight,
            out_bias, attn_mask=attn_mask)
    check_gradcheck(attention, *arrays, double_backward=False)


def test_multihead_attention_dropout_zeroes_weights_and_rescales_the_rest():
    minitorch.manual_seed(0)
    attention = minitorch.nn.MultiheadAttention(4, 2, dropout=0.5)
    query = minitorch.randn(40, 3, 4)
    dropped = to_numpy(attention(query, query, query, average_attn_weights=False)[1])
    weights = to_numpy(attention.eval()(query, query, query, average_attn_weights=False)[1])
    kept = dropped != 0
    assert abs(kept.mean() - 0.5) < 0.02
    np.testing.assert_allclose(dropped[kept], 2 * weights[kept], rtol=1e-5)


def test_multihead_attention_initialises_like_torch():
    minitorch.manual_seed(0)
    attention = minitorch.nn.MultiheadAttention(64, 4, add_bias_kv=True, kdim=32)
    for name, fan_in, fan_out in (("q_proj_weight", 64, 64), ("k_proj_weight", 32, 64)):
        weight = to_numpy(getattr(attention, name))
        bound = math.sqrt(6 / (fan_in + fan_out))
        assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.9 * bound
    assert not to_numpy(attention.in_proj_bias).any() and not to_numpy(attention.out_proj.bias).any()
    assert 0.5 < to_numpy(attention.bias_k).std() / math.sqrt(2 / 65) < 1.5  # xavier_normal_ of (1, 1, 64)


# ---------------------------------------------------------------------------------------------
# Encoder and decoder layers, stacks, the whole Transformer
# ---------------------------------------------------------------------------------------------

ACTIVATIONS = {"relu": lambda lib: "relu", "gelu": lambda lib: "gelu",
               "callable": lambda lib: lib.nn.functional.gelu, "module": lambda lib: lib.nn.ReLU()}


@st.composite
def layer_cases(draw):
    """Options of a Transformer layer, a way to make input sequences, and one to make (attn_mask,
    key_padding_mask) pairs of drawn kinds (causal for square masks)."""
    dtype = draw(FLOAT_DTYPES)
    batch = draw(st.sampled_from([None, 2]))
    heads = draw(st.integers(1, 2))
    d_model = heads * draw(st.integers(1, 3))
    options = dict(dim_feedforward=draw(st.integers(1, 6)), activation=draw(st.sampled_from(sorted(ACTIVATIONS))),
                   batch_first=draw(st.booleans()), norm_first=draw(st.booleans()), bias=draw(st.booleans()),
                   layer_norm_eps=draw(st.sampled_from([1e-5, 0.1])))
    target, source = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    mask_kinds = iter(draw(st.lists(st.sampled_from(MASK_KINDS + ["causal"]), min_size=4, max_size=4)))
    padding_kinds = iter(draw(st.lists(st.sampled_from(MASK_KINDS), min_size=4, max_size=4)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))

    def sequence(length):
        if batch is None:
            return rng.standard_normal((length, d_model)).astype(dtype)
        shape = (batch, length, d_model) if options["batch_first"] else (length, batch, d_model)
        return rng.standard_normal(shape).astype(dtype)

    def masks(length_from, length_to):
        kind = next(mask_kinds)
        if kind == "causal" and length_from == length_to:
            attn = np.triu(np.full((length_to,) * 2, -np.inf), 1).astype(dtype)
        else:
            attn = make_mask(rng, None if kind == "causal" else kind, (length_from, length_to), dtype)
        padding_shape = (length_to,) if batch is None else (batch, length_to)
        return [attn, make_mask(rng, next(padding_kinds), padding_shape, dtype)]
    return dtype, heads, d_model, options, sequence, masks, target, source


def layer_options(lib, options):
    return dict(options, activation=ACTIVATIONS[options["activation"]](lib))


@given(layer_cases())
def test_transformer_encoder_layer_matches_torch(case):
    dtype, heads, d_model, options, sequence, masks, target, _ = case

    def forward(layer, src, mask, padding):
        return layer(src, src_mask=mask, src_key_padding_mask=padding)
    check_twins(lambda lib: lib.nn.TransformerEncoderLayer(d_model, heads, **layer_options(lib, options)), forward,
                [sequence(target)] + masks(target, target), dtype)


@given(layer_cases())
def test_transformer_decoder_layer_matches_torch(case):
    dtype, heads, d_model, options, sequence, masks, target, source = case

    def forward(layer, tgt, memory, tgt_mask, tgt_padding, memory_mask, memory_padding):
        return layer(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask, tgt_key_padding_mask=tgt_padding,
                     memory_key_padding_mask=memory_padding)
    check_twins(lambda lib: lib.nn.TransformerDecoderLayer(d_model, heads, **layer_options(lib, options)), forward,
                [sequence(target), sequence(source)] + masks(target, target) + masks(target, source), dtype)


def encoder(lib, d_model, heads, options, layers=2, final_norm=True):
    layer = lib.nn.TransformerEncoderLayer(d_model, heads, **layer_options(lib, options))
    return lib.nn.TransformerEncoder(layer, layers, lib.nn.LayerNorm(d_model) if final_norm else None,
                                     enable_nested_tensor=False)


def decoder(lib, d_model, heads, options, layers=2, final_norm=True):
    layer = lib.nn.TransformerDecoderLayer(d_model, heads, **layer_options(lib, options))
    return lib.nn.TransformerDecoder(layer, layers, lib.nn.LayerNorm(d_model) if final_norm else None)


@given(layer_cases(), st.booleans())
def test_transformer_encoder_and_decoder_stacks_match_torch(case, final_norm):
    dtype, heads, d_model, options, sequence, masks, target, source = case
    src_mask, src_padding = masks(source, source)
    check_twins(lambda lib: encoder(lib, d_model, heads, options, final_norm=final_norm),
                lambda stack, src, mask, padding: stack(src, mask=mask, src_key_padding_mask=padding),
                [sequence(source), src_mask, src_padding], dtype)

    def decode(stack, tgt, memory, tgt_mask, tgt_padding, memory_mask, memory_padding):
        return stack(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask, tgt_key_padding_mask=tgt_padding,
                     memory_key_padding_mask=memory_padding)
    check_twins(lambda lib: decoder(lib, d_model, heads, options, final_norm=final_norm), decode,
                [sequence(target), sequence(source)] + masks(target, target) + masks(target, source), dtype)


@given(layer_cases())
def test_transformer_matches_torch(case):
    dtype, heads, d_model, options, sequence, masks, target, source = case

    def make(lib):
        return lib.nn.Transformer(d_model, heads, num_encoder_layers=1, num_decoder_layers=2,
                                  **layer_options(lib, options))

    def forward(model, src, tgt, src_mask, src_padding, tgt_mask, tgt_padding):
        return model(src, tgt, src_mask=src_mask, tgt_mask=tgt_mask, src_key_padding_mask=src_padding,
                     tgt_key_padding_mask=tgt_padding, memory_key_padding_mask=src_padding)
    check_twins(make, forward, [sequence(source), sequence(target)] + masks(source, source) + masks(target, target),
                dtype)


@pytest.mark.parametrize("size", [1, 4])
@pytest.mark.parametrize("dtype", [None, "float64"])
def test_generate_square_subsequent_mask_matches_torch(size, dtype):
    check_program(lambda lib: lib.nn.Transformer.generate_square_subsequent_mask(
        size, dtype=getattr(lib, dtype) if dtype else None), tolerances={np.dtype(np.float32): (0, 0),
                                                                         np.dtype(np.float64): (0, 0)})


CAUSAL_DETECTION = {  # (mask, is_causal, size) for _detect_is_causal_mask
    "causal mask": (lambda lib: causal_mask(lib), None, None),
    "causal mask of the given size": (lambda lib: causal_mask(lib), None, 3),
    "causal mask of another size": (lambda lib: causal_mask(lib), None, 4),
    "transposed causal mask": (lambda lib: causal_mask(lib).T.contiguous(), None, None),
    "zero mask": (lambda lib: lib.zeros(3, 3), None, None),
    "causal mask, told it is not": (lambda lib: causal_mask(lib), False, None),
    "no mask, told it is causal": (lambda lib: None, True, None),
}


def causal_mask(lib):
    return lib.nn.Transformer.generate_square_subsequent_mask(3)


@pytest.mark.parametrize("name", CAUSAL_DETECTION)
def test_transformer_stacks_detect_the_causal_mask_like_torch(name):
    make_mask, is_causal, size = CAUSAL_DETECTION[name]
    check_program(lambda lib: lib.nn.modules.transformer._detect_is_causal_mask(make_mask(lib), is_causal, size))


def test_transformer_encoder_copies_the_layer_it_is_given():
    layer = minitorch.nn.TransformerEncoderLayer(4, 2, dim_feedforward=8)
    stack = minitorch.nn.TransformerEncoder(layer, 3)
    weights = [stack.layers[i].linear1.weight for i in range(3)] + [layer.linear1.weight]
    assert len({id(w) for w in weights}) == 4
    for weight in weights[1:]:
        assert_same(weight.detach(), torch.tensor(to_numpy(weights[0])))


def test_transformer_initialises_matrices_with_xavier_uniform():
    minitorch.manual_seed(0)
    model = minitorch.nn.Transformer(16, 2, 1, 1, dim_feedforward=32)
    weight = to_numpy(model.encoder.layers[0].linear1.weight)
    bound = math.sqrt(6 / (16 + 32))
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.9 * bound
    assert to_numpy(model.decoder.norm.weight).tolist() == [1.0] * 16


# ---------------------------------------------------------------------------------------------
# state_dict layouts, repr, errors
# ---------------------------------------------------------------------------------------------

MODULES = {
    "attention": lambda lib: lib.nn.MultiheadAttention(4, 2),
    "attention kdim vdim": lambda lib: lib.nn.MultiheadAttention(4, 2, kdim=3, vdim=5),
    "attention no bias, bias_kv": lambda lib: lib.nn.MultiheadAttention(4, 2, bias=False, add_bias_kv=True),
    "encoder layer": lambda lib: lib.nn.TransformerEncoderLayer(4, 2, dim_feedforward=8),
    "encoder layer no bias": lambda lib: lib.nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, bias=False),
    "decoder layer": lambda lib: lib.nn.TransformerDecoderLayer(4, 2, dim_feedforward=8),
    "encoder": lambda lib: encoder(lib, 4, 2, dict(dim_feedforward=8, activation="relu")),
    "decoder": lambda lib: decoder(lib, 4, 2, dict(dim_feedforward=8, activation="relu"), final_norm=False),
    "transformer": lambda lib: lib.nn.Transformer(4, 2, 2, 1, dim_feedforward=8),
}


@pytest.mark.parametrize("name", MODULES)
def test_state_dict_and_repr_match_torch(name):
    module, torch_module = MODULES[name](minitorch), MODULES[name](torch)
    assert_same_state_dict(module, torch_module)
    assert [n for n, _ in module.named_parameters()] == [n for n, _ in torch_module.named_parameters()]
    assert repr(module) == repr(torch_module)


ERRORS = {
    "embed_dim not divisible by num_heads": lambda lib: lib.nn.MultiheadAttention(5, 2),
    "embed_dim of 0": lambda lib: lib.nn.MultiheadAttention(0, 2),
    "unknown activation": lambda lib: lib.nn.TransformerEncoderLayer(4, 2, activation="tanh"),
    "2-D attn_mask of the wrong shape": lambda lib: attend(lib, attn_mask=lib.zeros(3, 4)),
    "3-D attn_mask of the wrong shape": lambda lib: attend(lib, attn_mask=lib.zeros(3, 3, 3)),
    "4-D attn_mask": lambda lib: attend(lib, attn_mask=lib.zeros(1, 4, 3, 3)),
    "unbatched 3-D attn_mask of the wrong shape": lambda lib: attend(lib, batch=None, attn_mask=lib.zeros(3, 3, 3)),
    "key_padding_mask of the wrong rank": lambda lib: attend(lib, key_padding_mask=lib.zeros(3, dtype=lib.bool)),
    "key_padding_mask of the wrong length": lambda lib: attend(lib, key_padding_mask=lib.zeros(2, 4,
                                                                                                dtype=lib.bool)),
    "integer key_padding_mask": lambda lib: attend(lib, key_padding_mask=lib.zeros(2, 3, dtype=lib.int64)),
    "4-D query": lambda lib: attend(lib, query=lib.zeros(1, 3, 2, 4)),
    "query of the wrong embedding size": lambda lib: attend(lib, query=lib.zeros(3, 2, 6)),
    "is_causal without a mask": lambda lib: attend(lib, is_causal=True),
    "src and tgt batch differ": lambda lib: lib.nn.Transformer(4, 2, 1, 1, 8)(lib.zeros(3, 2, 4), lib.zeros(3, 1, 4)),
    "src features differ from d_model": lambda lib: lib.nn.Transformer(4, 2, 1, 1, 8)(lib.zeros(3, 2, 6),
                                                                                      lib.zeros(3, 2, 4)),
}


def attend(lib, batch=2, query=None, **options):
    lib.manual_seed(0)
    x = lib.zeros((3, 4) if batch is None else (3, batch, 4))
    return lib.nn.MultiheadAttention(4, 2)(x if query is None else query, x, x, **options)


SIZE_IN_MESSAGE = {"2-D attn_mask of the wrong shape", "3-D attn_mask of the wrong shape",
                   "unbatched 3-D attn_mask of the wrong shape"}  # torch.Size(...) prints as minitorch.Size(...)


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch(name):
    error = check_program(ERRORS[name], message=name not in SIZE_IN_MESSAGE)
    assert isinstance(error, Exception)


def test_deepcopy_of_a_layer_gives_independent_equal_parameters():
    layer = minitorch.nn.TransformerDecoderLayer(4, 2, dim_feedforward=8)
    clone = copy.deepcopy(layer)
    for (name, original), (_, copied) in zip(layer.named_parameters(), clone.named_parameters()):
        assert original is not copied and np.array_equal(to_numpy(original), to_numpy(copied)), name
