"""Parameters as one flat vector and back (for optimizers and methods that see a model as a point)."""
from __future__ import annotations

import minitorch
from minitorch.tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_param_device(parameter, device):
    """The device of all parameters so far; TypeError when this one is elsewhere."""
    if device is not None and parameter.device != device:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return parameter.device


def parameters_to_vector(parameters) -> Tensor:
    """All parameters, flattened and concatenated in order (differentiable)."""
    device = None
    pieces = []
    for parameter in parameters:
        device = _check_param_device(parameter, device)
        pieces.append(parameter.view(-1))
    return minitorch.cat(pieces)


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Make each parameter's memory the next slice of ``vec`` (they then share ``vec``'s memory)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    device = None
    pointer = 0
    for parameter in parameters:
        device = _check_param_device(parameter, device)
        count = parameter.numel()
        parameter.data = vec[pointer:pointer + count].view_as(parameter).data
        pointer += count
