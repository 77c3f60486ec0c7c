"""The safetensors format: named tensors as a JSON header plus raw bytes, with nothing that can run code.

Model hubs publish weights this way because loading one is just parsing: no
pickle, so a file from a stranger cannot execute anything. The layout (the
same bytes Hugging Face's ``safetensors`` package writes)::

    8 bytes   N, the header's length (unsigned, little-endian)
    N bytes   JSON: {"__metadata__": {str: str}  (optional, first),
                     name: {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
              padded with spaces so the data starts 8-byte aligned
    the rest  each tensor's elements, C order, little-endian, back to back;
              ``data_offsets`` count from the start of this part

The functions mirror ``safetensors.torch``: ``save``/``load`` on bytes,
``save_file``/``load_file`` on paths. ``minitorch.save(..., format='safetensors')``
and ``minitorch.load`` of such a file come here (see ``serialization.py``).
"""
from __future__ import annotations

import json
import math
import warnings

import numpy

from minitorch import backend
from minitorch.serialization import atomic_write
from minitorch.tensor import Tensor

# Each dtype's code, listed in the reference writer's order of its ``Dtype`` enum. Tensors are written largest
# rank first, then by name, so every tensor starts aligned to its element size and our files are byte for byte
# the reference's.
_CODES = {backend.bool_: "BOOL", backend.uint8: "U8", backend.int8: "I8", backend.int16: "I16",
          backend.float16: "F16", backend.int32: "I32", backend.float32: "F32", backend.float64: "F64",
          backend.int64: "I64"}
_RANK = {code: rank for rank, code in enumerate(_CODES.values())}
# What the bytes of each code read as (explicitly little-endian). bfloat16 has no minitorch dtype: its bits are
# the top half of a float32's, so it is read as uint16 and widened.
_FILE_DTYPES = {code: dtype.numpy_dtype.newbyteorder("<") for dtype, code in _CODES.items()}
_FILE_DTYPES["BF16"] = numpy.dtype("<u2")
_MAX_HEADER_SIZE = 100_000_000  # the reference refuses larger headers, so a bad length cannot exhaust memory
_METADATA = "__metadata__"


class SafetensorError(Exception):
    """A malformed safetensors file (``safetensors.SafetensorError``)."""


def save(tensors: dict, metadata: dict | None = None) -> bytes:
    """The safetensors file for ``tensors`` (names to tensors) and optional text ``metadata``, as bytes."""
    header, arrays = _serialize(tensors, metadata)
    return b"".join([header] + [array.tobytes() for array in arrays])


def save_file(tensors: dict, filename, metadata: dict | None = None) -> None:
    """Write ``tensors`` to ``filename``; atomically, so a crash leaves any previous file as it was."""
    header, arrays = _serialize(tensors, metadata)
    with atomic_write(filename) as file:
        file.write(header)
        for array in arrays:
            file.write(array.data)  # C-contiguous: its buffer is its bytes, written without a copy


def load(data: bytes) -> dict:
    """The tensors (CPU) of a safetensors file's contents, in file order; ``SafetensorError`` if malformed."""
    data = memoryview(data).cast("B")
    start, entries = _parse_header(data)
    tensors = {}
    for name, code, shape, (begin, end) in entries:
        array = numpy.frombuffer(data[start + begin:start + end], _FILE_DTYPES[code])
        if code == "BF16":
            warnings.warn(f"tensor `{name}` is bfloat16, which minitorch does not have: read as float32")
            array = (array.astype(numpy.uint32) << 16).view(numpy.float32)
        else:  # a native-endian copy that owns its memory (the file's bytes are read-only)
            array = array.astype(array.dtype.newbyteorder("="))
        tensors[name] = Tensor._wrap(array.reshape(shape))
    return tensors


def load_file(filename, device="cpu") -> dict:
    """The tensors in the safetensors file ``filename``, on ``device``."""
    with open(filename, "rb") as file:
        tensors = load(file.read())
    return {name: tensor.to(backend.as_device(device)) for name, tensor in tensors.items()}


# -- writing --------------------------------------------------------------------------------

def _serialize(tensors: dict, metadata: dict | None):
    """The header (its length, then padded JSON) and each tensor's array (C-contiguous, little-endian),
    in file order."""
    _check_tensors(tensors)
    if metadata is not None:
        _check_strings(metadata, "metadata")
    # Non-contiguous tensors are packed (ascontiguousarray would make 0-d arrays 1-d).
    arrays = {name: backend.to_device(tensor._data, backend.CPU).astype(
                  tensor.dtype.numpy_dtype.newbyteorder("<"), order="C", copy=False)
              for name, tensor in tensors.items()}
    header = {} if metadata is None else {_METADATA: metadata}
    ordered = sorted(tensors, key=lambda name: (-_RANK[_CODES[tensors[name].dtype]], name))
    offset = 0
    for name in ordered:
        size = arrays[name].nbytes
        header[name] = {"dtype": _CODES[tensors[name].dtype], "shape": list(arrays[name].shape),
                        "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text, [arrays[name] for name in ordered]


def _check_tensors(tensors) -> None:
    """Refuse what the reference writer refuses: non-dicts, non-tensors, non-string names, shared memory."""
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, minitorch.Tensor] but received {type(tensors)}")
    for name, value in tensors.items():
        if not isinstance(value, Tensor):
            raise ValueError(f"Key `{name}` is invalid, expected minitorch.Tensor but received {type(value)}")
    _check_strings(tensors, "tensors", values=False)
    if _METADATA in tensors:  # the reader would take it for the metadata
        raise ValueError(f"`{_METADATA}` is reserved for the file's metadata and cannot name a tensor")
    shared = _sharing_groups(tensors)
    if shared:
        raise RuntimeError(
            f"Some tensors share memory, this will lead to duplicate memory on disk and potential differences "
            f"when loading them again: {shared}. Save each shared tensor once (or clone the others) and "
            f"recreate the sharing after loading.")


