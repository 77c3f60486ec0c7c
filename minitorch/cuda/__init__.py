"""``minitorch.cuda``: the GPU as CuPy sees it (``torch.cuda``).

Without CuPy or a GPU, ``is_available()`` is False, ``device_count()`` is 0,
and anything that needs a GPU raises PyTorch's ``AssertionError`` ("Torch not
compiled with CUDA enabled").
"""
from __future__ import annotations

from minitorch import backend


def is_available() -> bool:
    return backend.cuda_is_available()


def device_count() -> int:
    return backend.cuda_device_count()


def current_device() -> int:
    return backend.cuda_current_device()


def synchronize(device=None) -> None:
    """Wait until all work queued on ``device`` (the current GPU by default) has finished."""
    index = None if device is None else backend.as_device(device).index
    backend.cuda_synchronize(index)


def manual_seed(seed: int) -> None:
    """Seed the current GPU's default generator (does nothing without a GPU, like PyTorch)."""
    if is_available():
        backend.default_generator(backend.device("cuda", current_device())).manual_seed(seed)


def manual_seed_all(seed: int) -> None:
    """Seed the default generator of every GPU."""
    for index in range(device_count()):
        backend.default_generator(backend.device("cuda", index)).manual_seed(seed)
