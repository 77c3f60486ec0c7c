"""``DistributedDataParallel``: one model per process, gradients averaged across processes
(``torch.nn.parallel.DistributedDataParallel``).

Each process trains a replica of the model on its own share of the data. At
construction the replicas are made equal (rank 0's parameters and buffers are
broadcast); after every backward each gradient is replaced by its average over
the processes, so every replica takes the same optimizer step and they stay
equal, as if one process had trained on all the shares' batches together.

The averaging overlaps backward, as PyTorch's Reducer does. Parameters are
grouped into buckets of about ``bucket_cap_mb`` (the first one 1 MiB, so
communication starts early), in reverse order of ``parameters()``, which is
roughly the order backward produces their gradients. A hook runs when a
parameter's gradient has been accumulated
(``register_post_accumulate_grad_hook``): it copies the gradient, divided by the
world size, into its bucket's flat buffer; when a bucket is full, its
non-blocking all-reduce starts while backward goes on computing the earlier
layers' gradients. Buckets start in the same order on every rank (MPI requires
collectives in the same order everywhere). When the last bucket has started,
the hook waits for all of them and copies the averages back into ``.grad``.
"""
from __future__ import annotations

import contextlib

import numpy

from minitorch import backend, distributed
from minitorch.autograd import engine, grad_mode
from minitorch.distributed.distributed_c10d import _group
from minitorch.nn.modules.module import Module
from minitorch.tensor import Tensor

__all__ = ["DistributedDataParallel"]

_FIRST_BUCKET_BYTES = 1024 * 1024  # torch's dist._DEFAULT_FIRST_BUCKET_BYTES
_DEFAULT_BUCKET_CAP_MB = 25


class _Bucket:
    """Parameters whose gradients travel together, in one flat buffer."""

    def __init__(self, params):
        self.params = params
        self.offsets = []
        size = 0
        for param in params:
            self.offsets.append(size)
            size += param.numel()
        first = params[0].detach()._data  # the buffer lives on the parameters' device, in their dtype
        self.buffer = backend.array_module(first).empty(size, dtype=first.dtype)
        self.ready = 0
        self.work = None

    def gradient_view(self, index: int):
        """The part of the buffer that holds parameter ``index``'s gradient, in its shape."""
        param = self.params[index]
        start = self.offsets[index]
        return self.buffer[start:start + param.numel()].reshape(tuple(param.shape))


