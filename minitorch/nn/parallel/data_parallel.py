"""``DataParallel``: one process, a batch split across the machine's GPUs (``torch.nn.DataParallel``).

Each forward scatters the inputs along ``dim`` into one chunk per GPU,
replicates the module onto each GPU, runs every replica on its chunk and
gathers the outputs onto ``output_device``. The replicas' parameters are
differentiable copies (``param.to(device)``) of the module's own, so backward
sums every replica's gradient into the original parameters' ``.grad``.

Without a GPU (or with ``device_ids=[]``) it runs the module as it is, as
PyTorch does on a CPU-only machine; with one GPU it only moves the inputs.
The several-GPU path has not been run yet (the machine it was written on has
no GPU). For training on several GPUs or machines PyTorch recommends
``DistributedDataParallel``, and so do we.
"""
from __future__ import annotations

import copy

import minitorch
from minitorch import cuda
from minitorch.nn.modules.module import Module
from minitorch.tensor import Tensor

__all__ = ["DataParallel"]


def _device(index: int) -> str:
    return f"cuda:{index}"


def scatter(value, device_ids, dim: int):
    """``value`` split into one part per device: tensors chunked along ``dim`` and moved, containers
    split element-wise, anything else repeated. Fewer parts when a tensor has fewer rows than devices."""
    if isinstance(value, Tensor):
        return [chunk.to(_device(index)) for chunk, index in zip(value.chunk(len(device_ids), dim), device_ids)]
    if isinstance(value, (tuple, list)) and value:
        return [type(value)(parts) for parts in zip(*(scatter(item, device_ids, dim) for item in value))]
    if isinstance(value, dict) and value:
        keys = list(value)
        return [dict(zip(keys, parts)) for parts in zip(*(scatter(value[key], device_ids, dim) for key in keys))]
    return [value for _ in device_ids]


def replicate(module: Module, device) -> Module:
    """A copy of ``module`` on ``device`` whose parameters are ``param.to(device)``: not leaves, so
    their gradients flow back to the original parameters."""
    memo = {}

    def copy_of(original: Module) -> Module:
        if id(original) in memo:
            return memo[id(original)]
        replica = copy.copy(original)  # shallow: shares the hooks and settings, not the three tables below
        memo[id(original)] = replica
        object.__setattr__(replica, "_parameters", {name: None if param is None else param.to(device)
                                                    for name, param in original._parameters.items()})
        object.__setattr__(replica, "_buffers", {name: None if buffer is None else buffer.to(device)
                                                 for name, buffer in original._buffers.items()})
        object.__setattr__(replica, "_modules", {name: None if child is None else copy_of(child)
                                                 for name, child in original._modules.items()})
        return replica
    return copy_of(module)


def gather(outputs, device, dim: int):
    """The replicas' outputs joined along ``dim`` on ``device`` (containers joined element-wise)."""
    first = outputs[0]
    if isinstance(first, Tensor):
        return minitorch.cat([output.to(device) for output in outputs], dim)
    if isinstance(first, (tuple, list)):
        return type(first)(gather(parts, device, dim) for parts in zip(*outputs))
    if isinstance(first, dict):
        return {key: gather([output[key] for output in outputs], device, dim) for key in first}
    return first


class DataParallel(Module):
    """Split each batch across ``device_ids`` (default: every GPU), run ``module`` on each part, join
    the outputs on ``output_device`` (default: ``device_ids[0]``)."""

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0) -> None:
        super().__init__()
        self.module = module
        self.dim = dim
        if not cuda.is_available():
            self.device_ids = []
            return
        if device_ids is None:
            device_ids = list(range(cuda.device_count()))
        self.device_ids = [cuda._device_index(device) for device in device_ids]
        if output_device is None:
            output_device = self.device_ids[0] if self.device_ids else None
        self.output_device = None if output_device is None else cuda._device_index(output_device)

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        source = minitorch.device(_device(self.device_ids[0]))
        for tensor in [*self.module.parameters(), *self.module.buffers()]:
            if tensor.device != source:
                raise RuntimeError(f"module must have its parameters and buffers on device {source} "
                                   f"(device_ids[0]) but found one of them on device: {tensor.device}")
        parts = scatter((inputs, kwargs), self.device_ids, self.dim)
        if len(parts) == 1:
            part_inputs, part_kwargs = parts[0]
            return self.module(*part_inputs, **part_kwargs)
        outputs = [replicate(self.module, _device(index))(*part_inputs, **part_kwargs)
                   for index, (part_inputs, part_kwargs) in zip(self.device_ids, parts)]
        return gather(outputs, _device(self.output_device), self.dim)
