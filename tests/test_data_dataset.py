"""Datasets against ``torch.utils.data``: TensorDataset, StackDataset, ConcatDataset, ChainDataset,
Subset and random_split give the same samples, lengths, warnings and errors; random_split's
permutation comes from minitorch's generator, so its parts are checked by their lengths and by
being disjoint, covering and reproducible."""
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data  # noqa: F401
from hypothesis import given
from hypothesis import strategies as st

import minitorch
import minitorch.utils.data  # noqa: F401
from tests.helpers import check_program
from tests.strategies import arrays, shapes


def data(lib):
    return lib.utils.data


def stream(lib, start, stop):
    """An iterable dataset of ``range(start, stop)``, built on either library's ``IterableDataset``."""
    methods = {"__iter__": lambda _: iter(range(start, stop)), "__len__": lambda _: stop - start}
    return type("Stream", (data(lib).IterableDataset,), methods)()


# -- TensorDataset ---------------------------------------------------------------------------------


@given(shape=shapes(min_dims=1, max_dims=3), seed=st.integers(0, 2**16), data_strategy=st.data())
def test_tensor_dataset_indexing_matches_torch(shape, seed, data_strategy):
    features = data_strategy.draw(arrays(shape))
    labels = np.random.default_rng(seed).integers(0, 5, size=shape[:1])
    index = data_strategy.draw(st.integers(-shape[0], shape[0] - 1))

    def program(lib, features, labels):
        dataset = data(lib).TensorDataset(lib.tensor(features), lib.tensor(labels))
        return len(dataset), dataset[index], dataset[1:], dataset[[0, -1]]
    check_program(program, features, labels)


TENSOR_DATASET_ERRORS = {
    "size_mismatch": lambda lib: data(lib).TensorDataset(lib.zeros(3, 2), lib.zeros(4)),
    "index_out_of_range": lambda lib: data(lib).TensorDataset(lib.zeros(3))[3],
}


@pytest.mark.parametrize("program", TENSOR_DATASET_ERRORS.values(), ids=TENSOR_DATASET_ERRORS.keys())
def test_tensor_dataset_raises_as_torch(program):
    check_program(program)


def test_dataset_without_getitem_raises_as_torch():
    check_program(lambda lib: data(lib).Dataset()[0])


# -- StackDataset ---------------------------------------------------------------------------------


def stack_program(lib, named):
    images, labels = data(lib).TensorDataset(lib.arange(12.0).reshape(6, 2)), list(range(10, 16))
    stacked = data(lib).StackDataset(image=images, label=labels) if named else data(lib).StackDataset(images, labels)
    return len(stacked), stacked[2], stacked.__getitems__([0, 5, 3])


@pytest.mark.parametrize("named", [False, True], ids=["tuple", "dict"])
def test_stack_dataset_samples_match_torch(named):
    check_program(stack_program, named)


STACK_ERRORS = {
    "both_kinds": lambda lib: data(lib).StackDataset([1], label=[2]),
    "none": lambda lib: data(lib).StackDataset(),
    "size_mismatch": lambda lib: data(lib).StackDataset([1, 2], [3]),
    "named_size_mismatch": lambda lib: data(lib).StackDataset(a=[1, 2], b=[3]),
}


@pytest.mark.parametrize("program", STACK_ERRORS.values(), ids=STACK_ERRORS.keys())
def test_stack_dataset_raises_as_torch(program):
    check_program(program)


# -- ConcatDataset and ChainDataset -----------------------------------------------------------------------


@given(lengths=st.lists(st.integers(0, 4), min_size=1, max_size=4).filter(sum), data_strategy=st.data())
def test_concat_dataset_indexing_matches_torch(lengths, data_strategy):
    total = sum(lengths)
    index = data_strategy.draw(st.integers(-total, total - 1))

    def program(lib):
        parts = [data(lib).TensorDataset(lib.arange(100 * part, 100 * part + length)) for part, length in
                 enumerate(lengths)]
        concatenated = data(lib).ConcatDataset(parts)
        return len(concatenated), concatenated.cumulative_sizes, concatenated[index]
    check_program(program)


def test_adding_datasets_concatenates_as_torch():
    def program(lib):
        joined = data(lib).TensorDataset(lib.arange(3)) + data(lib).TensorDataset(lib.arange(10, 12))
        return type(joined).__name__, len(joined), [joined[i] for i in range(len(joined))]
    check_program(program)


