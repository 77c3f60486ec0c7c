"""What a ``DataLoader`` worker process runs (``torch.utils.data._utils.worker`` and ``fetch``).

A worker is a loop: take ``(task, indices)`` from its own index queue, fetch
and collate that batch, put ``(task, batch)`` on the result queue shared by
all workers. The main process (``dataloader.py``) decides which worker gets
which batch and puts the results back in order. Fetching is the same job
with or without workers, so the fetchers live here and the main process
uses them too when ``num_workers=0``.

Everything that crosses a queue is pickled: batches are minitorch Tensors,
which pickle as their NumPy array; an exception travels as its type and
traceback text (``ExceptionWrapper``), since a traceback cannot be pickled.
"""
from __future__ import annotations

import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass

import numpy

import minitorch

__all__ = ["WorkerInfo", "get_worker_info"]

# How long a blocking queue read waits before checking that the other side is still alive (seconds).
# A read returns as soon as something arrives, so this only bounds how late a death is noticed.
STATUS_CHECK_INTERVAL = 0.5


@dataclass(frozen=True)
class WorkerInfo:
    """Who this worker is: ``id`` (0 .. num_workers - 1), ``num_workers``, the ``seed`` its random
    generators got, and ``dataset``, this process's own copy of the dataset."""
    id: int
    num_workers: int
    seed: int
    dataset: object


_worker_info: WorkerInfo | None = None  # set once, at the start of a worker process


def get_worker_info() -> WorkerInfo | None:
    """This worker's ``WorkerInfo`` inside a DataLoader worker process; None in the main process.

    An ``IterableDataset`` uses it to read only its share of the stream, and a ``worker_init_fn``
    to configure each worker's copy of the dataset.
    """
    return _worker_info


# -- fetching a batch ---------------------------------------------------------------------------------------

class MapDatasetFetcher:
    """Reads ``dataset[index]`` for each index of a batch (or one index, without auto-batching)."""

    def __init__(self, dataset, auto_collation: bool, collate_fn) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn

    def fetch(self, indices):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[indices])
        if getattr(self.dataset, "__getitems__", None):  # a dataset that reads a whole batch at once
            return self.collate_fn(self.dataset.__getitems__(indices))
        return self.collate_fn([self.dataset[index] for index in indices])


class IterableDatasetFetcher:
    """Reads the next ``len(indices)`` samples of a stream; the indices only say how many.

    Raises ``StopIteration`` when the stream is exhausted (or, with ``drop_last``, when what is
    left is less than a full batch).
    """

    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        self.stream = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, indices):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.stream))
        samples = []
        for _ in indices:
            try:
                samples.append(next(self.stream))
            except StopIteration:
                self.ended = True
                break
        if not samples or (self.drop_last and len(samples) < len(indices)):
            raise StopIteration
        return self.collate_fn(samples)


def make_fetcher(is_iterable: bool, dataset, auto_collation: bool, collate_fn, drop_last: bool):
    if is_iterable:
        return IterableDatasetFetcher(dataset, auto_collation, collate_fn, drop_last)
    return MapDatasetFetcher(dataset, auto_collation, collate_fn)


# -- messages between the main process and the workers -------------------------------------------------------

class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process and raised there again.

    The traceback object cannot be pickled, so its text travels instead; the main process raises
    the same exception type with a message saying which worker caught it, followed by the
    original traceback (``torch._utils.ExceptionWrapper``).
    """

    def __init__(self, where: str) -> None:
        exc_type, value, trace = sys.exc_info()
        self.exc_type = exc_type
        self.exc_msg = "".join(traceback.format_exception(exc_type, value, trace))
        self.where = where

    def reraise(self):
        message = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            message = _KeyErrorMessage(message)  # KeyError prints the repr of its argument: keep the lines readable
        elif getattr(self.exc_type, "message", None):
            raise self.exc_type(message=message)  # exceptions whose constructor takes ``message=``
        try:
            exception = self.exc_type(message)
        except Exception:  # noqa: BLE001  (a constructor that wants other arguments: the text still reaches the user)
            raise RuntimeError(message) from None
        try:
            raise exception
        finally:
            # This frame, in the exception's traceback, must not hold the exception: that cycle would keep
            # the iterator (and its worker processes) alive until the next garbage collection.
            del exception


class _KeyErrorMessage(str):
    """A string whose repr is itself, so that ``KeyError(message)`` prints the traceback's lines."""

    def __repr__(self):
        return self


