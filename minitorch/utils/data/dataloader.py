"""The ``DataLoader``: batches from a dataset, in the main process or in worker processes
(``torch.utils.data.dataloader``).

A loader is three choices stacked: a sampler says which indices, in what order
(``SequentialSampler``, or ``RandomSampler`` with ``shuffle``); a batch sampler
groups them (``BatchSampler``); ``collate_fn`` turns the samples of one batch
into tensors (``default_collate``). Iterating the loader gives an iterator
that fetches those batches: itself, with ``num_workers=0``, or through worker
processes (``worker.py``) that fetch batches in parallel while the training
loop runs. The multi-process iterator keeps ``prefetch_factor`` batches per
worker in flight, hands batches to workers in turn, and returns them in the
sampler's order however they arrive.

Faults are the multi-process iterator's other job: a worker's exception is
raised again in the main process, a worker that died is reported instead of
waited for, and the workers are shut down when the iterator ends, is
abandoned (``break``) or is garbage-collected, so no process outlives it.
"""
from __future__ import annotations

import itertools
import math
import multiprocessing
import os
import queue
import warnings
import weakref
from typing import Generic, TypeVar

import minitorch
from minitorch.utils.data import worker
from minitorch.utils.data.collate import default_collate, default_convert
from minitorch.utils.data.dataset import IterableDataset
from minitorch.utils.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler
from minitorch.utils.data.worker import get_worker_info

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]

T_co = TypeVar("T_co", covariant=True)  # the type of a sample, so that ``DataLoader[int]`` reads as in PyTorch

# How long shutting down waits for a worker to exit by itself before terminating it (seconds).
_WORKER_JOIN_TIMEOUT = 5.0


class _InfiniteConstantSampler(Sampler):
    """The sampler of an IterableDataset: ``None`` forever. The stream decides when an epoch ends;
    the indices only count samples into batches."""

    def __iter__(self):
        return itertools.repeat(None)


class DataLoader(Generic[T_co]):
    """Iterates over ``dataset`` in batches of ``batch_size`` samples, collated into tensors.

    ``shuffle`` draws a new order each epoch (from ``generator`` if given); ``sampler`` or
    ``batch_sampler`` choose the indices instead. ``batch_size=None`` turns batching off: each
    sample is converted (``default_convert``) and returned alone. ``num_workers > 0`` loads in
    that many worker processes, ``prefetch_factor`` batches ahead each; ``persistent_workers``
    keeps them between epochs. ``timeout`` bounds the wait for one batch from the workers.
    ``pin_memory`` is accepted and does nothing: minitorch copies to a GPU from ordinary memory.
    """

    _initialized = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
                             "to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        self._is_iterable = isinstance(dataset, IterableDataset)
        if self._is_iterable:  # a stream has its own order: no sampler may reorder it
            if shuffle not in {False, None}:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, "
                                 f"but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                                 f"but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")

        if sampler is None:
            if self._is_iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._initialized = True
        self._IterableDataset_len_called = None  # what len(self) said, to warn when the stream gives more
        self._iterator = None  # kept between epochs with persistent_workers
        self.check_worker_number_rationality()

    @property
    def multiprocessing_context(self):
        return self._multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, multiprocessing_context):
        if multiprocessing_context is not None:
            if self.num_workers == 0:
                raise ValueError(f"multiprocessing_context can only be used with multi-process loading "
                                 f"(num_workers > 0), but got num_workers={self.num_workers}")
            if isinstance(multiprocessing_context, str):
                valid_start_methods = multiprocessing.get_all_start_methods()
                if multiprocessing_context not in valid_start_methods:
                    raise ValueError(f"multiprocessing_context option should specify a valid start method in "
                                     f"{valid_start_methods!r}, but got "
                                     f"multiprocessing_context={multiprocessing_context!r}")
                multiprocessing_context = multiprocessing.get_context(multiprocessing_context)
            if not isinstance(multiprocessing_context, multiprocessing.context.BaseContext):
                raise TypeError(f"multiprocessing_context option should be a valid context object or a string "
                                f"specifying the start method, but got "
                                f"multiprocessing_context={multiprocessing_context}")
        self._multiprocessing_context = multiprocessing_context

    def __setattr__(self, name, value):
        # The batch sampler was built from these: changing one afterwards would be silently ignored.
        if self._initialized and name in ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                                          "persistent_workers"):
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        """What the iterator reads: lists of indices when batching, single indices when not."""
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        if not self.persistent_workers:
            return _MultiProcessingDataLoaderIter(self)
        if self._iterator is None:
            self._iterator = _MultiProcessingDataLoaderIter(self)
        else:
            self._iterator._reset(self)
        return self._iterator

    def __len__(self) -> int:
        if not self._is_iterable:
            return len(self._index_sampler)
        # A stream's length is the dataset's word: batches are counted from it, ignoring how the
        # workers split the stream (iteration warns if more batches arrive than this said).
        length = self._IterableDataset_len_called = len(self.dataset)
        if self.batch_size is not None:
            length = length // self.batch_size if self.drop_last else math.ceil(length / self.batch_size)
        return length

    def check_worker_number_rationality(self) -> None:
        """Warn when asked for more workers than this process may run on CPUs at once."""
        if not self.num_workers:
            return
        cpuset_checked = hasattr(os, "sched_getaffinity")
        cpu_count = len(os.sched_getaffinity(0)) if cpuset_checked else os.cpu_count()
        if cpu_count is not None and self.num_workers <= cpu_count:
            return
        if cpu_count is None:
            suggestion = "DataLoader is not able to compute a suggested max number of worker in current system."
        else:
            suggestion = (f"Our suggested max number of worker in current system is {cpu_count}"
                          f"{'' if cpuset_checked else ' (`cpuset` is not taken into account)'}, which is smaller "
                          f"than what this DataLoader is going to create.")
        warnings.warn(f"This DataLoader will create {self.num_workers} worker processes in total. {suggestion} "
                      f"Please be aware that excessive worker creation might get DataLoader running slow or even "
                      f"freeze, lower the worker number to avoid potential slowness/freeze if necessary.",
                      stacklevel=2)


