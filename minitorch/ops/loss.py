"""Loss functions: how far a prediction is from its target, as one number (or one per element).

Every loss has PyTorch's name and signature, the deprecated ``size_average`` and ``reduce``
arguments included (mapped to ``reduction`` as PyTorch maps them, with its warning). A loss
computes one value per element, then ``_reduce`` takes their mean, their sum, or keeps them all.

Most losses are composites of Tensor ops, so their gradients (and second derivatives) come for
free. ``NLLLoss`` is a primitive because speed asks for one: it picks each target's log-probability
with one gather (never a one-hot product), then weighs, ignores and reduces in one NumPy pass; its
backward (``NLLLossBackward``, one op) writes the gradient back at the targets. ``cross_entropy`` is
``log_softmax`` followed by it: the hot path of every classifier. The losses on logits stay finite
for large logits through ``logsigmoid``, a primitive of the activations.
"""
from __future__ import annotations

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "cosine_embedding_loss",
           "margin_ranking_loss", "hinge_embedding_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss",
           "soft_margin_loss", "poisson_nll_loss", "gaussian_nll_loss", "multilabel_soft_margin_loss"]

import math
import warnings

import numpy

from minitorch import backend, creation
from minitorch.autograd import grad_mode
from minitorch.autograd.function import Function
from minitorch.ops import distance, indexing
from minitorch.ops.activation import logsigmoid
from minitorch.ops.elementwise import where
from minitorch.ops.reduction import log_softmax
from minitorch.tensor import Tensor, _type_name
from minitorch.ops.autocast import autocast_op

_TARGET_DTYPES = (numpy.dtype(numpy.int64), numpy.dtype(numpy.uint8))


# ---------------------------------------------------------------------------------------------
# Reduction: 'mean', 'sum' or 'none', and the deprecated size_average / reduce
# ---------------------------------------------------------------------------------------------

def _legacy_reduction(size_average, reduce, stacklevel: int = 3) -> str:
    """The ``reduction`` that the deprecated flags mean: reduce=False keeps every element, else
    size_average=False sums, else the mean. (PyTorch's ``_Reduction.legacy_get_string``.)"""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
                  stacklevel=stacklevel)
    return reduction


def _reduction(size_average, reduce, reduction: str) -> str:
    """The reduction asked for, checked; the deprecated flags win when either is given."""
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce, stacklevel=4)
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
                      stacklevel=3)
        return "mean"
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _weighted(loss: Tensor, weight, input: Tensor, reduction: str, mean_over_weights: bool = True) -> Tensor:
    """``loss * weight`` reduced. PyTorch's weighted mean divides by the sum of the weights for mse and l1,
    but by the number of elements for huber (``mean_over_weights=False``)."""
    if weight is None:
        return _reduce(loss, reduction)
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    return loss.sum() / weight.sum() if reduction == "mean" and mean_over_weights else _reduce(loss, reduction)


# ---------------------------------------------------------------------------------------------
# Classification: negative log-likelihood and cross entropy
# ---------------------------------------------------------------------------------------------

def _target_key(xp, classes):
    """The advanced key that reads ``x[n, classes[n, d...], d...]`` for every (n, d...): the target
    class's entry in each row of log-probabilities, whose class axis is axis 1."""
    grids = [xp.arange(size).reshape([-1 if axis == other else 1 for other in range(classes.ndim)])
             for axis, size in enumerate(classes.shape)]
    return (grids[0], classes, *grids[1:])


class NLLLoss(Function):
    """loss_n = -weight[t_n] * x[n, t_n], 0 where t_n is ignore_index, then summed, averaged over the
    weights picked (mean) or kept; d/dx = -weight[t_n] (/ total) at (n, t_n) and 0 elsewhere."""

    @staticmethod
    def forward(ctx, log_probs, target, weight, ignore_index, reduction):
        xp = backend.array_module(log_probs)
        kept = target != ignore_index
        classes = xp.where(kept, target, 0).astype(numpy.int64, copy=False)  # ignored: read class 0, count 0
        outside = (classes < 0) | (classes >= log_probs.shape[1])
        if outside.any():
            raise IndexError(f"Target {int(target[outside][0])} is out of bounds.")
        key = _target_key(xp, classes)
        scale = kept.astype(log_probs.dtype) if weight is None else xp.where(kept, weight[classes], 0)
        losses = -(log_probs[key] * scale)
        if reduction == "none":
            result = losses
        elif reduction == "sum":
            result = losses.sum()
        else:
            total = scale.sum()
            if total != 0:
                result = losses.sum() / total
                scale = scale / total
            else:  # every target ignored: 0 / 0 is NaN, as in PyTorch (and no gradient at all)
                result = losses.sum() * numpy.nan
        ctx.key, ctx.input_shape = key, log_probs.shape
        ctx.save_for_backward(-scale)
        return backend.ensure_array(result)

    @staticmethod
    def backward(ctx, grad_output):
        slope, = ctx.saved_tensors
        return NLLLossBackward.apply(grad_output, slope, ctx.key, ctx.input_shape), None, None, None, None


