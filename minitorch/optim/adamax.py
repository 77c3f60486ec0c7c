"""Adamax (``torch.optim.Adamax``): Adam with the infinity norm in place of the second moment.

Instead of a running average of squared gradients, ``exp_inf`` keeps a decaying maximum of absolute
gradients, which needs no bias correction:

    g = -g if maximize;  g = g + weight_decay * p
    m = lerp(m, g, 1 - beta1)
    u = max(beta2 * u, |g| + eps)
    p = p - lr / (1 - beta1^t) * m / u
"""
from minitorch import backend
from minitorch.optim.adam import _check_options, _decay_weights
from minitorch.optim.optimizer import PerParameterOptimizer, hyperparameter, lerp_

__all__ = ["Adamax"]


class Adamax(PerParameterOptimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check_options(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _buffer_names(self, group):
        return ("exp_avg", "exp_inf")

    def _update(self, param, grad, state, step, group):
        lr, (beta1, beta2) = group["lr"], group["betas"]
        exp_avg, exp_inf = state["exp_avg"]._data, state["exp_inf"]._data
        grad = _decay_weights(param, grad, lr, group["weight_decay"], decoupled=False)
        lerp_(exp_avg, grad, 1 - beta1)
        exp_inf *= beta2
        xp = backend.array_module(exp_inf)
        xp.maximum(exp_inf, xp.abs(grad) + group["eps"], out=exp_inf)
        corrected_lr = hyperparameter(lr / (1 - beta1 ** step))
        param._data += (-corrected_lr * exp_avg) / exp_inf