def _check_strings(mapping: dict, argument: str, values: bool = True) -> None:
    if not isinstance(mapping, dict):
        raise TypeError(f"argument '{argument}': '{type(mapping).__name__}' object is not a dict")
    for item in (*mapping, *(mapping.values() if values else ())):
        if not isinstance(item, str):
            raise TypeError(f"argument '{argument}': '{type(item).__name__}' object is not an instance of 'str'")


def _sharing_groups(tensors: dict) -> list:
    """Sets of names whose bytes overlap (``safetensors.torch._find_shared_tensors``).

    Views of one array that do not overlap (two halves of a buffer) may be
    saved; overlapping ones would come back as independent copies, so the
    reference refuses them and so do we.
    """
    by_buffer = {}
    for name, tensor in tensors.items():
        by_buffer.setdefault(id(tensor.untyped_storage_base()), []).append((*_byte_range(tensor._data), name))
    groups = []
    for areas in by_buffer.values():
        areas.sort()
        group, group_stop = {areas[0][2]}, areas[0][1]
        for start, stop, name in areas[1:]:
            if start < group_stop:
                group.add(name)
            else:
                groups.append(group)
                group = {name}
            group_stop = max(group_stop, stop)
        groups.append(group)
    return [group for group in groups if len(group) > 1]


def _byte_range(array) -> tuple:
    """The addresses [start, stop) that ``array``'s elements span (strides may be negative)."""
    pointer = array.__array_interface__["data"][0] if isinstance(array, numpy.ndarray) else array.data.ptr
    if array.size == 0:
        return pointer, pointer
    spans = [(extent - 1) * stride for extent, stride in zip(array.shape, array.strides)]
    start = pointer + sum(min(span, 0) for span in spans)
    return start, pointer + sum(max(span, 0) for span in spans) + array.itemsize


# -- reading --------------------------------------------------------------------------------

def _error(reason: str) -> SafetensorError:
    return SafetensorError(f"Error while deserializing: {reason}")


def _parse_header(data: memoryview):
    """Where the data starts, and each tensor's (name, code, shape, offsets) in file order; validated as the
    reference validates, so that no malformed file gives a crash or a partial dict."""
    if len(data) < 8:
        raise _error("header too small")
    length = int.from_bytes(data[:8], "little")
    if length > _MAX_HEADER_SIZE:
        raise _error("header too large")
    if 8 + length > len(data):
        raise _error("invalid header length")
    try:
        header = json.loads(str(data[8:8 + length], "utf-8"))
    except UnicodeDecodeError as error:
        raise _error(f"invalid UTF-8 in header: {error}") from None
    except ValueError as error:
        raise _error(f"invalid JSON in header: {error}") from None
    if not isinstance(header, dict):
        raise _error(f"invalid JSON in header: expected an object, found {type(header).__name__}")
    metadata = header.pop(_METADATA, None)
    if not isinstance(metadata, (dict, type(None))) or not all(isinstance(v, str) for v in (metadata or {}).values()):
        raise _error(f"invalid JSON in header: `{_METADATA}` must map strings to strings")
    entries = sorted((_parse_entry(name, entry) for name, entry in header.items()), key=lambda entry: entry[3])
    end = 0
    for name, code, shape, (begin, stop) in entries:
        if begin != end or stop < begin:  # tensors must tile the data: no gaps, no overlaps
            raise _error(f"invalid offset for tensor `{name}`")
        if math.prod(shape) * _FILE_DTYPES[code].itemsize != stop - begin:
            raise _error(f"invalid shape, data type, or offset for tensor `{name}`")
        end = stop
    if 8 + length + end != len(data):
        raise _error("incomplete metadata, file not fully covered")
    return 8 + length, entries


def _parse_entry(name: str, entry) -> tuple:
    def natural_numbers(value, count=None):
        return (isinstance(value, list) and (count is None or len(value) == count)
                and all(type(n) is int and n >= 0 for n in value))
    if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= entry.keys():
        raise _error(f"invalid JSON in header: tensor `{name}` needs a dtype, a shape and data_offsets")
    code, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if code not in _FILE_DTYPES:
        raise _error(f"invalid JSON in header: unknown or unsupported dtype {code!r} for tensor `{name}` "
                     f"(minitorch reads {', '.join(_FILE_DTYPES)})")
    if not natural_numbers(shape) or not natural_numbers(offsets, 2):
        raise _error(f"invalid JSON in header: tensor `{name}` needs a shape and two data_offsets that are "
                     f"non-negative integers")
    return name, code, tuple(shape), tuple(offsets)
