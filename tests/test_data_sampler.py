"""Samplers against ``torch.utils.data``: deterministic ones (Sequential, Batch, Distributed without
shuffling) give torch's exact indices; random ones draw from minitorch's generator, whose numbers
differ from torch's, so both libraries run the same program that reduces a draw to its properties
(a permutation, the right counts, frequencies near the weights, reproducible for a seed), and
those must agree."""
import numpy as np
import pytest
import torch
import torch.utils.data  # noqa: F401
from hypothesis import example, given
from hypothesis import strategies as st

import minitorch.utils.data  # noqa: F401
from tests.helpers import check_program


def data(lib):
    return lib.utils.data


def seeded(lib, seed=0):
    return lib.Generator().manual_seed(seed)


# -- SequentialSampler and BatchSampler ---------------------------------------------------------------


@given(size=st.integers(0, 12), batch_size=st.integers(1, 5), drop_last=st.booleans())
def test_batch_sampler_over_sequential_sampler_matches_torch(size, batch_size, drop_last):
    def program(lib):
        sequential = data(lib).SequentialSampler(range(size))
        batches = data(lib).BatchSampler(sequential, batch_size, drop_last)
        return list(sequential), len(sequential), list(batches), len(batches)
    check_program(program)


def test_batch_sampler_batches_any_iterable_as_torch():
    check_program(lambda lib: list(data(lib).BatchSampler(iter([5, 3, 8, 1, 0]), 2, False)))


BATCH_SAMPLER_ERRORS = {
    "zero_batch_size": (0, False),
    "negative_batch_size": (-2, False),
    "bool_batch_size": (True, False),
    "float_batch_size": (2.0, False),
    "drop_last_not_bool": (2, 1),
}


@pytest.mark.parametrize("batch_size, drop_last", BATCH_SAMPLER_ERRORS.values(), ids=BATCH_SAMPLER_ERRORS.keys())
def test_batch_sampler_rejects_bad_options_as_torch(batch_size, drop_last):
    check_program(lambda lib: data(lib).BatchSampler(range(4), batch_size, drop_last))


# -- RandomSampler and SubsetRandomSampler --------------------------------------------------------------


@given(size=st.integers(1, 10), num_samples=st.one_of(st.none(), st.integers(1, 25)), seed=st.integers(0, 2**16))
def test_random_sampler_without_replacement_makes_shuffled_passes(size, num_samples, seed):
    def program(lib):
        sampler = data(lib).RandomSampler(range(size), num_samples=num_samples, generator=seeded(lib, seed))
        indices = list(sampler)
        whole = len(indices) // size * size
        passes = [sorted(indices[start:start + size]) for start in range(0, whole, size)]
        tail = indices[whole:]
        return len(sampler), len(indices), passes, len(set(tail)) == len(tail), set(tail) <= set(range(size))
    check_program(program)


@given(size=st.integers(1, 6), num_samples=st.integers(1, 80), seed=st.integers(0, 2**16))
def test_random_sampler_with_replacement_draws_num_samples_in_range(size, num_samples, seed):
    def program(lib):
        sampler = data(lib).RandomSampler(range(size), replacement=True, num_samples=num_samples,
                                          generator=seeded(lib, seed))
        indices = list(sampler)
        return len(sampler), len(indices), all(0 <= index < size for index in indices)
    check_program(program)


def test_random_sampler_with_replacement_is_uniform():
    def program(lib):
        size, draws = 5, 5000
        sampler = data(lib).RandomSampler(range(size), replacement=True, num_samples=draws, generator=seeded(lib))
        frequencies = np.bincount(list(sampler), minlength=size) / draws
        return bool(np.all(np.abs(frequencies - 1 / size) < 0.03))
    check_program(program)


def test_random_sampler_is_reproducible_for_a_seed():
    def program(lib):
        def draw(**options):
            return list(data(lib).RandomSampler(range(20), generator=seeded(lib, 7), **options))
        repeated = draw() == draw() and draw(replacement=True) == draw(replacement=True)
        return repeated, draw() != list(range(20))
    check_program(program)


def test_random_sampler_without_generator_follows_manual_seed_and_changes_each_pass():
    def program(lib):
        sampler = data(lib).RandomSampler(range(20))
        lib.manual_seed(3)
        first, second = list(sampler), list(sampler)
        lib.manual_seed(3)
        return first == list(sampler), first != second, sorted(second) == list(range(20))
    check_program(program)


RANDOM_SAMPLER_ERRORS = {
    "replacement_not_bool": {"replacement": 1},
    "zero_num_samples": {"num_samples": 0},
    "float_num_samples": {"num_samples": 2.0},
    "empty_data_source": {},
}


@pytest.mark.parametrize("options", RANDOM_SAMPLER_ERRORS.values(), ids=RANDOM_SAMPLER_ERRORS.keys())
def test_random_sampler_rejects_bad_options_as_torch(options):
    size = 0 if not options else 4
    check_program(lambda lib: data(lib).RandomSampler(range(size), **options))


def test_subset_random_sampler_shuffles_its_indices():
    def program(lib):
        indices = [9, 4, 17, 2, 11]
        sampler = data(lib).SubsetRandomSampler(indices, generator=seeded(lib))
        drawn = list(sampler)
        return len(sampler), sorted(drawn), drawn == list(data(lib).SubsetRandomSampler(indices, seeded(lib)))
    check_program(program)


