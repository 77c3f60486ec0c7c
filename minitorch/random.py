"""``minitorch.random``: the default generator's state, to save and restore (``torch.random``).

A training checkpoint stores ``get_rng_state()`` next to the weights so that a
resumed run draws the same dropout masks and shuffling orders as the run it
continues. The state is a uint8 tensor, as PyTorch's is, so it is plain data
that ``minitorch.save``/``load(weights_only=True)`` carry; its bytes are
NumPy's PCG64 state (``backend._PCG64_STATE_LAYOUT``), not PyTorch's Mersenne
Twister, so states do not move between the two libraries.
"""
from __future__ import annotations

import contextlib

from minitorch import backend


def get_rng_state():
    """The default CPU generator's state as a uint8 tensor (a copy)."""
    return backend.default_generator().get_state()


def set_rng_state(new_state) -> None:
    """Restore the default CPU generator to a state ``get_rng_state`` returned."""
    backend.default_generator().set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, device_type=None):
    """Run a block whose draws leave the random state as it was before (``torch.random.fork_rng``).

    The CPU generator is always forked. ``devices`` lists the GPUs to fork too,
    all of them when None, as in PyTorch; minitorch cannot save a GPU
    generator's state, so forking one raises ``RuntimeError`` (pass ``devices=[]``).
    """
    if not enabled:
        yield
        return
    if device_type not in (None, "cuda"):  # None: the accelerator, which for minitorch is CUDA
        raise RuntimeError(f"minitorch has no module of `{device_type}`: only 'cuda' devices can be forked")
    indices = range(backend.cuda_device_count()) if devices is None else devices
    generators = [backend.default_generator()]
    generators += [backend.default_generator(backend.as_device(device))  # an int names a GPU, as in PyTorch
                   for device in indices]
    states = [generator.get_state() for generator in generators]
    try:
        yield
    finally:
        for generator, state in zip(generators, states):
            generator.set_state(state)
