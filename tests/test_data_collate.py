"""``default_collate`` and ``default_convert`` against ``torch.utils.data``: the same samples give
batches of the same values, dtypes and container types, and the same errors."""
import collections
import types

import numpy as np
import pytest
import torch
import torch.utils.data
from hypothesis import given
from hypothesis import strategies as st

import minitorch
import minitorch.utils.data
from tests.helpers import check_program

Point = collections.namedtuple("Point", ["x", "y"])

# -- drawn sample structures ---------------------------------------------------------------------------

LEAF_KINDS = ["tensor", "array", "numpy_scalar", "int", "float", "bool", "str", "bytes"]
NUMERIC_DTYPES = [np.float32, np.float64, np.int64, np.int32, np.bool_]
NUMPY_SCALAR_TYPES = [np.float32, np.float64, np.int32, np.int64, np.bool_]

leaf_schemas = st.tuples(st.just("leaf"), st.sampled_from(LEAF_KINDS),
                         st.lists(st.integers(1, 3), max_size=2).map(tuple), st.integers(0, len(NUMERIC_DTYPES) - 1))
schemas = st.recursive(
    leaf_schemas,
    lambda children: st.one_of(
        st.tuples(st.just("tuple"), st.lists(children, min_size=1, max_size=3)),
        st.tuples(st.just("list"), st.lists(children, min_size=1, max_size=3)),
        st.tuples(st.just("dict"), st.dictionaries(st.sampled_from("abc"), children, min_size=1, max_size=3)),
        st.tuples(st.just("point"), st.lists(children, min_size=2, max_size=2)),
    ),
    max_leaves=5,
)


def numeric_array(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    return rng.integers(0, 2 if dtype.kind == "b" else 10, size=shape).astype(dtype)


def make_leaf(lib, rng, kind, shape, dtype_index):
    """One sample's value at a leaf: the same for both libraries, since both draw from the same seed."""
    array = numeric_array(rng, shape, NUMERIC_DTYPES[dtype_index])
    if kind == "tensor":
        return lib.tensor(array)
    if kind == "array":
        return array
    if kind == "numpy_scalar":
        return NUMPY_SCALAR_TYPES[dtype_index](array.ravel()[0] if array.size else 0)
    number = rng.standard_normal()
    return {"int": int(number * 10), "float": float(number), "bool": bool(number > 0),
            "str": f"s{number:.2f}", "bytes": f"b{number:.2f}".encode()}[kind]


def make_sample(lib, rng, schema):
    kind, content = schema[0], schema[1]
    if kind == "leaf":
        return make_leaf(lib, rng, *schema[1:])
    if kind == "dict":
        return {key: make_sample(lib, rng, child) for key, child in content.items()}
    children = [make_sample(lib, rng, child) for child in content]
    return {"tuple": tuple, "list": list, "point": lambda items: Point(*items)}[kind](children)


def containers(value):
    """``value``'s nesting with each container's type name: ``assert_same`` treats tuples and lists
    alike, but collate must keep namedtuples, turn tuples into lists, and keep strings in tuples."""
    if isinstance(value, collections.abc.Mapping):
        return [type(value).__name__, {key: containers(item) for key, item in value.items()}]
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [containers(item) for item in value]]
    return type(value).__name__


def collated(lib, function, batch):
    """The result (a top-level mapping as a dict, which ``assert_same`` compares) and its containers."""
    result = function(batch)
    return (dict(result) if isinstance(result, collections.abc.Mapping) else result), containers(result)


# -- default_collate --------------------------------------------------------------------------------


