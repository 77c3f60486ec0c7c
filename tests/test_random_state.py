"""The random state as data: ``get_rng_state``/``set_rng_state``, ``Generator.get_state``/``set_state``,
``random.fork_rng``, and a state that rides in a checkpoint, each checked beside PyTorch's.

The numbers drawn differ between the libraries (PCG64 against the Mersenne
Twister), so the tests compare behaviour: in both, restoring a state replays
the same draws, the state is a uint8 vector, and a bad state raises the same
exception type with the same message prefix.
"""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import minitorch

LIBRARIES = pytest.mark.parametrize("L", [minitorch, torch], ids=["minitorch", "torch"])

# Every kind of draw a training loop makes, written once for both libraries.
DRAWS = {
    "rand": lambda L: L.rand(6),
    "randn": lambda L: L.randn(2, 3, dtype=L.float64),
    "randint": lambda L: L.randint(0, 1000, (6,)),
    "randperm": lambda L: L.randperm(12),
    "bernoulli": lambda L: L.bernoulli(L.full((8,), 0.5)),
    "normal": lambda L: L.normal(0.0, 2.0, (5,)),
    "dropout": lambda L: L.nn.functional.dropout(L.ones(16), 0.5),
    "dropout_module": lambda L: L.nn.Dropout(0.3)(L.ones(4, 4)),
}


def draws(L, draw, times=3):
    return [draw(L).tolist() for _ in range(times)]


@LIBRARIES
def test_rng_state_is_a_fresh_uint8_vector(L):
    state = L.get_rng_state()
    assert state.dtype == L.uint8 and state.dim() == 1
    before = L.rand(4).tolist()
    L.set_rng_state(state)
    state.zero_()  # a copy: changing it later does not touch the generator
    assert L.rand(4).tolist() == before
    assert L.get_rng_state().tolist() != state.tolist()


@LIBRARIES
@pytest.mark.parametrize("kind", DRAWS)
@given(seed=st.integers(0, 2**31 - 1), skipped=st.integers(0, 3))
def test_set_rng_state_replays_the_same_draws(L, kind, seed, skipped):
    L.manual_seed(seed)
    for _ in range(skipped):
        L.rand(3)
    state = L.get_rng_state()
    first = draws(L, DRAWS[kind])
    assert draws(L, DRAWS[kind]) != first  # the generator moved on
    L.set_rng_state(state)
    assert draws(L, DRAWS[kind]) == first


# The same draws from an explicit generator.
GENERATOR_DRAWS = {
    "rand": lambda L, generator: L.rand(5, generator=generator),
    "randn": lambda L, generator: L.randn(5, generator=generator),
    "randint": lambda L, generator: L.randint(0, 50, (5,), generator=generator),
    "randperm": lambda L, generator: L.randperm(9, generator=generator),
    "normal": lambda L, generator: L.normal(0.0, 1.0, (5,), generator=generator),
}


@LIBRARIES
@pytest.mark.parametrize("kind", GENERATOR_DRAWS)
def test_generator_state_replays_draws_and_leaves_the_default_generator_alone(L, kind):
    generator = L.Generator().manual_seed(21)
    L.manual_seed(0)
    global_state = L.get_rng_state()
    state = generator.get_state()
    assert state.dtype == L.uint8 and state.dim() == 1
    first = GENERATOR_DRAWS[kind](L, generator).tolist()
    assert generator.set_state(state) is generator
    assert GENERATOR_DRAWS[kind](L, generator).tolist() == first
    assert L.get_rng_state().tolist() == global_state.tolist()


@LIBRARIES
def test_a_state_moves_between_generators(L):
    source = L.Generator().manual_seed(5)
    L.rand(2, generator=source)
    target = L.Generator().manual_seed(99)
    target.set_state(source.get_state())
    assert L.randn(7, generator=target).tolist() == L.randn(7, generator=source).tolist()


@LIBRARIES
def test_state_of_the_right_size_is_accepted_in_any_shape(L):
    """PyTorch checks only the byte count and contiguity, not the shape."""
    state = L.get_rng_state()
    expected = L.rand(3).tolist()
    L.set_rng_state(state.reshape(2, -1))
    assert L.rand(3).tolist() == expected


