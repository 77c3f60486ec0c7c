"""Reductions against PyTorch: values, dtypes, gradients and errors, with drawn shapes, dims and keepdim.

Each op is one row of ``REDUCTIONS``: how its arguments are drawn and which values its input needs
(distinct magnitudes where max-like ops would otherwise see ties). The same call runs on both
libraries, as a function (``lib.amax(x, ...)``) or as a method (``x.amax(...)``).
"""
from __future__ import annotations

import dataclasses
import functools
import math
from typing import Callable

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import minitorch
from tests.helpers import check_against_torch, check_double_backward_against_torch, check_gradcheck
from tests.strategies import FLOAT_DTYPES, arrays, shapes

INF = float("inf")


# -- drawing inputs and arguments -------------------------------------------------------------

def distinct_values(shape, dtype, seed: int, low: float = 0.2, high: float = 3.0) -> np.ndarray:
    """Nonzero values with distinct magnitudes in [low, high] and random signs: no ties for max-like ops."""
    rng = np.random.default_rng(seed)
    size = math.prod(shape)
    magnitudes = low + (high - low) * (rng.permutation(size) + 1) / max(size, 1)
    return (magnitudes * rng.choice([-1.0, 1.0], size)).reshape(shape).astype(dtype)


@st.composite
def dims(draw, ndim: int, kind: str):
    """A dim argument: 'int' one axis; 'int?' one axis or None; 'tuple' None, one axis or several
    (each possibly negative); 'tuple+' one axis or several, never None."""
    axis = st.integers(-max(ndim, 1), max(ndim, 1) - 1)
    if kind == "int":
        return draw(axis)
    if kind == "int?":
        return draw(st.none() | axis)
    if kind == "tuple" and draw(st.booleans()):
        return None
    if ndim == 0 or draw(st.booleans()):
        return draw(axis)
    chosen = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(a - ndim if draw(st.booleans()) else a for a in chosen)


@dataclasses.dataclass(frozen=True)
class Reduction:
    """One op under test. ``call(op, dim, keepdim, option)`` calls ``op``, which is either
    ``partial(lib.name, x)`` or the bound method ``x.name``: the same call serves both forms."""
    call: Callable
    dim: str = "tuple"                     # how dim is drawn (see ``dims``)
    options: tuple = (None,)               # a further argument drawn from these (p, correction ...)
    values: str = "uniform"                # 'uniform' in [-3, 3], or 'distinct' magnitudes (no ties, no zeros)
    low: float = 0.2                       # smallest magnitude, for 'distinct'
    high: float = 3.0                      # largest magnitude, for 'distinct'
    min_side: int = 1


def run(lib, name: str, x, dim, keepdim, option, as_method=False):
    """Reduction ``name`` of ``x`` in ``lib`` (minitorch or torch), as a function or as a method."""
    op = getattr(x, name) if as_method else functools.partial(getattr(lib, name), x)
    return REDUCTIONS[name].call(op, dim, keepdim, option)


def _dim_keepdim(op, dim, keepdim, option):
    return op(dim, keepdim)


def _optional_dim(op, dim, keepdim, option):
    """op() when dim is None, op(dim, keepdim) otherwise (prod, max, min: no dim=None overload)."""
    return op() if dim is None else op(dim, keepdim)


def _norm(op, dim, keepdim, p):
    if p == "fro" and isinstance(dim, tuple) and len(dim) > 2:
        dim = dim[:2]  # 'fro' over more dims is a matrix norm
    return op(p, dim, keepdim)


def _spread(op, dim, keepdim, option):
    """var/std with a correction, or with the unbiased flag."""
    kind, value = option
    return op(dim, keepdim=keepdim, **{kind: value})


SPREAD_OPTIONS = (("correction", 0), ("correction", 1), ("correction", 2), ("unbiased", False), ("unbiased", True))