class _BaseDataLoaderIter:
    """One pass over the loader: reads the index sampler and turns each entry into a batch."""

    def __init__(self, loader: DataLoader) -> None:
        self._dataset = loader.dataset
        self._is_iterable = loader._is_iterable
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        self._persistent_workers = loader.persistent_workers
        _warn_about_pin_memory(loader)
        self._sampler_iter = iter(self._index_sampler)
        # Workers seed themselves from this, so the loader's generator makes a run with workers reproducible.
        self._base_seed = int(minitorch.empty((), dtype=minitorch.int64).random_(generator=loader.generator).item())
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called

    def __iter__(self):
        return self

    def _reset(self, loader) -> None:
        """Start a new pass (a new epoch) over the sampler."""
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called

    def _next_index(self):
        return next(self._sampler_iter)  # StopIteration ends the epoch

    def _next_data(self):
        raise NotImplementedError

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        promised = self._IterableDataset_len_called
        if self._is_iterable and promised is not None and self._num_yielded > promised:
            message = (f"Length of IterableDataset {self._dataset} was reported to be {promised}(when accessing "
                       f"len(dataloader)), but {self._num_yielded} samples have been fetched. ")
            if self._num_workers > 0:
                message += ("For multiprocessing data-loading, this could be caused by not properly configuring the "
                            "IterableDataset replica at each worker. Please see "
                            "https://pytorch.org/docs/stable/data.html#torch.utils.data.IterableDataset for examples.")
            warnings.warn(message, stacklevel=2)
        return data

    def __len__(self) -> int:
        return len(self._index_sampler)

    def __getstate__(self):
        raise NotImplementedError(f"{type(self).__name__} cannot be pickled")


