"""RMSprop (``torch.optim.RMSprop``): divide each gradient by a running root mean square of its past values.

Per parameter ``p`` with gradient ``g`` (PyTorch's ``_single_tensor_rmsprop``, operation by operation):

    g = -g if maximize;  g = g + weight_decay * p
    v = alpha * v + (1 - alpha) * g * g
    centered:  m = lerp(m, g, 1 - alpha);  avg = sqrt(v - m * m) + eps     (the variance, not the raw moment)
    otherwise: avg = sqrt(v) + eps
    momentum > 0:  b = momentum * b + g / avg;  p = p - lr * b
    otherwise:     p = p - lr * g / avg

RMSprop runs on ``PerParameterOptimizer``'s step loop (state made on a parameter's first step, the
``step`` counter counted up before use, ``maximize`` applied to the gradient); only the update differs.
"""
from minitorch import backend
from minitorch.optim.optimizer import PerParameterOptimizer, check_nonnegative, hyperparameter, lerp_
from minitorch.tensor import Tensor

__all__ = ["RMSprop"]

class RMSprop(PerParameterOptimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_nonnegative(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _buffer_names(self, group):
        return ("square_avg",) + (("momentum_buffer",) if group["momentum"] > 0 else ()) + \
            (("grad_avg",) if group["centered"] else ())

    def _update(self, param, grad, state, step, group):
        alpha, lr = group["alpha"], hyperparameter(group["lr"])
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param._data
        square_avg = state["square_avg"]._data
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        xp = backend.array_module(square_avg)
        if group["centered"]:
            grad_avg = state["grad_avg"]._data
            lerp_(grad_avg, grad, 1 - alpha)
            avg = xp.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = xp.sqrt(square_avg)
        avg += group["eps"]
        if group["momentum"] > 0:
            buffer = state["momentum_buffer"]._data
            buffer *= group["momentum"]
            buffer += grad / avg
            param._data += -lr * buffer
        else:
            param._data += (-lr * grad) / avg
