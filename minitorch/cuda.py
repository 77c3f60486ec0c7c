"""``minitorch.cuda``: the GPU as CuPy sees it (``torch.cuda``)."""
from __future__ import annotations

from minitorch import backend


def is_available() -> bool:
    return backend.cuda_is_available()


def device_count() -> int:
    return backend.cuda_device_count()


def synchronize(device=None) -> None:
    index = None if device is None else backend.as_device(device).index
    backend.cuda_synchronize(index)


def current_device() -> int:
    return backend.as_device("cuda").index


def manual_seed(seed: int) -> None:
    for index in range(device_count()):
        backend.default_generator(backend.device("cuda", index)).manual_seed(seed)


def manual_seed_all(seed: int) -> None:
    manual_seed(seed)