REDUCTIONS = {
    "sum": Reduction(_dim_keepdim),
    "mean": Reduction(_dim_keepdim),
    "prod": Reduction(_optional_dim, dim="int?", values="distinct", low=0.5, high=1.5),
    "amax": Reduction(_dim_keepdim, values="distinct"),
    "amin": Reduction(_dim_keepdim, values="distinct"),
    "max": Reduction(_optional_dim, dim="int?", values="distinct"),
    "min": Reduction(_optional_dim, dim="int?", values="distinct"),
    "argmax": Reduction(_dim_keepdim, dim="int?", values="distinct"),
    "argmin": Reduction(_dim_keepdim, dim="int?", values="distinct"),
    "var": Reduction(_spread, options=SPREAD_OPTIONS, min_side=3),
    "std": Reduction(_spread, options=SPREAD_OPTIONS, min_side=3),
    "logsumexp": Reduction(_dim_keepdim, dim="tuple+"),
    "norm": Reduction(_norm, options=("fro", 2, 1, 3, 0.5, 0, INF, -INF), values="distinct"),
    "cumsum": Reduction(lambda op, dim, keepdim, option: op(dim), dim="int"),
    "all": Reduction(_dim_keepdim, dim="int?"),
    "any": Reduction(_dim_keepdim, dim="int?"),
    "softmax": Reduction(lambda op, dim, keepdim, option: op(dim), dim="int"),
    "log_softmax": Reduction(lambda op, dim, keepdim, option: op(dim), dim="int"),
}


def _draw_input(data, case: Reduction, shape, dtype):
    if case.values == "distinct":
        return distinct_values(shape, dtype, data.draw(st.integers(0, 2**32 - 1)), case.low, case.high)
    return data.draw(arrays(shape, dtype))


# -- parity with PyTorch on drawn inputs ------------------------------------------------------

@pytest.mark.parametrize("name", REDUCTIONS)
@given(data=st.data(), dtype=FLOAT_DTYPES, keepdim=st.booleans(), as_method=st.booleans())
def test_reduction_matches_torch_on_drawn_shapes_dims_and_keepdim(name, data, dtype, keepdim, as_method):
    case = REDUCTIONS[name]
    shape = data.draw(shapes(min_dims=0, max_dims=4, min_side=case.min_side), label="shape")
    dim = data.draw(dims(len(shape), case.dim), label="dim")
    option = data.draw(st.sampled_from(case.options), label="option")
    x = _draw_input(data, case, shape, dtype)
    check_against_torch(lambda t: run(minitorch, name, t, dim, keepdim, option, as_method),
                        lambda t: run(torch, name, t, dim, keepdim, option, as_method), x,
                        seed=data.draw(st.integers(0, 2**16)))


# (name, option, dim): second derivatives where they are not zero, and a first-order gradcheck for every op.
GRADCHECKS = [
    ("sum", None, (0, -1)), ("mean", None, 1), ("prod", None, 1), ("prod", None, None),
    ("amax", None, (0, 1)), ("amin", None, -1), ("max", None, 0), ("min", None, None),
    ("var", ("correction", 1), 1), ("var", ("correction", 0), None), ("std", ("unbiased", True), (0, 1)),
    ("std", ("correction", 2), 0), ("logsumexp", None, 1), ("norm", 2, 1), ("norm", "fro", None),
    ("norm", 1, 0), ("norm", 3, None), ("norm", 0.5, 1), ("norm", INF, 1), ("norm", -INF, None),
    ("cumsum", None, 1), ("cumsum", None, -2), ("softmax", None, 1), ("softmax", None, 0), ("log_softmax", None, 1),
    ("log_softmax", None, 0),
]


# torch answers these second derivatives with a ZeroTensor, which the helper cannot turn into NumPy.
ZERO_TENSOR_SECOND_DERIVATIVES = {("norm", 1), ("norm", INF), ("norm", -INF)}


@pytest.mark.parametrize("name, option, dim", GRADCHECKS)
@pytest.mark.parametrize("keepdim", [False, True])
def test_reduction_gradients_match_finite_differences_and_torch_second_order(name, option, dim, keepdim):
    x = distinct_values((3, 4), np.float64, seed=len(name), low=0.5, high=1.5)
    mine = lambda t: run(minitorch, name, t, dim, keepdim, option)  # noqa: E731
    check_gradcheck(mine, x, double_backward=keepdim)  # gradgradcheck once per row: it is the slow part
    if (name, option) not in ZERO_TENSOR_SECOND_DERIVATIVES:
        check_double_backward_against_torch(mine, lambda t: run(torch, name, t, dim, keepdim, option), x)


