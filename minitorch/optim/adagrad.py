"""Adagrad (``torch.optim.Adagrad``): each coordinate's step shrinks with the sum of its squared gradients.

Per parameter ``p`` with gradient ``g`` at step ``t`` (1, 2, ...), as PyTorch's ``_single_tensor_adagrad``:

    g = -g if maximize;  g = g + weight_decay * p
    clr = lr / (1 + (t - 1) * lr_decay)
    s = s + g * g                        (s starts at initial_accumulator_value)
    p = p - clr * g / (sqrt(s) + eps)

Unlike the other optimizers, Adagrad makes its state (``step`` and ``sum``) in the constructor, for
every parameter, so a ``state_dict`` taken before the first step already holds it.
"""
import minitorch
from minitorch import backend
from minitorch.optim.optimizer import PerParameterOptimizer, check_nonnegative, hyperparameter, scalar_dtype

__all__ = ["Adagrad"]


class Adagrad(PerParameterOptimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_nonnegative(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                           initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        for group in self.param_groups:
            for param in group["params"]:
                self._init_state(self.state[param], param, group)

    def _init_state(self, state, param, group):
        if group["fused"]:
            # fused kernels count in float32, beside the parameter
            state["step"] = minitorch.tensor(0.0, dtype=minitorch.float32, device=param.device)
        else:
            state["step"] = minitorch.tensor(0.0, dtype=scalar_dtype())
        # the constructor's value, as in PyTorch, even for a group that sets its own
        state["sum"] = minitorch.full_like(param, self.defaults["initial_accumulator_value"])

    def _update(self, param, grad, state, step, group):
        lr = group["lr"]
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param._data
        # with a tensor lr this division rounds in the tensor's dtype, as it does in PyTorch
        clr = hyperparameter(lr / (1 + (step - 1) * group["lr_decay"]))
        state_sum = state["sum"]._data
        state_sum += grad * grad
        std = backend.array_module(state_sum).sqrt(state_sum)
        std += group["eps"]
        param._data += (-clr * grad) / std
