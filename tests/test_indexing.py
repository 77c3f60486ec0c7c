"""Indexing against PyTorch: ``tensor[index]`` for every kind of index, ``tensor[index] = value``,
gather/scatter/index_select, masks and nonzero; values, gradients, views and errors."""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import minitorch
from tests.helpers import assert_same, check_against_torch, check_double_backward_against_torch, check_gradcheck
from tests.strategies import FLOAT_DTYPES, arrays, broadcastable_shapes, shapes


# ---------------------------------------------------------------------------------------------
# Drawing indices
# ---------------------------------------------------------------------------------------------

def realize(spec, library):
    """A drawn index for one library: NumPy arrays become its tensors, everything else stays.

    A lone nested list stays in a tuple: PyTorch still reads ``x[[[0, 1]]]`` as ``x[[0, 1]]`` (deprecated,
    with a warning), while minitorch already reads it as ``x[tensor([[0, 1]])]``, as PyTorch will.
    """
    items = tuple(library.tensor(item) if isinstance(item, np.ndarray) else item for item in spec)
    nested_list = len(items) == 1 and isinstance(items[0], list) and any(isinstance(i, list) for i in items[0])
    return items[0] if len(items) == 1 and not nested_list else items


def _rng(draw):
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1)))


@st.composite
def _item(draw, size, kinds, state):
    """One index item for a dimension of ``size``; ``state`` shares the advanced shape between arrays."""
    kind = draw(st.sampled_from(kinds))
    if kind == "int":
        return draw(st.integers(-size, size - 1))
    if kind == "slice":
        bound = st.none() | st.integers(-size - 1, size + 1)
        return slice(draw(bound), draw(bound), draw(st.none() | st.integers(1, 3)))
    if state["unique"]:  # one array of distinct values: a setitem with no write racing another
        if state["arrays"]:
            return slice(None)
        state["arrays"] += 1
        values = _rng(draw).permutation(size)[:draw(st.integers(1, size))] - draw(st.sampled_from([0, size]))
        return values if kind == "array" else values.tolist()
    state["arrays"] += 1
    values = _rng(draw).integers(-size, size, size=state["shape"])  # repeats included
    return values if kind == "array" else values.tolist()


@st.composite
def index_specs(draw, shape, kinds, unique=False):
    """An index for ``shape`` (a tuple of items) using the item ``kinds``: int, slice, array, list,
    none, ellipsis, true (Python True) and mask (one boolean array over one or more dimensions)."""
    per_dim = [k for k in kinds if k in ("int", "slice", "array", "list")]
    state = {"arrays": 0, "unique": unique, "shape": draw(shapes(min_dims=1, max_dims=2, max_side=3))}
    ndim = len(shape)
    count = draw(st.integers(1 if ndim else 0, ndim))
    use_ellipsis = "ellipsis" in kinds and draw(st.booleans())
    front = draw(st.integers(0, count)) if use_ellipsis else count
    dims = list(range(front)) + list(range(ndim - (count - front), ndim))
    items, position = [], 0
    mask_dims = (draw(st.integers(0, count - 1)), draw(st.integers(1, count))) if "mask" in kinds else None
    while position < len(dims):
        dim = dims[position]
        if mask_dims and position == mask_dims[0] and (position < front or not use_ellipsis):
            last = front if use_ellipsis else count
            width = min(mask_dims[1], last - position)
            items.append(_rng(draw).random(shape[dim:dim + width]) < 0.6)
            position += width
            continue
        items.append(draw(_item(shape[dim], per_dim, state)) if per_dim else slice(None))
        position += 1
    if use_ellipsis:
        items.insert(front, Ellipsis)
    for extra in ("none", "true"):
        if extra in kinds:
            for _ in range(draw(st.integers(0, 2))):
                items.insert(draw(st.integers(0, len(items))), None if extra == "none" else True)
    return tuple(items)


INDEX_KINDS = {
    "int and slice": ("int", "slice"),
    "None, Ellipsis and True": ("int", "slice", "none", "ellipsis", "true"),
    "integer tensors": ("array",),
    "integer tensors split by slices": ("array", "slice"),
    "lists": ("list", "slice"),
    "ints mixed with tensors": ("int", "slice", "none", "ellipsis", "array"),
    "mask": ("mask",),
    "mask with ints and slices": ("mask", "int", "slice", "ellipsis"),
}


