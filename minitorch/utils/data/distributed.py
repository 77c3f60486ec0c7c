"""``DistributedSampler``: one process's share of a dataset in data-parallel training
(``torch.utils.data.distributed``).

Every replica builds the same index list (shuffled with a generator seeded by
``seed + epoch``, so all replicas agree without talking), makes its length a
multiple of ``num_replicas`` (repeating indices from the start, or cutting the
tail when ``drop_last``), and takes every ``num_replicas``-th index from
position ``rank``. The shares are disjoint apart from the padding and have
equal lengths, so every replica runs the same number of steps.
"""
from __future__ import annotations

import math

import numpy

import minitorch
from minitorch.utils.data.sampler import Sampler

__all__ = ["DistributedSampler"]


def _from_process_group(query: str) -> int:
    """The world size or rank of the default process group, when no number is given."""
    # minitorch.distributed sits a layer above: imported only when no explicit numbers are given
    try:
        from minitorch import distributed
    except ImportError:
        distributed = None
    if distributed is None or not distributed.is_available():
        raise RuntimeError("Requires distributed package to be available")
    return getattr(distributed, query)()


class DistributedSampler(Sampler):
    """The indices replica ``rank`` of ``num_replicas`` reads each epoch; call ``set_epoch``
    before each epoch so that the shuffled order changes."""

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None, shuffle: bool = True,
                 seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None:
            num_replicas = _from_process_group("get_world_size")
        if rank is None:
            rank = _from_process_group("get_rank")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        if self.drop_last and len(self.dataset) % self.num_replicas != 0:
            # the largest multiple of num_replicas below the dataset's length, per replica
            self.num_samples = math.ceil((len(self.dataset) - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(len(self.dataset) / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        if self.shuffle:
            generator = minitorch.Generator().manual_seed(self.seed + self.epoch)
            indices = minitorch.randperm(len(self.dataset), generator=generator).numpy()
        else:
            indices = numpy.arange(len(self.dataset))
        # numpy.resize repeats the list cyclically up to total_size (padding) or cuts it (drop_last)
        indices = numpy.resize(indices, self.total_size)
        return iter(indices[self.rank:self.total_size:self.num_replicas].tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Make the next pass shuffle with ``seed + epoch``."""
        self.epoch = epoch
