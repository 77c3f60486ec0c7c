"""The NCCL backend of ``minitorch.distributed``: collectives between GPUs through ``cupy.cuda.nccl``.

NCCL moves CuPy arrays between GPUs (NVLink, PCIe, InfiniBand) without a
trip through host memory. The processes are still started by ``mpiexec``:
MPI gives each its rank, picks its GPU (its rank among the processes of its
machine) and carries NCCL's unique id from rank 0 to the others, which is all
NCCL needs to connect them.

Each collective is queued on the current CUDA stream; its request is a CUDA
event recorded right after it, complete when the GPU has finished. NCCL has no
bitwise reductions and no gather or scatter: those two are built from
point-to-point sends inside one NCCL group.

This is the one file outside ``minitorch/backend.py`` that imports CuPy, and only
lazily, when a process group with ``backend='nccl'`` is created (NCCL is CuPy's
binding, not the array module that ``backend.py`` chooses). It has not been run
on GPUs yet: verify it on a machine with two.
"""
from __future__ import annotations

import importlib.util

from minitorch.distributed.distributed_c10d import ReduceOp
from minitorch.distributed.mpi_backend import MPIBackend


def is_available() -> bool:
    if importlib.util.find_spec("cupy") is None or importlib.util.find_spec("mpi4py") is None:
        return False
    try:
        from cupy.cuda import nccl
        return nccl.available
    except ImportError:
        return False


class Request:
    """A CUDA event recorded after the collective on the stream: complete when the GPU is done."""

    def __init__(self, event, source=None):
        self._event = event
        self._source = source

    def test(self) -> bool:
        return self._event.done

    def source(self) -> int:
        return self._source


class NCCLBackend:
    """Collectives over NCCL among the processes ``mpiexec`` started, one GPU each."""

    def __init__(self):
        import cupy
        from cupy.cuda import nccl
        self.cupy, self.nccl = cupy, nccl
        launcher = MPIBackend()
        self.rank, self.size = launcher.rank, launcher.size
        # The GPU: this process's rank among those of its machine.
        local = launcher.comm.Split_type(launcher.MPI.COMM_TYPE_SHARED)
        cupy.cuda.Device(local.Get_rank() % cupy.cuda.runtime.getDeviceCount()).use()
        unique_id = launcher.comm.bcast(nccl.get_unique_id() if self.rank == 0 else None, root=0)
        self.comm = nccl.NcclCommunicator(self.size, unique_id, self.rank)
        self._operations = {ReduceOp.SUM: nccl.NCCL_SUM, ReduceOp.PRODUCT: nccl.NCCL_PROD,
                            ReduceOp.MIN: nccl.NCCL_MIN, ReduceOp.MAX: nccl.NCCL_MAX}
        self._types = {"int8": nccl.NCCL_INT8, "uint8": nccl.NCCL_UINT8, "bool": nccl.NCCL_UINT8,
                       "int32": nccl.NCCL_INT32, "int64": nccl.NCCL_INT64, "float16": nccl.NCCL_FLOAT16,
                       "float32": nccl.NCCL_FLOAT32, "float64": nccl.NCCL_FLOAT64}
        self._barrier_array = cupy.zeros(1, dtype=cupy.float32)

    def _type(self, array):
        try:
            return self._types[array.dtype.name]
        except KeyError:
            raise RuntimeError(f"NCCL cannot communicate tensors of dtype {array.dtype.name}") from None

    def _operation(self, op):
        try:
            return self._operations[op]
        except KeyError:
            raise RuntimeError(f"Cannot use ReduceOp.{op.name} with NCCL") from None

    def _queued(self, source=None):
        """A request for everything queued so far on the current stream."""
        stream = self.cupy.cuda.get_current_stream()
        event = self.cupy.cuda.Event(block=False, disable_timing=True)
        event.record(stream)
        return Request(event, source)

    def _stream(self):
        return self.cupy.cuda.get_current_stream().ptr

    def all_reduce(self, array, op):
        self.comm.allReduce(array.data.ptr, array.data.ptr, array.size, self._type(array), self._operation(op),
                            self._stream())
        return self._queued()

    def reduce(self, array, root: int, op):
        self.comm.reduce(array.data.ptr, array.data.ptr, array.size, self._type(array), self._operation(op), root,
                         self._stream())
        return self._queued()

    def reduce_scatter(self, blocks, result, op):
        self.comm.reduceScatter(blocks.data.ptr, result.data.ptr, result.size, self._type(result),
                                self._operation(op), self._stream())
        return self._queued()

    def broadcast(self, array, root: int):
        self.comm.bcast(array.data.ptr, array.size, self._type(array), root, self._stream())
        return self._queued()

    def all_gather(self, array, gathered):
        self.comm.allGather(array.data.ptr, gathered.data.ptr, array.size, self._type(array), self._stream())
        return self._queued()

    def gather(self, array, gathered, root: int):
        """Every rank sends to ``root``, which receives one block from each (its own copied)."""
        self.nccl.groupStart()
        if self.rank == root:
            for peer in range(self.size):
                if peer == root:
                    gathered[peer] = array
                else:
                    self.comm.recv(gathered[peer].data.ptr, array.size, self._type(array), peer, self._stream())
        else:
            self.comm.send(array.data.ptr, array.size, self._type(array), root, self._stream())
        self.nccl.groupEnd()
        return self._queued()

    def scatter(self, blocks, array, root: int):
        """``root`` sends block r to rank r (its own block copied)."""
        self.nccl.groupStart()
        if self.rank == root:
            for peer in range(self.size):
                if peer == root:
                    array[...] = blocks[peer]
                else:
                    self.comm.send(blocks[peer].data.ptr, array.size, self._type(array), peer, self._stream())
        else:
            self.comm.recv(array.data.ptr, array.size, self._type(array), root, self._stream())
        self.nccl.groupEnd()
        return self._queued()

    def barrier(self):
        """An all-reduce of one number: no rank finishes it before every rank has started it."""
        return self.all_reduce(self._barrier_array, ReduceOp.SUM)

    def send(self, array, destination: int, tag: int):
        self.comm.send(array.data.ptr, array.size, self._type(array), destination, self._stream())
        return self._queued()

    def recv(self, array, source: int | None, tag: int):
        if source is None:
            raise RuntimeError("NCCL receives from a given rank only: pass src")
        self.comm.recv(array.data.ptr, array.size, self._type(array), source, self._stream())
        return self._queued(source)
