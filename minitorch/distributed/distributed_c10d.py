"""The default process group and the collectives on it (``torch.distributed.distributed_c10d``).

A process group is a set of processes that compute together; each has a rank
(0 .. world size - 1). ``init_process_group`` joins this process to the default
group, whose communication engine is a backend object (``mpi_backend.py``:
MPI through mpi4py; ``nccl_backend.py``: NCCL through CuPy, between GPUs).
This file knows tensors; the backends know only contiguous arrays.

Every collective is started non-blocking on the backend and wrapped in a
``Work``: ``async_op=True`` hands it to the caller, otherwise it is waited on
at once. A tensor that is not contiguous travels through a contiguous copy
that ``Work.wait`` writes back. Waiting polls the request with a deadline (the
group's ``timeout``), so a peer that hangs makes this process raise
``DistBackendError`` instead of waiting forever; a peer that dies is usually
seen sooner, by ``mpiexec``, which ends the whole job.
"""
from __future__ import annotations

import datetime
import enum
import time

from minitorch import backend

__all__ = ["Backend", "DistBackendError", "DistError", "ReduceOp", "Work", "all_gather", "all_gather_into_tensor",
           "all_reduce", "barrier", "broadcast", "destroy_process_group", "gather", "get_backend", "get_rank",
           "get_world_size", "init_process_group", "irecv", "is_available", "is_gloo_available", "is_initialized",
           "is_mpi_available", "is_nccl_available", "isend", "recv", "reduce", "reduce_scatter",
           "reduce_scatter_tensor", "scatter", "send"]

# torch's default: 30 minutes before a collective that does not complete raises
default_pg_timeout = datetime.timedelta(minutes=30)


class DistError(RuntimeError):
    """An error in a distributed operation."""


class DistBackendError(DistError):
    """An error a backend reports: a collective that timed out or failed."""