def _buckets(params, bucket_cap_mb) -> list[_Bucket]:
    """Split ``params`` (already in reverse order) into buckets of one dtype and device, the first
    of at most 1 MiB (or the cap, if smaller) and the others of at most ``bucket_cap_mb``."""
    cap = int((_DEFAULT_BUCKET_CAP_MB if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
    buckets, current, current_bytes = [], [], 0
    for param in params:
        limit = min(_FIRST_BUCKET_BYTES, cap) if not buckets else cap
        nbytes = param.numel() * param.element_size()
        if current and (current_bytes + nbytes > limit or param.dtype != current[0].dtype
                        or param.device != current[0].device):
            buckets.append(_Bucket(current))
            current, current_bytes = [], 0
        current.append(param)
        current_bytes += nbytes
    if current:
        buckets.append(_Bucket(current))
    return buckets


def _output_tensors(value):
    """The tensors in a forward's output (a tensor, or tuples, lists and dicts of them)."""
    if isinstance(value, (tuple, list)):
        return [tensor for item in value for tensor in _output_tensors(item)]
    if isinstance(value, dict):
        return _output_tensors(list(value.values()))
    return [value] if hasattr(value, "grad_fn") else []


def _leaves_reached(outputs) -> set[int]:
    """The ids of the leaf tensors whose gradients a backward from ``outputs`` would accumulate: the
    AccumulateGrad nodes among those the engine would count."""
    dependencies, roots = engine._count_dependencies([tensor.grad_fn for tensor in outputs])
    return {id(node.variable) for node in (*dependencies, *roots) if type(node) is engine.AccumulateGrad}


class DistributedDataParallel(Module):
    """Wrap ``module`` so that backward averages its gradients over the process group's ranks."""

    def __init__(self, module, device_ids=None, output_device=None, dim: int = 0, broadcast_buffers: bool = True,
                 init_sync: bool = True, process_group=None, bucket_cap_mb=None,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False) -> None:
        super().__init__()
        self.module = module
        self.process_group = _group(process_group)
        self.device_ids = device_ids
        self.output_device = output_device
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self._params = [param for param in module.parameters() if param.requires_grad]
        if not self._params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter "
                               "that requires a gradient.")
        self._buffers_to_sync = list(module.buffers())
        if init_sync:
            self._broadcast(list(module.parameters()) + self._buffers_to_sync)
        self._buckets = _buckets(self._params[::-1], bucket_cap_mb)
        self._place = {}  # id(param) -> (bucket, index in the bucket)
        for bucket in self._buckets:
            for index, param in enumerate(bucket.params):
                self._place[id(param)] = (bucket, index)
                param.register_post_accumulate_grad_hook(self._gradient_ready)
        self._next_bucket = 0
        self._expecting_gradients = False
        self._locally_used = None  # with find_unused_parameters: which parameters this forward used

    def _broadcast(self, tensors) -> None:
        """Rank 0's values into ``tensors`` on every rank, all started before any is waited on."""
        group = self.process_group
        works = [distributed.broadcast(tensor.detach(), 0, group=group, async_op=True) for tensor in tensors]
        for work in works:
            work.wait()

    @contextlib.contextmanager
    def no_sync(self):
        """Backward passes inside accumulate gradients locally; the first backward after it averages
        the accumulated gradients."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def forward(self, *inputs, **kwargs):
        syncing = grad_mode.is_grad_enabled() and self.require_backward_grad_sync
        if syncing:
            self._prepare_for_backward()
            if self.broadcast_buffers and self._buffers_to_sync:
                self._broadcast(self._buffers_to_sync)
        output = self.module(*inputs, **kwargs)
        if syncing and self.find_unused_parameters:
            self._mark_unused_parameters(_leaves_reached(_output_tensors(output)))
        return output

    def _prepare_for_backward(self) -> None:
        if self._expecting_gradients and (self._next_bucket > 0 or any(b.ready for b in self._buckets)):
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a new one. This error "
                "indicates that your module has parameters that were not used in producing loss. You can enable "
                "unused parameter detection by passing the keyword argument `find_unused_parameters=True` to "
                "`torch.nn.parallel.DistributedDataParallel`, and by making sure all `forward` function outputs "
                "participate in calculating loss.")
        for bucket in self._buckets:
            bucket.ready = 0
            bucket.work = None
        self._next_bucket = 0
        self._expecting_gradients = True
        self._locally_used = None

    def _mark_unused_parameters(self, reached: set[int]) -> None:
        """Parameters this forward did not use get no gradient: their share of the bucket is zero, and
        they count as ready now, so their buckets do not wait for them."""
        self._locally_used = [id(param) in reached for param in self._params]
        for param, used in zip(self._params, self._locally_used):
            if not used:
                bucket, index = self._place[id(param)]
                bucket.gradient_view(index)[...] = 0
                self._count_ready(bucket)

    def _gradient_ready(self, param) -> None:
        """The post-accumulate-grad hook: put the gradient in its bucket, start full buckets."""
        if not self._expecting_gradients:  # the forward ran under no_sync(), or this backward was averaged
            return
        bucket, index = self._place[id(param)]
        view = bucket.gradient_view(index)
        backend.array_module(view).divide(param.grad._data, self.process_group.size(), out=view)
        self._count_ready(bucket)

    def _count_ready(self, bucket: _Bucket) -> None:
        bucket.ready += 1
        # Start every full bucket whose predecessors have started: the same order on every rank.
        while self._next_bucket < len(self._buckets) and \
                self._buckets[self._next_bucket].ready == len(self._buckets[self._next_bucket].params):
            started = self._buckets[self._next_bucket]
            started.work = distributed.all_reduce(Tensor._wrap(started.buffer), group=self.process_group,
                                                  async_op=True)
            self._next_bucket += 1
        if self._next_bucket == len(self._buckets):
            self._finalize()

    def _finalize(self) -> None:
        """Wait for every bucket and write the averaged gradients into ``.grad``."""
        globally_used = self._globally_used()
        for bucket in self._buckets:
            bucket.work.wait()
            for index, param in enumerate(bucket.params):
                if globally_used is not None and not globally_used[id(param)]:
                    continue  # no rank used it: its gradient stays as it was, as in torch
                average = bucket.gradient_view(index)
                if param.grad is None:
                    param.grad = Tensor._wrap(average.copy())
                else:
                    param.grad._data[...] = average
        self._expecting_gradients = False

    def _globally_used(self):
        """With ``find_unused_parameters``: whether any rank used each parameter (None when not tracked)."""
        if self._locally_used is None:
            return None
        used = Tensor._wrap(numpy.asarray(self._locally_used, dtype=numpy.int32))
        distributed.all_reduce(used, distributed.ReduceOp.MAX, group=self.process_group)
        return {id(param): bool(flag) for param, flag in zip(self._params, used._data)}
