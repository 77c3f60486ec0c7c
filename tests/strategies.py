"""Hypothesis strategies shared by the parity tests: shapes, broadcastable pairs, arrays, dtypes."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

FLOAT_DTYPES = st.sampled_from([np.float32, np.float64])


def shapes(min_dims=0, max_dims=4, min_side=1, max_side=5):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


@st.composite
def broadcastable_shapes(draw, count=2, min_dims=0, max_dims=4, min_side=1, max_side=5):
    """``count`` shapes that broadcast together (sizes of 1 and missing leading dims drawn)."""
    result = draw(hnp.mutually_broadcastable_shapes(num_shapes=count, min_dims=min_dims, max_dims=max_dims,
                                                    min_side=min_side, max_side=max_side))
    return result.input_shapes


@st.composite
def arrays(draw, shape, dtype=np.float64, low=-3.0, high=3.0, avoid=None, min_gap=0.1):
    """A float array with values in [low, high]; ``avoid`` lists points (kinks) kept ``min_gap`` away."""
    seed = draw(st.integers(0, 2**32 - 1))
    values = np.random.default_rng(seed).uniform(low, high, size=shape)
    for point in avoid or ():
        near = np.abs(values - point) < min_gap
        values[near] = point + np.where(values[near] >= point, min_gap, -min_gap)
    return values.astype(dtype)


@st.composite
def positive_arrays(draw, shape, dtype=np.float64, low=0.2, high=3.0):
    return draw(arrays(shape, dtype, low, high))


@st.composite
def optimizer_options(draw, option_strategies: dict, group_keys=()):
    """Constructor options drawn from ``option_strategies`` (any may be left at its default), and
    sometimes two parameter groups setting the options named in ``group_keys`` their own way
    (``group_options`` for ``tests.helpers.OptimizerPair``; None for a single group)."""
    options = draw(st.fixed_dictionaries({}, optional=option_strategies))
    group_strategy = st.fixed_dictionaries({}, optional={key: option_strategies[key] for key in group_keys
                                                         if key in option_strategies})
    group_options = draw(st.one_of(st.none(), st.lists(group_strategy, min_size=2, max_size=2)))
    return options, group_options