# ---------------------------------------------------------------------------------------------
# tensor[index]
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", INDEX_KINDS)
@given(shape=shapes(min_dims=1, max_dims=4), dtype=FLOAT_DTYPES, data=st.data())
def test_getitem_matches_torch_with_gradients(kind, shape, dtype, data):
    spec = data.draw(index_specs(shape, INDEX_KINDS[kind]))
    x = data.draw(arrays(shape, dtype))
    check_against_torch(lambda t: t[realize(spec, minitorch)], lambda t: t[realize(spec, torch)], x)


@pytest.mark.parametrize("index", [(), None, Ellipsis, (None, Ellipsis), True, False],
                         ids=["empty tuple", "None", "Ellipsis", "None and Ellipsis", "True", "False"])
def test_getitem_of_a_0d_tensor_matches_torch(index):
    check_against_torch(lambda t: t[index], lambda t: t[index], np.array(1.5))


def test_getitem_with_a_nested_tuple_and_numpy_indices_matches_torch():
    x = np.arange(24.0).reshape(2, 3, 4)
    check_against_torch(lambda t: t[(1, 0), :, np.array([3, 1])], lambda t: t[(1, 0), :, np.array([3, 1])], x)
    check_against_torch(lambda t: t[np.int64(1), np.array(2)], lambda t: t[np.int64(1), np.array(2)], x)


def test_getitem_with_0d_integer_tensors_acts_as_ints():
    x = np.arange(24.0).reshape(2, 3, 4)
    check_against_torch(lambda t: t[minitorch.tensor(1), :, minitorch.tensor(-1)],
                        lambda t: t[torch.tensor(1), :, torch.tensor(-1)], x)


@pytest.mark.parametrize("index", [(0,), (1, 2), (slice(None), 1), (Ellipsis, slice(1, None, 2)), (None, 0, 2)],
                         ids=str)
def test_basic_index_is_a_view_sharing_memory_and_version(index):
    base = minitorch.tensor(np.arange(12.0, dtype=np.float32).reshape(3, 4))
    view = base[index]
    assert view._base is base and view._version is base._version
    assert view.untyped_storage_base() is base.untyped_storage_base()
    before = base._version_number
    view.fill_(-1.0)
    assert base._version_number == before + 1
    expected = torch.arange(12.0).reshape(3, 4)
    expected[index] = -1.0
    assert_same(base, expected)


def test_advanced_index_is_a_copy():
    base = minitorch.tensor(np.arange(12.0, dtype=np.float32).reshape(3, 4))
    copy = base[[0, 2]]
    copy.fill_(-1.0)
    assert copy._base is None and base._version_number == 0
    assert float(base.sum()) == 66.0


def test_writing_through_a_view_is_seen_in_the_base():
    base = minitorch.zeros(3, 4)
    row = base[1]
    row[2:] = 5.0
    base[0][0] = 7.0
    expected = torch.zeros(3, 4)
    expected[1][2:] = 5.0
    expected[0][0] = 7.0
    assert_same(base, expected)
    assert row._version_number == base._version_number == 2


# ---------------------------------------------------------------------------------------------
# tensor[index] = value
# ---------------------------------------------------------------------------------------------

@st.composite
def value_shapes(draw, region):
    """A shape that broadcasts to ``region``: the region, a suffix with some sizes 1, or leading 1s added."""
    choice = draw(st.sampled_from(["scalar", "same", "suffix", "leading ones"]))
    if choice == "scalar":
        return None
    if choice == "same":
        return tuple(region)
    if choice == "leading ones":
        return (1,) * draw(st.integers(1, 2)) + tuple(region)
    suffix = region[len(region) - draw(st.integers(0, len(region))):]
    return tuple(1 if draw(st.booleans()) else n for n in suffix)


def _write(library, x, spec, value):
    target = library.tensor(x)
    target[realize(spec, library)] = library.tensor(value) if isinstance(value, np.ndarray) else value
    return target


@pytest.mark.parametrize("kind", INDEX_KINDS)
@given(shape=shapes(min_dims=1, max_dims=3), dtype=FLOAT_DTYPES, data=st.data())
def test_setitem_matches_torch(kind, shape, dtype, data):
    spec = data.draw(index_specs(shape, INDEX_KINDS[kind], unique=True))
    x = data.draw(arrays(shape, dtype))
    region = torch.tensor(x)[realize(spec, torch)].shape
    value_shape = data.draw(value_shapes(region))
    value = 2.5 if value_shape is None else data.draw(arrays(value_shape, dtype))
    assert_same(_write(minitorch, x, spec, value), _write(torch, x, spec, value))


