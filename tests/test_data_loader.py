"""The DataLoader against torch.utils.data.DataLoader: batches, their order, dtypes and structure for
map-style and iterable datasets; ``len``; argument errors; seeded shuffling; worker processes (the
same batches as without them, worker info and seeds, ``worker_init_fn``, persistent workers); and
faults (a raising worker, a killed worker, an early ``break``, a timeout).

Datasets here return NumPy arrays and Python numbers, so one dataset object serves both libraries
and each library's ``default_collate`` makes its own tensors. They are module-level classes, so
that worker processes can receive them under any start method.
"""
import gc
import multiprocessing
import os
import random
import re
import signal
import time
import traceback
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.utils.data._utils.worker import _generate_state as torch_numpy_worker_seed

import minitorch
import minitorch.utils.data
from tests.helpers import assert_same, check_program

LIBRARIES = (torch, minitorch)


# -- datasets ------------------------------------------------------------------------------------------------

def make_sample(kind: str, index: int):
    """One sample of each structure default_collate handles."""
    if kind == "array":
        return np.arange(3, dtype=np.float32) + index
    if kind == "tuple":
        return np.full(2, index / 3), index
    if kind == "dict":
        return {"x": np.array([index, -index], dtype=np.int32), "y": index / 2}
    return float(index)


SAMPLE_KINDS = ("array", "tuple", "dict", "number")


class Samples:
    """A map-style dataset of ``size`` samples of one ``kind``."""

    def __init__(self, size: int, kind: str = "array"):
        self.size, self.kind = size, kind

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        if not 0 <= index < self.size:
            raise IndexError(index)
        return make_sample(self.kind, index)


class _Stream:
    """An iterable dataset of ``size`` int64 samples, with a ``len`` of ``reported_length`` if given;
    ``shard`` reads only this worker's share (every ``num_workers``-th sample), as PyTorch's
    documentation shows."""

    def __init__(self, size: int, reported_length=None, shard=False):
        self.size, self.reported_length, self.shard = size, reported_length, shard

    def __iter__(self):
        info = self.get_worker_info()
        start, step = (info.id, info.num_workers) if self.shard and info is not None else (0, 1)
        return (np.int64(index) for index in range(start, self.size, step))

    def __len__(self):
        if self.reported_length is None:
            raise TypeError("this stream has no length")
        return self.reported_length


class TorchStream(_Stream, torch.utils.data.IterableDataset):
    get_worker_info = staticmethod(torch.utils.data.get_worker_info)


class MinitorchStream(_Stream, minitorch.utils.data.IterableDataset):
    get_worker_info = staticmethod(minitorch.utils.data.get_worker_info)


STREAMS = {torch: TorchStream, minitorch: MinitorchStream}


def batches(lib, dataset, **options):
    return list(lib.utils.data.DataLoader(dataset, **options))


# -- batches without workers ---------------------------------------------------------------------------------

@given(size=st.integers(0, 11), batch_size=st.integers(1, 4), drop_last=st.booleans(),
       kind=st.sampled_from(SAMPLE_KINDS))
def test_batches_match_torch(size, batch_size, drop_last, kind):
    check_program(lambda lib: batches(lib, Samples(size, kind), batch_size=batch_size, drop_last=drop_last))


@pytest.mark.parametrize("kind", SAMPLE_KINDS)
def test_batch_size_none_converts_each_sample_like_torch(kind):
    check_program(lambda lib: batches(lib, Samples(4, kind), batch_size=None))


@pytest.mark.parametrize("options", [
    {"collate_fn": lambda samples: samples},  # the list of samples, as they are
    {"collate_fn": lambda samples: sum(samples), "batch_size": 3},
    {"batch_sampler": [[0, 2], [5], [1, 3, 4]]},
    {"sampler": [4, 0, 3], "batch_size": 2},
], ids=["identity-collate", "sum-collate", "batch_sampler", "sampler"])
def test_custom_collate_and_samplers_match_torch(options):
    check_program(lambda lib: batches(lib, Samples(6, "number"), **options))


@given(size=st.integers(0, 9), batch_size=st.sampled_from([None, 1, 2, 4]), drop_last=st.booleans())
def test_iterable_dataset_batches_match_torch(size, batch_size, drop_last):
    drop_last = drop_last and batch_size is not None  # batch_size=None refuses drop_last
    check_program(lambda lib: batches(lib, STREAMS[lib](size), batch_size=batch_size, drop_last=drop_last))


@pytest.mark.parametrize("size, batch_size, drop_last", [(0, 1, False), (7, 3, False), (7, 3, True), (6, 3, True),
                                                         (5, None, False)])
def test_len_matches_torch(size, batch_size, drop_last):
    check_program(lambda lib: len(lib.utils.data.DataLoader(Samples(size), batch_size=batch_size,
                                                             drop_last=drop_last)))
    check_program(lambda lib: len(lib.utils.data.DataLoader(STREAMS[lib](10, reported_length=size),
                                                             batch_size=batch_size, drop_last=drop_last)))