@given(schema=schemas, batch_size=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_default_collate_matches_torch_on_drawn_nested_samples(schema, batch_size, seed):
    def program(lib, schema, batch_size, seed):
        rng = np.random.default_rng(seed)
        batch = [make_sample(lib, rng, schema) for _ in range(batch_size)]
        return collated(lib, lib.utils.data.default_collate, batch)
    check_program(program, schema, batch_size, seed)


@given(schema=schemas, seed=st.integers(0, 2**16))
def test_default_convert_matches_torch_on_drawn_nested_samples(schema, seed):
    def program(lib, schema, seed):
        return collated(lib, lib.utils.data.default_convert, make_sample(lib, np.random.default_rng(seed), schema))
    check_program(program, schema, seed)


class Opaque:
    """A type collate has no rule for."""


# Each builds a batch whose containers collate must keep, rebuild or fall back from.
CONTAINER_BATCHES = {
    "ordered_dict": lambda lib: [collections.OrderedDict(b=1, a=2.5), collections.OrderedDict(b=3, a=4.5)],
    "defaultdict": lambda lib: [collections.defaultdict(list, x=lib.ones(2)), collections.defaultdict(list, x=lib.zeros(2))],
    "mapping_proxy": lambda lib: [types.MappingProxyType({"k": 1}), types.MappingProxyType({"k": 2})],
    "range_falls_back_to_list": lambda lib: [range(3), range(3)],
    "strings_in_tuples": lambda lib: [("a", 1), ("b", 2)],
    "namedtuple_of_arrays": lambda lib: [Point(np.ones(2), np.int64(3)), Point(np.zeros(2), np.int64(4))],
    "zero_dim_arrays": lambda lib: [np.array(1.5, dtype=np.float32), np.array(2.5, dtype=np.float32)],
    "bools": lambda lib: [True, False, True],
    "bool_then_int": lambda lib: [True, 2],
    "float16_tensors": lambda lib: [lib.ones(2, dtype=lib.float16), lib.zeros(2, dtype=lib.float16)],
    "numpy_strings_stay": lambda lib: [np.str_("x"), np.str_("y")],
}


@pytest.mark.parametrize("batch", CONTAINER_BATCHES.values(), ids=CONTAINER_BATCHES.keys())
def test_default_collate_keeps_container_types_as_torch(batch):
    check_program(lambda lib: collated(lib, lib.utils.data.default_collate, batch(lib)))


CONVERT_INPUTS = {
    "tuple_becomes_list": lambda lib: (np.ones(2), 3),
    "string_array_unchanged": lambda lib: np.array(["a", "b"]),
    "numpy_scalar": lambda lib: np.float32(2.5),
    "range_falls_back_to_list": lambda lib: range(3),
    "ordered_dict": lambda lib: collections.OrderedDict(b=np.int16(1), a="text"),
}


@pytest.mark.parametrize("data", CONVERT_INPUTS.values(), ids=CONVERT_INPUTS.keys())
def test_default_convert_keeps_container_types_as_torch(data):
    def program(lib):
        value = data(lib)
        result = lib.utils.data.default_convert(value)
        return (result if not isinstance(result, np.ndarray) else result.tolist()), containers(result)
    check_program(program)


COLLATE_ERRORS = {
    "unsupported_type": lambda lib: [Opaque(), Opaque()],
    "none": lambda lib: [None, None],
    "unequal_lengths": lambda lib: [[1, 2], [3]],
    "unequal_tuple_lengths": lambda lib: [(1, 2), (3, 4, 5)],
    "string_arrays": lambda lib: [np.array(["a"]), np.array(["b"])],
    "object_arrays": lambda lib: [np.array([Opaque()]), np.array([Opaque()])],
    "tensor_shapes_differ": lambda lib: [lib.zeros(2), lib.zeros(3)],
    "nested_unsupported": lambda lib: [{"a": Opaque()}, {"a": Opaque()}],
}


@pytest.mark.parametrize("batch", COLLATE_ERRORS.values(), ids=COLLATE_ERRORS.keys())
def test_default_collate_raises_as_torch(batch):
    check_program(lambda lib: lib.utils.data.default_collate(batch(lib)))


def test_collate_uses_an_extended_collate_fn_map_as_torch():
    def program(lib):
        collate_module = minitorch.utils.data.collate if lib is minitorch else torch.utils.data._utils.collate
        rules = {Opaque: lambda batch, *, collate_fn_map: len(batch), **collate_module.default_collate_fn_map}
        return collate_module.collate([(Opaque(), 1.0), (Opaque(), 2.0)], collate_fn_map=rules)
    check_program(program)