class ReduceOp:
    """How a reduction combines the ranks' values: ``ReduceOp.SUM``, ``PRODUCT``, ``MIN``, ``MAX``,
    ``AVG`` (torch allows AVG with NCCL only; here every backend computes it, as a SUM divided by
    the world size), ``BAND``, ``BOR``, ``BXOR`` (integer tensors)."""

    class RedOpType(enum.Enum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7

        def __repr__(self):
            return f"<RedOpType.{self.name}: {self.value}>"

    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR


class Backend(str):
    """A backend's name, lower-cased: ``Backend("MPI") == "mpi"``. ``gloo`` is accepted as another
    name for ``mpi`` (scripts written for PyTorch's CPU backend run unchanged)."""

    MPI = "mpi"
    NCCL = "nccl"
    GLOO = "gloo"

    def __new__(cls, name: str):
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, but got: {type(name)}")
        return super().__new__(cls, name.lower())


_NOT_INITIALIZED = "Default process group has not been initialized, please make sure to call init_process_group."


class ProcessGroup:
    """The processes that take part in collectives, and the engine that moves their arrays."""

    def __init__(self, engine, backend_name: str, timeout: datetime.timedelta):
        self.engine = engine
        self.backend_name = backend_name
        self.timeout = timeout

    def rank(self) -> int:
        return self.engine.rank

    def size(self) -> int:
        return self.engine.size

    def name(self) -> str:
        return self.backend_name


_default_group: ProcessGroup | None = None


def _group(group) -> ProcessGroup:
    """``group``, or the default group, which must exist."""
    if group is not None:
        return group
    if _default_group is None:
        raise ValueError(_NOT_INITIALIZED)
    return _default_group


def is_available() -> bool:
    """The package itself always works (its backends may not be installed)."""
    return True


def is_mpi_available() -> bool:
    from minitorch.distributed import mpi_backend
    return mpi_backend.is_available()


def is_gloo_available() -> bool:
    """``gloo`` is served by MPI here."""
    return is_mpi_available()


def is_nccl_available() -> bool:
    from minitorch.distributed import nccl_backend
    return nccl_backend.is_available()


def is_initialized() -> bool:
    return _default_group is not None


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: datetime.timedelta | None = None, world_size: int = -1, rank: int = -1,
                       store=None, group_name: str = "", pg_options=None, device_id=None) -> None:
    """Join the default process group. The ranks and the world size come from the launcher
    (``mpiexec``), which already connected the processes, so ``init_method`` and ``store`` are not
    needed; an explicit ``rank`` or ``world_size`` must agree with the launcher's."""
    global _default_group
    if _default_group is not None:
        raise ValueError("trying to initialize the default process group twice!")
    name = Backend(backend if backend is not None else Backend.MPI)
    if name not in (Backend.MPI, Backend.NCCL, Backend.GLOO):
        raise ValueError(f"Invalid backend: '{backend}', expected one of 'mpi', 'nccl', 'gloo'")
    if name == Backend.NCCL:
        from minitorch.distributed.nccl_backend import NCCLBackend as engine_class
    else:
        from minitorch.distributed.mpi_backend import MPIBackend as engine_class
    engine = engine_class()
    for given, actual, what in ((world_size, engine.size, "world_size"), (rank, engine.rank, "rank")):
        if given != -1 and given != actual:
            raise ValueError(f"{what}={given} was given, but the launcher started this process with "
                             f"{what}={actual}")
    _default_group = ProcessGroup(engine, str(name), timeout if timeout is not None else default_pg_timeout)


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Leave the default group; a later ``init_process_group`` may join again."""
    global _default_group
    if group is not None and group is not _default_group:
        raise ValueError("Invalid process group specified")
    _group(group)
    _default_group = None


def get_rank(group: ProcessGroup | None = None) -> int:
    return _group(group).rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    return _group(group).size()


def get_backend(group: ProcessGroup | None = None) -> str:
    return _group(group).name()


class Work:
    """A collective in flight: ``wait()`` blocks until it is done (and finishes it: copies results
    into the tensors), ``is_completed()`` asks without blocking."""

    def __init__(self, requests, timeout: datetime.timedelta, finish=None):
        self._requests = list(requests)
        self._timeout = timeout
        self._finish = finish
        self._done = False

    def is_completed(self) -> bool:
        if not self._done and all(request.test() for request in self._requests):
            self._complete()
        return self._done

    def wait(self, timeout: datetime.timedelta | None = None) -> bool:
        if self._done:
            return True
        limit = (timeout or self._timeout).total_seconds()
        deadline = time.monotonic() + limit
        pause = 0.0  # poll at once, then back off to 1 ms: a fast collective costs no sleep
        for request in self._requests:
            while not request.test():
                if time.monotonic() > deadline:
                    raise DistBackendError(f"Timed out after {limit:.1f} seconds waiting for a collective: "
                                           "another rank did not take part (did it fail or hang?)")
                time.sleep(pause)
                pause = min(0.001, pause + 0.0001)
        self._complete()
        return True

    def _complete(self):
        self._done = True
        if self._finish is not None:
            self._finish()


def _contiguous(tensor):
    """The tensor's array if it is contiguous, else a contiguous copy (written back after the collective)."""
    array = tensor._data
    return array if array.flags.c_contiguous else backend.array_module(array).ascontiguousarray(array)


def _write(tensor, array) -> None:
    """Put a collective's result into ``tensor``, as an in-place op does (the version counter moves)."""
    if array is not tensor._data:
        tensor._data[...] = array
    tensor._version.bump()


def _check_reduce_op(op, array) -> None:
    if op not in ReduceOp.RedOpType:
        raise ValueError(f"Unknown reduce op {op!r}")
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and array.dtype.kind == "f":
        raise RuntimeError(f"Cannot use ReduceOp.{op.name} with floating-point tensors")


def _engine_op(op):
    """The operation the backend runs: AVG is a SUM, divided afterwards."""
    return ReduceOp.SUM if op == ReduceOp.AVG else op


def _finish_reduction(arrays, op, size: int):
    """After a SUM that stands for AVG: divide by the world size (integers round towards zero, as NCCL's)."""
    if op != ReduceOp.AVG:
        return
    for array in arrays:
        if array.dtype.kind == "f":
            array /= size
        else:
            array[...] = backend.array_module(array).trunc(array / size)


def _writer_of_reduction(tensor, array, op, group: ProcessGroup):
    """What completes a reduction into ``tensor``: AVG's division, then the write."""
    def finish():
        _finish_reduction([array], op, group.size())
        _write(tensor, array)
    return finish