def test_len_of_an_iterable_dataset_without_length_raises_type_error_like_torch():
    check_program(lambda lib: len(lib.utils.data.DataLoader(STREAMS[lib](3))))


def test_iterable_dataset_longer_than_its_len_warns_like_torch():
    def program(lib):
        loader = lib.utils.data.DataLoader(STREAMS[lib](5, reported_length=3))
        len(loader)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            list(loader)
        # the message names the dataset object, whose repr differs between the libraries
        return [re.sub(r"IterableDataset .* was", "IterableDataset was", str(w.message)) for w in caught]
    assert len(check_program(program)) == 2


@pytest.mark.skipif(minitorch.cuda.is_available(), reason="with a GPU minitorch pins silently; this torch has none")
def test_pin_memory_is_accepted_and_warns_like_torch_without_an_accelerator():
    def program(lib):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = batches(lib, Samples(3), batch_size=2, pin_memory=True)
        return result, [str(w.message) for w in caught]
    check_program(program)


# -- argument errors -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("options", [
    {"sampler": [0, 1], "shuffle": True},
    {"batch_sampler": [[0]], "batch_size": 2},
    {"batch_sampler": [[0]], "shuffle": True},
    {"batch_sampler": [[0]], "sampler": [0]},
    {"batch_sampler": [[0]], "drop_last": True},
    {"batch_size": None, "drop_last": True},
    {"num_workers": -1},
    {"timeout": -1},
    {"prefetch_factor": 2},
    {"num_workers": 1, "prefetch_factor": -1},
    {"persistent_workers": True},
    {"multiprocessing_context": "fork"},
    {"num_workers": 1, "multiprocessing_context": "no-such-method"},
    {"num_workers": 1, "multiprocessing_context": 3},
], ids=lambda options: "-".join(options))
def test_argument_errors_match_torch(options):
    check_program(lambda lib: lib.utils.data.DataLoader(Samples(2), **options))


@pytest.mark.parametrize("options", [{"shuffle": True}, {"sampler": [0]}, {"batch_sampler": [[0]]}],
                         ids=lambda options: "-".join(options))
def test_iterable_dataset_refuses_orderings_like_torch(options):
    check_program(lambda lib: lib.utils.data.DataLoader(STREAMS[lib](2), **options))


def test_timeout_without_workers_raises_like_torch():
    check_program(lambda lib: iter(lib.utils.data.DataLoader(Samples(2), timeout=1)))


@pytest.mark.parametrize("name", ["batch_size", "sampler", "dataset", "drop_last"])
def test_setting_a_fixed_attribute_after_construction_raises_like_torch(name):
    check_program(lambda lib: setattr(lib.utils.data.DataLoader(Samples(2)), name, None))


# -- shuffling -----------------------------------------------------------------------------------------------

def epoch_indices(loader):
    """The sample indices of one epoch, batch by batch (Samples 'number' samples are their index)."""
    return [[int(value) for value in batch.tolist()] for batch in loader]


def flatten(batches):
    return [index for batch in batches for index in batch]


@given(seed=st.integers(0, 2**32), size=st.integers(1, 12), batch_size=st.integers(1, 5))
def test_shuffle_order_is_reproducible_for_a_seed(seed, size, batch_size):
    def loader(generator=None):
        return minitorch.utils.data.DataLoader(Samples(size, "number"), batch_size=batch_size, shuffle=True,
                                               generator=generator)
    seeded = epoch_indices(loader(minitorch.Generator().manual_seed(seed)))
    assert epoch_indices(loader(minitorch.Generator().manual_seed(seed))) == seeded
    minitorch.manual_seed(seed)
    global_seeded = epoch_indices(loader())
    minitorch.manual_seed(seed)
    assert epoch_indices(loader()) == global_seeded
    # the batches have torch's sizes, and hold every sample exactly once
    expected = [batch.tolist() for batch in torch.utils.data.DataLoader(Samples(size, "number"),
                                                                         batch_size=batch_size, shuffle=True)]
    for order in (seeded, global_seeded):
        assert [len(batch) for batch in order] == [len(batch) for batch in expected]
        assert sorted(flatten(order)) == sorted(int(value) for value in flatten(expected))


@pytest.mark.parametrize("lib", LIBRARIES, ids=lambda lib: lib.__name__)
def test_each_epoch_of_a_shuffled_loader_is_a_new_permutation(lib):
    lib.manual_seed(0)
    loader = lib.utils.data.DataLoader(Samples(20, "number"), batch_size=6, shuffle=True)
    first, second = epoch_indices(loader), epoch_indices(loader)
    assert sorted(flatten(first)) == sorted(flatten(second)) == list(range(20))
    assert first != second