# -- WeightedRandomSampler -------------------------------------------------------------------------------


def test_weighted_random_sampler_frequencies_follow_the_weights():
    def program(lib):
        weights, draws = [1.0, 0.0, 3.0, 6.0], 6000
        sampler = data(lib).WeightedRandomSampler(weights, draws, generator=seeded(lib))
        frequencies = np.bincount(list(sampler), minlength=len(weights)) / draws
        return len(sampler), bool(np.all(np.abs(frequencies - np.array(weights) / sum(weights)) < 0.03))
    check_program(program)


@given(size=st.integers(1, 8), seed=st.integers(0, 2**16), data_strategy=st.data())
def test_weighted_random_sampler_without_replacement_draws_distinct_indices(size, seed, data_strategy):
    num_samples = data_strategy.draw(st.integers(1, size))
    weights = np.random.default_rng(seed).uniform(0.1, 2.0, size)

    def program(lib, weights):
        sampler = data(lib).WeightedRandomSampler(weights, num_samples, replacement=False, generator=seeded(lib, seed))
        drawn = list(sampler)
        return sampler.weights, len(drawn), len(set(drawn)) == num_samples, set(drawn) <= set(range(size))
    check_program(program, weights)


WEIGHTED_SAMPLER_ERRORS = {
    "zero_num_samples": lambda lib: data(lib).WeightedRandomSampler([1.0, 2.0], 0),
    "bool_num_samples": lambda lib: data(lib).WeightedRandomSampler([1.0, 2.0], True),
    "replacement_not_bool": lambda lib: data(lib).WeightedRandomSampler([1.0, 2.0], 1, replacement=0),
    "two_dimensional_weights": lambda lib: data(lib).WeightedRandomSampler([[1.0, 2.0]], 1),
    "more_than_available": lambda lib: list(data(lib).WeightedRandomSampler([1.0, 2.0], 3, replacement=False)),
    "negative_weight": lambda lib: list(data(lib).WeightedRandomSampler([1.0, -2.0], 1)),
}


@pytest.mark.parametrize("program", WEIGHTED_SAMPLER_ERRORS.values(), ids=WEIGHTED_SAMPLER_ERRORS.keys())
def test_weighted_random_sampler_raises_as_torch(program):
    check_program(program)


# -- DistributedSampler ---------------------------------------------------------------------------------


@given(size=st.integers(0, 13), num_replicas=st.integers(1, 4), drop_last=st.booleans(), rank=st.integers(0, 3))
@example(size=1, num_replicas=4, drop_last=False, rank=3)  # padding longer than the dataset: repeated cyclically
def test_distributed_sampler_without_shuffle_matches_torch(size, num_replicas, drop_last, rank):
    rank %= num_replicas

    def program(lib):
        sampler = lib.utils.data.DistributedSampler(range(size), num_replicas, rank, shuffle=False,
                                                    drop_last=drop_last)
        return list(sampler), len(sampler), sampler.num_samples, sampler.total_size
    check_program(program)


@given(size=st.integers(1, 13), num_replicas=st.integers(1, 4), drop_last=st.booleans(), seed=st.integers(0, 99),
       epoch=st.integers(0, 5))
def test_distributed_sampler_shuffled_shares_are_equal_disjoint_and_reproducible(size, num_replicas, drop_last,
                                                                                  seed, epoch):
    def program(lib):
        def shares(epoch):
            samplers = [data(lib).DistributedSampler(range(size), num_replicas, rank, seed=seed, drop_last=drop_last)
                        for rank in range(num_replicas)]
            for sampler in samplers:
                sampler.set_epoch(epoch)
            return [list(sampler) for sampler in samplers]
        drawn = shares(epoch)
        everything = [index for share in drawn for index in share]
        padding = len(everything) - size  # repeated indices when padding, negative when dropping the tail
        return ([len(share) for share in drawn], len(set(everything)) == min(size, len(everything)),
                set(everything) <= set(range(size)), padding > 0 or len(set(everything)) == len(everything),
                drawn == shares(epoch))
    check_program(program)


def test_distributed_sampler_set_epoch_reshuffles():
    def program(lib):
        sampler = data(lib).DistributedSampler(range(30), num_replicas=2, rank=1, seed=4)
        first = list(sampler)
        sampler.set_epoch(1)
        second = list(sampler)
        return first != second, len(first) == len(second) == 15
    check_program(program)


@pytest.mark.parametrize("rank", [2, -1])
def test_distributed_sampler_rejects_bad_rank_as_torch(rank):
    check_program(lambda lib: data(lib).DistributedSampler(range(4), num_replicas=2, rank=rank))


def test_distributed_sampler_shuffle_uses_seed_plus_epoch():
    def program(lib):
        def indices(seed, epoch):
            sampler = data(lib).DistributedSampler(range(12), num_replicas=1, rank=0, seed=seed)
            sampler.set_epoch(epoch)
            return list(sampler)
        expected = lib.randperm(12, generator=seeded(lib, 5)).tolist()
        return indices(2, 3) == indices(5, 0) == expected
    check_program(program)