# -- PyTorch's conventions where the derivative is not unique ---------------------------------

TIES = np.array([[1.0, 3.0, 3.0, -2.0], [0.5, 0.5, 0.5, 0.5], [-3.0, 2.0, -3.0, 3.0]])

TIE_CASES = {
    "amax splits among ties": lambda lib, x: lib.amax(x, 1),
    "amin splits among ties over all dims": lambda lib, x: lib.amin(x),
    "max over all splits among ties": lambda lib, x: lib.max(x),
    "max(dim) picks the first index": lambda lib, x: lib.max(x, 1),
    "min(dim) picks the first index": lambda lib, x: lib.min(x, 0, keepdim=True),
    "argmax picks the first index": lambda lib, x: (lib.argmax(x), lib.argmax(x, 1)),
    "argmin picks the first index": lambda lib, x: (lib.argmin(x), lib.argmin(x, 0)),
    "inf-norm splits among equal magnitudes": lambda lib, x: lib.norm(x, INF, 1),
}


@pytest.mark.parametrize("case", TIE_CASES)
def test_ties_are_resolved_as_torch_resolves_them(case):
    fn = TIE_CASES[case]
    check_against_torch(lambda t: fn(minitorch, t), lambda t: fn(torch, t), TIES)


def _with_zeros(count_per_row):
    x = distinct_values((3, 4), np.float64, seed=3)
    for row, count in enumerate(count_per_row):
        x[row, :count] = 0.0
    return x


@pytest.mark.parametrize("zeros", [(1, 0, 0), (2, 1, 0), (4, 2, 1)], ids=["one zero", "some zeros", "many zeros"])
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_prod_gradient_with_zeros_matches_torch_to_second_order(zeros, dim):
    x = _with_zeros(zeros)
    fn = lambda lib: lambda t: run(lib, "prod", t, dim, False, None)  # noqa: E731
    check_against_torch(fn(minitorch), fn(torch), x)
    check_double_backward_against_torch(fn(minitorch), fn(torch), x)
    check_gradcheck(fn(minitorch), x, double_backward=False)


SPECIAL_POINTS = {
    "2-norm at zero has gradient 0": (lambda lib, x: lib.norm(x), np.zeros((2, 3))),
    "2-norm of a zero row has gradient 0": (lambda lib, x: lib.norm(x, 2, 1), np.array([[0.0, 0.0], [3.0, -4.0]])),
    "3-norm of a zero row has gradient 0": (lambda lib, x: lib.norm(x, 3, 1), np.array([[0.0, 0.0], [3.0, -4.0]])),
    "1-norm at zero has gradient 0": (lambda lib, x: lib.norm(x, 1), np.array([0.0, 2.0, -1.0])),
    "0-norm counts nonzeros": (lambda lib, x: lib.norm(x, 0, 0), np.array([[0.0, 2.0], [0.0, 0.0]])),
    "std of a constant has gradient 0": (lambda lib, x: lib.std(x, 1), np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])),
    "var with no degrees of freedom is inf or nan": (lambda lib, x: lib.var(x, 0, correction=2),
                                                     np.array([[1.0, 2.0], [1.0, 3.0]])),
    "softmax of large inputs stays finite": (lambda lib, x: lib.softmax(x, -1), np.array([1000.0, 999.0, -1000.0])),
    "log_softmax of far-apart inputs": (lambda lib, x: lib.log_softmax(x, 0), np.array([200.0, -200.0, 0.0])),
    "logsumexp of large inputs": (lambda lib, x: lib.logsumexp(x, 0), np.array([1000.0, 1000.0, -5.0])),
    "logsumexp with infinities": (lambda lib, x: lib.logsumexp(x, 1, keepdim=True),
                                  np.array([[-INF, -INF], [INF, 1.0], [-INF, 2.0]])),
    "softmax of an empty dim": (lambda lib, x: lib.softmax(x, 0), np.zeros((0, 3))),
    "sum and mean of nothing": (lambda lib, x: (lib.sum(x, 0), lib.mean(x, 0), lib.prod(x, 0)), np.zeros((0, 3))),
    "max over a non-empty dim of an empty tensor": (lambda lib, x: lib.max(x, 1), np.zeros((0, 3))),
    "0-d inputs": (lambda lib, x: (lib.max(x, 0), lib.cumsum(x, -1), lib.argmax(x, 0, True), lib.softmax(x, 0),
                                   lib.prod(x, 0, True), lib.std(x, correction=0)), np.array(1.5)),
}


