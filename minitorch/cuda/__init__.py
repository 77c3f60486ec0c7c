"""``minitorch.cuda``: the GPU as CuPy sees it, with ``torch.cuda``'s API.

Which GPU is current, waiting for queued work, seeds, the memory pool's
statistics, device properties, and events and streams for timing. Everything
CuPy-specific sits in ``minitorch.backend``; this file only adds PyTorch's
names, argument handling and errors.

Without CuPy or a GPU it behaves as a CPU-only PyTorch build does:
``is_available()`` is False, ``device_count()`` is 0, the seeding functions do
nothing, the memory statistics are 0, and anything that needs a GPU raises
PyTorch's ``AssertionError`` ("Torch not compiled with CUDA enabled") or, for
the device context, ``Event`` and ``Stream``, its ``RuntimeError``.
"""
from __future__ import annotations

import contextlib

from minitorch import backend


def is_available() -> bool:
    return backend.cuda_is_available()


def device_count() -> int:
    return backend.cuda_device_count()


def current_device() -> int:
    return backend.cuda_current_device()


def _device_index(device, optional: bool = False) -> int:
    """A GPU's index from a device, a string such as 'cuda:1', or an int (``torch.cuda._utils._get_device_index``).

    ``optional`` lets ``None`` and an index-less 'cuda' mean the current GPU; a negative int passes
    through (the functions that take one do nothing with it).
    """
    if isinstance(device, str):
        device = backend.device(device)
    if isinstance(device, backend.device):
        if device.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {device}")
        if device.index is not None:
            return device.index
    elif isinstance(device, int):
        return device
    if not optional:
        raise ValueError(f"Expected a torch.device with a specified index or an integer, but got:{device}")
    return current_device()


def set_device(device) -> None:
    """Make ``device`` the current GPU (a negative index does nothing). Prefer the ``device`` context."""
    index = _device_index(device)
    if index >= 0:
        backend.cuda_set_device(index)


class device:
    """Inside ``with minitorch.cuda.device(1):``, GPU 1 is the current one; the previous one comes back after.

    An index of -1 (what ``device_of`` gives for a CPU tensor) changes nothing.
    """

    def __init__(self, device):
        self.idx = _device_index(device, optional=True)
        self.prev_idx = -1

    def __enter__(self):
        if self.idx < 0:
            return
        if not is_available():
            raise RuntimeError("PyTorch was compiled without CUDA support: minitorch needs CuPy and a GPU")
        self.prev_idx = current_device()
        set_device(self.idx)

    def __exit__(self, *exception):
        if self.prev_idx >= 0:
            set_device(self.prev_idx)
        return False


class device_of(device):
    """The ``device`` context for the GPU a tensor lives on (nothing changes for a CPU tensor)."""

    def __init__(self, obj):
        super().__init__(obj.device.index if obj.is_cuda else -1)


def synchronize(device=None) -> None:
    """Wait until all work queued on ``device`` (the current GPU by default) has finished.

    GPU work runs asynchronously: read a clock only after this, or the time measured is the launch's.
    """
    backend.check_cuda()
    backend.cuda_synchronize(_device_index(device, optional=True))


# -- random seeds: without a GPU these do nothing, so CPU-only scripts may call them ----------------

def manual_seed(seed: int) -> None:
    """Seed the current GPU's default generator."""
    if is_available():
        backend.default_generator(backend.device("cuda", current_device())).manual_seed(seed)


def manual_seed_all(seed: int) -> None:
    """Seed the default generator of every GPU."""
    for index in range(device_count()):
        backend.default_generator(backend.device("cuda", index)).manual_seed(seed)


def seed() -> None:
    """Seed the current GPU's default generator from the operating system's entropy."""
    if is_available():
        backend.default_generator(backend.device("cuda", current_device())).seed()


def seed_all() -> None:
    """Seed every GPU's default generator from the operating system's entropy."""
    for index in range(device_count()):
        backend.default_generator(backend.device("cuda", index)).seed()


def initial_seed() -> int:
    """The seed the current GPU's default generator started from."""
    return backend.default_generator(backend.device("cuda", current_device())).initial_seed()


# -- memory: CuPy's default memory pool plays the part of PyTorch's caching allocator ---------------

def _memory_statistic(name: str, device) -> int:
    if not is_available():
        return 0  # PyTorch reports no statistics before CUDA starts: 0 bytes
    return backend.cuda_memory_stats(_device_index(device, optional=True))[name]


def memory_allocated(device=None) -> int:
    """Bytes of GPU memory that tensors occupy now."""
    return _memory_statistic("allocated", device)


def max_memory_allocated(device=None) -> int:
    """The most bytes tensors occupied at once, since start or ``reset_peak_memory_stats``."""
    return _memory_statistic("peak_allocated", device)