def _run(group: ProcessGroup, requests, async_op: bool, finish=None):
    """Hand out a Work when asked for one, else wait for the collective here."""
    work = Work(requests, group.timeout, finish)
    if async_op:
        return work
    work.wait()
    return None


def _check_rank(rank: int, group: ProcessGroup, what: str) -> None:
    if not 0 <= rank < group.size():
        raise ValueError(f"Invalid {what} rank {rank}: the group has ranks 0 to {group.size() - 1}")


def all_reduce(tensor, op=ReduceOp.SUM, group: ProcessGroup | None = None, async_op: bool = False):
    """Every rank's ``tensor`` becomes the reduction (``op``) of all the ranks' tensors."""
    group = _group(group)
    array = _contiguous(tensor)
    _check_reduce_op(op, array)
    return _run(group, [group.engine.all_reduce(array, _engine_op(op))], async_op,
                _writer_of_reduction(tensor, array, op, group))


def broadcast(tensor, src: int | None = None, group: ProcessGroup | None = None, async_op: bool = False):
    """Every rank's ``tensor`` becomes rank ``src``'s."""
    group = _group(group)
    src = 0 if src is None else src
    _check_rank(src, group, "source")
    array = _contiguous(tensor)
    return _run(group, [group.engine.broadcast(array, src)], async_op, lambda: _write(tensor, array))


def reduce(tensor, dst: int | None = None, op=ReduceOp.SUM, group: ProcessGroup | None = None,
           async_op: bool = False):
    """Rank ``dst``'s ``tensor`` becomes the reduction of all the ranks' tensors (the others keep theirs)."""
    group = _group(group)
    dst = 0 if dst is None else dst
    _check_rank(dst, group, "destination")
    array = _contiguous(tensor)
    _check_reduce_op(op, array)

    def finish():
        if group.rank() == dst:
            _finish_reduction([array], op, group.size())
            _write(tensor, array)
    return _run(group, [group.engine.reduce(array, dst, _engine_op(op))], async_op, finish)


def _stacked_like(tensors, count: int, array):
    """A contiguous ``[count, *shape]`` buffer for ``count`` tensors shaped like ``array``."""
    for tensor in tensors:
        if tuple(tensor.shape) != array.shape or tensor._data.dtype != array.dtype:
            raise ValueError(f"Tensors must have the same shape and dtype: expected {array.shape} {array.dtype}, "
                             f"got {tuple(tensor.shape)} {tensor._data.dtype}")
    if len(tensors) != count:
        raise ValueError(f"The list of tensors must have {count} tensors, one per rank, got {len(tensors)}")
    return backend.array_module(array).empty((count, *array.shape), dtype=array.dtype)


def _write_each(tensors, stacked) -> None:
    for tensor, array in zip(tensors, stacked):
        _write(tensor, array)


def all_gather(tensor_list, tensor, group: ProcessGroup | None = None, async_op: bool = False):
    """``tensor_list[r]`` becomes rank r's ``tensor``, on every rank."""
    group = _group(group)
    array = _contiguous(tensor)
    stacked = _stacked_like(tensor_list, group.size(), array)
    return _run(group, [group.engine.all_gather(array, stacked)], async_op,
                lambda: _write_each(tensor_list, stacked))


def _flat_output(output_tensor, count: int, input_array):
    """The output of a ``*_tensor`` collective as ``[count, *input shape]`` (it may be given concatenated
    or stacked, as in torch), and whether it must be written back."""
    expected = count * input_array.size
    if output_tensor.numel() != expected or output_tensor._data.dtype != input_array.dtype:
        raise ValueError(f"The output tensor must have {expected} elements of {input_array.dtype}: "
                         f"world size {count} times the input's shape {input_array.shape}, "
                         f"got {tuple(output_tensor.shape)} {output_tensor._data.dtype}")
    output = _contiguous(output_tensor)
    return output.reshape((count, *input_array.shape))