@dataclass(frozen=True)
class IterableDatasetStopIteration:
    """A worker's answer when its copy of an IterableDataset is exhausted."""
    worker_id: int


@dataclass(frozen=True)
class ResumeIteration:
    """Sent to persistent workers at the start of a new epoch: start the dataset over."""


# -- the worker process ---------------------------------------------------------------------------------------

def numpy_seed(base_seed: int, worker_id: int) -> list:
    """NumPy's global seed for a worker: four 32-bit words hashed from the worker id and the base seed.

    ``base_seed + worker_id`` alone would give neighbouring workers neighbouring seeds, and NumPy's
    legacy seeding of nearby integers gives correlated streams; NumPy's ``SeedSequence`` hashes
    them apart. PyTorch computes the same words with its own copy of the hash.
    """
    entropy = [worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32, 0]
    return numpy.random.SeedSequence(entropy).generate_state(4).tolist()


def _seed_worker(base_seed: int, worker_id: int) -> int:
    """Seed every random source a dataset may use (minitorch, ``random``, NumPy's global one), so that
    workers differ from each other and a seeded run is reproducible."""
    seed = base_seed + worker_id
    random.seed(seed)
    minitorch.manual_seed(seed)
    numpy.random.seed(numpy_seed(base_seed, worker_id))
    return seed


class _ParentWatchdog:
    """Notices when the main process has died (the worker was re-parented), so the worker ends too."""

    def __init__(self) -> None:
        self.parent_pid = os.getppid()

    def is_alive(self) -> bool:
        return os.getppid() == self.parent_pid


def worker_loop(is_iterable, dataset, index_queue, result_queue, done_event, auto_collation, collate_fn, drop_last,
                base_seed, worker_init_fn, worker_id, num_workers) -> None:
    """The body of a worker process: answer each ``(task, indices)`` with ``(task, batch)`` until told to stop
    (``None``), or until the main process dies."""
    global _worker_info
    try:
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        init_exception = None
        try:
            if worker_init_fn is not None:
                worker_init_fn(worker_id)
            fetcher = make_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last)
        except Exception:  # noqa: BLE001  (reported as the answer to the first task)
            init_exception = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
        iteration_end = False
        watchdog = _ParentWatchdog()
        while watchdog.is_alive():
            try:
                message = index_queue.get(timeout=STATUS_CHECK_INTERVAL)
            except queue.Empty:
                continue
            if isinstance(message, ResumeIteration):
                result_queue.put((message, None))  # the acknowledgement the main process waits for
                iteration_end = False
                fetcher = make_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last)
                continue
            if message is None:
                break
            if done_event.is_set() or iteration_end:
                continue  # shutting down, or nothing left to read: skip the queued tasks until ``None``
            task, indices = message
            if init_exception is not None:
                result, init_exception = init_exception, None
            else:
                try:
                    result = fetcher.fetch(indices)
                except Exception as error:  # noqa: BLE001  (the main process re-raises it)
                    if is_iterable and isinstance(error, StopIteration):
                        result = IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                    else:
                        result = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
            result_queue.put((task, result))
            del message, indices, result  # a batch can be large: do not hold it while waiting for the next task
    except KeyboardInterrupt:
        pass  # Ctrl-C reaches every process of the group: the main process reports it
    if done_event.is_set():
        # Nobody reads the results any more: exit without waiting to flush them into the pipe.
        result_queue.cancel_join_thread()
        result_queue.close()
