"""Convolutions: Conv1d/2d/3d and ConvTranspose1d/2d/3d, as ``torch.nn``'s.

The layers hold the weight and the options; the work is ``F.conv*d`` and
``F.conv_transpose*d`` (``minitorch/ops/conv.py``). A convolution's weight is
``(out_channels, in_channels / groups, *kernel_size)``, a transposed
convolution's ``(in_channels, out_channels / groups, *kernel_size)``: the same
tensor serves a convolution and its transpose. Weights start as PyTorch's:
``kaiming_uniform_(a=sqrt(5))``, uniform on (-1/sqrt(fan_in), 1/sqrt(fan_in)),
with ``fan_in = weight.shape[1] * prod(kernel_size)``, and the bias on the same interval.
"""
from __future__ import annotations

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]


from minitorch import creation
from minitorch.nn import functional as F
from minitorch.nn.modules.linear import reset_weight_and_bias
from minitorch.nn.modules.module import Module
from minitorch.nn.parameter import Parameter


def _ntuple(value, dims: int) -> tuple:
    """``3`` -> ``(3, 3)`` in 2-D; a sequence stays as given (PyTorch's ``_pair``, ``_triple``)."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims


class _ConvNd(Module):
    """What every convolution layer shares: options, weight and bias, initialisation and repr."""

    _dims = 0

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed,
                 output_padding, groups, bias, padding_mode, device=None, dtype=None):
        super().__init__()
        dims = self._dims
        kernel_size, stride, dilation = (_ntuple(v, dims) for v in (kernel_size, stride, dilation))
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        valid_padding_strings = {"same", "valid"}
        if isinstance(padding, str):
            if padding not in valid_padding_strings:
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {valid_padding_strings}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = _ntuple(padding, dims)
        valid_padding_modes = {"zeros", "reflect", "replicate", "circular"}
        if padding_mode not in valid_padding_modes:
            raise ValueError(f"padding_mode must be one of {valid_padding_modes}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = _ntuple(output_padding, dims)
        self.groups = groups
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = self._pad_for_f_pad()
        shape = ((in_channels, out_channels // groups) if transposed else
                 (out_channels, in_channels // groups)) + kernel_size
        self.weight = Parameter(creation.empty(shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _pad_for_f_pad(self):
        """The padding as ``F.pad`` takes it (last dimension first, before and after), for the
        padding modes other than zeros, which pad first and then convolve without padding."""
        if self.padding == "valid":
            return [0, 0] * self._dims
        if self.padding == "same":
            result = []
            for spacing, kernel in reversed(list(zip(self.dilation, self.kernel_size))):
                total = spacing * (kernel - 1)
                result += [total // 2, total - total // 2]
            return result
        return tuple(p for p in reversed(self.padding) for _ in range(2))  # (a list for strings, as PyTorch)

    def reset_parameters(self) -> None:
        reset_weight_and_bias(self.weight, self.bias)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.padding):
            text += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class _Conv(_ConvNd):
    """A convolution layer; subclasses name the dimension and the ``F`` function."""

    _function = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, False, 0, groups,
                         bias, padding_mode, device, dtype)

    def _conv_forward(self, input, weight, bias):
        convolve = self._function
        if self.padding_mode != "zeros":
            input = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return convolve(input, weight, bias, self.stride, 0, self.dilation, self.groups)
        return convolve(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """1-D convolution over ``(N, C_in, L)``; weight ``(out_channels, in_channels / groups, k)``."""
    _dims = 1
    _function = staticmethod(F.conv1d)


class Conv2d(_Conv):
    """2-D convolution over ``(N, C_in, H, W)``; weight ``(out_channels, in_channels / groups, kH, kW)``.

    >>> import minitorch
    >>> Conv2d(3, 32, 3, padding=1)
    Conv2d(3, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
    >>> Conv2d(3, 32, 3, padding=1)(minitorch.zeros(8, 3, 28, 28)).shape
    minitorch.Size([8, 32, 28, 28])
    """
    _dims = 2
    _function = staticmethod(F.conv2d)


class Conv3d(_Conv):
    """3-D convolution over ``(N, C_in, D, H, W)``."""
    _dims = 3
    _function = staticmethod(F.conv3d)


class _ConvTransposeNd(_ConvNd):
    """A transposed convolution layer: the input gradient of the matching convolution."""

    _function = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {self.__class__.__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, True, output_padding,
                         groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input, output_size) -> tuple:
        """The output padding that makes the result ``output_size`` (PyTorch's check and message)."""
        if output_size is None:
            return self.output_padding
        dims = self._dims
        leading = 2 if input.ndim == dims + 2 else 1
        if len(output_size) == leading + dims:
            output_size = output_size[leading:]
        if len(output_size) != dims:
            raise ValueError(f"ConvTranspose{dims}D: for {input.ndim}D input, output_size must have {dims} or "
                             f"{leading + dims} elements (got {len(output_size)})")
        min_sizes = [(input.shape[leading + d] - 1) * self.stride[d] - 2 * self.padding[d]
                     + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(dims)]
        max_sizes = [low + self.stride[d] - 1 for d, low in enumerate(min_sizes)]
        for size, low, high in zip(output_size, min_sizes, max_sizes):
            if size < low or size > high:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes range from "
                                 f"{min_sizes} to {max_sizes} (for an input of {input.shape[leading:]})")
        return tuple(size - low for size, low in zip(output_size, min_sizes))

    def forward(self, input, output_size=None):
        output_padding = self._output_padding(input, output_size)
        return self._function(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                              self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution; weight ``(in_channels, out_channels / groups, k)``."""
    _dims = 1
    _function = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution ("deconvolution"); weight ``(in_channels, out_channels / groups, kH, kW)``."""
    _dims = 2
    _function = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution."""
    _dims = 3
    _function = staticmethod(F.conv_transpose3d)
