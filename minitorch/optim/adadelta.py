"""Adadelta (``torch.optim.Adadelta``): steps measured in the parameter's own units, no learning rate needed.

Two running averages per parameter: of squared gradients (``square_avg``) and of squared updates
(``acc_delta``). Their ratio turns a gradient into a step of the size recent steps had. Per parameter
``p`` with gradient ``g``, as PyTorch's ``_single_tensor_adadelta``:

    g = -g if maximize;  g = g + weight_decay * p
    v = rho * v + (1 - rho) * g * g
    delta = sqrt(u + eps) / sqrt(v + eps) * g
    u = rho * u + (1 - rho) * delta * delta
    p = p - lr * delta
"""
from minitorch import backend
from minitorch.optim.optimizer import PerParameterOptimizer, check_nonnegative, hyperparameter

__all__ = ["Adadelta"]


class Adadelta(PerParameterOptimizer):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        check_nonnegative(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_nonnegative(eps=eps, weight_decay=weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _buffer_names(self, group):
        return ("square_avg", "acc_delta")

    def _update(self, param, grad, state, step, group):
        rho, eps = group["rho"], group["eps"]
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param._data
        square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
        xp = backend.array_module(square_avg)
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        std = xp.sqrt(square_avg + eps)
        delta = xp.sqrt(acc_delta + eps)
        delta /= std
        delta *= grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        param._data += -hyperparameter(group["lr"]) * delta
