"""ASGD (``torch.optim.ASGD``): averaged stochastic gradient descent.

Plain SGD with a step size ``eta`` that decays as ``t`` grows, plus a running average ``ax`` of the
iterates that starts averaging after ``t0`` steps (Polyak-Ruppert averaging: the average converges
faster than the iterates themselves; read it from ``optimizer.state[p]["ax"]``). Per parameter ``p``
with gradient ``g`` at step ``t`` (1, 2, ...), as PyTorch's ``_single_tensor_asgd``:

    g = -g if maximize;  g = g + weight_decay * p
    p = p * (1 - lambd * eta);  p = p - eta * g
    ax = ax + mu * (p - ax)          (ax = p while mu is 1)
    eta = lr / (1 + lambd * lr * t) ^ alpha;  mu = 1 / max(1, t - t0)
"""
import minitorch
from minitorch.optim.optimizer import (
    PerParameterOptimizer, check_nonnegative, hyperparameter, scalar_dtype, step_counter,
)

__all__ = ["ASGD"]


class ASGD(PerParameterOptimizer):
    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        check_nonnegative(lr=lr, weight_decay=weight_decay)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, state, param, group):
        state["step"] = step_counter().to(param.device)
        state["eta"] = minitorch.tensor(hyperparameter(group["lr"]), dtype=scalar_dtype(), device=param.device)
        state["mu"] = minitorch.ones((), dtype=scalar_dtype(), device=param.device)
        state["ax"] = minitorch.zeros_like(param)

    def _update(self, param, grad, state, step, group):
        lr, lambd, alpha = group["lr"], group["lambd"], group["alpha"]
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param._data
        eta, mu, ax = state["eta"], state["mu"], state["ax"]._data
        eta_value, mu_value = eta.item(), mu.item()
        param._data *= 1 - lambd * eta_value
        param._data += -eta_value * grad
        if mu_value != 1:
            ax += (param._data - ax) * mu_value
        else:
            ax[...] = param._data
        # with a tensor lr, eta is computed in the tensor's dtype, as in PyTorch
        eta._data[...] = hyperparameter(lr / ((1 + lambd * lr * step) ** alpha))
        mu._data[...] = 1 / max(1, step - group["t0"])
