"""Samplers: which dataset indices to visit, and in what order (``torch.utils.data.sampler``).

A sampler is an iterable of indices (or, for ``BatchSampler``, of lists of
indices); the ``DataLoader`` reads one pass of it per epoch. The random ones
draw from a minitorch ``Generator``, in the same calls PyTorch makes on its
own, so a seeded generator gives a reproducible order (the numbers differ
from PyTorch's, whose generator is a different algorithm).
"""
from __future__ import annotations

import itertools
from typing import Generic, TypeVar

import minitorch

__all__ = [
    "BatchSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
]

T_co = TypeVar("T_co", covariant=True)  # what the sampler yields: an index, or a list of them


class Sampler(Generic[T_co]):
    """The base class: subclasses define ``__iter__`` and, where the length is known, ``__len__``."""

    def __iter__(self):
        raise NotImplementedError

    # No default __len__: see the note in dataset.py.


class SequentialSampler(Sampler[int]):
    """``0, 1, ..., len(data_source) - 1``, every pass."""

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


# How many indices RandomSampler draws at a time with replacement: a pass is drawn lazily, as PyTorch does.
_DRAW_CHUNK = 32


def _fresh_generator():
    """A generator seeded from the default one: each pass without an explicit generator gets its own
    stream, yet ``manual_seed`` still makes the whole run reproducible (PyTorch's scheme)."""
    seed = int(minitorch.empty((), dtype=minitorch.int64).random_().item())
    return minitorch.Generator().manual_seed(seed)


class RandomSampler(Sampler[int]):
    """Indices in random order: shuffled passes over the data (repeated, and the last one cut,
    to make ``num_samples``), or ``num_samples`` independent uniform draws when ``replacement``."""

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator=None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={self.replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        """``len(data_source)`` unless given: read each pass, since a dataset may change size."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        size = len(self.data_source)
        generator = _fresh_generator() if self.generator is None else self.generator
        if self.replacement:
            for _ in range(self.num_samples // _DRAW_CHUNK):
                yield from minitorch.randint(high=size, size=(_DRAW_CHUNK,), generator=generator).tolist()
            yield from minitorch.randint(high=size, size=(self.num_samples % _DRAW_CHUNK,),
                                         generator=generator).tolist()
        else:
            for _ in range(self.num_samples // size):
                yield from minitorch.randperm(size, generator=generator).tolist()
            yield from minitorch.randperm(size, generator=generator).tolist()[:self.num_samples % size]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given ``indices``, in a new random order each pass."""

    def __init__(self, indices, generator=None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for position in minitorch.randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[position]

    def __len__(self) -> int:
        return len(self.indices)


def _check_positive_int(name: str, value) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")


def _check_bool(name: str, value) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{name} should be a boolean value, but got {name}={value}")  # noqa: TRY004  (PyTorch's type)


class WeightedRandomSampler(Sampler[int]):
    """``num_samples`` indices into ``weights``, index ``i`` drawn with probability proportional
    to ``weights[i]`` (each at most once when ``replacement`` is False)."""

    def __init__(self, weights, num_samples: int, replacement: bool = True, generator=None) -> None:
        _check_positive_int("num_samples", num_samples)
        _check_bool("replacement", replacement)
        weights = minitorch.as_tensor(weights, dtype=minitorch.double)
        if weights.dim() != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(weights.shape)}")
        self.weights = weights
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        draws = minitorch.multinomial(self.weights, self.num_samples, self.replacement, generator=self.generator)
        yield from draws.tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list]):
    """Groups another sampler's indices into lists of ``batch_size``; the last, shorter one is
    kept unless ``drop_last``."""

    def __init__(self, sampler, batch_size: int, drop_last: bool) -> None:
        _check_positive_int("batch_size", batch_size)
        _check_bool("drop_last", drop_last)
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        indices = iter(self.sampler)
        while batch := list(itertools.islice(indices, self.batch_size)):
            if self.drop_last and len(batch) < self.batch_size:
                return
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
