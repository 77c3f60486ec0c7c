"""Grad modes against PyTorch: no_grad, enable_grad, set_grad_enabled, inference_mode as context
managers and decorators (generators too), nested, restored on errors, and per thread."""
import threading

import numpy as np
import pytest
import torch

import minitorch
from tests.helpers import check_program, leaf

A = np.random.default_rng(0).standard_normal((2, 3))


def _flags(lib):
    return lib.is_grad_enabled(), lib.is_inference_mode_enabled()


def _context_managers_nest(lib, a):
    x = leaf(lib, a)
    seen = [_flags(lib)]
    with lib.no_grad():
        seen.append(_flags(lib))
        inside = x * 2
        with lib.enable_grad():
            seen.append(_flags(lib))
            recorded = x * 2
            with lib.set_grad_enabled(False):
                seen.append(_flags(lib))
            seen.append(_flags(lib))
        seen.append(_flags(lib))
    seen.append(_flags(lib))
    return seen, inside.requires_grad, recorded.requires_grad


def _inference_mode_nests(lib, a):
    x = leaf(lib, a)
    seen = []
    with lib.inference_mode():
        seen.append(_flags(lib))
        y = x * 2
        with lib.inference_mode(False):
            seen.append(_flags(lib))
        with lib.enable_grad():
            seen.append(_flags(lib))
        seen.append(_flags(lib))
    with lib.no_grad():
        with lib.inference_mode(False):
            seen.append(_flags(lib))
    seen.append(_flags(lib))
    return seen, y.requires_grad


def _set_grad_enabled_as_a_call(lib, a):
    x = leaf(lib, a)
    lib.set_grad_enabled(False)
    off = (lib.is_grad_enabled(), (x * 2).requires_grad)
    lib.set_grad_enabled(True)
    return off, lib.is_grad_enabled(), (x * 2).requires_grad


def _restored_after_an_exception(lib, a):
    for manager in (lib.no_grad(), lib.enable_grad(), lib.set_grad_enabled(False), lib.inference_mode()):
        try:
            with manager:
                raise ValueError("inside")
        except ValueError:
            pass
    return _flags(lib)


def _enter_returns_none(lib, a):
    entered = []
    for manager in (lib.no_grad(), lib.enable_grad(), lib.inference_mode()):
        with manager as value:
            entered.append(value)
    return entered, _flags(lib)


def _decorators(lib, a):
    x = leaf(lib, a)

    @lib.no_grad()
    def called_no_grad(t):
        """Doubles."""
        return t * 2, lib.is_grad_enabled()

    @lib.no_grad
    def bare_no_grad(t):
        return t * 2

    @lib.enable_grad()
    def called_enable_grad(t):
        return t * 2

    @lib.inference_mode()
    def in_inference(t):
        return _flags(lib)

    @lib.set_grad_enabled(False)
    def set_off(t):
        return lib.is_grad_enabled()

    results = [called_no_grad(x)[0].requires_grad, called_no_grad(x)[1], bare_no_grad(x).requires_grad,
               called_no_grad.__name__, called_no_grad.__doc__, in_inference(x), set_off(x), _flags(lib)]
    with lib.no_grad():
        results.append(called_enable_grad(x).requires_grad)
    results.append(_flags(lib))
    return results


def _generator_decorated(lib, a):
    @lib.no_grad()
    def steps(count):
        received = []
        for _ in range(count):
            value = yield lib.is_grad_enabled()
            received.append((value, lib.is_grad_enabled()))
        return received

    seen = []
    generator = steps(3)
    seen.append(next(generator))
    seen.append(lib.is_grad_enabled())      # the mode is restored between steps
    seen.append(generator.send(7))
    seen.append(generator.send(8))
    try:
        generator.send(9)
    except StopIteration as stop:
        seen.append(stop.value)
    seen.append(lib.is_grad_enabled())
    return seen


def _generator_throw_and_close(lib, a):
    @lib.no_grad()
    def steps():
        try:
            yield 1
        except ValueError:
            yield ("caught", lib.is_grad_enabled())
        yield 3

    generator = steps()
    next(generator)
    caught = generator.throw(ValueError("x"))
    generator.close()
    return caught, lib.is_grad_enabled()


PROGRAMS = {
    "context managers nest": _context_managers_nest,
    "inference_mode nests": _inference_mode_nests,
    "set_grad_enabled as a call": _set_grad_enabled_as_a_call,
    "restored after an exception": _restored_after_an_exception,
    "__enter__ returns None": _enter_returns_none,
    "decorators": _decorators,
    "generator functions": _generator_decorated,
    "generator throw and close": _generator_throw_and_close,
}


@pytest.mark.parametrize("name", PROGRAMS)
def test_grad_mode_matches_torch(name):
    check_program(PROGRAMS[name], A)


@pytest.mark.parametrize("manager", ["no_grad", "inference_mode", "set_grad_enabled"])
def test_grad_mode_is_per_thread(manager):
    make = {"no_grad": minitorch.no_grad, "inference_mode": minitorch.inference_mode,
            "set_grad_enabled": lambda: minitorch.set_grad_enabled(False)}[manager]
    seen = {}
    in_thread = threading.Event()
    main_left = threading.Event()

    def other_thread():
        seen["start"] = minitorch.is_grad_enabled()  # a new thread starts with grad mode on
        with minitorch.no_grad():
            in_thread.set()
            main_left.wait(5)
            seen["own no_grad"] = minitorch.is_grad_enabled()
        seen["end"] = minitorch.is_grad_enabled()

    with make():
        thread = threading.Thread(target=other_thread)
        thread.start()
        in_thread.wait(5)
        seen["main, other in no_grad"] = minitorch.is_grad_enabled()
    seen["main after"] = minitorch.is_grad_enabled()
    main_left.set()
    thread.join()
    assert seen == {"start": True, "main, other in no_grad": False, "main after": True, "own no_grad": False,
                    "end": True}


def test_engine_runs_backward_without_recording_unless_create_graph():
    x = minitorch.tensor(A, requires_grad=True)
    seen = []
    x.register_hook(lambda grad: seen.append((minitorch.is_grad_enabled(), grad.requires_grad)))
    (x * x).sum().backward()
    (x * x).sum().backward(create_graph=True)
    assert seen == [(False, False), (True, True)]
    assert minitorch.is_grad_enabled()


def test_top_level_anomaly_switches_match_torch():
    for lib in (torch, minitorch):
        assert lib.is_anomaly_enabled() is False
        lib.set_anomaly_enabled(True)
        assert lib.is_anomaly_enabled() is True
        lib.set_anomaly_enabled(False)
        assert lib.is_anomaly_enabled() is False
