"""RAdam (``torch.optim.RAdam``): Adam with the variance of its adaptive step rectified (Liu et al., 2019).

Early on, the second-moment estimate rests on a few gradients and its variance is large, so RAdam
takes plain momentum steps until the approximated length ``rho_t`` of the moving average passes 5,
then Adam steps scaled by a rectification factor ``r_t``:

    g = -g if maximize
    p = p * (1 - lr * weight_decay)  if decoupled_weight_decay,  else  g = g + weight_decay * p
    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1^t)
    rho_inf = 2 / (1 - beta2) - 1;   rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
    if rho_t > 5:  r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                   p = p - m_hat * lr * sqrt(1 - beta2^t) / (sqrt(v) + eps) * r_t
    else:          p = p - m_hat * lr
"""
from minitorch import backend
from minitorch.optim.adam import _check_options, _update_moments
from minitorch.optim.optimizer import PerParameterOptimizer, hyperparameter

__all__ = ["RAdam"]


class RAdam(PerParameterOptimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        _check_options(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _update(self, param, grad, state, step, group):
        lr, (beta1, beta2) = group["lr"], group["betas"]
        _update_moments(param, grad, state, group)
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        bias_corrected_exp_avg = state["exp_avg"]._data / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        lr = hyperparameter(lr)
        if rho_t > 5.0:
            rectification = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            exp_avg_sq = state["exp_avg_sq"]._data
            xp = backend.array_module(exp_avg_sq)
            adaptive_lr = (bias_correction2 ** 0.5) / (xp.sqrt(exp_avg_sq) + group["eps"])
            param._data -= bias_corrected_exp_avg * lr * adaptive_lr * rectification
        else:
            param._data -= bias_corrected_exp_avg * lr
