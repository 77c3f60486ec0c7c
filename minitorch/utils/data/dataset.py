"""Datasets: where samples come from (``torch.utils.data.dataset``).

A map-style ``Dataset`` answers ``dataset[index]`` (and usually ``len``); an
``IterableDataset`` is a stream read with ``iter``. The rest of this file
builds datasets out of datasets: side by side (``StackDataset``), one after
another (``ConcatDataset``, ``ChainDataset``), or a part of one (``Subset``,
``random_split``). Samplers (``sampler.py``) choose the indices and the
``DataLoader`` asks for them.
"""
from __future__ import annotations

import bisect
import itertools
import math
import warnings
from collections.abc import Iterable
from typing import Generic, TypeVar

import minitorch
from minitorch import backend

__all__ = [
    "ChainDataset",
    "ConcatDataset",
    "Dataset",
    "IterableDataset",
    "StackDataset",
    "Subset",
    "TensorDataset",
    "random_split",
]

# random_split's default: the CPU generator that minitorch.manual_seed reseeds (torch.default_generator)
default_generator = backend.default_generator()

T_co = TypeVar("T_co", covariant=True)  # the type of a sample, so that ``Dataset[int]`` reads as in PyTorch


class Dataset(Generic[T_co]):
    """A map from keys (usually ``0 .. len - 1``) to samples: subclasses define ``__getitem__``
    and, for the samplers that need it, ``__len__``.

    A subclass may also define ``__getitems__(indices)``, returning a list of samples, to
    fetch a whole batch in one call.
    """

    def __getitem__(self, index) -> T_co:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset[T_co]) -> ConcatDataset[T_co]:
        return ConcatDataset([self, other])

    # No default __len__: a dataset without a length must raise TypeError from len(), as Python
    # does, not return a made-up number (PyTorch's samplers rely on that).


