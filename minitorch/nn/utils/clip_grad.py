"""Gradient clipping: rescale (``clip_grad_norm_``) or clamp (``clip_grad_value_``) the gradients
of parameters in place, between ``backward`` and the optimizer step."""
from __future__ import annotations

import minitorch
from minitorch.autograd.grad_mode import no_grad
from minitorch.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]


def _as_list(tensors) -> list:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _gradients(parameters) -> list:
    return [parameter.grad for parameter in parameters if parameter.grad is not None]


@no_grad()
def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """The ``norm_type``-norm of all ``tensors`` together, as if concatenated into one vector:
    the norm of their norms."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return minitorch.tensor(0.0)
    device = tensors[0].device
    norms = [minitorch.norm(tensor, norm_type).to(device) for tensor in tensors]
    total_norm = minitorch.norm(minitorch.stack(norms), norm_type)
    if error_if_nonfinite and bool(total_norm.isnan() | total_norm.isinf()):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it "
                           "cannot be clipped. To disable this error and scale the gradients by the non-finite norm "
                           "anyway, set `error_if_nonfinite=False`")
    return total_norm


@no_grad()
def clip_grads_with_norm_(parameters, max_norm: float, total_norm: Tensor, foreach=None) -> None:
    """Scale the gradients by ``max_norm / (total_norm + 1e-6)`` when that is below 1."""
    grads = _gradients(_as_list(parameters))
    if not grads:
        return
    clip_coef = (float(max_norm) / (total_norm + 1e-6)).clamp(max=1.0)
    for grad in grads:
        grad.mul_(clip_coef.to(grad.device))


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """Rescale the parameters' gradients in place so that their total norm is at most ``max_norm``;
    returns the total norm before clipping."""
    parameters = _as_list(parameters)
    total_norm = get_total_norm(_gradients(parameters), norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


@no_grad()
def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient entry into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for grad in _gradients(_as_list(parameters)):
        grad.clamp_(min=-clip_value, max=clip_value)
