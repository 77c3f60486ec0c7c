"""Adam (``torch.optim.Adam``), and what the whole Adam family shares.

Adam keeps two running averages per parameter, of the gradient (``exp_avg``) and of its square
(``exp_avg_sq``), corrects both for starting at zero, and steps by their ratio. AdamW, Adamax,
NAdam and RAdam vary the last part; the part they share lives here: option checks, weight decay
and the moment updates (the ``step`` loop itself, with the lazily created state, is
``optimizer.PerParameterOptimizer``). Every update follows PyTorch's ``_single_tensor_*`` code
operation by operation, so trajectories agree to rounding.

Options may be tensors (``lr=minitorch.tensor(0.01)``). Where PyTorch computes with such an option as
a tensor (``lr / bias_correction1`` is then a float32 tensor), we compute with our tensor too and take
the Python number only where it meets the arrays, so the rounding is PyTorch's.

The Adam update, per parameter ``p`` with gradient ``g`` at step ``t`` (1, 2, ...):

    g = -g if maximize
    p = p * (1 - lr * weight_decay)   if decoupled_weight_decay (AdamW)
    g = g + weight_decay * p          otherwise
    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
    v_max = max(v_max, v) if amsgrad, and v_max replaces v below
    p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
"""
import minitorch
from minitorch import backend
from minitorch.optim.optimizer import PerParameterOptimizer, check_fused_options, hyperparameter, lerp_
from minitorch.tensor import Tensor

__all__ = ["Adam"]


def _check_options(lr, betas, eps, weight_decay) -> None:
    """The range checks every Adam-family constructor makes, in PyTorch's order and words."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def _decay_weights(param: Tensor, grad, lr, weight_decay, decoupled: bool):
    """Apply weight decay; return the gradient to use from here on.

    Coupled (L2 penalty, Adam's original): ``weight_decay * p`` joins the gradient, so it passes through
    the moment estimates. Decoupled (AdamW): the parameter shrinks directly and the moments never see it.
    """
    weight_decay = hyperparameter(weight_decay)
    if weight_decay == 0:
        return grad
    if decoupled:
        param._data *= hyperparameter(1 - lr * weight_decay)
        return grad
    return grad + weight_decay * param._data


def _update_moments(param: Tensor, grad, state: dict, group: dict):
    """Weight decay, then the running averages of the gradient (``exp_avg``) and of its square
    (``exp_avg_sq``), in place. Returns the gradient as decayed."""
    beta1, beta2 = group["betas"]
    grad = _decay_weights(param, grad, group["lr"], group["weight_decay"], group["decoupled_weight_decay"])
    lerp_(state["exp_avg"]._data, grad, 1 - hyperparameter(beta1))
    exp_avg_sq = state["exp_avg_sq"]._data
    exp_avg_sq *= hyperparameter(beta2)
    square = grad * hyperparameter(1 - beta2)  # (1 - beta2) g g, in torch's order (addcmul_)
    square *= grad
    exp_avg_sq += square
    return grad


class Adam(PerParameterOptimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        if isinstance(lr, Tensor) and foreach and not capturable:
            raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
        _check_options(lr, betas, eps, weight_decay)
        if not (all(isinstance(beta, float) for beta in betas) or all(isinstance(beta, Tensor) for beta in betas)):
            raise ValueError("betas must be either both floats or both Tensors")
        for index, beta in enumerate(betas):
            if isinstance(beta, Tensor):
                if foreach and not capturable:
                    raise ValueError(f"betas[{index}] as a Tensor is not supported for capturable=False and "
                                     "foreach=True")
                if beta.numel() != 1:
                    raise ValueError(f"Tensor betas[{index}] must be 1-element")
        betas = tuple(beta.squeeze() if isinstance(beta, Tensor) else beta for beta in betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)
        check_fused_options(fused, foreach, differentiable)

    def _buffer_names(self, group):
        return ("exp_avg", "exp_avg_sq", "max_exp_avg_sq") if group["amsgrad"] else ("exp_avg", "exp_avg_sq")

    def _update(self, param, grad, state, step, group):
        lr, (beta1, beta2) = group["lr"], group["betas"]
        _update_moments(param, grad, state, group)
        exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        step_size = hyperparameter(lr / bias_correction1)
        bias_correction2_sqrt = hyperparameter(bias_correction2 ** 0.5)
        xp = backend.array_module(exp_avg)
        second_moment = exp_avg_sq
        if group["amsgrad"]:
            # the largest second moment so far: the effective step size never grows back
            second_moment = state["max_exp_avg_sq"]._data
            xp.maximum(second_moment, exp_avg_sq, out=second_moment)
        # in place, in torch's order: denom = sqrt(v) / sqrt(bc2) + eps; p += (-step_size m) / denom
        denom = xp.sqrt(second_moment)
        denom /= bias_correction2_sqrt
        denom += group["eps"]
        update = exp_avg * -step_size
        update /= denom
        param._data += update
