"""Anomaly mode: remember where each node was made, and stop at the first backward that makes NaN.

As in PyTorch the switch is global (not per thread): it is a debugging aid.
"""
from __future__ import annotations

import warnings

from minitorch import backend

_enabled = False
_check_nan = True   # with anomaly mode on: whether a backward returning NaN raises


def is_anomaly_enabled() -> bool:
    return _enabled


def is_anomaly_check_nan_enabled() -> bool:
    return _check_nan


def set_detect_anomaly_state(mode: bool, check_nan: bool = True) -> None:
    global _enabled, _check_nan
    _enabled = bool(mode)
    _check_nan = bool(check_nan)


class detect_anomaly:
    """Context manager (and decorator): ops record their forward stack, and a backward that
    returns NaN raises ``RuntimeError`` naming the node, after printing where its forward ran."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", stacklevel=2)

    def __enter__(self):
        self._previous = (_enabled, _check_nan)
        set_detect_anomaly_state(True, self.check_nan)

    def __exit__(self, *exc_info):
        set_detect_anomaly_state(*self._previous)
        return False

    def __call__(self, function):
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return function(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Turns anomaly mode on or off: at once when called, and back as it was when used as a context manager."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self._previous = (_enabled, _check_nan)
        set_detect_anomaly_state(mode, check_nan)

    def __enter__(self):
        return None

    def __exit__(self, *exc_info):
        set_detect_anomaly_state(*self._previous)
        return False


def check_for_nan(node, grad_inputs) -> None:
    """Raise if a backward produced NaN, pointing at the forward op that made the node."""
    for index, grad in enumerate(grad_inputs):
        if grad is None or grad._data.dtype.kind not in backend.FLOATING_KINDS:
            continue
        if bool(backend.array_module(grad._data).isnan(grad._data).any()):
            if node._forward_trace:
                warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused the "
                              f"error:\n{node._forward_trace}", stacklevel=2)
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {index}th output.")
