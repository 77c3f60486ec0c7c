"""minitorch.safetensors against the reference implementation (the ``safetensors`` package, 0.8.0).

Files go both ways for every dtype minitorch has, with metadata; our bytes are
the reference writer's bytes; what the reference refuses to write we refuse;
and every malformed file the reference rejects, we reject with the same error
class and reason (never a crash, never a partial dict).
"""
import json
import warnings

import numpy as np
import pytest
import safetensors
import safetensors.numpy as reference_numpy
import safetensors.torch as reference_torch
import torch
from hypothesis import assume, given, strategies as st

import minitorch
from minitorch import safetensors as ours
from tests.helpers import TORCH_DTYPES, assert_same
from tests.strategies import shapes

DTYPES = list(TORCH_DTYPES)
# Names exercise the JSON escaping both writers must agree on (quotes, backslashes, control and non-ASCII).
NAMES = st.text(alphabet='abz.09_"\\\n\x01é', min_size=1, max_size=6).filter(lambda name: name != "__metadata__")


def random_array(seed, shape, dtype):
    rng = np.random.default_rng(seed)
    numpy_dtype = dtype.numpy_dtype
    if dtype is minitorch.bool:
        return rng.random(shape) < 0.5
    if dtype.is_floating_point:
        return rng.standard_normal(shape).astype(numpy_dtype)
    info = np.iinfo(numpy_dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=numpy_dtype)


@st.composite
def tensor_dicts(draw, max_size=4, transposed=True):
    """Names to minitorch tensors of drawn dtypes and shapes (0-d and empty included), some transposed."""
    names = draw(st.lists(NAMES, min_size=0, max_size=max_size, unique=True))
    tensors = {}
    for name in names:
        array = random_array(draw(st.integers(0, 2**32 - 1)), draw(shapes(0, 3, 0, 4)), draw(st.sampled_from(DTYPES)))
        tensor = minitorch.tensor(array)
        tensors[name] = tensor.t() if transposed and tensor.dim() == 2 and draw(st.booleans()) else tensor
    return tensors


METADATA = st.one_of(st.none(), st.dictionaries(NAMES, st.text(max_size=5), max_size=3))


def reference_can_write(tensors, metadata):
    """No tensors with empty metadata makes the reference write ``{},"__metadata__":{}}``, invalid JSON (its bug)."""
    return bool(tensors) or metadata != {}


def as_numpy(tensors):
    """What the reference's NumPy writer is given for the same tensors (packed in C order, 0-d kept)."""
    return {name: np.array(tensor.numpy(), order="C") for name, tensor in tensors.items()}


def as_torch(tensors):
    return {name: torch.from_numpy(array) for name, array in as_numpy(tensors).items()}


EXACT = {np.dtype(code): (0, 0) for code in "efd"}  # a file's values come back bit for bit


def sort(tensors):
    """Files keep no order the readers agree on: compare as name-sorted dicts."""
    return dict(sorted(tensors.items()))


# -- round trips --------------------------------------------------------------------------------

@given(tensors=tensor_dicts(), metadata=METADATA)
def test_minitorch_files_load_in_the_reference_numpy_and_torch_loaders(tmp_path_factory, tensors, metadata):
    path = tmp_path_factory.mktemp("save") / "model.safetensors"
    ours.save_file(tensors, path, metadata=metadata)
    assert_same(sort(ours.load_file(path)), sort(as_torch(tensors)), EXACT)  # and back in minitorch
    assert_same(sort(tensors), sort(reference_torch.load_file(path)), EXACT)
    from_numpy = reference_numpy.load_file(path)
    assert sorted(from_numpy) == sorted(tensors)
    for name, array in from_numpy.items():
        np.testing.assert_array_equal(array, tensors[name].numpy(), strict=True)
    with safetensors.safe_open(path, framework="np") as file:
        assert file.metadata() == metadata


@given(tensors=tensor_dicts(), metadata=METADATA)
def test_reference_files_load_in_minitorch(tmp_path_factory, tensors, metadata):
    assume(reference_can_write(tensors, metadata))
    path = tmp_path_factory.mktemp("load") / "model.safetensors"
    reference_torch.save_file(as_torch(tensors), path, metadata=metadata)
    assert_same(sort(ours.load_file(path)), sort(as_torch(tensors)), EXACT)
    assert_same(sort(ours.load(reference_numpy.save(as_numpy(tensors), metadata=metadata))),
                sort(as_torch(tensors)), EXACT)


