"""Identity, Linear, Bilinear: the affine layers, as ``torch.nn``'s.

Weights start as PyTorch starts them: ``kaiming_uniform_(a=sqrt(5))``, which is uniform on
(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias uniform on the same interval.
"""
from __future__ import annotations

__all__ = ["Identity", "Linear", "Bilinear"]

import math

from minitorch import creation
from minitorch.nn import functional as F, init
from minitorch.nn.modules.module import Module
from minitorch.nn.parameter import Parameter


def _add_parameters(layer: Module, weight_shape: tuple, bias: bool, device, dtype) -> None:
    """Register ``weight`` (and ``bias``, one per output feature, or None), then initialise them."""
    layer.weight = Parameter(creation.empty(weight_shape, device=device, dtype=dtype))
    if bias:
        layer.bias = Parameter(creation.empty(weight_shape[0], device=device, dtype=dtype))
    else:
        layer.register_parameter("bias", None)
    layer.reset_parameters()



def reset_weight_and_bias(weight, bias) -> None:
    """PyTorch's default initialisation of Linear and Conv layers: weight and bias both
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (the weight through kaiming_uniform_ with a=sqrt(5))."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(bias, -bound, bound)

class Identity(Module):
    """Returns its input; any constructor arguments are accepted and ignored (as PyTorch's)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x W^T + b over the last dimension of x; ``weight`` is (out_features, in_features)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        _add_parameters(self, (out_features, in_features), bias, device, dtype)

    def reset_parameters(self) -> None:
        reset_weight_and_bias(self.weight, self.bias)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """y = x1^T A x2 + b for each output feature; ``weight`` is (out_features, in1_features, in2_features)."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True,
                 device=None, dtype=None):
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        _add_parameters(self, (out_features, in1_features, in2_features), bias, device, dtype)

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
