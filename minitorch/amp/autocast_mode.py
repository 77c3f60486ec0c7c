"""``autocast``: regions in which the listed ops run in low precision (``torch.amp.autocast``).

The context manager only switches the thread's autocast state on entry and
restores it on exit; the state and the per-op casting policy live in the
ops layer (``minitorch/ops/autocast.py``), where each listed op reads them.
"""
from __future__ import annotations

import functools
import warnings

from minitorch import backend
from minitorch.ops import autocast as state

_SUPPORTED_DTYPES = (backend.bfloat16, backend.float16)


class autocast:
    """Run the ops of a region (a ``with`` block, or a decorated function) in mixed precision.

    ``dtype`` defaults to the device's autocast dtype (float16 for ``cuda``,
    bfloat16 for ``cpu``). Regions nest; ``enabled=False`` switches autocast
    off inside an enabled region. Wrap only the forward pass and the loss:
    ``backward`` runs each op's backward in the dtype its forward used.
    """

    def __init__(self, device_type: str, dtype: backend.dtype | None = None, enabled: bool = True,
                 cache_enabled: bool | None = None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if not state.is_autocast_available(device_type):
            raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")
        self.device = device_type
        self.fast_dtype = state.get_autocast_dtype(device_type) if dtype is None else dtype
        self._cache_enabled = state.is_autocast_cache_enabled() if cache_enabled is None else cache_enabled
        if enabled and device_type == "cuda" and not backend.cuda_is_available():
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.", stacklevel=2)
            enabled = False
        elif enabled and self.fast_dtype not in _SUPPORTED_DTYPES:
            name = device_type.upper()
            warnings.warn(f"In {name} autocast, but the target dtype is not supported. Disabling autocast.\n"
                          f"{name} Autocast only supports dtypes of "
                          + ", ".join(map(str, _SUPPORTED_DTYPES)) + " currently.", stacklevel=2)
            enabled = False
        elif enabled:
            self.fast_dtype.numpy_dtype  # noqa: B018  (raises, naming the extra to install, when bfloat16 is missing)
        self._enabled = enabled

    def __enter__(self):
        self.prev_cache_enabled = state.is_autocast_cache_enabled()
        self.prev = state.is_autocast_enabled(self.device)
        self.prev_fastdtype = state.get_autocast_dtype(self.device)
        state.set_autocast_enabled(self.device, self._enabled)
        state.set_autocast_dtype(self.device, self.fast_dtype)
        state.autocast_increment_nesting()
        state.set_autocast_cache_enabled(self._cache_enabled)

    def __exit__(self, exc_type, exc_value, traceback):
        if state.autocast_decrement_nesting() == 0:  # the weight casts live as long as the outermost region
            state.clear_autocast_cache()
        state.set_autocast_enabled(self.device, self.prev)
        state.set_autocast_dtype(self.device, self.prev_fastdtype)
        state.set_autocast_cache_enabled(self.prev_cache_enabled)
        return False

    def __call__(self, function):
        if not callable(function):
            raise TypeError(f"autocast()(func) requires a callable, but got {type(function).__name__}. "
                            "Did you mean to use autocast as a context manager? For example:\n"
                            "    with torch.autocast(device_type=...):\n"
                            "        output = model(input)")

        @functools.wraps(function)
        def decorate_autocast(*args, **kwargs):
            with self:
                return function(*args, **kwargs)
        return decorate_autocast