@given(tensors=tensor_dicts(), metadata=st.one_of(st.none(), st.dictionaries(NAMES, st.text(max_size=5),
                                                                              max_size=1)))
def test_our_bytes_are_the_reference_writers_bytes(tensors, metadata):
    """Same header JSON, key order, padding and data layout. (With two or more metadata entries the
    reference's order comes from a hash map and changes between runs, so at most one is drawn.)"""
    assume(reference_can_write(tensors, metadata))
    expected = reference_numpy.save(as_numpy(tensors), metadata=metadata)
    assert ours.save(tensors, metadata=metadata) == expected
    assert reference_torch.save(as_torch(tensors), metadata=metadata) == expected


def test_every_dtype_in_one_file_is_written_in_the_reference_order():
    tensors = {f"{dtype.name}_{index}": minitorch.tensor(random_array(index, (3,), dtype))
               for index, dtype in enumerate(DTYPES)}
    data = ours.save(tensors)
    assert data == reference_numpy.save(as_numpy(tensors))
    assert_same(sort(ours.load(data)), sort(reference_torch.load(data)))


def test_non_contiguous_tensors_are_packed_where_the_reference_wants_contiguous_ones():
    def matrix(seed):
        return minitorch.tensor(random_array(seed, (4, 6), minitorch.float32))
    views = {"transposed": matrix(0).t(), "strided": matrix(1)[:, ::2], "column": matrix(2)[:, 3]}
    with pytest.raises(ValueError, match="non contiguous tensor"):
        reference_torch.save({"transposed": torch.from_numpy(matrix(0).numpy()).t()})
    data = ours.save(views)
    assert data == reference_numpy.save(as_numpy(views))
    assert_same(sort(ours.load(data)), sort(as_torch(views)))


@pytest.mark.parametrize("how", ["suffix", "format_argument", "file_object"])
def test_minitorch_save_writes_safetensors_and_minitorch_load_recognises_it(tmp_path, how):
    tensors = {"weight": minitorch.tensor(random_array(3, (2, 3), minitorch.float32)), "steps": minitorch.arange(4)}
    path = tmp_path / ("model.safetensors" if how == "suffix" else "model.bin")
    if how == "file_object":
        with open(path, "wb") as file:
            minitorch.save(tensors, file, format="safetensors")
    else:
        minitorch.save(tensors, path, **({"format": "safetensors"} if how == "format_argument" else {}))
    assert path.read_bytes() == reference_numpy.save(as_numpy(tensors))
    assert_same(sort(minitorch.load(path)), sort(reference_torch.load_file(path)), EXACT)


def test_minitorch_load_reads_a_reference_file_by_its_content(tmp_path):
    path = tmp_path / "weights.bin"  # no telling suffix
    reference_torch.save_file({"weight": torch.randn(3, 2, generator=torch.Generator().manual_seed(0))}, path)
    assert_same(minitorch.load(path, weights_only=True), reference_torch.load_file(path), EXACT)


def test_bfloat16_is_read_as_float32_with_a_warning():
    values = torch.tensor([1.5, -2.0, 3.140625, 0.0, float("inf")], dtype=torch.bfloat16)
    with pytest.warns(UserWarning, match="bfloat16"):
        loaded = ours.load(reference_torch.save({"weight": values, "bias": torch.ones(2)}))
    assert_same(sort(loaded), sort({"weight": values.float(), "bias": torch.ones(2)}))


# -- what the writer refuses, as the reference refuses it -------------------------------------

