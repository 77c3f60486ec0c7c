"""Batch, layer, group and instance normalization, as functions (``torch.nn.functional``'s).

All four are one computation: subtract a mean, divide by a standard deviation, then scale
and shift per feature. They differ only in which axes the statistics are taken over:

=============  ====================  ===============================================
function       input                 statistics over
=============  ====================  ===============================================
batch_norm     (N, C, *)             N and *: one mean per channel
layer_norm     (*, normalized_shape)  the trailing ``normalized_shape`` axes
group_norm     (N, C, *)             each group of C/G channels and *, per sample
instance_norm  (N, C, *)             *: one mean per sample and channel
=============  ====================  ===============================================

So one primitive, ``Normalization``, does the work for all of them, with the affine
weight and bias folded into its forward and its closed-form backward (one node instead
of the dozen a composite ``(x - mean) / sqrt(var + eps) * weight + bias`` leaves, and
the gradient of the mean and variance taken exactly rather than through many small
ops). ``tests/test_nn_normalization.py`` keeps that composite as a cross-check.
"""
from __future__ import annotations

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "local_response_norm"]

import math

from minitorch import backend
from minitorch.autograd import grad_mode
from minitorch.autograd.function import Function
from minitorch.ops import shape
from minitorch.tensor import Tensor
from minitorch.ops.autocast import autocast_op