# (case, a bad state made with library L, the message prefix both libraries share)
BAD_STATES = [
    ("too_short", lambda L: L.zeros(10, dtype=L.uint8), RuntimeError, "Expected a "),
    ("other_library_state", lambda L: (minitorch if L is torch else torch).get_rng_state(), RuntimeError,
     "Expected a "),
    ("float_tensor", lambda L: L.zeros(L.get_rng_state().numel()), TypeError, "RNG state must be a "),
    ("int64_tensor", lambda L: L.get_rng_state().long(), TypeError, "RNG state must be a "),
    ("not_contiguous", lambda L: L.zeros(2 * L.get_rng_state().numel(), dtype=L.uint8)[::2], RuntimeError,
     "RNG state must be contiguous"),
    ("list", lambda L: L.get_rng_state().tolist(), TypeError, "expected a "),
    ("numpy_array", lambda L: np.asarray(L.get_rng_state()), TypeError, "expected a "),
    ("none", lambda L: None, TypeError, "expected a "),
]


@pytest.mark.parametrize("case, make_state, error, prefix", BAD_STATES, ids=[row[0] for row in BAD_STATES])
@pytest.mark.parametrize("setter", ["set_rng_state", "Generator.set_state"])
def test_bad_state_raises_like_torch(case, make_state, error, prefix, setter):
    def attempt(L):
        state = make_state(L)
        if isinstance(state, (torch.Tensor, minitorch.Tensor)) and not isinstance(state, L.Tensor):
            state = L.tensor(np.asarray(state))  # another library's state, carried over as its bytes
        with pytest.raises(Exception) as caught:
            (L.set_rng_state if setter == "set_rng_state" else L.Generator().set_state)(state)
        return caught.value
    ours, theirs = attempt(minitorch), attempt(torch)
    assert type(ours) is type(theirs) is error
    assert str(ours).startswith(prefix) and str(theirs).startswith(prefix), (str(ours), str(theirs))
    if "but got" in str(theirs):  # and the same type name after it
        assert str(ours).split("but got")[-1] == str(theirs).split("but got")[-1]


@LIBRARIES
def test_a_bad_state_leaves_the_generator_as_it_was(L):
    state = L.get_rng_state()
    expected = L.rand(5).tolist()
    L.set_rng_state(state)
    with pytest.raises(RuntimeError):
        L.set_rng_state(L.zeros(3, dtype=L.uint8))
    assert L.rand(5).tolist() == expected


@LIBRARIES
@pytest.mark.parametrize("enabled", [True, False])
@pytest.mark.parametrize("devices", [
    pytest.param(None, id="every_gpu", marks=pytest.mark.skipif(
        minitorch.cuda.is_available(), reason="minitorch cannot save a GPU generator's state")),
    pytest.param([], id="no_gpu")])
def test_fork_rng_restores_the_state_after_the_block(L, enabled, devices):
    L.manual_seed(3)
    L.rand(2)
    state = L.get_rng_state()
    with L.random.fork_rng(devices=devices, enabled=enabled):
        inside = L.rand(4).tolist()
    after = L.rand(4).tolist()
    assert (after == inside) is enabled
    L.set_rng_state(state)
    assert L.rand(4).tolist() == inside


@LIBRARIES
def test_fork_rng_restores_the_state_when_the_block_raises(L):
    state = L.get_rng_state()
    with pytest.raises(ZeroDivisionError), L.random.fork_rng(devices=[]):
        L.randn(3)
        raise ZeroDivisionError
    assert L.get_rng_state().tolist() == state.tolist()


def test_rng_state_survives_a_checkpoint_read_by_either_library(tmp_path):
    """The state is plain uint8 data: it goes through minitorch.save/load(weights_only=True), PyTorch
    reads the same bytes from our file, and a file PyTorch writes of them restores minitorch."""
    minitorch.manual_seed(7)
    minitorch.rand(3)
    path = tmp_path / "checkpoint.pt"
    minitorch.save({"rng_state": minitorch.get_rng_state(), "epoch": 3}, path)
    expected = draws(minitorch, DRAWS["dropout"])
    minitorch.set_rng_state(minitorch.load(path, weights_only=True)["rng_state"])
    assert draws(minitorch, DRAWS["dropout"]) == expected
    in_torch = torch.load(path, weights_only=True)["rng_state"]
    assert in_torch.dtype == torch.uint8 and in_torch.tolist() == minitorch.load(path)["rng_state"].tolist()
    torch.save({"rng_state": in_torch}, tmp_path / "from_torch.pt")
    minitorch.set_rng_state(minitorch.load(tmp_path / "from_torch.pt", weights_only=True)["rng_state"])
    assert draws(minitorch, DRAWS["dropout"]) == expected
