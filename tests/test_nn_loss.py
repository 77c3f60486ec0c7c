"""Losses and distances against PyTorch: values, input gradients, second derivatives, layers, errors, warnings.

Each function is one row of ``CASES``: a hypothesis strategy that draws its inputs (float64 arrays,
cast to the dtype under test; class indices and ±1 labels stay int64, passed without grad) and its
options (reduction, weights, margins ...). Options that are arrays (class weights, pos_weight)
become tensors of the input dtype in each library. The same row drives the functional test, the
layer test (the layer built from the same options), gradcheck and double backward.
"""
from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Callable

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
from tests.helpers import (check_against_torch, check_double_backward_against_torch, check_gradcheck,
                           check_module_against_torch, check_program)
from tests.strategies import FLOAT_DTYPES

REDUCTIONS = st.sampled_from(["none", "mean", "sum"])


# -- drawing inputs ---------------------------------------------------------------------------

@st.composite
def generators(draw):
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1)))


def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def labels(rng, shape):
    """±1 labels as int64 (not differentiable: a finite difference would jump across them)."""
    return rng.choice([-1, 1], size=shape).astype(np.int64)


@st.composite
def pair(draw, make_target, **options):
    """(input, target) of one drawn shape; ``make_target(rng, shape)``; options drawn from strategies."""
    rng = draw(generators())
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    return (rng.standard_normal(shape) * 2, make_target(rng, shape)), draw(st.fixed_dictionaries(options))


@st.composite
def class_scores(draw, probabilities: bool):
    """Scores (C), (N, C) or (N, C, d1, ...), class indices or class probabilities, and the options of
    cross_entropy / nll_loss: weights, ignore_index (the default -100, or a class) with some targets
    ignored (never all: the mean would be 0/0), label smoothing, reduction."""
    rng = draw(generators())
    classes = draw(st.integers(1, 5))
    spatial = draw(st.lists(st.integers(1, 3), max_size=3))
    shape = (classes,) if not spatial and draw(st.booleans()) else (draw(st.integers(1, 4)), classes, *spatial)
    class_dim = 0 if len(shape) == 1 else 1
    scores = rng.standard_normal(shape) * 2
    options = {"reduction": draw(REDUCTIONS)}
    if draw(st.booleans()):
        options["weight"] = rng.uniform(0.5, 2.0, classes)
    if draw(st.booleans()):
        options["label_smoothing"] = draw(st.sampled_from([0.0, 0.1, 0.5, 1.0]))
    if probabilities:
        return (scores, softmax(rng.standard_normal(shape), class_dim)), options
    target_shape = shape[:1] + shape[2:] if class_dim else ()
    target = rng.integers(0, classes, target_shape)
    ignore = draw(st.sampled_from(["none", "default", "class" if classes > 1 else "default"]))
    if ignore != "none":
        ignore_index = -100 if ignore == "default" else int(rng.integers(0, classes))
        options["ignore_index"] = ignore_index
        target = np.where(rng.random(target.shape) < 0.4, ignore_index, target)
        if (target == ignore_index).all():
            target.reshape(-1)[0] = (ignore_index + 1) % classes
    return (scores, target), options


@st.composite
def vectors(draw, count: int, **options):
    """``count`` batches of vectors (N, D), or single vectors (D,), for margin and distance losses."""
    rng = draw(generators())
    shape = draw(st.sampled_from([(3,), (1, 4), (3, 2), (4, 5)]))
    return tuple(rng.standard_normal(shape) for _ in range(count)), draw(st.fixed_dictionaries(options))


@st.composite
def with_label(draw, inputs, label_shape: Callable, dtype=np.int64):
    """``inputs`` plus one ±1 label per row (per vector)."""
    arrays, options = draw(inputs)
    rng = draw(generators())
    return (*arrays, labels(rng, label_shape(arrays[0].shape)).astype(dtype)), options


