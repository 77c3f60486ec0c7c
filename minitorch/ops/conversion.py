"""Conversions that autograd sees through: dtype casts, device moves, copies."""
from __future__ import annotations

from minitorch import backend
from minitorch.autograd.function import Function


class Cast(Function):
    """x.to(dtype); the gradient is cast back to x's dtype (the engine does that for every op)."""

    @staticmethod
    def forward(ctx, x, numpy_dtype):
        return x.astype(numpy_dtype)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, None


class ToDevice(Function):
    """x.to(device); the gradient moves back to x's device."""

    @staticmethod
    def forward(ctx, x, device):
        ctx.source_device = backend.device_of(x)
        return backend.to_device(x, device)

    @staticmethod
    def backward(ctx, grad_output):
        return to_device(grad_output, ctx.source_device), None


class Clone(Function):
    """A copy with its own memory; d clone(x)/dx = 1."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


def to_dtype(input, dtype: backend.dtype):
    return Cast.apply(input, dtype.numpy_dtype)


def to_device(input, device: backend.device):
    return ToDevice.apply(input, device)


def clone(input):
    return Clone.apply(input)
