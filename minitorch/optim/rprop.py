"""Rprop (``torch.optim.Rprop``): resilient backpropagation, which looks only at the gradient's sign.

Each coordinate keeps its own step size. While the gradient keeps its sign the step grows by
``etaplus``; when the sign flips, the last step jumped past a minimum, so the step shrinks by
``etaminus`` and this coordinate pauses for one step. Per parameter ``p`` with gradient ``g``, as
PyTorch's ``_single_tensor_rprop``:

    g = -g if maximize
    factor = etaplus where g * prev > 0,  etaminus where g * prev < 0,  1 elsewhere
    step_size = clamp(step_size * factor, step_size_min, step_size_max)      (starts at lr)
    g = 0 where g * prev < 0
    p = p - sign(g) * step_size;  prev = g
"""
import minitorch
from minitorch import backend
from minitorch.optim.optimizer import PerParameterOptimizer, check_nonnegative, hyperparameter

__all__ = ["Rprop"]


class Rprop(PerParameterOptimizer):
    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        check_nonnegative(lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _buffer_names(self, group):
        return ("prev",)

    def _init_state(self, state, param, group):
        super()._init_state(state, param, group)
        state["step_size"] = minitorch.full_like(param, hyperparameter(group["lr"]))

    def _update(self, param, grad, state, step, group):
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        prev, step_size = state["prev"]._data, state["step_size"]._data
        xp = backend.array_module(prev)
        product = grad * prev
        overshot = product < 0
        factor = xp.where(product > 0, etaplus, xp.where(overshot, etaminus, 1)).astype(prev.dtype)
        step_size *= factor
        xp.clip(step_size, step_size_min, step_size_max, out=step_size)
        grad = xp.where(overshot, 0, grad)
        param._data -= xp.sign(grad) * step_size
        prev[...] = grad