# (case, arguments to save made with library L: (tensors, metadata), exception type, message prefix)
BAD_SAVES = [
    ("not_a_dict", lambda L: ([L.ones(2)], None), ValueError, "Expected a dict of [str, "),
    ("number_value", lambda L: ({"weight": 1.0}, None), ValueError, "Key `weight` is invalid, expected "),
    ("array_value", lambda L: ({"weight": np.ones(2)}, None), ValueError, "Key `weight` is invalid, expected "),
    ("integer_name", lambda L: ({0: L.ones(2)}, None), TypeError, "argument '"),
    ("integer_metadata_value", lambda L: ({"w": L.ones(2)}, {"epoch": 3}), TypeError, "argument 'metadata': 'int'"),
    ("integer_metadata_key", lambda L: ({"w": L.ones(2)}, {3: "epoch"}), TypeError, "argument 'metadata': 'int'"),
    ("metadata_a_list", lambda L: ({"w": L.ones(2)}, ["epoch"]), TypeError, "argument 'metadata': 'list'"),
    ("tied_weights", lambda L: (lambda w: ({"encoder": w, "decoder": w}, None))(L.ones(3)), RuntimeError,
     "Some tensors share memory"),
    ("overlapping_views", lambda L: (lambda w: ({"all": w, "tail": w[2:]}, None))(L.ones(6)), RuntimeError,
     "Some tensors share memory"),
    ("row_of_a_matrix", lambda L: (lambda w: ({"w": w, "row": w[1]}, None))(L.ones(2, 3)), RuntimeError,
     "Some tensors share memory"),
]


@pytest.mark.parametrize("case, arguments, error, prefix", BAD_SAVES, ids=[row[0] for row in BAD_SAVES])
def test_save_refuses_what_the_reference_refuses(case, arguments, error, prefix):
    for L, save in ((minitorch, ours.save), (torch, reference_torch.save)):
        tensors, metadata = arguments(L)
        with pytest.raises(error) as caught:
            save(tensors, metadata=metadata)
        assert str(caught.value).strip().startswith(prefix), (L.__name__, str(caught.value))


def test_views_of_one_buffer_that_do_not_overlap_are_saved_as_the_reference_saves_them():
    buffer, torch_buffer = minitorch.arange(8, dtype=minitorch.float32), torch.arange(8, dtype=torch.float32)
    data = ours.save({"low": buffer[:4], "high": buffer[4:]})
    assert data == reference_torch.save({"low": torch_buffer[:4], "high": torch_buffer[4:]})


def test_a_tensor_named_like_the_metadata_is_refused_not_written_unreadable():
    """The reference writes it and then cannot read its own file; we refuse to write it."""
    data = reference_torch.save({"__metadata__": torch.ones(1)})
    with pytest.raises(safetensors.SafetensorError):
        reference_torch.load(data)
    with pytest.raises(ValueError, match="__metadata__"):
        ours.save({"__metadata__": minitorch.ones(1)})


# -- malformed files ------------------------------------------------------------------------------

def file_from(header, data=b"", length=None):
    """A file with ``header`` (a dict or raw bytes) and ``data``; ``length`` overrides the stated length."""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return (len(text) if length is None else length).to_bytes(8, "little") + text + data


def tensor_entry(dtype="F32", shape=(1,), offsets=(0, 4)):
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


MALFORMED = {
    "shorter_than_the_length_field": b"\x08\x00\x00",
    "length_beyond_the_file": file_from({}, length=1000),
    "length_near_2_to_the_64": file_from({}, length=2**64 - 1),
    "header_not_json": file_from(b"{bad"),
    "header_empty": file_from(b""),
    "header_a_list": file_from(b"[]"),
    "header_not_utf8": file_from(b'\xff\xfe{}'),
    "unknown_dtype": file_from({"a": tensor_entry(dtype="X9")}, b"1234"),
    "shape_mismatch": file_from({"a": tensor_entry(shape=(2,))}, b"1234"),
    "negative_dimension": file_from({"a": tensor_entry(shape=(-1,))}, b"1234"),
    "float_dimension": file_from({"a": {"dtype": "F32", "shape": [1.0], "data_offsets": [0, 4]}}, b"1234"),
    "one_offset": file_from({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0]}}, b"1234"),
    "missing_offsets": file_from({"a": {"dtype": "F32", "shape": [1]}}, b"1234"),
    "entry_not_an_object": file_from({"a": [1, 2]}, b"1234"),
    "data_beyond_the_file": file_from({"a": tensor_entry()}, b"12"),
    "bytes_not_covered": file_from({"a": tensor_entry()}, b"12345678"),
    "gap_before_a_tensor": file_from({"a": tensor_entry(offsets=(4, 8))}, b"12345678"),
    "overlapping_tensors": file_from({"a": tensor_entry(), "b": tensor_entry(offsets=(2, 6))}, b"123456"),
    "reversed_offsets": file_from({"a": tensor_entry(shape=(0,), offsets=(4, 0))}, b"1234"),
    "metadata_not_strings": file_from({"__metadata__": {"epoch": 1}}),
    "metadata_a_list": file_from({"__metadata__": ["a"]}),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_file_raises_the_reference_error(case):
    with pytest.raises(safetensors.SafetensorError) as expected:
        reference_numpy.load(MALFORMED[case])
    with pytest.raises(ours.SafetensorError) as caught:
        ours.load(MALFORMED[case])
    # "Error while deserializing: <reason>: <details>": the same reason (ours may add the tensor's name);
    # the details quote each JSON parser's own words.
    assert ":".join(str(caught.value).split(":")[:2]).startswith(":".join(str(expected.value).split(":")[:2]))