# -- worker processes ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("options, worker_options", [
    ({"batch_size": 3}, {}),
    ({"batch_size": 2, "drop_last": True}, {"prefetch_factor": 1}),
    ({"batch_size": 2}, {"prefetch_factor": 3, "in_order": False}),  # compared after sorting by first sample
    ({"batch_size": None}, {}),
    ({"batch_sampler": [[4], [0, 1], [6, 2, 3]]}, {}),
], ids=["batches", "drop_last-prefetch1", "prefetch3", "unbatched", "batch_sampler"])
def test_workers_give_torch_batches(options, worker_options):
    expected = batches(torch, Samples(7, "tuple"), **options)
    actual = batches(minitorch, Samples(7, "tuple"), num_workers=2, **options, **worker_options)
    if not worker_options.get("in_order", True):
        actual.sort(key=lambda batch: batch[1][0].item())
    assert_same(actual, expected)


@pytest.mark.parametrize("shard", [False, True], ids=["duplicated", "sharded"])
def test_iterable_dataset_with_workers_matches_torch(shard):
    """Each worker reads its own copy of the stream: duplicates, unless the dataset shards itself."""
    check_program(lambda lib: batches(lib, STREAMS[lib](7, shard=shard), batch_size=2, num_workers=2))


def test_shuffled_batches_with_workers_equal_those_without():
    def run(num_workers):
        generator = minitorch.Generator().manual_seed(5)
        loader = minitorch.utils.data.DataLoader(Samples(9, "number"), batch_size=2, shuffle=True,
                                                 generator=generator, num_workers=num_workers)
        return epoch_indices(loader)
    assert run(2) == run(0)


class WorkerReport:
    """Each sample says which worker read it, and what that worker's random sources were seeded with."""

    def __init__(self, library: str):
        self.library = library  # a module name, so that the dataset pickles under any start method

    def __len__(self):
        return 4

    def __getitem__(self, index):
        lib = torch if self.library == "torch" else minitorch
        info = lib.utils.data.get_worker_info()
        return {"id": info.id, "num_workers": info.num_workers, "same_dataset": info.dataset is self,
                "seed": info.seed, "initial_seed": lib.initial_seed(), "draw": lib.rand(()).item(),
                "random": random.random(), "numpy": int(np.random.randint(2**31))}


def worker_reports(lib, **options):
    return batches(lib, WorkerReport(lib.__name__), batch_size=None, num_workers=2, **options)


def test_worker_info_inside_and_outside_workers_matches_torch():
    check_program(lambda lib: lib.utils.data.get_worker_info())  # None in the main process
    reports = {lib: worker_reports(lib) for lib in LIBRARIES}
    for key in ("id", "num_workers", "same_dataset"):
        assert [report[key] for report in reports[minitorch]] == [report[key] for report in reports[torch]]


@pytest.mark.parametrize("lib", LIBRARIES, ids=lambda lib: lib.__name__)
def test_workers_seed_their_random_sources_from_the_loader_generator_as_torch_does(lib):
    """Worker ``id`` gets seed ``base + id`` for the library and ``random``, and NumPy's global
    generator gets PyTorch's hash of (base, id); the base seed is the first int64 drawn from the
    loader's generator. Both libraries are held to the same rule."""
    reports = worker_reports(lib, generator=lib.Generator().manual_seed(11))
    base_seed = int(lib.empty((), dtype=lib.int64).random_(generator=lib.Generator().manual_seed(11)).item())
    for worker_id in (0, 1):
        first = next(report for report in reports if report["id"] == worker_id)
        assert first["seed"] == first["initial_seed"] == base_seed + worker_id
        assert first["draw"] == lib.rand((), generator=lib.Generator().manual_seed(first["seed"])).item()
        assert first["random"] == random.Random(first["seed"]).random()
        assert first["numpy"] == np.random.RandomState(torch_numpy_worker_seed(base_seed, worker_id)).randint(2**31)


_initialised_worker = None


def remember_worker(worker_id):
    global _initialised_worker
    _initialised_worker = worker_id


class InitialisedWorker:
    def __len__(self):
        return 6

    def __getitem__(self, index):
        return _initialised_worker


def test_worker_init_fn_runs_in_each_worker_like_torch():
    check_program(lambda lib: batches(lib, InitialisedWorker(), batch_size=2, num_workers=2,
                                      worker_init_fn=remember_worker))


class WorkerPids:
    def __len__(self):
        return 4

    def __getitem__(self, index):
        return os.getpid()


@pytest.mark.parametrize("persistent", [True, False])
def test_persistent_workers_serve_every_epoch_like_torch(persistent):
    def program(lib):
        loader = lib.utils.data.DataLoader(WorkerPids(), batch_size=None, num_workers=2,
                                           persistent_workers=persistent)
        first, second = set(loader), set(loader)
        return first == second, len(first)
    check_program(program)


