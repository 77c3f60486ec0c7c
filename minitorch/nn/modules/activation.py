"""Activation layers (ReLU, GELU, Softmax, ...): each calls its function in ``nn.functional``.

They hold no state but their options (and PReLU its slope), and print them as PyTorch does.
"""
from __future__ import annotations

__all__ = [
    "ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh",
    "Hardtanh", "Hardsigmoid", "Hardswish", "Softplus", "Softsign", "LogSigmoid", "Threshold", "GLU",
    "Tanhshrink", "Softshrink", "Hardshrink", "Softmax", "LogSoftmax", "Softmin", "Softmax2d",
]


from minitorch import creation
from minitorch.nn import functional as F, init
from minitorch.nn.modules.module import Module
from minitorch.nn.parameter import Parameter


class _Activation(Module):
    """A layer that applies ``function`` with the options named in ``options`` (attributes of the layer).

    ``repr_format`` gives ``extra_repr`` from those attributes, followed by PyTorch's
    ``inplace=True`` note when the layer runs in place.
    """

    function = None
    options = ()
    repr_format = None

    def forward(self, input):
        return type(self).function(input, *(getattr(self, name) for name in self.options))

    def extra_repr(self) -> str:
        text = self.repr_format.format(**vars(self)) if self.repr_format else ""
        if getattr(self, "inplace", False):
            text += (", " if text else "") + "inplace=True"
        return text


class ReLU(_Activation):
    function = staticmethod(F.relu)
    options = ("inplace",)

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        # (its one option passed directly, not gathered by name: a small network's step calls this per layer)
        return type(self).function(input, self.inplace)


class ReLU6(ReLU):
    function = staticmethod(F.relu6)


class SELU(ReLU):
    function = staticmethod(F.selu)


class SiLU(ReLU):
    function = staticmethod(F.silu)


class Mish(ReLU):
    function = staticmethod(F.mish)


class Hardsigmoid(ReLU):
    function = staticmethod(F.hardsigmoid)


class Hardswish(ReLU):
    function = staticmethod(F.hardswish)


class LeakyReLU(_Activation):
    function = staticmethod(F.leaky_relu)
    options = ("negative_slope", "inplace")
    repr_format = "negative_slope={negative_slope}"

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace


class ELU(_Activation):
    function = staticmethod(F.elu)
    options = ("alpha", "inplace")
    repr_format = "alpha={alpha}"

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace


class CELU(ELU):
    function = staticmethod(F.celu)


class GELU(_Activation):
    function = staticmethod(F.gelu)
    options = ("approximate",)
    repr_format = "approximate={approximate!r}"

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = approximate


class Sigmoid(_Activation):
    function = staticmethod(F.sigmoid)


class Tanh(_Activation):
    function = staticmethod(F.tanh)


class Softsign(_Activation):
    function = staticmethod(F.softsign)


class LogSigmoid(_Activation):
    function = staticmethod(F.logsigmoid)


class Tanhshrink(_Activation):
    function = staticmethod(F.tanhshrink)


class Hardtanh(_Activation):
    function = staticmethod(F.hardtanh)
    options = ("min_val", "max_val", "inplace")
    repr_format = "min_val={min_val}, max_val={max_val}"

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        assert max_val > min_val, f"max_val ({max_val}) must be greater than min_val ({min_val})"
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace


class Softplus(_Activation):
    function = staticmethod(F.softplus)
    options = ("beta", "threshold")
    repr_format = "beta={beta}, threshold={threshold}"

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold


class Threshold(_Activation):
    function = staticmethod(F.threshold)
    options = ("threshold", "value", "inplace")
    repr_format = "threshold={threshold}, value={value}"

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace


class GLU(_Activation):
    function = staticmethod(F.glu)
    options = ("dim",)
    repr_format = "dim={dim}"

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim


class Softshrink(_Activation):
    function = staticmethod(F.softshrink)
    options = ("lambd",)
    repr_format = "{lambd}"

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = lambd


class Hardshrink(Softshrink):
    function = staticmethod(F.hardshrink)


class PReLU(Module):
    """leaky_relu whose negative slope is learned: one ``weight`` for all channels, or one per channel."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(creation.empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Softmax(_Activation):
    """softmax along ``dim`` (``dim=None``: PyTorch's legacy choice, 0 for 0-, 1- and 3-D inputs, else 1)."""

    function = staticmethod(F.softmax)
    repr_format = "dim={dim}"

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return type(self).function(input, self.dim, _stacklevel=5)


class LogSoftmax(Softmax):
    function = staticmethod(F.log_softmax)


class Softmin(Softmax):
    function = staticmethod(F.softmin)


class Softmax2d(Module):
    """softmax over the channels (dim -3) of a (N, C, H, W) or (C, H, W) input."""

    def forward(self, input):
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D instead")
        return F.softmax(input, -3)