@pytest.mark.parametrize("kind", ["int and slice", "integer tensors split by slices", "ints mixed with tensors",
                                  "mask with ints and slices"])
@given(shape=shapes(min_dims=1, max_dims=3), dtype=FLOAT_DTYPES, data=st.data())
def test_gradients_flow_through_setitem_like_torch(kind, shape, dtype, data):
    spec = data.draw(index_specs(shape, INDEX_KINDS[kind], unique=True))
    x = data.draw(arrays(shape, dtype))
    region = torch.tensor(x)[realize(spec, torch)].shape
    value = data.draw(arrays(data.draw(value_shapes(region)) or (), dtype))

    def overwrite(library):
        def fn(t, v):
            h = t * 1.0  # a non-leaf: leaves that require grad may not be written in place
            h[realize(spec, library)] = v * 2.0
            return h * 3.0
        return fn
    check_against_torch(overwrite(minitorch), overwrite(torch), x, value)


def test_setitem_into_zeros_backpropagates_to_the_value():
    def fn(library):
        def run(x):
            h = library.zeros(3, 4, dtype=x.dtype)
            h[:, 0] = x * 2.0
            h[1:, [1, 3]] = x[1:, None] * x[1:, None]
            return h
        return run
    check_against_torch(fn(minitorch), fn(torch), np.array([0.5, -1.0, 2.0]))


def _write_through_views(library):
    def run(x):
        h = library.zeros(3, 4, dtype=x.dtype)
        h[1][2:] = x[:2] * 2.0     # setitem on a view of h
        h[:, 0] += x               # an in-place add on a view, then setitem
        row = h[2]
        row[[1, 3]] = x[1:] * x[1:]
        return h * x[:, None]
    return run


def test_gradients_flow_through_writes_into_views_like_torch():
    check_against_torch(_write_through_views(minitorch), _write_through_views(torch), np.array([0.5, -1.0, 2.0]))


def test_setitem_without_grad_writes_memory_and_bumps_the_version():
    weight = minitorch.ones(2, 3, requires_grad=True)
    with minitorch.no_grad():
        weight[0, 1:] = minitorch.tensor([4.0, 5.0])
    assert weight.is_leaf and weight._version_number == 1
    assert weight.tolist() == [[1.0, 4.0, 5.0], [1.0, 1.0, 1.0]]


def test_setitem_casts_the_value_to_the_tensor_dtype():
    for library in (minitorch, torch):
        target = library.zeros(3, dtype=library.int64)
        target[:2] = library.tensor([1.7, -2.2])
        assert target.tolist() == [1, -2, 0] and target.dtype == library.int64


def test_setitem_double_backward_matches_torch():
    def fn(library):
        def run(x, v):
            h = x * x
            h[[0, 2], 1:] = v * v
            return h * x
        return run
    rng = np.random.default_rng(1)
    check_double_backward_against_torch(fn(minitorch), fn(torch), rng.standard_normal((3, 3)),
                                        rng.standard_normal((2,)))


# ---------------------------------------------------------------------------------------------
# gather, scatter, scatter_add, index_select
# ---------------------------------------------------------------------------------------------

@st.composite
def along_dim_cases(draw, unique=False):
    """(x shape, dim, index) for gather/scatter: index no larger than x apart from ``dim``.

    With ``unique`` the indices along ``dim`` are distinct in each column (scatter's writes do not race);
    otherwise they repeat, which is what makes a backward accumulate.
    """
    shape = draw(shapes(min_dims=1, max_dims=3))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    axis = dim % len(shape)
    rng = _rng(draw)
    index_shape = [draw(st.integers(1, n)) for n in shape]
    if unique:
        columns = list(index_shape)
        columns[axis] = shape[axis]
        index = rng.random(columns).argsort(axis=axis).take(range(index_shape[axis]), axis=axis)
    else:
        index_shape[axis] = draw(st.integers(1, 4))
        index = rng.integers(0, shape[axis], size=index_shape)
    return shape, dim, index


@given(case=along_dim_cases(), dtype=FLOAT_DTYPES, data=st.data())
def test_gather_matches_torch_with_repeated_indices(case, dtype, data):
    shape, dim, index = case
    x = data.draw(arrays(shape, dtype))
    check_against_torch(lambda t, i: t.gather(dim, i), lambda t, i: t.gather(dim, i), x, index)


