"""Shape ops against PyTorch: values and gradients on drawn shapes, dims and layouts; views sharing
memory and version counters with their base; dtype promotion of joins; errors.

Every op is one entry in ``CASES``: a strategy that draws input shapes and the op's arguments and
returns ``(shapes, fn)``, where ``fn(lib, *tensors)`` runs the op with ``lib`` = minitorch or torch
(the APIs are the same). The parity, gradcheck and double-backward tests all run over that table.
"""
import functools

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
from tests.helpers import assert_same, check_against_torch, check_double_backward_against_torch, check_gradcheck
from tests.strategies import FLOAT_DTYPES, arrays, shapes

PARITY_SIZES = functools.partial(shapes, max_dims=4, max_side=4)
GRADCHECK_SIZES = functools.partial(shapes, max_dims=3, max_side=3)  # a Jacobian per case: keep it small


def dims(ndim, extra=0):
    """A valid dim of an ``ndim``-d tensor (``extra`` more places, as unsqueeze and stack allow), negatives too."""
    count = max(ndim + extra, 1)
    return st.integers(-count, count - 1)


def distinct_dims(draw, ndim, min_size=0, max_size=None):
    """Distinct dims, each drawn as its non-negative or its negative spelling."""
    chosen = draw(st.permutations(range(ndim)))[:draw(st.integers(min_size, ndim if max_size is None else max_size))]
    return tuple(d - ndim if draw(st.booleans()) else d for d in chosen)


def with_ones(draw, size, min_dims=0):
    """A shape in which some sizes are 1 (what squeeze and expand act on)."""
    shape = draw(size(min_dims=min_dims))
    return tuple(1 if draw(st.booleans()) else n for n in shape)


# ---------------------------------------------------------------------------------------------
# The table of ops: name -> (size -> strategy of (shapes, fn(lib, *tensors)))
# ---------------------------------------------------------------------------------------------

@st.composite
def reshape_case(draw, size, method):
    shape = draw(size())
    target = list(draw(st.permutations(shape)))
    if target and draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    if method == "reshape":
        return [shape], lambda lib, x: lib.reshape(x, tuple(target))
    return [shape], lambda lib, x: x.view(tuple(target))


@st.composite
def permute_case(draw, size):
    shape = draw(size())
    order = distinct_dims(draw, len(shape), min_size=len(shape))
    return [shape], lambda lib, x: lib.permute(x, order)


@st.composite
def transpose_case(draw, size):
    shape = draw(size())
    dim0, dim1 = draw(dims(len(shape))), draw(dims(len(shape)))
    name = draw(st.sampled_from(["transpose", "swapaxes", "swapdims"]))
    return [shape], lambda lib, x: getattr(lib, name)(x, dim0, dim1)


@st.composite
def t_case(draw, size):
    return [draw(size(max_dims=2))], lambda lib, x: lib.t(x)


@st.composite
def matrix_transpose_case(draw, size):
    shape = draw(size(min_dims=2))
    if draw(st.booleans()):
        return [shape], lambda lib, x: x.mT
    return [shape[-2:]], lambda lib, x: x.T  # x.T on other than 2-D is deprecated in PyTorch


@st.composite
def movedim_case(draw, size):
    shape = draw(size())
    count = draw(st.integers(0, len(shape)))
    source = distinct_dims(draw, len(shape), count, count)
    destination = distinct_dims(draw, len(shape), count, count)
    if count == 1 and draw(st.booleans()):
        source, destination = source[0], destination[0]
    name = draw(st.sampled_from(["movedim", "moveaxis"]))
    return [shape], lambda lib, x: getattr(lib, name)(x, source, destination)


@st.composite
def squeeze_case(draw, size):
    shape = with_ones(draw, size)
    form = draw(st.sampled_from(["all", "one", "several"]))
    if form == "all":
        return [shape], lambda lib, x: x.squeeze()
    dim = draw(dims(len(shape))) if form == "one" else distinct_dims(draw, len(shape))
    return [shape], lambda lib, x: lib.squeeze(x, dim)


@st.composite
def unsqueeze_case(draw, size):
    shape = draw(size())
    dim = draw(dims(len(shape), extra=1))
    return [shape], lambda lib, x: lib.unsqueeze(x, dim)


