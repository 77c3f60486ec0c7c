"""``minitorch.utils.data``: datasets, samplers and batching for the training loop (``torch.utils.data``).

The pieces, each in its own file: ``dataset`` (map-style and iterable
datasets, and ways to combine and split them), ``sampler`` (which indices
to visit, in what order, in what batches), ``distributed`` (one replica's
share of the indices), ``collate`` (how samples become a batch of tensors),
and ``dataloader`` (the loop that ties them together, with worker processes).
"""
from minitorch.utils.data.collate import default_collate, default_convert
from minitorch.utils.data.dataset import (
    ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset, TensorDataset, random_split,
)
from minitorch.utils.data.distributed import DistributedSampler
from minitorch.utils.data.sampler import (
    BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "Dataset",
    "DistributedSampler",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "default_collate",
    "default_convert",
    "random_split",
]

# -- the DataLoader (dataloader.py and its worker code) ---------------------------------------------------
# It builds on everything above, so it is imported last: its import lines go below, with
# `__all__ += [...]` naming what they add.
from minitorch.utils.data.dataloader import DataLoader, get_worker_info  # noqa: E402

__all__ += ["DataLoader", "get_worker_info"]
