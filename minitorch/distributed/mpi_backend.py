"""The MPI backend of ``minitorch.distributed``: collectives on NumPy arrays through mpi4py.

MPI is how processes on CPUs (of one machine or of many) compute together:
``mpiexec -n 4 python3 train.py`` starts four copies of the program already
connected in ``MPI.COMM_WORLD``, which gives each its rank. Every method here
starts a non-blocking MPI collective (``Iallreduce``, ``Ibcast``, ...) directly
on the contiguous array's memory, with no pickling, and returns a request that
``distributed_c10d.Work`` polls.

MPI has no reduction for ``bool`` sums or for ``bfloat16``: booleans reduce
with logical OR/AND (what a sum/max and a product/min of truth values mean),
bfloat16 through a float32 copy; collectives that only move bfloat16 values
move their bits as uint16.

mpi4py is imported when the process group is created (importing it starts
MPI), never when ``minitorch`` is imported.
"""
from __future__ import annotations

import importlib.util

import numpy

from minitorch.distributed.distributed_c10d import ReduceOp


def is_available() -> bool:
    return importlib.util.find_spec("mpi4py") is not None


class Request:
    """An MPI request, with an optional step to run once it is complete (copy a bfloat16 result back)."""

    def __init__(self, request, finish=None, status=None):
        self._request = request
        self._finish = finish
        self._status = status

    def test(self) -> bool:
        if self._request is None:
            return True
        if not self._request.Test(self._status):
            return False
        self._request = None
        if self._finish is not None:
            self._finish()
        return True

    def source(self) -> int:
        """The sender of a completed receive."""
        return self._status.Get_source()


def _is_bfloat16(array) -> bool:
    return array.dtype.name == "bfloat16"


def _as_bits(array):
    """The array as MPI can move it: bfloat16 as its uint16 bits, anything else as is."""
    return array.view(numpy.uint16) if array is not None and _is_bfloat16(array) else array


class MPIBackend:
    """Collectives over ``MPI.COMM_WORLD``; ``rank`` and ``size`` are the launcher's."""

    def __init__(self):
        from mpi4py import MPI
        self.MPI = MPI
        self.comm = MPI.COMM_WORLD
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        self._operations = {ReduceOp.SUM: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD, ReduceOp.MIN: MPI.MIN,
                            ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND, ReduceOp.BOR: MPI.BOR,
                            ReduceOp.BXOR: MPI.BXOR}
        self._boolean_operations = {ReduceOp.SUM: MPI.LOR, ReduceOp.MAX: MPI.LOR, ReduceOp.BOR: MPI.LOR,
                                    ReduceOp.PRODUCT: MPI.LAND, ReduceOp.MIN: MPI.LAND, ReduceOp.BAND: MPI.LAND,
                                    ReduceOp.BXOR: MPI.LXOR}

    def _reduction(self, start, op, *arrays):
        """Run ``start(mpi_op, *buffers)`` on ``arrays`` (None where a rank passes none), through float32
        copies for bfloat16; returns the request."""
        first = next(array for array in arrays if array is not None)
        if first.dtype == numpy.bool_:
            return Request(start(self._boolean_operations[op], *arrays))
        if not _is_bfloat16(first):
            return Request(start(self._operations[op], *arrays))
        copies = [None if array is None else array.astype(numpy.float32) for array in arrays]

        def copy_back():
            for array, copy in zip(arrays, copies):
                if array is not None:
                    array[...] = copy
        return Request(start(self._operations[op], *copies), copy_back)

    def all_reduce(self, array, op):
        return self._reduction(lambda mpi_op, buffer: self.comm.Iallreduce(self.MPI.IN_PLACE, buffer, mpi_op),
                               op, array)

    def reduce(self, array, root: int, op):
        def start(mpi_op, buffer):
            if self.rank == root:
                return self.comm.Ireduce(self.MPI.IN_PLACE, buffer, mpi_op, root=root)
            return self.comm.Ireduce(buffer, None, mpi_op, root=root)
        return self._reduction(start, op, array)

    def reduce_scatter(self, blocks, result, op):
        """``blocks`` holds one block per rank; ``result`` gets the reduction of every rank's block ``rank``."""
        return self._reduction(lambda mpi_op, send, receive: self.comm.Ireduce_scatter_block(send, receive, mpi_op),
                               op, blocks, result)

    def broadcast(self, array, root: int):
        return Request(self.comm.Ibcast(_as_bits(array), root=root))

    def all_gather(self, array, gathered):
        return Request(self.comm.Iallgather(_as_bits(array), _as_bits(gathered)))

    def gather(self, array, gathered, root: int):
        return Request(self.comm.Igather(_as_bits(array), _as_bits(gathered), root=root))

    def scatter(self, blocks, array, root: int):
        return Request(self.comm.Iscatter(_as_bits(blocks), _as_bits(array), root=root))

    def barrier(self):
        return Request(self.comm.Ibarrier())

    def send(self, array, destination: int, tag: int):
        return Request(self.comm.Isend(_as_bits(array), dest=destination, tag=tag))

    def recv(self, array, source: int | None, tag: int):
        source = self.MPI.ANY_SOURCE if source is None else source
        status = self.MPI.Status()
        return Request(self.comm.Irecv(_as_bits(array), source=source, tag=tag), status=status)