class IterableDataset(Dataset[T_co], Iterable):
    """A stream of samples: subclasses define ``__iter__``.

    With worker processes each worker holds its own copy of the dataset, so ``__iter__``
    should use ``get_worker_info()`` to read only that worker's share, or every sample
    arrives once per worker.
    """

    def __add__(self, other: Dataset[T_co]) -> ChainDataset:
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Sample ``i`` is the tuple of row ``i`` of each tensor (their first dimensions must agree)."""

    def __init__(self, *tensors) -> None:
        if any(tensors[0].size(0) != tensor.size(0) for tensor in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].size(0)


def _check_equal_lengths(datasets) -> int:
    """The common length of ``datasets``, which must all have it."""
    length = len(datasets[0])
    if any(length != len(dataset) for dataset in datasets):
        raise ValueError("Size mismatch between datasets")
    return length


class StackDataset(Dataset):
    """Several datasets of one length side by side: sample ``i`` is the tuple (positional
    datasets) or the dict (keyword datasets) of their samples ``i``."""

    def __init__(self, *args: Dataset, **kwargs: Dataset) -> None:
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or"
                             "``dict``- (via ``kwargs``) like input/output, but both types are given.")
        if not args and not kwargs:
            raise ValueError("At least one dataset should be passed")
        self.datasets = args or kwargs
        self._length = _check_equal_lengths(list(self.datasets.values()) if kwargs else args)

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {key: dataset[index] for key, dataset in self.datasets.items()}
        return tuple(dataset[index] for dataset in self.datasets)

    def __getitems__(self, indices: list):
        """A batch: each part fetched with its own ``__getitems__`` where it has one."""
        named = isinstance(self.datasets, dict)
        parts = self.datasets.items() if named else enumerate(self.datasets)
        columns = {key: _fetch_batch(dataset, indices) for key, dataset in parts}
        if named:
            return [dict(zip(columns, row)) for row in zip(*columns.values())]
        return [tuple(row) for row in zip(*columns.values())]

    def __len__(self) -> int:
        return self._length


def _fetch_batch(dataset, indices: list) -> list:
    """``[dataset[i] for i in indices]``, in one ``__getitems__`` call when the dataset has one."""
    if not callable(getattr(dataset, "__getitems__", None)):
        return [dataset[index] for index in indices]
    samples = dataset.__getitems__(indices)
    if len(samples) != len(indices):
        raise ValueError(f"Nested dataset's output size mismatch. Expected {len(indices)}, got {len(samples)}")
    return samples


class ConcatDataset(Dataset):
    """Map-style datasets one after another: index ``i`` falls in the first dataset whose
    running total of lengths (``cumulative_sizes``) exceeds it."""

    @staticmethod
    def cumsum(sequence) -> list:
        return list(itertools.accumulate(len(dataset) for dataset in sequence))

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        if any(isinstance(dataset, IterableDataset) for dataset in self.datasets):
            raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx += len(self)
        dataset_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[dataset_idx - 1] if dataset_idx > 0 else 0
        return self.datasets[dataset_idx][idx - start]


def _check_iterable(dataset) -> None:
    if not isinstance(dataset, IterableDataset):
        raise AssertionError("ChainDataset only supports IterableDataset")  # noqa: TRY004  (PyTorch's type)


class ChainDataset(IterableDataset):
    """Iterable datasets read one after another, lazily (each is opened when the previous ends)."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def __iter__(self):
        for dataset in self.datasets:
            _check_iterable(dataset)
            yield from dataset

    def __len__(self) -> int:
        total = 0
        for dataset in self.datasets:
            _check_iterable(dataset)
            total += len(dataset)
        return total


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, renumbered ``0 .. len(indices) - 1``.

    A subclass that overrides ``__getitem__`` must override ``__getitems__`` too, or the
    ``DataLoader`` (which fetches batches through ``__getitems__``) would bypass it.
    """

    def __init__(self, dataset: Dataset, indices) -> None:
        self.dataset = dataset
        self.indices = indices
        if type(self).__getitem__ is not Subset.__getitem__ and type(self).__getitems__ is Subset.__getitems__:
            raise NotImplementedError(
                f"{type(self).__name__} overrides __getitem__ but not __getitems__. "
                "When subclassing Subset and overriding __getitem__, you must also override "
                "__getitems__ to ensure DataLoader works correctly with your custom logic. "
                "A simple implementation:\n\n"
                "def __getitems__(self, indices):\n"
                "    return [self.__getitem__(idx) for idx in indices]")

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list) -> list:
        return _fetch_batch(self.dataset, [self.indices[index] for index in indices])

    def __len__(self) -> int:
        return len(self.indices)


def _lengths_from_fractions(fractions, total: int) -> list:
    """Split lengths ``floor(fraction * total)``, then the items left over dealt one each,
    round-robin from the first split, as PyTorch deals them."""
    for index, fraction in enumerate(fractions):
        if fraction < 0 or fraction > 1:
            raise ValueError(f"Fraction at index {index} is not between 0 and 1")
    lengths = [math.floor(total * fraction) for fraction in fractions]
    remainder = total - sum(lengths)
    splits = len(lengths)
    lengths = [length + remainder // splits + (index < remainder % splits) for index, length in enumerate(lengths)]
    for index, length in enumerate(lengths):
        if length == 0:
            warnings.warn(f"Length of split at index {index} is 0. This might result in an empty dataset.",
                          stacklevel=3)
    return lengths


def random_split(dataset: Dataset, lengths, generator=default_generator) -> list:
    """Split ``dataset`` into non-overlapping ``Subset``s of the given ``lengths`` (or fractions
    summing to 1), drawn with one random permutation from ``generator``."""
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _lengths_from_fractions(lengths, len(dataset))
    if sum(lengths) != len(dataset):
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    indices = minitorch.randperm(sum(lengths), generator=generator).tolist()
    ends = list(itertools.accumulate(lengths))
    return [Subset(dataset, indices[end - length:end]) for end, length in zip(ends, lengths)]