def _warn_about_pin_memory(loader: DataLoader) -> None:
    """PyTorch's warnings for ``pin_memory``; with or without a GPU, pinning is a no-op in minitorch."""
    if loader.pin_memory and loader.pin_memory_device:
        warnings.warn(f"pin_memory_device is deprecated, the current accelerator will be used as the device,"
                      f"ignore pin_memory_device='{loader.pin_memory_device}'.", stacklevel=3)
    if loader.pin_memory and not minitorch.cuda.is_available():
        warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device pinned memory "
                      "won't be used.", stacklevel=3)


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    """Fetches each batch in the main process, when it is asked for."""

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        if self._timeout != 0:  # PyTorch's check: a timeout only bounds waiting for workers
            raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
        self._fetcher = worker.make_fetcher(self._is_iterable, self._dataset, self._auto_collation, self._collate_fn,
                                            self._drop_last)

    def _next_data(self):
        return self._fetcher.fetch(self._next_index())  # either may raise StopIteration: the epoch is over


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """Hands batches of indices to worker processes and returns their batches in the sampler's order.

    Each batch is a task numbered in sampler order. Tasks go to the active workers in turn,
    ``prefetch_factor`` per worker ahead of the one being waited for; a result that arrives
    before its turn waits in ``_early_results`` (with ``in_order=False`` it is returned at once).
    """

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._prefetch_factor = loader.prefetch_factor
        self._in_order = loader.in_order
        if self._prefetch_factor <= 0:
            raise AssertionError("prefetch_factor must be greater than 0 for MultiProcessingDataLoaderIter")
        context = loader.multiprocessing_context or multiprocessing.get_context()
        self._workers = _WorkerPool(context, loader, self._base_seed)
        # The workers stop when this iterator is garbage (an abandoned epoch, a ``break``) or at exit: a
        # finalizer, unlike ``__del__``, also runs at interpreter exit, before multiprocessing's own clean-up.
        # The pool holds no reference to the iterator, so the finalizer does not keep the iterator alive.
        weakref.finalize(self, self._workers.shutdown)
        self._reset(loader, first_epoch=True)

    def _reset(self, loader, first_epoch=False) -> None:
        super()._reset(loader)
        self._next_task = 0  # the number of the next task to send
        self._next_to_return = 0  # the number of the next task whose batch __next__ returns
        self._outstanding = {}  # task -> worker, for tasks sent and not yet answered
        self._early_results = {}  # task -> batch, answered before its turn
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        self._workers.active = [True] * self._num_workers
        if not first_epoch:  # persistent workers: each starts its dataset over and says when it has
            for worker_id in range(self._num_workers):
                self._workers.send(worker_id, worker.ResumeIteration())
            pending = self._num_workers
            while pending:  # results of the abandoned previous epoch come first: drop them
                task, _ = self._get_data()
                pending -= isinstance(task, worker.ResumeIteration)
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _try_put_index(self) -> None:
        """Send the sampler's next batch of indices to the next active worker, if there is one."""
        try:
            indices = self._next_index()
        except StopIteration:
            return
        worker_id = self._choose_worker()
        if worker_id is None:
            return
        self._workers.send(worker_id, (self._next_task, indices))
        self._outstanding[self._next_task] = worker_id
        self._next_task += 1

    def _choose_worker(self):
        """The next active worker in turn; out of order, one that has fewer than its share of tasks."""
        active = self._workers.active
        share = self._prefetch_factor * self._num_workers // max(sum(active), 1)
        for _ in range(self._num_workers):
            worker_id = next(self._worker_cycle)
            if active[worker_id] and (self._in_order or self._tasks_of(worker_id) < share):
                return worker_id
        return None

    def _tasks_of(self, worker_id: int) -> int:
        return sum(1 for owner in self._outstanding.values() if owner == worker_id)

    def _get_data(self):
        """The next ``(task, result)`` from any worker; raises if a worker died, or after ``timeout``."""
        if self._timeout > 0:
            received, data = self._workers.receive(self._timeout)
            if not received:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            return data
        while True:
            received, data = self._workers.receive(worker.STATUS_CHECK_INTERVAL)
            if received:
                return data

    def _next_data(self):
        while True:
            # Skip the tasks whose batch will never come (their worker ran out of stream, or died).
            while self._next_to_return < self._next_task:
                task = self._next_to_return
                if task in self._early_results:
                    break
                if task in self._outstanding and self._workers.active[self._outstanding[task]]:
                    break
                self._outstanding.pop(task, None)
                self._next_to_return += 1
            else:  # nothing left in flight: the epoch is over
                if not self._persistent_workers:
                    self._workers.shutdown()
                raise StopIteration
            if self._next_to_return in self._early_results:
                data = self._early_results.pop(self._next_to_return)
                self._next_to_return += 1
                return self._process_data(data)
            task, data = self._get_data()
            worker_id = self._outstanding.pop(task)
            if isinstance(data, worker.IterableDatasetStopIteration):
                self._stop_exhausted_worker(worker_id)
                self._try_put_index()  # the batch this task would have been is asked of another worker
                continue
            if task == self._next_to_return:
                self._next_to_return += 1
                return self._process_data(data)
            if not self._in_order:
                return self._process_data(data)
            self._early_results[task] = data

    def _stop_exhausted_worker(self, worker_id: int) -> None:
        """A worker's copy of an IterableDataset ran out: it gets no more tasks this epoch; without
        persistent workers it is told to exit."""
        if self._persistent_workers:
            self._workers.active[worker_id] = False
        else:
            self._workers.retire(worker_id)

    def _process_data(self, data):
        self._try_put_index()  # one batch leaves, so one more may be in flight
        if isinstance(data, worker.ExceptionWrapper):
            data.reraise()
        return data


