"""Anomaly mode: remember where each node was made, and stop at the first backward that makes NaN."""
from __future__ import annotations

import threading
import warnings

_state = threading.local()


def is_anomaly_enabled() -> bool:
    return getattr(_state, "enabled", False)


def set_detect_anomaly_state(mode: bool) -> None:
    _state.enabled = bool(mode)


class detect_anomaly:
    """Context manager (and decorator): ops record their forward stack, and a backward that
    returns NaN raises ``RuntimeError`` naming the node, after printing where its forward ran."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", stacklevel=2)

    def __enter__(self):
        self._previous = is_anomaly_enabled()
        set_detect_anomaly_state(self.check_nan)

    def __exit__(self, *exc_info):
        set_detect_anomaly_state(self._previous)
        return False

    def __call__(self, function):
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return function(*args, **kwargs)
        return wrapper


class set_detect_anomaly(detect_anomaly):
    """Turns anomaly mode on or off, as a context manager."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self.check_nan = bool(mode) and check_nan


def check_for_nan(node, grad_inputs) -> None:
    """Raise if a backward produced NaN, pointing at the forward op that made the node."""
    for index, grad in enumerate(grad_inputs):
        if grad is None:
            continue
        xp = node._xp
        if grad._data.dtype.kind == "f" and bool(xp.isnan(grad._data).any()):
            if node._forward_trace:
                warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused the "
                              f"error:\n{node._forward_trace}", stacklevel=2)
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {index}th output.")