@pytest.mark.parametrize("case", SPECIAL_POINTS)
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_special_points_follow_torch(case):
    fn, x = SPECIAL_POINTS[case]
    check_against_torch(lambda t: fn(minitorch, t), lambda t: fn(torch, t), x)


# -- result dtypes and signatures -------------------------------------------------------------

INTEGERS = np.array([[3, -1, 2], [0, 5, 1]], dtype=np.int64)
DTYPE_CASES = {
    "sum of ints is int64": (lambda lib, x: lib.sum(x.int(), 1), INTEGERS),
    "sum of bools is int64": (lambda lib, x: lib.sum(x.bool()), INTEGERS),
    "sum with dtype": (lambda lib, x: (lib.sum(x, dtype=lib.int16), lib.sum(x.float(), 0, dtype=lib.float64)),
                       INTEGERS),
    "prod of ints is int64": (lambda lib, x: (lib.prod(x.int()), lib.prod(x.bool(), 0)), INTEGERS),
    "prod with dtype": (lambda lib, x: lib.prod(x, 1, dtype=lib.float64), INTEGERS.astype(np.float32)),
    "mean with a float dtype": (lambda lib, x: lib.mean(x, 1, dtype=lib.float64), INTEGERS),
    "cumsum of ints and bools is int64": (lambda lib, x: (lib.cumsum(x.int(), 0), lib.cumsum(x.bool(), 1)), INTEGERS),
    "cumsum with dtype": (lambda lib, x: lib.cumsum(x, 1, dtype=lib.float64), INTEGERS.astype(np.float32)),
    "max and min of ints": (lambda lib, x: (lib.max(x), lib.min(x, 1), lib.amax(x.int(), 0)), INTEGERS),
    "max of bools": (lambda lib, x: lib.amax(x.bool(), 1), INTEGERS),
    "argmax is int64": (lambda lib, x: (lib.argmax(x.float()), lib.argmin(x.int(), 1, keepdim=True)), INTEGERS),
    "argmax over all with keepdim": (lambda lib, x: lib.argmax(x, keepdim=True), INTEGERS),
    "logsumexp of ints is float": (lambda lib, x: lib.logsumexp(x, 1), INTEGERS),
    "all and any give bools": (lambda lib, x: (lib.all(x), lib.any(x, 0), lib.all(x.float(), 1, True)), INTEGERS),
    "all and any of uint8 give uint8": (lambda lib, x: (lib.all(x.byte()), lib.any(x.byte(), 1)), INTEGERS),
    "all over dim () reduces nothing": (lambda lib, x: lib.all(x, ()), INTEGERS),
    "softmax with dtype": (lambda lib, x: (lib.softmax(x, 1, dtype=lib.float64),
                                           lib.log_softmax(x, 0, lib.float64)), INTEGERS),
    "norm with dtype": (lambda lib, x: lib.norm(x, 2, 1, dtype=lib.float64), INTEGERS.astype(np.float32)),
    "sum over dim () or [] reduces all": (lambda lib, x: (lib.sum(x, ()), lib.amax(x, []), lib.mean(x, [])),
                                         INTEGERS.astype(np.float64)),
}


@pytest.mark.parametrize("case", DTYPE_CASES)
def test_result_dtype_matches_torch(case):
    fn, x = DTYPE_CASES[case]
    check_against_torch(lambda t: fn(minitorch, t), lambda t: fn(torch, t), x)