@st.composite
def expand_case(draw, size):
    shape = with_ones(draw, size)
    target = [draw(st.integers(1, 3)) if n == 1 else draw(st.sampled_from([n, -1])) for n in shape]
    leading = draw(st.lists(st.integers(1, 3), max_size=2))
    return [shape], lambda lib, x: x.expand((*leading, *target))


@st.composite
def repeat_case(draw, size):
    shape = draw(size(max_dims=3))
    repeats = draw(st.lists(st.integers(0, 3), min_size=len(shape), max_size=len(shape) + 2))
    return [shape], lambda lib, x: x.repeat(tuple(repeats))


@st.composite
def flatten_case(draw, size):
    shape = draw(size())
    start, end = draw(dims(len(shape))), draw(dims(len(shape)))
    if start % max(len(shape), 1) > end % max(len(shape), 1):
        start, end = end, start
    return [shape], lambda lib, x: lib.flatten(x, start, end)


@st.composite
def unflatten_case(draw, size):
    shape = draw(size(min_dims=1))
    dim = draw(dims(len(shape)))
    n = shape[dim]
    divisor = draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))
    sizes = draw(st.sampled_from([(n,), (divisor, n // divisor), (divisor, -1), (1, -1, 1)]))
    return [shape], lambda lib, x: x.unflatten(dim, sizes)


@st.composite
def cat_case(draw, size):
    shape = draw(size(min_dims=1))
    dim = draw(dims(len(shape)))
    lengths = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    axis = dim % len(shape)
    name = draw(st.sampled_from(["cat", "concat", "concatenate"]))
    return ([shape[:axis] + (n,) + shape[axis + 1:] for n in lengths],
            lambda lib, *xs: getattr(lib, name)(xs, dim))


@st.composite
def stack_case(draw, size):
    shape = draw(size())
    dim = draw(dims(len(shape), extra=1))
    return [shape] * draw(st.integers(1, 3)), lambda lib, *xs: lib.stack(list(xs), dim)


@st.composite
def split_case(draw, size):
    shape = draw(size(min_dims=1))
    dim = draw(dims(len(shape)))
    n = shape[dim]
    if draw(st.booleans()):
        sections = draw(st.integers(1, n + 1))
    else:
        cuts = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
        sections = [b - a for a, b in zip([0] + cuts, cuts + [n])]
    return [shape], lambda lib, x: lib.split(x, sections, dim)


@st.composite
def chunk_case(draw, size):
    shape = draw(size(min_dims=1))
    dim = draw(dims(len(shape)))
    chunks = draw(st.integers(1, shape[dim] + 2))
    return [shape], lambda lib, x: x.chunk(chunks, dim)


@st.composite
def unbind_case(draw, size):
    shape = draw(size(min_dims=1))
    dim = draw(dims(len(shape)))
    return [shape], lambda lib, x: lib.unbind(x, dim)


@st.composite
def narrow_case(draw, size):
    shape = draw(size(min_dims=1))
    dim = draw(dims(len(shape)))
    n = shape[dim]
    start = draw(st.integers(-n, n))
    length = draw(st.integers(0, n - (start + n if start < 0 else start)))
    return [shape], lambda lib, x: lib.narrow(x, dim, start, length)


@st.composite
def flip_case(draw, size):
    shape = draw(size())
    flipped = distinct_dims(draw, len(shape))
    return [shape], lambda lib, x: lib.flip(x, flipped)


@st.composite
def triangle_case(draw, size):
    shape = draw(size(min_dims=2))
    diagonal = draw(st.integers(-3, 3))
    name = draw(st.sampled_from(["tril", "triu"]))
    return [shape], lambda lib, x: getattr(lib, name)(x, diagonal)


CASES = {
    "view": functools.partial(reshape_case, method="view"),
    "reshape": functools.partial(reshape_case, method="reshape"),
    "permute": permute_case,
    "transpose": transpose_case,
    "t": t_case,
    "T_and_mT": matrix_transpose_case,
    "movedim": movedim_case,
    "squeeze": squeeze_case,
    "unsqueeze": unsqueeze_case,
    "expand": expand_case,
    "repeat": repeat_case,
    "flatten": flatten_case,
    "unflatten": unflatten_case,
    "cat": cat_case,
    "stack": stack_case,
    "split": split_case,
    "chunk": chunk_case,
    "unbind": unbind_case,
    "narrow": narrow_case,
    "flip": flip_case,
    "tril_triu": triangle_case,
}
NEEDS_CONTIGUOUS = {"view"}  # view of a non-contiguous input raises (tested with the errors)


def with_layout(input_shapes, fn, layout):
    """The array shapes to draw, and ``fn`` fed inputs with ``layout``: the intended shapes, made
    non-contiguous by a permutation or by a strided narrow of a longer last dim."""
    if layout == "transposed":
        def reversed_dims(x):
            return x.permute(tuple(reversed(range(x.ndim))))
        return [shape[::-1] for shape in input_shapes], lambda lib, *xs: fn(lib, *map(reversed_dims, xs))
    if layout == "narrowed":
        def narrowed(x):
            return x.narrow(-1, 1, x.shape[-1] - 1) if x.ndim else x
        return ([shape[:-1] + (shape[-1] + 1,) if shape else shape for shape in input_shapes],
                lambda lib, *xs: fn(lib, *map(narrowed, xs)))
    return input_shapes, fn


@pytest.mark.parametrize("name", sorted(CASES))
@given(data=st.data(), dtype=FLOAT_DTYPES, seed=st.integers(0, 2**16))
def test_shape_op_matches_torch_on_drawn_shapes_dims_and_layouts(name, data, dtype, seed):
    layouts = ["contiguous"] if name in NEEDS_CONTIGUOUS else ["contiguous", "transposed", "narrowed"]
    input_shapes, fn = with_layout(*data.draw(CASES[name](PARITY_SIZES)), data.draw(st.sampled_from(layouts)))
    inputs = [data.draw(arrays(shape, dtype)) for shape in input_shapes]
    check_against_torch(lambda *xs: fn(minitorch, *xs), lambda *xs: fn(torch, *xs), *inputs, seed=seed)


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=3)
@given(data=st.data())
def test_shape_op_passes_gradcheck_and_gradgradcheck(name, data):
    input_shapes, fn = data.draw(CASES[name](GRADCHECK_SIZES))
    check_gradcheck(lambda *xs: fn(minitorch, *xs), *[data.draw(arrays(shape)) for shape in input_shapes])


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=3)
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_shape_op_double_backward_matches_torch(name, data, seed):
    input_shapes, fn = data.draw(CASES[name](GRADCHECK_SIZES))

    def of_squares(lib, *xs):  # squared inputs make the first derivative depend on them
        return fn(lib, *(x * x for x in xs))
    check_double_backward_against_torch(lambda *xs: of_squares(minitorch, *xs), lambda *xs: of_squares(torch, *xs),
                                        *[data.draw(arrays(shape)) for shape in input_shapes], seed=seed)


# ---------------------------------------------------------------------------------------------
# Views: memory and version counter shared with the base, exactly where PyTorch shares them
# ---------------------------------------------------------------------------------------------

VIEWS = {  # fn(lib, base of shape (2, 3, 4)); torch says which results are views
    "view": lambda lib, x: x.view(4, 6),
    "view_as": lambda lib, x: x.view_as(lib.zeros(6, 4)),
    "reshape": lambda lib, x: x.reshape(6, 4),
    "reshape_of_transposed_copies": lambda lib, x: x.mT.reshape(-1),
    "permute": lambda lib, x: x.permute(2, 0, 1),
    "transpose": lambda lib, x: x.transpose(0, 2),
    "t": lambda lib, x: x.view(6, 4).t(),
    "T": lambda lib, x: x.view(6, 4).T,
    "mT": lambda lib, x: x.mT,
    "movedim": lambda lib, x: x.movedim(0, -1),
    "squeeze": lambda lib, x: x.view(2, 1, 12).squeeze(1),
    "unsqueeze": lambda lib, x: x.unsqueeze(1),
    "expand": lambda lib, x: x.expand(5, 2, 3, 4),
    "flatten": lambda lib, x: x.flatten(1),
    "flatten_of_transposed_copies": lambda lib, x: x.mT.flatten(),
    "unflatten": lambda lib, x: x.unflatten(2, (2, 2)),
    "split": lambda lib, x: x.split([1, 2], 1),
    "chunk": lambda lib, x: x.chunk(2, -1),
    "unbind": lambda lib, x: x.unbind(2),
    "narrow": lambda lib, x: x.narrow(1, 1, 2),
    "view_of_view": lambda lib, x: x.transpose(0, 1).unbind(0),
    "flip": lambda lib, x: x.flip(0),
    "repeat": lambda lib, x: x.repeat(1, 1, 1),
    "cat": lambda lib, x: lib.cat([x]),
    "stack": lambda lib, x: lib.stack([x]),
    "tril": lambda lib, x: x.tril(),
    "triu": lambda lib, x: x.triu(),
}


def as_tuple(result):
    return result if isinstance(result, tuple) else (result,)


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_views_share_memory_and_version_counter_with_their_base_like_torch(name):
    array = np.arange(24.0).reshape(2, 3, 4)
    ours, theirs = minitorch.tensor(array), torch.tensor(array)
    mine, reference = as_tuple(VIEWS[name](minitorch, ours)), as_tuple(VIEWS[name](torch, theirs))
    for index, (a, e) in enumerate(zip(mine, reference)):
        assert (a._base is ours) == (e._base is theirs), f"result {index}: view of its base differs from torch"
    ours.add_(1)
    theirs.add_(1)  # written through the base: its views see the change, copies do not
    assert_same(mine, reference)
    assert [a._version_number for a in mine] == [e._version for e in reference]


@pytest.mark.parametrize("name", ["transpose", "split", "unbind", "narrow", "view_of_view"])
def test_writing_through_a_view_changes_its_base_like_torch(name):
    array = np.arange(24.0).reshape(2, 3, 4)
    ours, theirs = minitorch.tensor(array), torch.tensor(array)
    as_tuple(VIEWS[name](minitorch, ours))[-1].mul_(2)  # the last piece of a split, for instance
    as_tuple(VIEWS[name](torch, theirs))[-1].mul_(2)
    assert_same(ours, theirs)
    assert ours._version_number == theirs._version


@pytest.mark.parametrize("name", ["view", "transpose", "movedim", "unsqueeze", "unflatten", "narrow"])
def test_in_place_op_on_a_view_flows_gradients_like_torch(name):
    def fn(lib, x):
        y = x * 1  # a non-leaf, so that its view may be modified in place
        VIEWS[name](lib, y).mul_(2)
        return y * y
    check_against_torch(lambda x: fn(minitorch, x), lambda x: fn(torch, x), np.arange(24.0).reshape(2, 3, 4) - 9)


def test_view_of_a_non_contiguous_tensor_raises_and_reshape_copies_like_torch():
    array = np.arange(6.0).reshape(2, 3)
    for lib in (minitorch, torch):
        transposed = lib.tensor(array).t()
        with pytest.raises(RuntimeError, match="view size is not compatible"):
            transposed.view(6)
        copy = transposed.reshape(6)
        assert copy._base is None
        np.testing.assert_array_equal(copy.numpy(), array.T.reshape(6))


# ---------------------------------------------------------------------------------------------
# Joins: dtype promotion and PyTorch's legacy empty tensors
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("first, second", [(np.float32, np.float64), (np.int64, np.float32), (np.int32, np.int64),
                                           (np.bool_, np.uint8), (np.float16, np.int64)])
@pytest.mark.parametrize("join", ["cat", "stack"])
def test_joins_promote_dtypes_like_torch(join, first, second):
    a, b = np.arange(6).reshape(2, 3).astype(first), np.arange(6, 12).reshape(2, 3).astype(second)
    check_against_torch(lambda x, y: getattr(minitorch, join)([x, y], 1), lambda x, y: getattr(torch, join)([x, y], 1),
                        a, b)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_skips_legacy_empty_tensors_like_torch(dim):
    empty, x = np.zeros(0), np.arange(6.0, dtype=np.float32).reshape(2, 3)
    check_against_torch(lambda e, y: minitorch.cat([e, y, e], dim), lambda e, y: torch.cat([e, y, e], dim), empty, x)
    check_against_torch(lambda e: minitorch.cat([e, e], dim), lambda e: torch.cat([e, e], dim), empty)


# ---------------------------------------------------------------------------------------------
# Errors: the same exception type and message as PyTorch
# ---------------------------------------------------------------------------------------------

ERRORS = {  # fn(lib) that must raise
    "cat_sizes": lambda lib: lib.cat([lib.zeros(2, 3), lib.zeros(2, 4)], 0),
    "cat_sizes_dim_1": lambda lib: lib.cat([lib.zeros(5, 3), lib.zeros(4, 4)], 1),
    "cat_ndims": lambda lib: lib.cat([lib.zeros(2, 3), lib.zeros(3)]),
    "cat_no_tensors": lambda lib: lib.cat([]),
    "cat_zero_dim": lambda lib: lib.cat([lib.zeros(2), lib.zeros(())]),
    "cat_dim": lambda lib: lib.cat([lib.zeros(0), lib.zeros(2, 3)], 2),
    "stack_shapes": lambda lib: lib.stack([lib.zeros(2, 3), lib.zeros(2, 4)]),
    "stack_no_tensors": lambda lib: lib.stack([]),
    "stack_dim": lambda lib: lib.stack([lib.zeros(2, 3)], -4),
    "view_non_contiguous": lambda lib: lib.zeros(2, 3).t().view(6),
    "view_size": lambda lib: lib.zeros(2, 3).view(4, 2),
    "view_two_unknown": lambda lib: lib.zeros(2, 3).view(-1, -1),
    "reshape_size": lambda lib: lib.zeros(2, 3).reshape(-1, 4),
    "permute_count": lambda lib: lib.zeros(2, 3).permute(0, 1, 2),
    "permute_duplicate": lambda lib: lib.zeros(2, 3).permute(1, -1),
    "permute_dim": lambda lib: lib.zeros(2, 3).permute(0, 2),
    "transpose_dim": lambda lib: lib.zeros(2, 3).transpose(0, -3),
    "t_3d": lambda lib: lib.zeros(2, 3, 4).t(),
    "movedim_count": lambda lib: lib.zeros(2, 3).movedim((0, 1), (0,)),
    "movedim_repeated": lambda lib: lib.zeros(2, 3).movedim((0, 0), (0, 1)),
    "movedim_dim": lambda lib: lib.zeros(2, 3).movedim(0, 2),
    "squeeze_dim": lambda lib: lib.zeros(2, 3).squeeze(2),
    "squeeze_repeated": lambda lib: lib.zeros(2, 1).squeeze((1, -1)),
    "unsqueeze_dim": lambda lib: lib.zeros(2, 3).unsqueeze(-4),
    "expand_fewer": lambda lib: lib.zeros(2, 3).expand(3),
    "expand_mismatch": lambda lib: lib.zeros(2, 3).expand(2, 4),
    "repeat_fewer": lambda lib: lib.zeros(2, 3).repeat(2),
    "repeat_negative": lambda lib: lib.zeros(2, 3).repeat(2, -1),
    "flatten_order": lambda lib: lib.zeros(2, 3).flatten(1, 0),
    "flatten_dim": lambda lib: lib.zeros(2, 3).flatten(0, 2),
    "unflatten_sizes": lambda lib: lib.zeros(2, 3).unflatten(1, (2, 2)),
    "unflatten_no_sizes": lambda lib: lib.zeros(2, 3).unflatten(1, ()),
    "split_negative": lambda lib: lib.zeros(2, 3).split(-1),
    "split_zero": lambda lib: lib.zeros(2, 3).split(0),
    "split_sections_sum": lambda lib: lib.zeros(2, 3).split([1, 1], 1),
    "split_negative_section": lambda lib: lib.zeros(2, 3).split([4, -1], 1),
    "split_0d": lambda lib: lib.zeros(()).split(1),
    "chunk_zero": lambda lib: lib.zeros(2, 3).chunk(0),
    "chunk_0d": lambda lib: lib.zeros(()).chunk(1),
    "unbind_0d": lambda lib: lib.zeros(()).unbind(),
    "unbind_dim": lambda lib: lib.zeros(2, 3).unbind(2),
    "narrow_start": lambda lib: lib.zeros(2, 3).narrow(1, -4, 1),
    "narrow_length": lambda lib: lib.zeros(2, 3).narrow(1, 1, -1),
    "narrow_past_end": lambda lib: lib.zeros(2, 3).narrow(1, 2, 2),
    "narrow_0d": lambda lib: lib.zeros(()).narrow(0, 0, 1),
    "flip_repeated": lambda lib: lib.zeros(2, 3).flip(0, -2),
    "flip_dim": lambda lib: lib.zeros(2, 3).flip(2),
    "tril_1d": lambda lib: lib.zeros(3).tril(),
    "triu_1d": lambda lib: lib.zeros(3).triu(),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_shape_op_errors_match_torch(name):
    with pytest.raises(Exception) as expected:
        ERRORS[name](torch)
    with pytest.raises(Exception) as actual:
        ERRORS[name](minitorch)
    assert type(actual.value) is type(expected.value)
    assert str(actual.value).splitlines()[0] == str(expected.value).splitlines()[0]