def test_adding_iterable_datasets_chains_as_torch():
    def program(lib):
        chained = stream(lib, 0, 3) + stream(lib, 10, 12)
        nested = data(lib).ChainDataset([chained, stream(lib, 20, 21)])
        return type(chained).__name__, len(chained), list(chained), len(nested), list(nested)
    check_program(program)


CONCAT_ERRORS = {
    "empty": lambda lib: data(lib).ConcatDataset([]),
    "iterable_part": lambda lib: data(lib).ConcatDataset([[1, 2], stream(lib, 0, 2)]),
    "negative_index_too_far": lambda lib: data(lib).ConcatDataset([[1, 2], [3]])[-4],
    "index_past_the_end": lambda lib: data(lib).ConcatDataset([[1, 2], [3]])[3],
    "chain_of_map_style": lambda lib: list(data(lib).ChainDataset([stream(lib, 0, 2), [1, 2]])),
    "chain_length_of_map_style": lambda lib: len(data(lib).ChainDataset([[1, 2]])),
}


@pytest.mark.parametrize("program", CONCAT_ERRORS.values(), ids=CONCAT_ERRORS.keys())
def test_concat_and_chain_datasets_raise_as_torch(program):
    check_program(program)


# -- Subset ---------------------------------------------------------------------------------------------


def test_subset_indexing_matches_torch():
    def program(lib):
        dataset = data(lib).TensorDataset(lib.arange(10) * 3)
        subset = data(lib).Subset(dataset, [7, 2, 5, 0])
        listed = data(lib).Subset(list(range(100, 110)), [4, 1])
        return len(subset), subset[1], subset[-1], subset.__getitems__([3, 0]), listed.__getitems__([1, 0])
    check_program(program)


def test_subset_indexed_with_a_list_passes_it_on_as_torch():
    def program(lib):
        subset = data(lib).Subset(data(lib).TensorDataset(lib.arange(10) * 3), [7, 2, 5])
        return subset[[2, 0]]
    check_program(program)


def test_subset_subclass_overriding_only_getitem_raises_as_torch():
    def program(lib):
        subclass = type("Scaled", (data(lib).Subset,), {"__getitem__": lambda self, index: 2 * index})
        return subclass([1, 2], [0])
    check_program(program)


# -- random_split -------------------------------------------------------------------------------------

split_fractions = st.lists(st.integers(0, 10), min_size=1, max_size=4).filter(sum).map(
    lambda weights: [weight / sum(weights) for weight in weights])


@given(size=st.integers(0, 30), fractions=split_fractions)
def test_random_split_by_fractions_gives_torch_lengths_and_warnings(size, fractions):
    def program(lib):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            parts = data(lib).random_split(range(size), fractions, generator=lib.Generator().manual_seed(0))
        return [len(part) for part in parts], [str(warning.message) for warning in caught]
    check_program(program)


@given(lengths=st.lists(st.integers(0, 6), min_size=1, max_size=4), seed=st.integers(0, 2**16))
def test_random_split_parts_are_disjoint_covering_and_reproducible(lengths, seed):
    def program(lib):
        def split():
            parts = data(lib).random_split(list(range(sum(lengths))), lengths, generator=lib.Generator().manual_seed(seed))
            return [[part[i] for i in range(len(part))] for part in parts]
        parts = split()
        flattened = sorted(index for part in parts for index in part)
        return [len(part) for part in parts], flattened == list(range(sum(lengths))), parts == split()
    check_program(program)


def test_random_split_draws_from_the_default_generator_as_torch():
    def program(lib):
        def split():
            lib.manual_seed(5)
            return [part.indices for part in data(lib).random_split(range(20), [0.5, 0.5])]
        first, second = split(), split()
        return first == second, sorted(first[0] + first[1]) == list(range(20))
    check_program(program)


RANDOM_SPLIT_ERRORS = {
    "sum_differs": lambda lib: data(lib).random_split(range(5), [2, 2]),
    "fraction_negative": lambda lib: data(lib).random_split(range(5), [1.5, -0.5]),
}


@pytest.mark.parametrize("program", RANDOM_SPLIT_ERRORS.values(), ids=RANDOM_SPLIT_ERRORS.keys())
def test_random_split_raises_as_torch(program):
    check_program(program)