@st.composite
def with_weight(draw, inputs, name: str, shape: Callable):
    """``inputs`` whose options may hold a positive weight array named ``name`` of ``shape(input shape)``."""
    arrays, options = draw(inputs)
    if draw(st.booleans()):
        options[name] = draw(generators()).uniform(0.5, 2.0, shape(arrays[0].shape))
    return arrays, options


@st.composite
def kl_inputs(draw):
    rng = draw(generators())
    log_target = draw(st.booleans())
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    log_probs = np.log(softmax(rng.standard_normal(shape), -1))
    target = softmax(rng.standard_normal(shape), -1)
    options = {"reduction": draw(st.sampled_from(["none", "sum", "batchmean"])), "log_target": log_target}
    return (log_probs, np.log(target) if log_target else target), options


@st.composite
def broadcast_vectors(draw):
    """Two inputs whose shapes broadcast, and a dim that exists in the broadcast shape."""
    rng = draw(generators())
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    other = shape[draw(st.integers(0, len(shape) - 1)):]
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    return (rng.standard_normal(shape), rng.standard_normal(other)), {"dim": dim, "eps": draw(st.sampled_from([1e-8,
                                                                                                             0.5]))}


def same_shape(shape):
    return shape


def last_axis(shape):
    return shape[-1:]


def rows(shape):
    return shape[:-1]


def normal(rng, shape):
    return rng.standard_normal(shape)


def probabilities(rng, shape):
    return rng.uniform(0.0, 1.0, shape)


def positive(rng, shape):
    return rng.uniform(0.2, 4.0, shape)


@st.composite
def bce_inputs(draw):
    (_, target), options = draw(pair(probabilities, reduction=REDUCTIONS))
    rng = draw(generators())
    return (rng.uniform(0.05, 0.95, target.shape), target), options


@st.composite
def gaussian_inputs(draw):
    (input, target), options = draw(pair(normal, reduction=REDUCTIONS, full=st.booleans()))
    variance = draw(generators()).uniform(0.5, 2.0, input.shape)
    return (input, target, variance), options


@st.composite
def poisson_inputs(draw):
    (input, target), options = draw(pair(positive, reduction=REDUCTIONS, log_input=st.booleans(), full=st.booleans()))
    return (input if options["log_input"] else np.abs(input) + 0.5, target), options


@st.composite
def normalize_inputs(draw):
    rng = draw(generators())
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    options = {"p": draw(st.sampled_from([1.0, 2.0, 3.0])), "dim": draw(st.integers(-len(shape), len(shape) - 1))}
    return (rng.standard_normal(shape),), options


# -- the table --------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Case:
    function: str           # the name in nn.functional
    draw: st.SearchStrategy  # -> (arrays, options)
    module: str | None      # the layer built from the same options, if there is one


MARGINS = st.sampled_from([0.0, 0.5, -0.2])
TRIPLET = {"margin": st.sampled_from([1.0, 0.3]), "swap": st.booleans(), "reduction": REDUCTIONS}