SCATTERS = {
    "scatter src": (lambda t, d, i, s: t.scatter(d, i, s), True),
    "scatter value": (lambda t, d, i, s: t.scatter(d, i, -1.5), True),
    "scatter_add": (lambda t, d, i, s: t.scatter_add(d, i, s), False),
    "scatter reduce add": (lambda t, d, i, s: t.scatter(d, i, s, reduce="add"), False),
    "scatter reduce multiply": (lambda t, d, i, s: t.scatter(d, i, s, reduce="multiply"), False),
}


@pytest.mark.parametrize("name", SCATTERS)
@given(dtype=FLOAT_DTYPES, data=st.data())
def test_scatter_matches_torch(name, dtype, data):
    fn, unique = SCATTERS[name]
    shape, dim, index = data.draw(along_dim_cases(unique=unique))
    x, src = data.draw(arrays(shape, dtype)), data.draw(arrays(index.shape, dtype))
    differentiable = "reduce" not in name
    check_against_torch(lambda t, i, s: fn(t, dim, i, s), lambda t, i, s: fn(t, dim, i, s), x, index, src,
                        backward=differentiable)


@given(case=along_dim_cases(unique=True), data=st.data())
def test_scatter_uses_the_leading_part_of_a_larger_src(case, data):
    shape, dim, index = case
    src = data.draw(arrays(tuple(n + data.draw(st.integers(0, 2)) for n in index.shape)))
    check_against_torch(lambda t, i, s: t.scatter(dim, i, s), lambda t, i, s: t.scatter(dim, i, s),
                        data.draw(arrays(shape)), index, src, backward=False)


@pytest.mark.parametrize("reduce", ["add", "multiply"])
def test_scatter_with_reduce_has_no_derivative_like_torch(reduce):
    for library in (minitorch, torch):
        x = library.ones(2, 3, requires_grad=True)
        result = x.scatter(0, library.tensor([[1, 0, 1]]), 2.0, reduce=reduce)
        with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
            result.sum().backward()


