"""Grad modes: whether ops record the graph. ``no_grad`` and friends, as context managers and decorators."""
from __future__ import annotations

import functools
import inspect
import threading

class _ThreadState(threading.local):
    """Each thread's grad mode (as in PyTorch); the class attributes are every new thread's defaults.
    Ops read ``_state.enabled`` directly: a plain attribute read is the cheapest check per op."""

    enabled = True
    inference = False


_state = _ThreadState()


def is_grad_enabled() -> bool:
    return _state.enabled


def _set_enabled(mode: bool) -> None:
    _state.enabled = bool(mode)


def is_inference_mode_enabled() -> bool:
    return _state.inference


class _GradModeContext:
    """Base for the grad-mode switches: entering sets the mode, leaving restores the previous one."""

    def _enter_mode(self):
        raise NotImplementedError

    def __enter__(self):
        self._previous = (is_grad_enabled(), is_inference_mode_enabled())
        self._enter_mode()
        return None

    def __exit__(self, *exc_info):
        _state.enabled, _state.inference = self._previous
        return False

    def clone(self):
        return self.__class__()

    def __call__(self, function):
        """Used as a decorator: run ``function`` (or a generator's every step) inside this mode."""
        if inspect.isgeneratorfunction(function):
            return self._wrap_generator(function)

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with self.clone():
                return function(*args, **kwargs)
        return wrapper

    def _wrap_generator(self, function):
        """A generator runs in this mode while it runs; its caller, between steps, in its own."""
        @functools.wraps(function)
        def generator_wrapper(*args, **kwargs):
            generator = function(*args, **kwargs)
            try:
                with self.clone():
                    response = generator.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with self.clone():
                            generator.close()
                        raise
                    except BaseException as error:  # thrown in by our caller: pass it on
                        with self.clone():
                            response = generator.throw(error)
                    else:
                        with self.clone():
                            response = generator.send(request)
            except StopIteration as stop:
                return stop.value
        return generator_wrapper


class no_grad(_GradModeContext):
    """Ops inside record no graph: results have ``requires_grad=False``."""

    def __init__(self, orig_func=None):
        self._orig_func = orig_func

    def __new__(cls, orig_func=None):
        # ``@no_grad`` without parentheses decorates directly, as in PyTorch.
        instance = super().__new__(cls)
        if orig_func is not None and callable(orig_func):
            instance.__init__()
            return instance(orig_func)
        return instance

    def _enter_mode(self):
        _set_enabled(False)


class enable_grad(no_grad):
    """Ops inside record the graph again, even within ``no_grad``."""

    def _enter_mode(self):
        _set_enabled(True)


class set_grad_enabled(_GradModeContext):
    """Turns recording on or off; takes effect at once, so it also works as a plain function call."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._previous_on_call = (is_grad_enabled(), is_inference_mode_enabled())
        _set_enabled(self.mode)

    def __enter__(self):
        self._previous = self._previous_on_call
        _set_enabled(self.mode)

    def clone(self):
        return set_grad_enabled(self.mode)

    def __call__(self, function):
        _state.enabled, _state.inference = self._previous_on_call  # the constructor must not leak into the caller
        return super().__call__(function)


class inference_mode(_GradModeContext):
    """Like ``no_grad``, for code that will never need gradients of its results."""

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)

    def __new__(cls, mode=True):
        instance = super().__new__(cls)
        if callable(mode):
            instance.__init__()
            return instance(mode)
        return instance

    def _enter_mode(self):
        # inference_mode(False) turns it off again, and grad mode back on, as in PyTorch
        _set_enabled(not self.mode)
        _state.inference = self.mode

    def clone(self):
        return inference_mode(self.mode)