SPREAD_SIGNATURES = {
    "var(x, unbiased)": lambda lib, x: lib.var(x, False),
    "var(x, dim, unbiased, keepdim)": lambda lib, x: lib.var(x, 1, False, True),
    "std(x, dim, unbiased)": lambda lib, x: lib.std(x, (0, 1), True),
    "x.var(unbiased=...)": lambda lib, x: x.var(unbiased=False),
    "x.std(dim, correction=...)": lambda lib, x: x.std(0, correction=0),
    "var(x, correction=0.5)": lambda lib, x: lib.var(x, correction=0.5),
}


@pytest.mark.parametrize("case", SPREAD_SIGNATURES)
def test_var_and_std_accept_torch_overloads(case):
    fn = SPREAD_SIGNATURES[case]
    check_against_torch(lambda t: fn(minitorch, t), lambda t: fn(torch, t), distinct_values((3, 4), np.float64, 0))


def test_max_with_dim_returns_values_and_indices_by_name_and_position():
    x = minitorch.tensor(distinct_values((3, 4), np.float32, seed=1))
    result = x.max(1)
    values, indices = result
    assert result.values is values and result.indices is indices
    assert type(result).__name__ == "max" and type(x.min(0)).__name__ == "min"


def test_max_with_a_tensor_is_maximum():
    a, b = distinct_values((2, 3), np.float64, seed=4), distinct_values((3,), np.float64, seed=5)
    check_against_torch(lambda x, y: (minitorch.max(x, y), x.min(y)), lambda x, y: (torch.max(x, y), x.min(y)), a, b)


# -- errors -----------------------------------------------------------------------------------

ERRORS = {
    "dim out of range": lambda lib: lib.sum(lib.ones(2, 3), 5),
    "negative dim out of range": lambda lib: lib.amax(lib.ones(2, 3), -3),
    "dim out of range in a tuple": lambda lib: lib.mean(lib.ones(2, 3), (0, 2)),
    "repeated dim": lambda lib: lib.sum(lib.ones(2, 3), (0, -2)),
    "dim out of range for a 0-d tensor": lambda lib: lib.softmax(lib.tensor(1.0), 1),
    "mean of ints": lambda lib: lib.mean(lib.tensor([1, 2])),
    "mean with an int dtype": lambda lib: lib.mean(lib.ones(2), dtype=lib.int64),
    "var of ints": lambda lib: lib.var(lib.tensor([1, 2])),
    "var with unbiased and correction": lambda lib: lib.var(lib.ones(2, 3), 0, unbiased=True, correction=1),
    "norm of ints": lambda lib: lib.norm(lib.tensor([1, 2])),
    "softmax of ints": lambda lib: lib.softmax(lib.tensor([1, 2]), 0),
    "max of an empty tensor": lambda lib: lib.max(lib.ones(0, 3)),
    "amax of an empty tensor": lambda lib: lib.amax(lib.ones(0)),
    "amax over an empty dim": lambda lib: lib.amax(lib.ones(0, 3), 0),
    "max over an empty dim": lambda lib: lib.max(lib.ones(3, 0), 1),
    "argmax of an empty tensor": lambda lib: lib.argmax(lib.ones(0)),
    "argmin over an empty dim": lambda lib: lib.argmin(lib.ones(0, 2), 0),
    "inf-norm of an empty tensor": lambda lib: lib.norm(lib.ones(0), INF),
    "max over a tuple of dims": lambda lib: lib.max(lib.ones(2, 3), (0, 1)),
    "argmax over a tuple of dims": lambda lib: lib.argmax(lib.ones(2, 3), (0, 1)),
    "prod over a tuple of dims": lambda lib: lib.prod(lib.ones(2, 3), (0, 1)),
}


@pytest.mark.parametrize("case", ERRORS)
def test_errors_match_torch(case):
    fn = ERRORS[case]
    with pytest.raises(Exception) as expected:
        fn(torch)
    with pytest.raises(type(expected.value)):
        fn(minitorch)


def test_dim_out_of_range_message_matches_torch():
    with pytest.raises(IndexError, match=r"expected to be in range of \[-2, 1\], but got 5"):
        minitorch.ones(2, 3).sum(5)