@given(shape=shapes(min_dims=1, max_dims=3), dtype=FLOAT_DTYPES, data=st.data())
def test_index_select_matches_torch_with_repeated_indices(shape, dtype, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    index = _rng(data.draw).integers(0, shape[dim], size=data.draw(st.integers(0, 5)))
    check_against_torch(lambda t, i: t.index_select(dim, i), lambda t, i: t.index_select(dim, i),
                        data.draw(arrays(shape, dtype)), index)


@pytest.mark.parametrize("accumulate", [False, True])
@given(shape=shapes(min_dims=1, max_dims=3), dtype=FLOAT_DTYPES, data=st.data())
def test_index_put_matches_torch(accumulate, shape, dtype, data):
    spec = data.draw(index_specs(shape, ("array",), unique=not accumulate))
    spec = tuple(item for item in spec if not isinstance(item, slice))  # unique specs end in full slices
    region = torch.tensor(np.zeros(shape))[realize(spec, torch)].shape
    x, values = data.draw(arrays(shape, dtype)), data.draw(arrays(region[-1:], dtype))
    check_against_torch(lambda t, v: minitorch.index_put(t, tuple(minitorch.tensor(a) for a in spec), v, accumulate),
                        lambda t, v: torch.index_put(t, tuple(torch.tensor(a) for a in spec), v, accumulate),
                        x, values)


# ---------------------------------------------------------------------------------------------
# Masks and nonzero
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value_kind", ["number", "0-d tensor"])
@given(pair=broadcastable_shapes(max_dims=3), dtype=FLOAT_DTYPES, data=st.data())
def test_masked_fill_matches_torch(value_kind, pair, dtype, data):
    x = data.draw(arrays(pair[0], dtype))
    mask = np.asarray(_rng(data.draw).random(pair[1]) < 0.5)
    if value_kind == "number":
        check_against_torch(lambda t, m: t.masked_fill(m, -2.5), lambda t, m: t.masked_fill(m, -2.5), x, mask)
    else:
        check_against_torch(lambda t, m, v: t.masked_fill(m, v), lambda t, m, v: t.masked_fill(m, v),
                            x, mask, np.array(-2.5, dtype=dtype))


@given(pair=broadcastable_shapes(max_dims=3), dtype=FLOAT_DTYPES, data=st.data())
def test_masked_select_matches_torch(pair, dtype, data):
    x = data.draw(arrays(pair[0], dtype))
    mask = np.asarray(_rng(data.draw).random(pair[1]) < 0.5)
    check_against_torch(lambda t, m: t.masked_select(m), lambda t, m: t.masked_select(m), x, mask)


@pytest.mark.parametrize("as_tuple", [False, True])
@given(shape=shapes(min_dims=0, max_dims=3), data=st.data())
def test_nonzero_matches_torch(as_tuple, shape, data):
    x = _rng(data.draw).integers(-1, 2, size=shape)
    check_against_torch(lambda t: t.nonzero(as_tuple=as_tuple), lambda t: t.nonzero(as_tuple=as_tuple), x)


def test_masked_fill_in_place_writes_the_tensor():
    for library in (minitorch, torch):
        x = library.zeros(2, 3)
        x.masked_fill_(library.tensor([True, False, True]), 4.0)
        assert x.tolist() == [[4.0, 0.0, 4.0], [4.0, 0.0, 4.0]]


# ---------------------------------------------------------------------------------------------
# Numerical gradients and second derivatives
# ---------------------------------------------------------------------------------------------

_index = np.array([[2, 0, 2], [1, 1, 0]])
_mask = np.array([[True, False, True], [False, False, True], [True, True, False]])

# name -> (fn(library) -> function of the inputs, inputs); each squares a result so second derivatives are not zero.
GRADIENT_CASES = {
    "getitem mixed": (lambda lib: lambda x: x[1:, [0, 2, 2]] * x[[0, 0], None, 1], (np.arange(9.0).reshape(3, 3),)),
    "getitem mask": (lambda lib: lambda x, m: x[m] * x[m], (np.linspace(-1, 1, 9).reshape(3, 3), _mask)),
    "gather": (lambda lib: lambda x, i: x.gather(0, i) * x.gather(1, i), (np.linspace(-1, 2, 9).reshape(3, 3),
                                                                           _index)),
    "scatter": (lambda lib: lambda x, i, s: (x * x).scatter(1, i[:, :1], s * s),
                (np.linspace(-1, 2, 9).reshape(3, 3), _index, np.array([[0.5], [1.5]]))),
    "scatter_add": (lambda lib: lambda x, i, s: x.scatter_add(0, i, s * x[:2]),
                    (np.linspace(-1, 2, 9).reshape(3, 3), _index, np.linspace(0.5, 1.5, 6).reshape(2, 3))),
    "index_select": (lambda lib: lambda x, i: x.index_select(1, i[0]) * x,
                     (np.linspace(-1, 2, 9).reshape(3, 3), _index)),
    "masked_fill": (lambda lib: lambda x, m, v: x.masked_fill(m, v * v) * x,
                    (np.linspace(-1, 2, 9).reshape(3, 3), _mask, np.array(0.7))),
    "masked_select": (lambda lib: lambda x, m: x.masked_select(m) * x.masked_select(m[[1, 2, 0]]),
                      (np.linspace(-1, 2, 9).reshape(3, 3), _mask)),
}


@pytest.mark.parametrize("name", GRADIENT_CASES)
def test_gradcheck_and_double_backward_match_torch(name):
    fn, inputs = GRADIENT_CASES[name]
    check_gradcheck(fn(minitorch), *inputs)
    check_double_backward_against_torch(fn(minitorch), fn(torch), *inputs)


@pytest.mark.cuda
@pytest.mark.skipif(not minitorch.cuda.is_available(), reason="needs CuPy and a GPU")
def test_indexing_gradients_on_the_gpu_equal_the_cpu():
    for name, (fn, inputs) in GRADIENT_CASES.items():
        results = []
        for device in ("cpu", "cuda"):
            tensors = [minitorch.tensor(a, requires_grad=a.dtype.kind == "f", device=device) for a in inputs]
            fn(minitorch)(*tensors).sum().backward()
            results.append(tensors[0].grad.cpu().numpy())
        np.testing.assert_allclose(results[1], results[0], rtol=1e-9, err_msg=name)


# ---------------------------------------------------------------------------------------------
# Errors: the same exception type as torch (and the same message where marked)
# ---------------------------------------------------------------------------------------------

def _z(lib, *shape):
    return lib.zeros(*shape)


ERRORS = {
    # name: (fn(library), same message)
    "int out of range": (lambda lib: _z(lib, 3)[5], True),
    "negative int out of range": (lambda lib: _z(lib, 2, 3)[-3], True),
    "tensor index out of range": (lambda lib: _z(lib, 3)[lib.tensor([0, 5])], True),
    "float index tensor": (lambda lib: _z(lib, 3)[lib.tensor([1.0])], True),
    "int16 index tensor": (lambda lib: _z(lib, 3)[lib.tensor([1], dtype=lib.int16)], True),
    "float index": (lambda lib: _z(lib, 3)[1.5], True),
    "too many indices": (lambda lib: _z(lib, 2, 3)[0, 0, 0], True),
    "mask shape mismatch": (lambda lib: _z(lib, 4)[lib.ones(3, dtype=lib.bool)], True),
    "mask shape mismatch later": (lambda lib: _z(lib, 2, 3, 4)[:, lib.ones(2, dtype=lib.bool)], True),
    "negative step": (lambda lib: _z(lib, 4)[::-1], True),
    "zero step": (lambda lib: _z(lib, 4)[::0], True),
    "indices do not broadcast": (lambda lib: _z(lib, 3, 3)[[0, 1], [0, 1, 2]], True),
    "gather float index": (lambda lib: _z(lib, 2, 3).gather(0, lib.zeros(1, 1)), True),
    "gather index ndim": (lambda lib: _z(lib, 2, 3).gather(0, lib.tensor([0])), True),
    "gather index out of range": (lambda lib: _z(lib, 2, 3).gather(0, lib.tensor([[2]])), True),
    "gather negative index": (lambda lib: _z(lib, 2, 3).gather(0, lib.tensor([[-1]])), True),
    "gather index too large": (lambda lib: _z(lib, 2, 3).gather(0, lib.zeros(1, 4, dtype=lib.int64)), True),
    "gather dim out of range": (lambda lib: _z(lib, 2, 3).gather(2, lib.tensor([[0]])), True),
    "scatter dtype mismatch": (lambda lib: _z(lib, 2, 3).scatter(0, lib.tensor([[0]]),
                                                                 lib.ones(1, 1, dtype=lib.float64)), True),
    "scatter index out of range": (lambda lib: _z(lib, 2, 3).scatter(0, lib.tensor([[7]]), 1.0), True),
    "scatter index larger than src": (lambda lib: _z(lib, 2, 3).scatter(0, lib.zeros(2, 2, dtype=lib.int64),
                                                                        lib.ones(1, 1)), True),
    "scatter bad reduce": (lambda lib: _z(lib, 2, 3).scatter(0, lib.tensor([[0]]), 1.0, reduce="max"), True),
    "scatter_add float index": (lambda lib: _z(lib, 2, 3).scatter_add(0, lib.zeros(1, 1), lib.ones(1, 1)), True),
    "index_select matrix index": (lambda lib: _z(lib, 2, 3).index_select(0, lib.tensor([[0]])), True),
    "index_select out of range": (lambda lib: _z(lib, 2, 3).index_select(0, lib.tensor([2])), True),
    "index_select out of range in dim 1": (lambda lib: _z(lib, 2, 3).index_select(1, lib.tensor([-1])), True),
    "index_select float index": (lambda lib: _z(lib, 2, 3).index_select(0, lib.tensor([0.0])), True),
    "masked_fill float mask": (lambda lib: _z(lib, 3).masked_fill(lib.ones(3), 1.0), True),
    "masked_fill 1-d value": (lambda lib: _z(lib, 3).masked_fill(lib.ones(3, dtype=lib.bool), lib.ones(2)), True),
    "masked_fill mask does not broadcast": (lambda lib: _z(lib, 2, 4).masked_fill(lib.ones(3, dtype=lib.bool), 1.0),
                                            True),
    "masked_select float mask": (lambda lib: _z(lib, 3).masked_select(lib.ones(3)), True),
    "setitem value does not fit": (lambda lib: _z(lib, 3, 2).__setitem__(lib.tensor([0, 1]), lib.ones(3, 2)), True),
    "setitem out of range": (lambda lib: _z(lib, 3).__setitem__(7, 1.0), True),
    "setitem on a leaf requiring grad": (lambda lib: lib.zeros(3, requires_grad=True).__setitem__(0, 1.0), False),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch(name):
    fn, same_message = ERRORS[name]
    with pytest.raises(Exception) as expected:
        fn(torch)
    with pytest.raises(Exception) as actual:
        fn(minitorch)
    assert actual.type is expected.type, f"minitorch raised {actual.value!r}, torch {expected.value!r}"
    if same_message:
        assert str(actual.value) == str(expected.value)