@pytest.mark.parametrize("code, numpy_dtype", [("U16", np.uint16), ("U32", np.uint32), ("U64", np.uint64)])
def test_a_dtype_minitorch_lacks_raises_an_error_naming_it(code, numpy_dtype):
    data = reference_numpy.save({"counts": np.arange(3, dtype=numpy_dtype)})
    assert reference_numpy.load(data)["counts"].dtype == numpy_dtype  # a valid file, for the reference
    with pytest.raises(ours.SafetensorError, match=f"unsupported dtype '{code}' for tensor `counts`"):
        ours.load(data)


ODD_BUT_VALID = {
    "extra_field_in_an_entry": file_from({"a": {**tensor_entry(), "note": 1}}, b"\x00\x00\x80?"),
    "null_metadata": file_from({"__metadata__": None, "a": tensor_entry()}, b"\x00\x00\x80?"),
    "header_not_padded": file_from(b"{} "),
    "space_before_the_header": file_from(b" {}"),
    "duplicate_name_last_wins": file_from(b'{"a":' + json.dumps(tensor_entry(offsets=(0, 0), shape=(0,))).encode()
                                          + b',"a":' + json.dumps(tensor_entry()).encode() + b"}", b"\x00\x00\x80?"),
}


@pytest.mark.parametrize("case", ODD_BUT_VALID)
def test_files_the_reference_accepts_load_the_same(case):
    assert_same(sort(ours.load(ODD_BUT_VALID[case])), sort(reference_torch.load(ODD_BUT_VALID[case])))


def a_valid_file():
    tensors = {"weight": minitorch.tensor(random_array(1, (3, 2), minitorch.float32)),
               "steps": minitorch.tensor([7, 9]), "mask": minitorch.tensor([True, False, True])}
    return ours.save(tensors, metadata={"format": "pt"})


def test_every_truncation_raises_an_error_as_in_the_reference():
    data = a_valid_file()
    for cut in range(len(data)):
        with pytest.raises(safetensors.SafetensorError):
            reference_numpy.load(data[:cut])
        with pytest.raises(ours.SafetensorError):
            ours.load(data[:cut])


@given(flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), min_size=1, max_size=3))
def test_bit_flipped_file_raises_exactly_when_the_reference_does_and_else_loads_the_same(flips):
    """A flip in the length, the JSON or an offset is an error in both; a flip inside a tensor's bytes (or
    a name) still loads, in both, to the same changed values: the format has no checksum to notice it."""
    data = bytearray(a_valid_file())
    for position, mask in flips:
        data[position % len(data)] ^= mask
    data = bytes(data)
    try:
        expected = reference_torch.load(data)
    except (safetensors.SafetensorError, KeyError):  # KeyError: a code the reference's torch table lacks
        expected = None
    readable = set(TORCH_DTYPES.values()) | {torch.bfloat16}
    if expected is None or any(tensor.dtype not in readable for tensor in expected.values()):
        with pytest.raises(ours.SafetensorError):  # malformed, or a dtype minitorch lacks (F32 -> U32, C64)
            ours.load(data)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a flip may turn a dtype code into BF16, read as float32
        loaded = ours.load(data)
    expected = {name: tensor.float() if tensor.dtype == torch.bfloat16 else tensor for name, tensor in expected.items()}
    assert_same(sort(loaded), sort(expected), EXACT)