class NLLLossBackward(Function):
    """NLLLoss's input gradient: zeros with slope * g written at the targets (one op, not zeros + mul + put).
    It is linear in g, so d/dg reads the gradient back at the targets, times the slope (for double backward)."""

    @staticmethod
    def forward(ctx, grad_output, slope, key, input_shape):
        ctx.key = key
        ctx.save_for_backward(slope)
        result = backend.array_module(slope).zeros(input_shape, dtype=slope.dtype)
        result[key] = slope * grad_output
        return result

    @staticmethod
    def backward(ctx, grad):
        slope, = ctx.saved_tensors
        return indexing.AdvancedIndex.apply(grad, ctx.key) * slope, None, None, None


def _check_class_weight(weight, input: Tensor, classes: int, name: str = ""):
    if weight is None:
        return
    if weight.dim() != 1 or weight.numel() != classes:
        raise RuntimeError(f"{name}weight tensor should be defined either for all {classes} classes or no classes "
                           f"but got weight tensor of shape: {list(weight.shape)}")
    if weight.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {_type_name(input.dtype)} but found {_type_name(weight.dtype)}")


def _check_nll_shapes(input: Tensor, target: Tensor):
    """PyTorch's checks of the (N, C, d1, d2, ...) input against the (N, d1, d2, ...) target."""
    shape, target_shape = list(input.shape), list(target.shape)
    if len(shape) < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {len(shape)})")
    if len(shape) != 1 and (not target_shape or shape[0] != target_shape[0]):
        raise ValueError(f"Expected input batch_size ({shape[0]}) to match target batch_size "
                         f"({target_shape[0] if target_shape else 1}).")
    if len(shape) <= 2 and len(target_shape) > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if len(shape) == 4 and len(target_shape) != 3:  # PyTorch's nll_loss2d has its own words
        raise RuntimeError("only batches of spatial targets supported (3D tensors) but got targets of dimension: "
                           f"{len(target_shape)}")
    if len(shape) == 4 and target_shape[1:] != shape[2:]:
        raise RuntimeError(f"size mismatch (got input: {shape} , target: {target_shape}")
    if len(shape) > 2 and target_shape[1:] != shape[2:]:
        raise RuntimeError(f"Expected target size {shape[:1] + shape[2:]}, got {target_shape}")