def all_gather_into_tensor(output_tensor, input_tensor, group: ProcessGroup | None = None, async_op: bool = False):
    """``output_tensor`` becomes every rank's ``input_tensor``, concatenated (or stacked) in rank order."""
    group = _group(group)
    array = _contiguous(input_tensor)
    output = _flat_output(output_tensor, group.size(), array)
    return _run(group, [group.engine.all_gather(array, output)], async_op,
                lambda: _write(output_tensor, output.reshape(output_tensor._data.shape)))


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group: ProcessGroup | None = None,
                          async_op: bool = False):
    """``input`` holds one block per rank (concatenated or stacked); rank r's ``output`` becomes the
    reduction of every rank's block r."""
    group = _group(group)
    result = _contiguous(output)
    _check_reduce_op(op, result)
    blocks = _contiguous(input)
    _flat_output(input, group.size(), result)  # the input's size checks like an all_gather output's
    return _run(group, [group.engine.reduce_scatter(blocks, result, _engine_op(op))], async_op,
                _writer_of_reduction(output, result, op, group))


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group: ProcessGroup | None = None, async_op: bool = False):
    """Rank r's ``output`` becomes the reduction of every rank's ``input_list[r]``."""
    group = _group(group)
    result = _contiguous(output)
    _check_reduce_op(op, result)
    blocks = _stacked_like(input_list, group.size(), result)
    for block, tensor in zip(blocks, input_list):
        block[...] = tensor._data
    return _run(group, [group.engine.reduce_scatter(blocks, result, _engine_op(op))], async_op,
                _writer_of_reduction(output, result, op, group))


def gather(tensor, gather_list=None, dst: int | None = None, group: ProcessGroup | None = None,
           async_op: bool = False):
    """Rank ``dst``'s ``gather_list[r]`` becomes rank r's ``tensor``; the other ranks pass no list."""
    group = _group(group)
    dst = 0 if dst is None else dst
    _check_rank(dst, group, "destination")
    array = _contiguous(tensor)
    is_destination = group.rank() == dst
    if not is_destination and gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    stacked = _stacked_like(gather_list or [], group.size(), array) if is_destination else None
    return _run(group, [group.engine.gather(array, stacked, dst)], async_op,
                lambda: _write_each(gather_list, stacked) if is_destination else None)


def scatter(tensor, scatter_list=None, src: int | None = None, group: ProcessGroup | None = None,
            async_op: bool = False):
    """Rank r's ``tensor`` becomes rank ``src``'s ``scatter_list[r]``; the other ranks pass no list."""
    group = _group(group)
    src = 0 if src is None else src
    _check_rank(src, group, "source")
    array = _contiguous(tensor)
    is_source = group.rank() == src
    if not is_source and scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    blocks = None
    if is_source:
        blocks = _stacked_like(scatter_list or [], group.size(), array)
        for block, part in zip(blocks, scatter_list):
            block[...] = part._data
    return _run(group, [group.engine.scatter(blocks, array, src)], async_op, lambda: _write(tensor, array))


def barrier(group: ProcessGroup | None = None, async_op: bool = False, device_ids=None):
    """Wait until every rank of the group got here."""
    group = _group(group)
    return _run(group, [group.engine.barrier()], async_op)


def isend(tensor, dst: int | None = None, group: ProcessGroup | None = None, tag: int = 0) -> Work:
    """Start sending ``tensor`` to rank ``dst``; the Work completes when the buffer may be reused."""
    group = _group(group)
    _check_rank(dst, group, "destination")
    return Work([group.engine.send(_contiguous(tensor), dst, tag)], group.timeout)


def irecv(tensor, src: int | None = None, group: ProcessGroup | None = None, tag: int = 0) -> Work:
    """Start receiving into ``tensor`` from rank ``src`` (from any rank when None)."""
    group = _group(group)
    if src is not None:
        _check_rank(src, group, "source")
    array = _contiguous(tensor)
    request = group.engine.recv(array, src, tag)
    work = Work([request], group.timeout, lambda: _write(tensor, array))
    work.source = request.source
    return work


def send(tensor, dst: int | None = None, group: ProcessGroup | None = None, tag: int = 0) -> None:
    isend(tensor, dst, group, tag).wait()


def recv(tensor, src: int | None = None, group: ProcessGroup | None = None, tag: int = 0) -> int:
    """Receive into ``tensor``; returns the sender's rank."""
    work = irecv(tensor, src, group, tag)
    work.wait()
    return work.source()