class Normalization(Function):
    """y = (x - mean) * rstd * weight + bias, rstd = 1 / sqrt(var + eps), with the (biased) statistics taken
    over ``axes``, or given (``mean``, ``var``: running statistics). ``weight`` and ``bias`` (or None)
    broadcast against x. With g = dy * weight and xhat = (x - mean) * rstd, averaging over ``axes``:
    dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) for batch statistics, dx = rstd * g for given ones;
    dweight = dy * xhat, dbias = dy (summed to their shapes by the engine).

    Returns (y, mean, var): the statistics it used, kept as size-1 ``axes``, so that callers
    can update running statistics without computing them again.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, mean, var, axes, eps):
        xp = backend.array_module(x)
        ctx.axes, ctx.eps, ctx.batch_statistics = axes, eps, mean is None
        ctx.bias_shape = None if bias is None else bias.shape
        if mean is None:
            mean = x.mean(axis=axes, keepdims=True)
            centered = x - mean
            var = (centered * centered).mean(axis=axes, keepdims=True)
        else:
            centered = x - mean
        rstd = 1 / xp.sqrt(var + eps)
        output = centered * rstd
        if weight is not None:
            output *= weight
        if bias is not None:
            output += bias
        ctx.mark_non_differentiable(mean, var)
        ctx.save_for_backward(x, weight, mean, rstd)
        return backend.in_dtype_of(x, output), mean, var  # (bfloat16 turns float32 beside the float eps)

    @staticmethod
    def backward(ctx, grad_output, grad_mean=None, grad_var=None):
        if grad_mode.is_grad_enabled():  # create_graph=True: the same formulas with Tensor ops, differentiable
            return _differentiable_backward(ctx, grad_output)
        # A plain backward: the formulas on arrays, in place where possible (a dozen passes over
        # the activation instead of two dozen Tensor ops, each allocating its result).
        x, weight, mean, rstd = (None if tensor is None else tensor._data for tensor in ctx.saved_tensors)
        grad_output = grad_output._data
        axes, needs = ctx.axes, ctx.needs_input_grad
        normalized = x - mean
        normalized *= rstd
        grad_input = grad_weight = grad_bias = None
        if needs[1]:
            grad_weight = (grad_output * normalized).sum(_broadcast_axes(weight.shape, x.ndim), keepdims=True)
            grad_weight = Tensor._wrap(grad_weight.reshape(weight.shape))
        if needs[2]:
            grad_bias = Tensor._wrap(grad_output.sum(_broadcast_axes(ctx.bias_shape, x.ndim), keepdims=True)
                                     .reshape(ctx.bias_shape))
        if needs[0]:
            scaled = grad_output * weight if weight is not None else grad_output.copy()
            if ctx.batch_statistics:
                projection = (scaled * normalized).mean(axes, keepdims=True)
                scaled -= scaled.mean(axes, keepdims=True)
                normalized *= projection
                scaled -= normalized
            scaled *= rstd
            grad_input = Tensor._wrap(scaled)
        return grad_input, grad_weight, grad_bias, None, None, None, None


def _broadcast_axes(shape: tuple, ndim: int) -> tuple:
    """The axes of an ndim-d array along which an array of ``shape`` is broadcast (its gradient is summed)."""
    missing = ndim - len(shape)
    return tuple(range(missing)) + tuple(missing + axis for axis, size in enumerate(shape) if size == 1)


def _differentiable_backward(ctx, grad_output):
    """``Normalization``'s backward with Tensor ops, for create_graph=True. The statistics are rebuilt
    from x, so that a second backward sees how they depend on x (the saved ones are constants)."""
    x, weight, mean, rstd = ctx.saved_tensors
    axes = ctx.axes
    if ctx.batch_statistics:
        mean = x.mean(axes, keepdim=True)
        rstd = ((x - mean).square().mean(axes, keepdim=True) + ctx.eps).rsqrt()
    grad_input = grad_weight = grad_bias = None
    normalized = (x - mean) * rstd
    if ctx.needs_input_grad[0]:
        scaled = grad_output if weight is None else grad_output * weight
        if ctx.batch_statistics:
            grad_input = rstd * (scaled - scaled.mean(axes, keepdim=True)
                                 - normalized * (scaled * normalized).mean(axes, keepdim=True))
        else:
            grad_input = rstd * scaled
    if ctx.needs_input_grad[1]:
        grad_weight = grad_output * normalized
    if ctx.needs_input_grad[2]:
        grad_bias = grad_output
    return grad_input, grad_weight, grad_bias, None, None, None, None


# ---------------------------------------------------------------------------------------------
# The functions
# ---------------------------------------------------------------------------------------------

def _verify_batch_size(size) -> None:
    """Batch statistics of a single value per channel have no variance: PyTorch refuses them."""
    if math.prod(size[:1] + size[2:]) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")


def _check_size(name: str, tensor, expected: int) -> None:
    if tensor is not None and tensor.numel() != expected:
        raise RuntimeError(f"{name} should contain {expected} elements not {tensor.numel()}")


def _per_channel(tensor, ndim: int):
    """A (C,) tensor as (C, 1, ..., 1): it then broadcasts along axis 1 of an ndim-d (N, C, *) input."""
    return None if tensor is None else tensor.reshape(-1, *(1,) * (ndim - 2))


def _update_running_stats(running_mean, running_var, mean, var, count: int, momentum: float) -> None:
    """running = (1 - momentum) * running + momentum * batch statistic, in place; the variance
    tracked is the unbiased one (``count`` values per statistic)."""
    with grad_mode.no_grad():
        running_mean.mul_(1 - momentum).add_(mean.reshape(running_mean.shape) * momentum)
        unbiased = var * (count / (count - 1))
        running_var.mul_(1 - momentum).add_(unbiased.reshape(running_var.shape) * momentum)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalize each channel (axis 1) of ``input`` over the batch and spatial axes; in training, also
    fold this batch's statistics into ``running_mean``/``running_var`` (in place); in evaluation,
    normalize with them instead."""
    if training:
        _verify_batch_size(input.shape)
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must either both be None or neither be None")
    channels = input.size(1)
    for name, tensor in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                         ("bias", bias)):
        _check_size(name, tensor, channels)
    if not training and running_mean is None:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    ndim = input.dim()
    axes = (0,) + tuple(range(2, ndim))
    given_mean, given_var = (None, None) if training else (_per_channel(running_mean, ndim),
                                                          _per_channel(running_var, ndim))
    output, mean, var = Normalization.apply(input, _per_channel(weight, ndim), _per_channel(bias, ndim),
                                            given_mean, given_var, axes, eps)
    if training and running_mean is not None:
        _update_running_stats(running_mean, running_var, mean, var, input.numel() // channels, momentum)
    return output


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalize each channel of each sample over its spatial axes. Running statistics, when given,
    track the batch average of the per-sample statistics (as PyTorch's, which repeats them per sample)."""
    size = input.shape
    if use_input_stats and math.prod(size[2:]) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {size}")
    batch, channels = input.size(0), input.size(1)
    for name, tensor in (("weight", weight), ("bias", bias)):
        _check_size(name, tensor, channels)
    for name, tensor in (("running_mean", running_mean), ("running_var", running_var)):
        if tensor is not None and tensor.numel() != channels:
            raise RuntimeError(f"{name} should contain {batch * channels} elements not {batch * tensor.numel()}")
    if not use_input_stats and running_mean is None:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    ndim = input.dim()
    axes = tuple(range(2, ndim))
    given_mean, given_var = (None, None) if use_input_stats else (_per_channel(running_mean, ndim),
                                                                 _per_channel(running_var, ndim))
    output, mean, var = Normalization.apply(input, _per_channel(weight, ndim), _per_channel(bias, ndim),
                                            given_mean, given_var, axes, eps)
    if use_input_stats and running_mean is not None:
        _update_running_stats(running_mean, running_var, mean.mean(0), var.mean(0), math.prod(size[2:]),
                              momentum)
    return output


@autocast_op
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the trailing ``normalized_shape`` axes of each sample; weight and bias have that shape."""
    if not isinstance(normalized_shape, (tuple, list)):
        raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, "
                        f"not {type(normalized_shape).__name__}")
    normalized_shape = [int(size) for size in normalized_shape]
    if not normalized_shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           f"element, but got normalized_shape = {normalized_shape}")
    for name, tensor in (("weight", weight), ("bias", bias)):
        if tensor is not None and list(tensor.shape) != normalized_shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(tensor.shape)} and normalized_shape = {normalized_shape}")
    count = len(normalized_shape)
    if list(input.shape[input.dim() - count:]) != normalized_shape or input.dim() < count:
        raise RuntimeError(f"Given normalized_shape={normalized_shape}, expected input with shape "
                           f"[*, {str(normalized_shape)[1:-1]}], but got input of size{list(input.shape)}")
    axes = tuple(range(input.dim() - count, input.dim()))
    return Normalization.apply(input, weight, bias, None, None, axes, eps)[0]


@autocast_op
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Split the channels into ``num_groups`` groups and normalize each group of each sample over its
    channels and spatial axes; weight and bias are per channel."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    batch, channels, *spatial = input.shape
    _verify_batch_size([batch * channels // num_groups, num_groups] + spatial)
    if channels % num_groups != 0:
        raise RuntimeError("Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={num_groups}")
    for name, tensor in (("weight", weight), ("bias", bias)):
        if tensor is not None and (tensor.dim() != 1 or tensor.numel() != channels):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(tensor.shape)} and input of shape "
                               f"{list(input.shape)}")
    # (N, C, *) as (N, G, C/G, S): the statistics are over the last two axes, the affine over C = (G, C/G).
    grouped = input.reshape(batch, num_groups, channels // num_groups, -1)
    per_channel = [None if tensor is None else tensor.reshape(num_groups, -1, 1) for tensor in (weight, bias)]
    output = Normalization.apply(grouped, *per_channel, None, None, (2, 3), eps)[0]
    return output.reshape(input.shape)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Divide each value by (k + alpha * the mean of the squares over ``size`` neighbouring channels) ** beta
    (the window is zero-padded at the ends, as PyTorch's average pooling of the padded squares)."""
    if input.dim() < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.dim()} dimensions)")
    if input.numel() == 0:
        return input
    channels = input.size(1)
    squares = input * input
    before = squares.new_zeros((input.size(0), size // 2, *input.shape[2:]))
    after = squares.new_zeros((input.size(0), (size - 1) // 2, *input.shape[2:]))
    padded = shape.cat([before, squares, after], 1)
    window_sum = sum(padded.narrow(1, offset, channels) for offset in range(size))  # a loop over the window only
    return input / (window_sum * (alpha / size) + k).pow(beta)
