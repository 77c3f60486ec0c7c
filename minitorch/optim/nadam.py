"""NAdam (``torch.optim.NAdam``): Adam with Nesterov momentum (Dozat, 2016).

The first moment is looked at one step ahead, with a momentum coefficient ``mu_t`` that warms up
over the first steps (``momentum_decay`` sets how fast); ``mu_product`` is the running product of
the ``mu``s, which replaces Adam's ``1 - beta1^t`` bias correction:

    g = -g if maximize
    p = p * (1 - lr * weight_decay)  if decoupled_weight_decay,  else  g = g + weight_decay * p
    mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay));   mu_product = mu_product * mu_t
    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
    denom = sqrt(v / (1 - beta2^t)) + eps
    p = p - lr * (1 - mu_t) / (1 - mu_product) * g / denom
          - lr * mu_{t+1} / (1 - mu_product * mu_{t+1}) * m / denom
"""
from minitorch import backend
from minitorch.optim.adam import _check_options, _update_moments
from minitorch.optim.optimizer import PerParameterOptimizer, hyperparameter

__all__ = ["NAdam"]


class NAdam(PerParameterOptimizer):
    _scalar_state = {"mu_product": 1.0}

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_options(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _update(self, param, grad, state, step, group):
        lr, (beta1, beta2) = group["lr"], group["betas"]
        grad = _update_moments(param, grad, state, group)
        exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
        bias_correction2 = 1 - beta2 ** step
        momentum_decay = group["momentum_decay"]
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        # the product lives in a 0-dim tensor of the scalar dtype: float32 rounding, as in PyTorch
        state["mu_product"]._data *= mu
        mu_product = state["mu_product"].item()
        mu_product_next = mu_product * mu_next
        xp = backend.array_module(exp_avg_sq)
        denom = xp.sqrt(exp_avg_sq / bias_correction2) + group["eps"]
        gradient_weight = hyperparameter(-lr * (1.0 - mu) / (1.0 - mu_product))
        momentum_weight = hyperparameter((-lr * mu_next) / (1.0 - mu_product_next))
        param._data += (gradient_weight * grad) / denom
        param._data += (momentum_weight * exp_avg) / denom