@autocast_op
def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """The negative log-likelihood of the target classes, given log-probabilities ``input`` of shape (C),
    (N, C) or (N, C, d1, d2, ...) and class indices ``target`` of shape (), (N) or (N, d1, d2, ...)."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_nll_shapes(input, target)
    _check_class_weight(weight, input, input.shape[0 if input.dim() == 1 else 1])
    if target._data.dtype not in _TARGET_DTYPES:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_type_name(target.dtype)}")
    if input.dim() == 1:  # one sample: a batch of one
        loss = nll_loss(input.unsqueeze(0), target.reshape(1), weight, None, ignore_index, None, reduction)
        return loss.reshape(target.shape) if reduction == "none" else loss
    weight_array = None if weight is None else weight._data
    return NLLLoss.apply(input, target._data, weight_array, ignore_index, reduction)


def _class_weight_view(weight: Tensor, log_probs: Tensor, class_dim: int) -> Tensor:
    """The (C,) class weights shaped to broadcast along the class axis of ``log_probs``."""
    shape = [1] * log_probs.dim()
    shape[class_dim] = weight.shape[0]
    return weight.view(shape)


def _check_label_smoothing(label_smoothing: float):
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")


def _cross_entropy_with_probabilities(input, target, weight, reduction, label_smoothing, class_dim):
    """-sum over classes of target * log_softmax(input) (* weight), for a target of class probabilities."""
    classes = input.shape[class_dim]
    _check_class_weight(weight, input, classes, name="cross_entropy: ")
    log_probs = log_softmax(input, class_dim)
    if label_smoothing > 0.0:
        _check_label_smoothing(label_smoothing)
        target = target * (1 - label_smoothing) + label_smoothing / classes
    products = log_probs * target
    if weight is not None:
        products = products * _class_weight_view(weight, log_probs, class_dim)
    if reduction == "none":
        return -products.sum(class_dim)
    if reduction == "sum":
        return -products.sum()
    if input.numel() == 0:
        return products.sum() * float("nan")
    return -products.sum() / (input.numel() // classes)  # the mean over samples (and positions)


def _cross_entropy_with_smoothing(input, target, weight, ignore_index, reduction, label_smoothing, class_dim):
    """(1 - s) * nll + s * (the loss against the uniform distribution), for class-index targets
    (PyTorch's formula: each sample's uniform part is averaged over the weights of the targets kept)."""
    _check_label_smoothing(label_smoothing)
    log_probs = log_softmax(input, class_dim)
    nll = nll_loss(log_probs, target, weight, None, ignore_index, None, reduction)
    classes = log_probs.shape[class_dim]
    if weight is not None:
        log_probs = log_probs * _class_weight_view(weight, log_probs, class_dim)
    ignored = target == ignore_index
    smooth = (-log_probs.sum(class_dim)).masked_fill(ignored, 0.0)
    if reduction == "mean":
        kept = target.masked_select(~ignored)
        total = (~ignored).sum() if weight is None else weight.index_select(0, kept.reshape(-1)).sum()
        smooth = smooth.sum() / total
    else:
        smooth = _reduce(smooth, reduction)
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / classes)


@autocast_op
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """The cross entropy between softmax(``input``) and the target, along the class axis (axis 1, or 0 for
    one sample). ``target`` holds class indices (one fewer axis) or class probabilities (input's shape)."""
    reduction = _reduction(size_average, reduce, reduction)
    class_dim = 0 if input.dim() == 1 else 1
    if input.shape == target.shape:
        if not target.is_floating_point():
            raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                               f"{_type_name(target.dtype)}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        return _cross_entropy_with_probabilities(input, target, weight, reduction, label_smoothing, class_dim)
    if label_smoothing > 0.0:
        return _cross_entropy_with_smoothing(input, target, weight, ignore_index, reduction, label_smoothing,
                                             class_dim)
    return nll_loss(log_softmax(input, class_dim), target, weight, None, ignore_index, None, reduction)


# ---------------------------------------------------------------------------------------------
# Regression: squared, absolute, smooth L1, Huber
# ---------------------------------------------------------------------------------------------

def _difference(input, target) -> Tensor:
    """input - target, after PyTorch's warning when they broadcast: (N, 1) against (N,) is N x N."""
    _warn_if_broadcast(input, target, stacklevel=4)
    return input - target


def _warn_if_broadcast(input, target, stacklevel: int = 3) -> None:
    if target._data.shape != input._data.shape:
        warnings.warn(f"Using a target size ({target.size()}) that is different to the input size ({input.size()}). "
                      "This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=stacklevel)


class MSELoss(Function):
    """mean (or sum) of (x - t)^2 over n elements; d/dx = 2 (x - t) / n (n = 1 for the sum), d/dt = -d/dx.

    A primitive because per-op overhead dominates small models: one op forward and one backward
    (``MSELossBackward``, as PyTorch's mse_loss_backward), where the composite
    ``(x - t).square().mean()`` takes three and five (the tests keep it as a cross-check)."""

    @staticmethod
    def forward(ctx, x, t, reduction):
        ctx.save_for_backward(x, t)
        difference = x - t
        total = (difference * difference).sum()
        if reduction == "mean":
            ctx.scale = 2 / difference.size
            return total / difference.size
        ctx.scale = 2
        return total

    @staticmethod
    def backward(ctx, grad_output):
        x, t = ctx.saved_tensors
        grad = MSELossBackward.apply(grad_output, x, t, ctx.scale)
        needs_x, needs_t, _ = ctx.needs_input_grad
        return grad if needs_x else None, -grad if needs_t else None, None


class MSELossBackward(Function):
    """MSELoss's gradient for x, (x - t) * (g * scale), as one op; d/dg = scale (x - t) (summed to g's
    shape by the engine), d/dx = scale g, d/dt = -scale g."""

    @staticmethod
    def forward(ctx, grad, x, t, scale):
        ctx.save_for_backward(grad, x, t)
        ctx.scale = scale
        return (x - t) * (grad * scale)

    @staticmethod
    def backward(ctx, grad_output):
        grad, x, t = ctx.saved_tensors
        needs_grad, needs_x, needs_t, _ = ctx.needs_input_grad
        grad_x = grad_output * (grad * ctx.scale) if needs_x or needs_t else None
        return (grad_output * (x - t) * ctx.scale if needs_grad else None,
                grad_x if needs_x else None,
                -grad_x if needs_t else None,
                None)


@autocast_op
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """(input - target)^2, reduced."""
    _warn_if_broadcast(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if (weight is None and reduction != "none" and input._data.shape == target._data.shape and input._data.size
            and input._data.dtype == target._data.dtype and input._data.dtype.kind in backend.FLOATING_KINDS):
        return MSELoss.apply(input, target, reduction)  # the common case, as one op
    return _weighted((input - target).square(), weight, input, reduction)


@autocast_op
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """|input - target|, reduced."""
    difference = _difference(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    return _weighted(difference.abs(), weight, input, reduction)


def _quadratic_then_linear(difference: Tensor, threshold: float, linear_slope: float) -> Tensor:
    """0.5 d^2 for |d| < threshold, then a line continuing it with slope ``linear_slope`` (smooth L1, Huber)."""
    size = difference.abs()
    quadratic = 0.5 * difference.square() * (linear_slope / threshold)
    return where(size < threshold, quadratic, linear_slope * (size - 0.5 * threshold))


@autocast_op
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target); beta = 0 is L1."""
    difference = _difference(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return _reduce(difference.abs(), reduction)
    return _reduce(_quadratic_then_linear(difference, beta, 1.0), reduction)


@autocast_op
def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta): smooth L1 times delta."""
    difference = _difference(input, target)
    reduction = _reduction(None, None, reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    return _weighted(_quadratic_then_linear(difference, delta, delta), weight, input, reduction,
                     mean_over_weights=False)


# ---------------------------------------------------------------------------------------------
# Binary classification, distributions
# ---------------------------------------------------------------------------------------------

class BinaryCrossEntropy(Function):
    """-(t log x + (1 - t) log(1 - x)), each log at least -100; d/dx = (x - t) / max(x (1 - x), 1e-12),
    d/dt = log(1 - x) - log x. A primitive for PyTorch's gradient at x = 0 and 1 (where a float32
    sigmoid saturates): large but finite, where the composite's is 0 * inf = NaN."""

    @staticmethod
    def forward(ctx, x, t):
        ctx.save_for_backward(x, t)
        xp = backend.array_module(x)
        with numpy.errstate(divide="ignore"):  # log(0) = -inf, then clamped
            return -(t * xp.maximum(xp.log(x), -100) + (1 - t) * xp.maximum(xp.log1p(-x), -100))

    @staticmethod
    def backward(ctx, grad_output):
        x, t = ctx.saved_tensors
        grad_x = grad_t = None
        if ctx.needs_input_grad[0]:
            grad_x = grad_output * (x - t) / (x * (1 - x)).clamp_min(1e-12)
        if ctx.needs_input_grad[1]:
            grad_t = grad_output * ((-x).log1p() - x.log())  # -logit(x), unclamped as in PyTorch
        return grad_x, grad_t


@autocast_op
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-weight (t log x + (1 - t) log(1 - x)) for probabilities x, each log clamped at -100 (as PyTorch:
    a confident wrong answer costs 100, not infinity)."""
    reduction = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input size "
                         f"({input.size()}) is deprecated. Please ensure they have the same size.")
    if target.dtype != input.dtype:
        raise RuntimeError(f"Found dtype {_type_name(target.dtype)} but expected {_type_name(input.dtype)}")
    if not ((input._data >= 0) & (input._data <= 1)).all():  # NaN is outside too
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


@autocast_op
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """binary_cross_entropy(sigmoid(input), target) computed stably from the logits:
    (1 - t) x - (1 + (pos_weight - 1) t) log sigmoid(x), times weight."""
    reduction = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.size()}) must be the same as input size ({input.size()})")
    log_sigmoid = logsigmoid(input)
    if pos_weight is not None:
        log_sigmoid = log_sigmoid * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input - log_sigmoid
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def _xlogx(x: Tensor) -> Tensor:
    """x log x, with 0 log 0 = 0 (PyTorch's xlogy(x, x); its gradient at 0 is NaN, as PyTorch's)."""
    return where(x == 0, 0.0, x * x.log())


@autocast_op
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """The Kullback-Leibler divergence t (log t - x) of the target from log-probabilities ``input``;
    with ``log_target`` the target is given as log-probabilities too. 'batchmean' divides the sum by
    the batch size (the mathematical KL divergence); 'mean' divides by every element, and warns."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    batchmean = reduction == "batchmean"
    reduction = _reduction(None, None, "sum" if batchmean else reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = _xlogx(target) - target * input
    loss = _reduce(loss, reduction)
    return loss / input.shape[0] if batchmean and input.dim() != 0 else loss


@autocast_op
def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """Poisson negative log-likelihood: exp(x) - t x for a log rate x (or x - t log(x + eps) for a rate);
    ``full`` adds Stirling's approximation of log(t!) where t > 1."""
    reduction = _reduction(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Gaussian negative log-likelihood 0.5 (log var + (input - target)^2 / var), var clamped at eps
    (without stopping its gradient, as PyTorch); var may drop the last axis or be broadcastable along one."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = creation.full_like(input, var)
    elif (var < 0).any():
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif not (input.dim() == var.dim()
                  and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with grad_mode.no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target).square() / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-(t log sigmoid(x) + (1 - t) log sigmoid(-x)), averaged over the classes (last axis), then reduced."""
    reduction = _reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    return _reduce(loss.sum(class_dim) / input.shape[class_dim], reduction)


# ---------------------------------------------------------------------------------------------
# Margins: ranking, embeddings, triplets
# ---------------------------------------------------------------------------------------------

@autocast_op
def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-t x)) for labels t = 1 or -1."""
    reduction = _reduction(size_average, reduce, reduction)
    return _reduce((-input * target).exp().log1p(), reduction)


@autocast_op
def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """max(0, -t (x1 - x2) + margin): x1 should rank above x2 where t = 1, below where t = -1."""
    reduction = _reduction(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} ")
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


@autocast_op
def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """x where t = 1 and max(0, margin - x) where t = -1, for a distance x (both terms for other labels)."""
    reduction = _reduction(size_average, reduce, reduction)
    zeros = creation.zeros_like(input)
    below_margin = (margin - input).clamp_min(0)
    loss = where(target != 1, below_margin, zeros) + where(target != -1, input, zeros)
    return _reduce(loss, reduction)


@autocast_op
def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """1 - cos(x1, x2) where t = 1 and max(0, cos(x1, x2) - margin) where t = -1 (0 for other labels)."""
    reduction = _reduction(size_average, reduce, reduction)
    target_dims = target.dim()
    if target_dims > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    wanted, label = (2, "1D") if target_dims == 1 else (1, "0D")
    if input1.dim() != wanted or input2.dim() != wanted:
        raise RuntimeError(f"{label} target tensor expects {wanted}D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    # PyTorch's formula: the squared norms get 1e-12 each, so that zero vectors give cos = 0
    dot = (input1 * input2).sum(target_dims)
    squared_norms = ((input1 * input1).sum(target_dims) + 1e-12) * ((input2 * input2).sum(target_dims) + 1e-12)
    cos = dot / squared_norms.sqrt()
    zeros = creation.zeros_like(cos)
    loss = where(target == 1, 1 - cos, zeros) + where(target == -1, (cos - margin).clamp_min(0), zeros)
    return _reduce(loss, reduction)


def _check_triplet(anchor, positive, negative, margin):
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    dims = (anchor.dim(), positive.dim(), negative.dim())
    if len(set(dims)) != 1:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative {dims[2]}D "
                           "inputs")


def _triplet_loss(anchor, positive, negative, distance_function, margin, swap, reduction):
    """max(0, margin + d(a, p) - d(a, n)); with ``swap`` d(a, n) becomes min(d(a, n), d(p, n))."""
    distance_to_positive = distance_function(anchor, positive)
    distance_to_negative = distance_function(anchor, negative)
    if swap:
        distance_to_negative = distance_to_negative.minimum(distance_function(positive, negative))
    return _reduce((margin + distance_to_positive - distance_to_negative).clamp_min(0), reduction)


@autocast_op
def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """The triplet loss with the p-norm distance (``pairwise_distance``): the anchor should be nearer the
    positive than the negative, by ``margin``."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_triplet(anchor, positive, negative, margin)
    return _triplet_loss(anchor, positive, negative,
                         lambda x1, x2: distance.pairwise_distance(x1, x2, p, eps), margin, swap, reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    """The triplet loss with any ``distance_function(x1, x2)`` (``pairwise_distance`` by default)."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    _check_triplet(anchor, positive, negative, margin)
    return _triplet_loss(anchor, positive, negative, distance_function or distance.pairwise_distance, margin, swap,
                         reduction)