CASES = {
    "cross_entropy": Case("cross_entropy", class_scores(probabilities=False), "CrossEntropyLoss"),
    "cross_entropy_probabilities": Case("cross_entropy", class_scores(probabilities=True), "CrossEntropyLoss"),
    "nll_loss": Case("nll_loss", class_scores(probabilities=False).map(
        lambda case: (case[0], {k: v for k, v in case[1].items() if k != "label_smoothing"})), "NLLLoss"),
    "mse_loss": Case("mse_loss", pair(normal, reduction=REDUCTIONS), "MSELoss"),
    "mse_loss_weighted": Case("mse_loss", with_weight(pair(normal, reduction=REDUCTIONS), "weight", same_shape),
                              None),
    "l1_loss": Case("l1_loss", pair(normal, reduction=REDUCTIONS), "L1Loss"),
    "smooth_l1_loss": Case("smooth_l1_loss", pair(normal, reduction=REDUCTIONS,
                                                  beta=st.sampled_from([0.0, 0.5, 1.0, 2.0])), "SmoothL1Loss"),
    "huber_loss": Case("huber_loss", pair(normal, reduction=REDUCTIONS, delta=st.sampled_from([0.5, 1.0, 2.0])),
                       "HuberLoss"),
    "binary_cross_entropy": Case("binary_cross_entropy", with_weight(bce_inputs(), "weight", last_axis), "BCELoss"),
    "binary_cross_entropy_with_logits": Case(
        "binary_cross_entropy_with_logits",
        with_weight(with_weight(pair(probabilities, reduction=REDUCTIONS), "weight", same_shape),
                    "pos_weight", last_axis), "BCEWithLogitsLoss"),
    "kl_div": Case("kl_div", kl_inputs(), "KLDivLoss"),
    "poisson_nll_loss": Case("poisson_nll_loss", poisson_inputs(), "PoissonNLLLoss"),
    "gaussian_nll_loss": Case("gaussian_nll_loss", gaussian_inputs(), "GaussianNLLLoss"),
    "soft_margin_loss": Case("soft_margin_loss", pair(labels, reduction=REDUCTIONS), "SoftMarginLoss"),
    "multilabel_soft_margin_loss": Case(
        "multilabel_soft_margin_loss", with_weight(pair(probabilities, reduction=REDUCTIONS), "weight", last_axis),
        "MultiLabelSoftMarginLoss"),
    "margin_ranking_loss": Case("margin_ranking_loss", with_label(
        vectors(2, margin=MARGINS, reduction=REDUCTIONS), same_shape, np.float64), "MarginRankingLoss"),
    "hinge_embedding_loss": Case("hinge_embedding_loss", with_label(
        vectors(1, margin=st.sampled_from([1.0, 0.5]), reduction=REDUCTIONS), same_shape), "HingeEmbeddingLoss"),
    "cosine_embedding_loss": Case("cosine_embedding_loss", with_label(
        vectors(2, margin=MARGINS, reduction=REDUCTIONS), rows), "CosineEmbeddingLoss"),
    "triplet_margin_loss": Case("triplet_margin_loss", vectors(
        3, p=st.sampled_from([1.0, 2.0, 3.0]), eps=st.sampled_from([1e-6, 0.1]), **TRIPLET), "TripletMarginLoss"),
    "triplet_margin_with_distance_loss": Case("triplet_margin_with_distance_loss", vectors(3, **TRIPLET),
                                              "TripletMarginWithDistanceLoss"),
    "normalize": Case("normalize", normalize_inputs(), None),
    "cosine_similarity": Case("cosine_similarity", broadcast_vectors(), "CosineSimilarity"),
    "pairwise_distance": Case("pairwise_distance", vectors(2, p=st.sampled_from([1.0, 2.0, 3.0, math.inf]),
                                                           eps=st.sampled_from([1e-6, 0.1]), keepdim=st.booleans()),
                              "PairwiseDistance"),
}


def cast(arrays, dtype):
    return tuple(a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays)


def options_for(lib, options, dtype):
    """The options with arrays (weights) as tensors of ``dtype`` in ``lib``, without grad."""
    return {name: lib.tensor(value.astype(dtype)) if isinstance(value, np.ndarray) else value
            for name, value in options.items()}


def functional(lib, case: Case, options, dtype):
    function = getattr(lib.nn.functional, case.function)
    kwargs = options_for(lib, options, dtype)
    return lambda *inputs: function(*inputs, **kwargs)


# -- parity -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", CASES)
@given(data=st.data(), dtype=FLOAT_DTYPES)
def test_loss_function_matches_torch(name, data, dtype):
    case = CASES[name]
    arrays, options = data.draw(case.draw)
    check_against_torch(functional(minitorch, case, options, dtype), functional(torch, case, options, dtype),
                        *cast(arrays, dtype))