class _WorkerPool:
    """The worker processes of one iterator, their queues, and how they end.

    Each worker has its own index queue (so that tasks go to the worker chosen for them) and all
    share one result queue. ``active`` says which workers get tasks in the current epoch.
    """

    def __init__(self, context, loader: DataLoader, base_seed: int) -> None:
        self.result_queue = context.Queue()
        self.done_event = context.Event()  # set when shutting down: workers skip the tasks still queued
        self.index_queues, self.processes = [], []
        self.active = [True] * loader.num_workers
        self.is_shut_down = False
        try:
            for worker_id in range(loader.num_workers):
                index_queue = context.Queue()
                index_queue.cancel_join_thread()  # never wait, at exit, to flush indices no worker will read
                process = context.Process(
                    target=worker.worker_loop, daemon=True,  # daemon: exiting the main process ends the workers too
                    args=(loader._is_iterable, loader.dataset, index_queue, self.result_queue, self.done_event,
                          loader._auto_collation, loader.collate_fn, loader.drop_last, base_seed,
                          loader.worker_init_fn, worker_id, loader.num_workers))
                self.index_queues.append(index_queue)
                process.start()  # under spawn, fails here if the dataset or a function cannot be pickled
                self.processes.append(process)
        except BaseException:
            self.shutdown()  # the workers already started
            raise

    def send(self, worker_id: int, message) -> None:
        self.index_queues[worker_id].put(message)

    def retire(self, worker_id: int) -> None:
        """Tell one worker to exit once it has answered the tasks it holds."""
        self.send(worker_id, None)
        self.active[worker_id] = False

    def receive(self, timeout: float):
        """``(True, (task, result))``, or ``(False, None)`` after ``timeout`` seconds without one.

        While waiting, an active worker that died (killed by a signal, or exited) would never
        answer: it is retired and reported as a RuntimeError instead of waited for.
        """
        try:
            return True, self.result_queue.get(timeout=timeout)
        except Exception as error:  # noqa: BLE001  (an empty queue, or a pipe broken by a dying worker)
            dead = [worker_id for worker_id, process in enumerate(self.processes)
                    if self.active[worker_id] and not process.is_alive()]
            for worker_id in dead:
                self.retire(worker_id)
            if dead:
                pids = ", ".join(str(self.processes[worker_id].pid) for worker_id in dead)
                raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly") from error
            if isinstance(error, queue.Empty):
                return False, None
            raise

    def shutdown(self) -> None:
        """Stop every worker: ask each to exit, wait a little, terminate those that do not. Idempotent."""
        if self.is_shut_down:
            return
        self.is_shut_down = True
        try:
            self.done_event.set()
            for index_queue in self.index_queues:
                index_queue.put(None)  # a worker that has already exited never reads it
            for process in self.processes:
                process.join(timeout=_WORKER_JOIN_TIMEOUT)
            for index_queue in self.index_queues:
                index_queue.close()
        finally:
            for process in self.processes:
                if process.is_alive():
                    process.terminate()
                    process.join(timeout=_WORKER_JOIN_TIMEOUT)