def memory_reserved(device=None) -> int:
    """Bytes the memory pool holds: tensors' memory plus freed blocks it keeps for reuse."""
    return _memory_statistic("reserved", device)


def reset_peak_memory_stats(device=None) -> None:
    """Start measuring ``max_memory_allocated`` afresh."""
    backend.check_cuda()
    backend.cuda_reset_peak_memory(_device_index(device, optional=True))


def empty_cache() -> None:
    """Give the freed blocks the pool keeps back to the driver (other programs, ``nvidia-smi``, see them go)."""
    if is_available():
        backend.cuda_empty_cache()


# -- what the GPU is ---------------------------------------------------------------------------------

class _CudaDeviceProperties:
    """A few of ``cudaDeviceProp``'s fields, under PyTorch's names."""

    def __init__(self, name: str, major: int, minor: int, total_memory: int, multi_processor_count: int):
        self.name = name
        self.major = major
        self.minor = minor
        self.total_memory = total_memory
        self.multi_processor_count = multi_processor_count

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // 2 ** 20}MB, multi_processor_count={self.multi_processor_count})")


def get_device_properties(device=None) -> _CudaDeviceProperties:
    backend.check_cuda()
    index = _device_index(device, optional=True)
    if not 0 <= index < device_count():
        raise AssertionError("Invalid device id")
    properties = backend.cuda_device_properties(index)
    name = properties["name"]
    return _CudaDeviceProperties(name.decode() if isinstance(name, bytes) else name, properties["major"],
                                 properties["minor"], properties["totalGlobalMem"], properties["multiProcessorCount"])


def get_device_name(device=None) -> str:
    return get_device_properties(device).name


def get_device_capability(device=None) -> tuple:
    """The compute capability (major, minor): (9, 0) for an H100 or H200."""
    properties = get_device_properties(device)
    return properties.major, properties.minor


# -- streams and events --------------------------------------------------------------------------------

class Stream:
    """A queue of GPU work; work on different streams may overlap. Kernels go to the current stream."""

    def __init__(self, device=None):
        if not is_available():
            raise RuntimeError("torch.cuda.Stream requires CUDA support: minitorch needs CuPy and a GPU")
        self._stream = backend.cuda_stream(_device_index(device, optional=True))

    @classmethod
    def _wrap(cls, cupy_stream) -> "Stream":
        stream = cls.__new__(cls)
        stream._stream = cupy_stream
        return stream

    def synchronize(self) -> None:
        """Wait until all work queued on this stream has finished."""
        self._stream.synchronize()

    def query(self) -> bool:
        """Whether all work queued on this stream has finished."""
        return self._stream.done

    def wait_event(self, event: "Event") -> None:
        """Make later work on this stream wait for ``event``."""
        self._stream.wait_event(event._event)

    def record_event(self, event: "Event | None" = None) -> "Event":
        event = Event() if event is None else event
        event.record(self)
        return event


def current_stream(device=None) -> Stream:
    return Stream._wrap(backend.cuda_current_stream(_device_index(device, optional=True)))


@contextlib.contextmanager
def stream(stream: Stream | None):
    """Inside the block, GPU work is queued on ``stream`` (``None`` changes nothing)."""
    if stream is None:
        yield
        return
    with stream._stream:
        yield


class Event:
    """A marker in a stream: ``record`` it, then wait for it or time the work between two of them.

    >>> start, end = Event(enable_timing=True), Event(enable_timing=True)  # doctest: +SKIP
    >>> start.record(); work(); end.record(); end.synchronize()            # doctest: +SKIP
    >>> start.elapsed_time(end)  # milliseconds                            # doctest: +SKIP
    """

    def __init__(self, enable_timing: bool = False, blocking: bool = False, interprocess: bool = False):
        if not is_available():
            raise RuntimeError("Tried to instantiate dummy base class Event: minitorch needs CuPy and a GPU")
        self._event = backend.cuda_event(enable_timing, blocking, interprocess)

    def record(self, stream: Stream | None = None) -> None:
        """Mark this point in ``stream`` (the current stream by default)."""
        self._event.record(None if stream is None else stream._stream)

    def wait(self, stream: Stream | None = None) -> None:
        """Make later work on ``stream`` (the current one by default) wait for this event."""
        (current_stream() if stream is None else stream).wait_event(self)

    def query(self) -> bool:
        """Whether the work before this event has finished."""
        return self._event.done

    def synchronize(self) -> None:
        """Wait until the work before this event has finished."""
        self._event.synchronize()

    def elapsed_time(self, end_event: "Event") -> float:
        """Milliseconds from this event to ``end_event`` (both made with ``enable_timing=True``)."""
        return backend.cuda_elapsed_time(self._event, end_event._event)