@pytest.mark.parametrize("name", [name for name, case in CASES.items() if case.module])
@given(data=st.data(), dtype=FLOAT_DTYPES)
def test_loss_layer_matches_torch_with_same_repr_and_buffers(name, data, dtype):
    case = CASES[name]
    arrays, options = data.draw(case.draw)
    layers = [getattr(lib.nn, case.module)(**options_for(lib, options, dtype)) for lib in (minitorch, torch)]
    assert repr(layers[0]) == repr(layers[1])
    check_module_against_torch(*layers, *cast(arrays, dtype))


# PyTorch's cosine_similarity clamps the norms at eps outside autograd: where that bites, its
# gradient is not the derivative (and ours follows PyTorch's), so finite differences use a tiny eps.
GRADCHECK_OPTIONS = {"cosine_similarity": {"eps": 1e-8}}


@pytest.mark.parametrize("name", CASES)
@settings(max_examples=4)
@given(data=st.data())
def test_loss_gradients_match_finite_differences(name, data):
    case = CASES[name]
    arrays, options = data.draw(case.draw)
    options.update(GRADCHECK_OPTIONS.get(name, {}))
    check_gradcheck(functional(minitorch, case, options, np.float64), *arrays)


@pytest.mark.parametrize("name", [name for name in CASES if name != "nll_loss"])  # linear: no second derivative
@settings(max_examples=4)
@given(data=st.data())
def test_loss_second_derivatives_match_torch(name, data):
    case = CASES[name]
    arrays, options = data.draw(case.draw)
    check_double_backward_against_torch(functional(minitorch, case, options, np.float64),
                                        functional(torch, case, options, np.float64), *arrays)


@given(data=st.data())
def test_nll_loss_primitive_matches_its_gather_composite(data):
    """The fused NLLLoss (one gather, weights, ignore_index and the weighted mean in one pass) against
    the same loss composed from public ops, values and gradients."""
    (scores, target), options = data.draw(class_scores(probabilities=False).filter(lambda case: case[0][0].ndim > 1))
    options.pop("label_smoothing", None)
    ignore_index = options.get("ignore_index", -100)
    weight = options.get("weight", np.ones(scores.shape[1]))

    def composite(log_probs, target):
        kept = target != ignore_index
        classes = target.masked_fill(~kept, 0)
        picked = log_probs.gather(1, classes.unsqueeze(1)).squeeze(1)
        weights = minitorch.tensor(weight)[classes] * kept
        losses = -(picked * weights)
        return {"none": losses, "sum": losses.sum(), "mean": losses.sum() / weights.sum()}[options["reduction"]]

    results = []
    for loss in (functional(minitorch, CASES["nll_loss"], options, np.float64), composite):
        log_probs = minitorch.tensor(scores, requires_grad=True)
        value = loss(log_probs, minitorch.tensor(target))
        upstream = np.random.default_rng(0).standard_normal(value.shape)
        value.backward(minitorch.tensor(upstream))
        results.append((value.detach().numpy(), log_probs.grad.numpy()))
    for fused, composed in zip(*results):
        np.testing.assert_allclose(fused, composed, rtol=1e-12, atol=1e-12)


# -- boundaries: values and gradients where a careless formula gives NaN or inf ---------------

def input_grad(lib, loss, *values):
    """The gradient of ``loss(x, *rest)`` with respect to its first input x = ``values[0]``."""
    x = lib.tensor(values[0], requires_grad=True)
    loss(x, *[lib.tensor(v) for v in values[1:]]).backward()
    return x.grad


