"""Padding layers: ``F.pad`` with its mode and sizes fixed, as ``torch.nn``'s.

``padding`` is an int (the same on every side) or a tuple read as ``F.pad`` reads it:
(left, right) for 1-D, (left, right, top, bottom) for 2-D, then (front, back) for 3-D.
"""
from __future__ import annotations

__all__ = [
    "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
    "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d",
]

from minitorch.nn import functional as F
from minitorch.nn.modules.module import Module


class _PadNd(Module):
    """Pads the last ``_dims`` dimensions by ``padding`` in mode ``_mode``."""

    _dims = 0
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * (2 * self._dims)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input):
        if input.ndim not in (self._dims + 1, self._dims + 2):
            raise ValueError(f"expected {self._dims + 1}D or {self._dims + 2}D input (got {input.ndim}D input)")
        return super().forward(input)


class _ReflectionPadNd(_PadNd):
    _mode = "reflect"


class _ReplicationPadNd(_PadNd):
    _mode = "replicate"


class ConstantPad1d(_ConstantPadNd):
    """Pads with a constant ``value``, on the last dimension."""
    _dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pads with a constant ``value``, on the last 2 dimensions."""
    _dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pads with a constant ``value``, on the last 3 dimensions."""
    _dims = 3


class ZeroPad1d(_ZeroPadNd):
    """Pads with zeros, on the last dimension."""
    _dims = 1


class ZeroPad2d(_ZeroPadNd):
    """Pads with zeros, on the last 2 dimensions."""
    _dims = 2


class ZeroPad3d(_ZeroPadNd):
    """Pads with zeros, on the last 3 dimensions."""
    _dims = 3


class ReflectionPad1d(_ReflectionPadNd):
    """Pads with the input's reflection about its edge (the edge not repeated), on the last dimension."""
    _dims = 1


class ReflectionPad2d(_ReflectionPadNd):
    """Pads with the input's reflection about its edge (the edge not repeated), on the last 2 dimensions."""
    _dims = 2


class ReflectionPad3d(_ReflectionPadNd):
    """Pads with the input's reflection about its edge (the edge not repeated), on the last 3 dimensions."""
    _dims = 3


class ReplicationPad1d(_ReplicationPadNd):
    """Pads by repeating the edge values, on the last dimension."""
    _dims = 1


class ReplicationPad2d(_ReplicationPadNd):
    """Pads by repeating the edge values, on the last 2 dimensions."""
    _dims = 2


class ReplicationPad3d(_ReplicationPadNd):
    """Pads by repeating the edge values, on the last 3 dimensions."""
    _dims = 3


class CircularPad1d(_CircularPadNd):
    """Pads by wrapping the input around (a periodic boundary), on the last dimension."""
    _dims = 1


class CircularPad2d(_CircularPadNd):
    """Pads by wrapping the input around (a periodic boundary), on the last 2 dimensions."""
    _dims = 2


class CircularPad3d(_CircularPadNd):
    """Pads by wrapping the input around (a periodic boundary), on the last 3 dimensions."""
    _dims = 3
