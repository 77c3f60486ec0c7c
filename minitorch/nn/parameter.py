"""``Parameter``: a tensor that a Module registers as one of its learnable weights."""
from __future__ import annotations

from minitorch.tensor import Tensor


class Parameter(Tensor):
    """A Tensor that, assigned as a Module attribute, joins ``module.parameters()``.

    It shares memory with the tensor it is made from and requires grad by default.
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from minitorch.creation import empty
            data = empty(0)
        return Tensor._make_subclass(cls, data.detach(), requires_grad)

    def __init__(self, data=None, requires_grad=True):
        pass  # everything happened in __new__

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(Tensor._wrap(self._data.copy()), self.requires_grad)  # as PyTorch: no .grad copied
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.detach(), self.requires_grad))


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)