@pytest.mark.parametrize("make_dataset", [lambda lib: Samples(8, "number"), lambda lib: STREAMS[lib](7, shard=True)],
                         ids=["map-style", "iterable"])
def test_persistent_workers_start_over_after_an_abandoned_epoch_like_torch(make_dataset):
    def program(lib):
        loader = lib.utils.data.DataLoader(make_dataset(lib), batch_size=2, num_workers=2, persistent_workers=True)
        for _ in loader:
            break
        return list(loader), list(loader)
    check_program(program)


# -- faults --------------------------------------------------------------------------------------------------

def raised(call, *args, **kwargs):
    """The exception ``call(*args, **kwargs)`` raises, as (type name, message), its traceback dropped at once.

    A traceback holds the loader's iterator (``self`` in its frames), and PyTorch's re-raising
    frame holds the exception: a reference cycle, so the iterator and its worker processes would
    live until the next garbage collection, where PyTorch takes seconds to stop them.
    """
    try:
        call(*args, **kwargs)
    except Exception as error:  # noqa: BLE001  (the error is the result being compared)
        traceback.clear_frames(error.__traceback__)
        return type(error).__name__, str(error)
    raise AssertionError(f"{call} raised nothing")


class Raising:
    """Sample 3 cannot be read."""

    def __len__(self):
        return 6

    def __getitem__(self, index):
        if index == 3:
            raise ValueError(f"sample {index} is unreadable")
        return index


def test_a_worker_exception_is_raised_in_the_main_process_like_torch():
    errors = {lib: raised(batches, lib, Raising(), batch_size=2, num_workers=2) for lib in LIBRARIES}
    (kind, message), (torch_kind, torch_message) = errors[minitorch], errors[torch]
    # the same type and heading (which worker, then the traceback); the traceback's files differ
    assert (kind, message.splitlines()[:2]) == (torch_kind, torch_message.splitlines()[:2])
    assert message.startswith("Caught ValueError in DataLoader worker process 1.\nOriginal Traceback")
    assert 'raise ValueError(f"sample {index} is unreadable")' in message
    assert message.rstrip().endswith("ValueError: sample 3 is unreadable")


def test_loading_continues_after_a_worker_exception_like_torch():
    def program(lib):
        iterator = iter(lib.utils.data.DataLoader(Raising(), batch_size=2, num_workers=2))
        first = next(iterator)
        kind, message = raised(next, iterator)
        return first, kind, message.splitlines()[0], list(iterator)
    check_program(program)


class KillsItself:
    """A worker reading sample 2 dies at once, as if the kernel's out-of-memory killer took it."""

    def __len__(self):
        return 6

    def __getitem__(self, index):
        if index == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return index


def test_a_killed_worker_raises_runtime_error_like_torch():
    def program(lib):
        kind, message = raised(batches, lib, KillsItself(), batch_size=2, num_workers=2)
        return kind, re.sub(r"\d+", "<pid>", message)
    assert check_program(program) == ("RuntimeError", "DataLoader worker (pid(s) <pid>) exited unexpectedly")


def break_in_a_loop(loader):
    for _ in loader:
        break


def delete_the_iterator(loader):
    iterator = iter(loader)
    next(iterator)
    del iterator


def collect_a_cycle(loader):
    iterator = iter(loader)
    next(iterator)
    cycle = [iterator]
    cycle.append(cycle)
    del iterator, cycle
    gc.collect()


EARLY_STOPS = [(lib, stop) for lib in LIBRARIES for stop in (break_in_a_loop, delete_the_iterator)]
EARLY_STOPS.append((minitorch, collect_a_cycle))  # not torch: its collected iterator waits 10 s for its workers


@pytest.mark.parametrize("lib, stop", EARLY_STOPS,
                         ids=lambda value: getattr(value, "__name__", None))
def test_ending_iteration_early_leaves_no_worker_processes(lib, stop):
    before = {process.pid for process in multiprocessing.active_children()}  # other tests' stragglers
    stop(lib.utils.data.DataLoader(Samples(40, "number"), batch_size=2, num_workers=2))
    for _ in range(200):  # the workers are told to exit at once; allow the scheduler some slack
        leftover = {process.pid for process in multiprocessing.active_children()} - before
        if not leftover:
            break
        time.sleep(0.05)
    assert not leftover, f"worker processes {leftover} outlived their iterator"


class Slow:
    def __len__(self):
        return 2

    def __getitem__(self, index):
        time.sleep(0.5)
        return index


def test_a_timeout_raises_runtime_error_like_torch():
    result = check_program(lambda lib: raised(batches, lib, Slow(), num_workers=1, timeout=0.05))
    assert result == ("RuntimeError", "DataLoader timed out after 0.05 seconds")