BOUNDARIES = {
    "bce_at_probabilities_0_and_1": lambda lib: input_grad(lib, lib.nn.functional.binary_cross_entropy,
                                                           [0.0, 1.0, 0.5], [1.0, 0.0, 0.5]),
    "bce_target_gradient_at_0_and_1": lambda lib: input_grad(
        lib, lambda t, x: lib.nn.functional.binary_cross_entropy(x, t), [1.0, 0.0, 0.5], [0.0, 1.0, 0.5]),
    "bce_of_saturated_sigmoid": lambda lib: input_grad(
        lib, lambda x, t: lib.nn.functional.binary_cross_entropy(x.sigmoid(), t), [20.0, -120.0, 0.5],
        [1.0, 0.0, 0.5]),
    "bce_with_huge_logits": lambda lib: input_grad(lib, lib.nn.functional.binary_cross_entropy_with_logits,
                                                   [1000.0, -1000.0, 0.0], [0.0, 1.0, 1.0]),
    "kl_div_zero_target": lambda lib: input_grad(
        lib, lambda t, x: lib.nn.functional.kl_div(x, t, reduction="sum"), [0.0, 0.5, 0.5], [-1.0, -1.0, -1.0]),
    "every_target_ignored": lambda lib: input_grad(lib, lib.nn.functional.cross_entropy, np.ones((2, 3)),
                                                   np.array([-100, -100])),
    "empty_batch": lambda lib: lib.nn.functional.cross_entropy(lib.zeros(0, 3), lib.zeros(0, dtype=lib.long)),
    "empty_batch_with_smoothing": lambda lib: lib.nn.functional.cross_entropy(
        lib.zeros(0, 3), lib.zeros(0, dtype=lib.long), label_smoothing=0.2),
    "uint8_targets": lambda lib: lib.nn.functional.cross_entropy(lib.arange(6.0).reshape(2, 3),
                                                                 lib.tensor([1, 2], dtype=lib.uint8)),
    "huber_weighted_mean_divides_by_count": lambda lib: lib.nn.functional.huber_loss(
        lib.ones(2, 3), lib.zeros(2, 3), weight=lib.arange(6.0).reshape(2, 3)),
    "cosine_similarity_of_zero_vector": lambda lib: input_grad(
        lib, lambda x, y: lib.nn.functional.cosine_similarity(x, y).sum(), np.zeros((2, 3)), np.ones((2, 3))),
    "pairwise_distance_of_integers": lambda lib: lib.nn.functional.pairwise_distance(
        lib.ones(3, dtype=lib.long), lib.zeros(3, dtype=lib.long)),
    "hinge_and_cosine_embedding_other_labels": lambda lib: lib.stack([
        lib.nn.functional.hinge_embedding_loss(lib.tensor([0.5, 2.0]), lib.tensor([0, 2]), reduction="none"),
        lib.nn.functional.cosine_embedding_loss(lib.ones(2, 3), lib.arange(6.0).reshape(2, 3), lib.tensor([0, 2]),
                                                reduction="none")]),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's log(0) and exp overflow here are the point
@pytest.mark.parametrize("name", BOUNDARIES)
def test_boundary_values_and_gradients_match_torch(name):
    check_program(BOUNDARIES[name])


# -- errors and warnings ----------------------------------------------------------------------

def tensors(lib, *shapes, dtype=None):
    return [lib.ones(shape, dtype=dtype or lib.float32) for shape in shapes]


def indices(lib, *values):
    return lib.tensor(list(values))


ERRORS = {
    "batch_sizes_differ": lambda lib: lib.nn.functional.cross_entropy(*tensors(lib, (4, 3)), indices(lib, 0, 1, 2)),
    "target_above_classes": lambda lib: lib.nn.functional.cross_entropy(*tensors(lib, (2, 3)), indices(lib, 0, 3)),
    "negative_target": lambda lib: lib.nn.functional.nll_loss(*tensors(lib, (2, 3)), indices(lib, -1, 0)),
    "spatial_target_out_of_bounds": lambda lib: lib.nn.functional.cross_entropy(
        *tensors(lib, (2, 3, 2)), lib.full((2, 2), 5)),
    "long_probabilities": lambda lib: lib.nn.functional.cross_entropy(*tensors(lib, (2, 3)),
                                                                      lib.zeros(2, 3, dtype=lib.long)),
    "ignore_index_with_probabilities": lambda lib: lib.nn.functional.cross_entropy(*tensors(lib, (2, 3), (2, 3)),
                                                                                   ignore_index=1),
    "float_class_target": lambda lib: lib.nn.functional.cross_entropy(*tensors(lib, (2, 3), (2,))),
    "int32_class_target": lambda lib: lib.nn.functional.nll_loss(*tensors(lib, (2, 3)),
                                                                 lib.zeros(2, dtype=lib.int32)),
    "two_dimensional_target": lambda lib: lib.nn.functional.nll_loss(*tensors(lib, (2, 3)),
                                                                     lib.zeros(2, 1, dtype=lib.long)),
    "spatial_target_shape": lambda lib: lib.nn.functional.nll_loss(*tensors(lib, (2, 3, 4)),
                                                                   lib.zeros(2, 5, dtype=lib.long)),
    "image_target_shape": lambda lib: lib.nn.functional.nll_loss(*tensors(lib, (2, 3, 4, 4)),
                                                                 lib.zeros(2, 5, 4, dtype=lib.long)),
    "image_target_dims": lambda lib: lib.nn.functional.nll_loss(*tensors(lib, (2, 3, 4, 4)),
                                                                lib.zeros(2, 4, dtype=lib.long)),
    "zero_dimensional_input": lambda lib: lib.nn.functional.nll_loss(*tensors(lib, ()), indices(lib, 0)[0]),
    "weight_size": lambda lib: lib.nn.functional.cross_entropy(*tensors(lib, (2, 3)), indices(lib, 0, 1),
                                                               weight=lib.ones(2)),
    "weight_size_with_probabilities": lambda lib: lib.nn.functional.cross_entropy(*tensors(lib, (2, 3), (2, 3)),
                                                                                  weight=lib.ones(2)),
    "weight_dtype": lambda lib: lib.nn.functional.nll_loss(*tensors(lib, (2, 3)), indices(lib, 0, 1),
                                                           weight=lib.ones(3, dtype=lib.float64)),
    "label_smoothing_above_one": lambda lib: lib.nn.functional.cross_entropy(*tensors(lib, (2, 3)),
                                                                             indices(lib, 0, 1), label_smoothing=1.5),
    "unknown_reduction": lambda lib: lib.nn.functional.cross_entropy(*tensors(lib, (2, 3)), indices(lib, 0, 1),
                                                                     reduction="average"),
    "integer_scores": lambda lib: lib.nn.functional.cross_entropy(lib.zeros(2, 3, dtype=lib.long),
                                                                  indices(lib, 0, 1)),
    "mse_shapes_do_not_broadcast": lambda lib: lib.nn.functional.mse_loss(*tensors(lib, (4, 3), (2,))),
    "negative_beta": lambda lib: lib.nn.functional.smooth_l1_loss(*tensors(lib, (2,), (2,)), beta=-1.0),
    "zero_delta": lambda lib: lib.nn.functional.huber_loss(*tensors(lib, (2,), (2,)), delta=0.0),
    "weight_shape_of_mse": lambda lib: lib.nn.functional.mse_loss(*tensors(lib, (2, 3), (2, 3), (3,))),
    "bce_probability_above_one": lambda lib: lib.nn.functional.binary_cross_entropy(lib.full((2,), 1.5),
                                                                                    lib.ones(2)),
    "bce_long_target": lambda lib: lib.nn.functional.binary_cross_entropy(lib.full((2,), 0.5),
                                                                          lib.ones(2, dtype=lib.long)),
    "kl_div_reduction": lambda lib: lib.nn.functional.kl_div(*tensors(lib, (2,), (2,)), reduction="batch"),
    "cosine_embedding_target_dims": lambda lib: lib.nn.functional.cosine_embedding_loss(
        *tensors(lib, (4, 3), (4, 3), (4, 1))),
    "cosine_embedding_input_dims": lambda lib: lib.nn.functional.cosine_embedding_loss(
        *tensors(lib, (4, 3), (4, 3), ())),
    "margin_ranking_dims": lambda lib: lib.nn.functional.margin_ranking_loss(*tensors(lib, (4, 3), (4, 3), (4,))),
    "triplet_zero_margin": lambda lib: lib.nn.functional.triplet_margin_loss(*tensors(lib, (2, 3), (2, 3), (2, 3)),
                                                                             margin=0),
    "triplet_dims": lambda lib: lib.nn.functional.triplet_margin_loss(*tensors(lib, (2, 3), (2, 3), (3,))),
    "triplet_layer_margin": lambda lib: lib.nn.TripletMarginLoss(margin=-1.0),
    "huber_layer_delta_type": lambda lib: lib.nn.HuberLoss(delta="1"),
    "cosine_similarity_of_integers": lambda lib: lib.nn.functional.cosine_similarity(
        *tensors(lib, (2, 3), (2, 3), dtype=lib.long)),
    "cosine_similarity_shapes": lambda lib: lib.nn.functional.cosine_similarity(*tensors(lib, (2, 3), (2,))),
    "cosine_similarity_dim": lambda lib: lib.nn.functional.cosine_similarity(*tensors(lib, (2, 3), (2, 3)), dim=2),
    "normalize_integers": lambda lib: lib.nn.functional.normalize(lib.ones(2, 3, dtype=lib.long)),
    "normalize_dim": lambda lib: lib.nn.functional.normalize(lib.ones(3)),
}
# Compare these errors' types only: minitorch prints its shapes as minitorch.Size([...]), and the core's
# log_softmax names its kernel "logsoftmax_lastdim_kernel_impl" (PyTorch: "log_softmax_lastdim_kernel_impl").
TYPE_ONLY = {"bce_target_size", "bce_with_logits_target_size", "margin_ranking_dims", "integer_scores"}
ERRORS.update({
    "bce_target_size": lambda lib: lib.nn.functional.binary_cross_entropy(lib.full((4, 3), 0.5), lib.ones(3)),
    "bce_with_logits_target_size": lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(
        *tensors(lib, (4, 3), (3,))),
})


@pytest.mark.filterwarnings("ignore:Using a target size")
@pytest.mark.parametrize("name", ERRORS)
def test_invalid_arguments_raise_like_torch(name):
    error = check_program(ERRORS[name], message=name not in TYPE_ONLY)
    assert error is not None, "torch accepts these arguments: the row tests nothing"


WARNINGS = {
    "mse_target_broadcasts": lambda lib: lib.nn.functional.mse_loss(*tensors(lib, (4, 3), (3,))),
    "l1_target_broadcasts": lambda lib: lib.nn.functional.l1_loss(*tensors(lib, (4, 1), (4,))),
    "size_average_false_sums": lambda lib: lib.nn.functional.mse_loss(*tensors(lib, (2,), (3, 1)),
                                                                      size_average=False),
    "reduce_false_keeps_elements": lambda lib: lib.nn.functional.cross_entropy(
        lib.arange(6.0).reshape(2, 3), indices(lib, 0, 2), reduce=False),
    "elementwise_mean": lambda lib: lib.nn.functional.l1_loss(*tensors(lib, (2,), (2,)),
                                                              reduction="elementwise_mean"),
    "kl_div_mean": lambda lib: lib.nn.functional.kl_div(lib.full((2, 3), -1.0), lib.full((2, 3), 0.5)),
    "layer_with_size_average": lambda lib: lib.tensor(["none", "mean", "sum"].index(
        lib.nn.NLLLoss(size_average=False).reduction)),
    "nll_loss2d_is_deprecated": lambda lib: lib.tensor(lib.nn.NLLLoss2d().ignore_index),
}


def warnings_and_result(program, lib):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = program(lib)
    return [(w.category, str(w.message).replace("minitorch.Size", "Size").replace("torch.Size", "Size")[:60])
            for w in caught], result


@pytest.mark.parametrize("name", WARNINGS)
def test_warnings_and_results_match_torch(name):
    expected, expected_result = warnings_and_result(WARNINGS[name], torch)
    actual, actual_result = warnings_and_result(WARNINGS[name], minitorch)
    assert expected, "torch does not warn: the row tests nothing"
    assert actual == expected
    np.testing.assert_allclose(actual_result.numpy(), expected_result.numpy(), rtol=1e-6)
