"""Checkpoints: ``minitorch.save`` and ``minitorch.load`` in PyTorch's own file format.

Where it sits: a training tool above the tensor layer and ``nn``. A file written here loads with
``torch.load(f, weights_only=True)``, and a file ``torch.save`` wrote loads here, with no conversion.

The format (PyTorch's ``torch/serialization.py``) is a zip archive of uncompressed records, each
starting on a 64-byte boundary, all in one folder (the file's stem, or ``archive`` for a file object)::

    archive/data.pkl                the object, pickled with protocol 2
    archive/.format_version         "1"
    archive/.storage_alignment      "64"
    archive/byteorder               "little"
    archive/data/0, data/1, ...     each storage's elements: raw little-endian bytes
    archive/version                 "3\\n"
    archive/.data/serialization_id  a random identifier

In ``data.pkl`` a tensor is the call ``torch._utils._rebuild_tensor_v2(storage, storage_offset, size,
stride, requires_grad, OrderedDict())`` (a Parameter wraps that in ``torch._utils._rebuild_parameter``)
and each storage is a persistent id ``('storage', torch.FloatStorage, key, location, numel)`` naming its
record. A tensor's storage is the array its memory belongs to (``Tensor.untyped_storage_base``), so views
of one array are written once, with offsets and strides in elements, and come back as views of one
array again: sharing survives the round trip, in both libraries.

A checkpoint is data: loading one must never run code from it. With ``weights_only=True`` (the default)
the unpickler resolves only an allow-list of globals (the tensor rebuild functions, storage classes,
dtypes, ``torch.Size``/``torch.device``, ``collections.OrderedDict`` and the builtins containers and
numbers need); any other global is refused with ``UnpicklingError`` before it can be called.

``save`` to a path is crash-proof: it writes a temporary file in the same folder, flushes and fsyncs
it, and only then renames it over the target (``atomic_write``), so a crash or a full disk leaves the
previous checkpoint intact. The safetensors format lives in ``minitorch/safetensors.py``; ``save`` and
``load`` hand such files to it.
"""
from __future__ import annotations

import collections
import contextlib
import io
import os
import pickle
import secrets
import struct
import warnings
import zipfile
import zlib

import numpy

from minitorch import backend
from minitorch.nn.parameter import Parameter
from minitorch.tensor import Size, Tensor

__all__ = ["UnpicklingError", "atomic_write", "load", "save"]


class UnpicklingError(pickle.UnpicklingError):
    """A checkpoint ``load`` refuses: a global outside the allow-list, or a malformed pickle."""


UNSAFE_MESSAGE = ("Re-running `minitorch.load` with `weights_only` set to `False` will likely succeed, but it can "
                  "result in arbitrary code execution. Do it only if you got the file from a trusted source.")
_NO_CUDA_MESSAGE = ("Attempting to deserialize object on a CUDA device but minitorch.cuda.is_available() is False. "
                    "If you are running on a CPU-only machine, please use minitorch.load with "
                    "map_location=minitorch.device('cpu') to map your storages to the CPU.")

_STORAGE_ALIGNMENT = 64
# The records PyTorch 2.x writes beside the pickle and the storages.
_FORMAT_VERSION = b"1"   # storages are numbered in the order they are first used
_ARCHIVE_VERSION = b"3\n"

# PyTorch's legacy storage classes, by the element type they hold (bfloat16 has no NumPy twin).
_STORAGE_CLASSES = {
    "HalfStorage": numpy.float16, "FloatStorage": numpy.float32, "DoubleStorage": numpy.float64,
    "CharStorage": numpy.int8, "ShortStorage": numpy.int16, "IntStorage": numpy.int32, "LongStorage": numpy.int64,
    "ByteStorage": numpy.uint8, "BoolStorage": numpy.bool_, "BFloat16Storage": None,
}


# ----------------------------------------------------------------------------------------------
# Crash-proof writing
# ----------------------------------------------------------------------------------------------

@contextlib.contextmanager
def atomic_write(path):
    """Open a binary file that replaces ``path`` only once everything was written and synced.

    The bytes go to a temporary file in the same folder (a rename within one file system is atomic),
    which is flushed and fsynced, then renamed over ``path``; the folder is fsynced too, so the
    rename itself survives a power cut. If anything raises on the way, the temporary file is
    deleted and ``path`` keeps its previous content.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(8)}.tmp")
    # os.open with mode 0o666 lets the umask set the permissions a plain open() would give.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(descriptor, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: str) -> None:
    """Make a rename in ``folder`` durable (POSIX; Windows cannot open a folder for syncing)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# ----------------------------------------------------------------------------------------------
# Saving
# ----------------------------------------------------------------------------------------------

class _TorchName:
    """A global of PyTorch's (``torch._utils._rebuild_tensor_v2``) that a pickle names without importing torch."""

    def __init__(self, module: str, name: str):
        self.module = module
        self.name = name

    def __call__(self, *args):  # the pickler insists that a reduce function be callable
        raise TypeError(f"{self.module}.{self.name} belongs to PyTorch: minitorch only writes its name")


_REBUILD_TENSOR = _TorchName("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _TorchName("torch._utils", "_rebuild_parameter")
_TORCH_SIZE = _TorchName("torch", "Size")
_TORCH_DEVICE = _TorchName("torch", "device")
_STORAGE_CLASS_OF = {numpy.dtype(numpy_dtype): _TorchName("torch", name)
                     for name, numpy_dtype in _STORAGE_CLASSES.items() if numpy_dtype is not None}


class _SavedStorage:
    """One storage to write: a flat C-ordered array, the key of its record, and the device it lives on."""

    def __init__(self, key: str, array):
        self.key = key
        self.array = array.reshape(-1)
        self.location = str(backend.device_of(array))

    def persistent_id(self):
        return "storage", _STORAGE_CLASS_OF[self.array.dtype], self.key, self.location, int(self.array.size)

    def little_endian_bytes(self):
        host = backend.to_device(self.array, backend.CPU)
        return memoryview(host.astype(host.dtype.newbyteorder("<"), copy=False).view(numpy.uint8))


def _address(array) -> int:
    return Tensor._wrap(array).data_ptr()


def _place_in(array, root):
    """(offset, strides) in elements of ``array`` as a view into the C-ordered ``root``, or None when
    it is not one (another dtype, negative or fractional strides, memory outside ``root``)."""
    if not isinstance(root, type(array)) or root.dtype != array.dtype or not root.flags.c_contiguous \
            or array.size == 0:
        return None
    itemsize = array.itemsize
    byte_offset = _address(array) - _address(root)
    if byte_offset % itemsize or any(step < 0 or step % itemsize for step in array.strides):
        return None
    offset = byte_offset // itemsize
    strides = tuple(step // itemsize for step in array.strides)
    last = offset + sum((size - 1) * stride for size, stride in zip(array.shape, strides))
    return (offset, strides) if 0 <= offset and last < root.size else None


class _StorageTable:
    """The storages of the tensors pickled so far, keyed '0', '1', ... in the order they are first met.

    Tensors over one array share its storage. A tensor that is no plain view of the array its memory
    belongs to (a flipped view, an empty one) gets a contiguous copy of its own, as a storage cannot
    hold negative strides.
    """

    def __init__(self):
        self._by_identity = {}  # id(array) -> (array, storage): holding the array keeps its id unique

    def __iter__(self):
        return (storage for _, storage in self._by_identity.values())

    def locate(self, tensor: Tensor):
        """(storage, storage_offset, stride) of ``tensor``."""
        array, root = tensor._data, tensor.untyped_storage_base()
        placement = _place_in(array, root)
        if placement is not None:
            return (self._storage(root, lambda: root),) + placement
        return self._storage(array, array.copy), 0, _contiguous_strides(array.shape)

    def _storage(self, identity, make_array) -> _SavedStorage:
        entry = self._by_identity.get(id(identity))
        if entry is None:
            entry = self._by_identity[id(identity)] = identity, _SavedStorage(str(len(self._by_identity)),
                                                                              make_array())
        return entry[1]


def _contiguous_strides(shape) -> tuple:
    """Row-major strides in elements (a zero-length dimension counts as one, as in PyTorch)."""
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


class _Pickler(pickle._Pickler):
    """The standard pickler, taught to write tensors, sizes, devices and dtypes as PyTorch does.

    It is Python's own pickler (``pickle._Pickler``) rather than the C one because only it lets a
    subclass write a GLOBAL opcode for a name, ``torch._utils._rebuild_tensor_v2``, that cannot be
    imported here: the C pickler looks every global up to check it.
    """

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol):
        super().__init__(file, protocol)
        self.storages = _StorageTable()

    def persistent_id(self, obj):
        return obj.persistent_id() if isinstance(obj, _SavedStorage) else None

    def reducer_override(self, obj):
        if isinstance(obj, Parameter):  # PyTorch never saves hooks: an empty OrderedDict stands in for them
            return _REBUILD_PARAMETER, (obj.detach(), obj.requires_grad, collections.OrderedDict())
        if isinstance(obj, Tensor):
            storage, offset, stride = self.storages.locate(obj)
            return _REBUILD_TENSOR, (storage, offset, tuple(obj.shape), stride, obj.requires_grad,
                                     collections.OrderedDict())
        if isinstance(obj, Size):
            return _TORCH_SIZE, (tuple(obj),)
        if isinstance(obj, backend.device):
            return _TORCH_DEVICE, (str(obj),)
        return NotImplemented

    def save_torch_name(self, module: str, name: str, obj) -> None:
        self.write(pickle.GLOBAL + f"{module}\n{name}\n".encode("utf-8"))
        self.memoize(obj)

    dispatch[_TorchName] = lambda self, obj: self.save_torch_name(obj.module, obj.name, obj)
    dispatch[backend.dtype] = lambda self, obj: self.save_torch_name("torch", obj.name, obj)


def _write_record(archive: zipfile.ZipFile, name: str, data) -> None:
    """One uncompressed record of ``archive`` whose bytes start on a 64-byte boundary, as PyTorch's
    writer places them (so that a reader may memory-map them)."""
    info = zipfile.ZipInfo(name)
    info.file_size = len(data)
    # Past 1 GiB zipfile may need a ZIP64 field in the local header: always add it there, so that
    # the header's length is known. A local header is 30 bytes, the name, then the extra fields.
    large = len(data) > zipfile.ZIP64_LIMIT // 4
    header_end = archive.fp.tell() + 30 + len(name.encode("utf-8")) + (20 if large else 0) + 4
    padding = -header_end % _STORAGE_ALIGNMENT
    info.extra = b"FB" + struct.pack("<H", padding) + b"Z" * padding  # PyTorch's padding field, 'FB'
    with archive.open(info, "w", force_zip64=large) as record:
        record.write(data)


def _write_archive(obj, file, folder: str, pickle_protocol: int) -> None:
    pickled = io.BytesIO()
    pickler = _Pickler(pickled, pickle_protocol)
    pickler.dump(obj)
    head = [("data.pkl", pickled.getbuffer()), (".format_version", _FORMAT_VERSION),
            (".storage_alignment", str(_STORAGE_ALIGNMENT).encode()), ("byteorder", b"little")]
    tail = [("version", _ARCHIVE_VERSION), (".data/serialization_id", f"{secrets.randbits(128):040d}".encode())]
    with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED) as archive:
        for name, data in head:
            _write_record(archive, f"{folder}/{name}", data)
        for storage in pickler.storages:  # one storage's host copy at a time
            _write_record(archive, f"{folder}/data/{storage.key}", storage.little_endian_bytes())
        for name, data in tail:
            _write_record(archive, f"{folder}/{name}", data)


def _is_path(f) -> bool:
    return isinstance(f, (str, os.PathLike))


def save(obj, f, pickle_module=pickle, pickle_protocol=2, _use_new_zipfile_serialization=True, *, format=None):
    """Save ``obj`` (a tensor, a ``state_dict``, nested containers of tensors and Python values) to ``f``
    in PyTorch's zip format, which ``torch.load(f, weights_only=True)`` reads.

    ``f`` is a path (written crash-proof, see ``atomic_write``) or a binary file object.
    ``format='safetensors'``, or a path ending in ``.safetensors``, writes the safetensors format
    instead (``obj`` must then be a dict of tensors). ``pickle_module`` must be the standard
    ``pickle`` module, and only the zip format is written (PyTorch's default since 1.6).
    """
    if not _is_path(f) and not hasattr(f, "write"):
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a 'write' attribute")
    if format not in (None, "torch", "safetensors"):
        raise ValueError(f"format must be None, 'torch' or 'safetensors', got {format!r}")
    if format == "safetensors" or (format is None and _is_path(f) and os.fspath(f).endswith(".safetensors")):
        from minitorch import safetensors  # imported here: it imports atomic_write from this module
        if _is_path(f):
            safetensors.save_file(obj, f)
        else:
            f.write(safetensors.save(obj))
        return
    if pickle_module is not pickle:
        raise NotImplementedError("minitorch.save writes with the standard pickle module only")
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("minitorch.save writes only the zip format (PyTorch's default since 1.6)")
    if _is_path(f):
        with atomic_write(f) as file:
            # PyTorch names the archive's folder after the file: 'model' for model.pt
            _write_archive(obj, file, os.path.splitext(os.path.basename(os.fspath(f)))[0], pickle_protocol)
    else:
        _write_archive(obj, f, "archive", pickle_protocol)


# ----------------------------------------------------------------------------------------------
# Loading
# ----------------------------------------------------------------------------------------------

class _StorageType:
    """A storage class a checkpoint names (``torch.FloatStorage``): only its element type matters.
    It is never called, so a pickle that tries to call it is refused."""

    def __init__(self, name: str, numpy_dtype):
        self.name = name
        self.numpy_dtype = numpy.dtype(numpy_dtype if numpy_dtype is not None else numpy.uint16)
        self.is_bfloat16 = numpy_dtype is None  # read as raw 16-bit words, then widened to float32

    def __call__(self, *args):
        raise UnpicklingError(f"Trying to call reduce for torch.{self.name}, which is not a function")


class _Storage:
    """One block of memory being loaded (PyTorch's TypedStorage): a flat array on one device.

    A callable ``map_location`` receives it with the saved location tag and may return it moved
    (``storage.cuda(1)``, ``storage.cpu()``) or None to keep the default placement.
    """

    def __init__(self, array):
        self.array = array

    @property
    def device(self) -> backend.device:
        return backend.device_of(self.array)

    @property
    def dtype(self) -> backend.dtype:
        return backend.from_numpy_dtype(self.array.dtype)

    def size(self) -> int:
        return int(self.array.size)

    def to(self, device) -> "_Storage":
        return _Storage(backend.to_device(self.array, backend.as_device(device)))

    def cpu(self) -> "_Storage":
        return self.to("cpu")

    def cuda(self, device=None) -> "_Storage":
        return self.to(backend.device("cuda", device) if isinstance(device, int) else device or "cuda")

    def view(self, offset, size, stride):
        """The array a tensor with this offset, size and stride (in elements) sees, after checking
        that every element it reaches lies inside the storage."""
        if not (_is_index(offset) and isinstance(size, tuple) and isinstance(stride, tuple)
                and len(size) == len(stride) and all(map(_is_index, size + stride))):
            raise UnpicklingError(f"malformed tensor: storage offset {offset!r}, size {size!r}, stride {stride!r}")
        numel = 1
        for length in size:
            numel *= length
        needed = offset + 1 + sum((length - 1) * step for length, step in zip(size, stride)) if numel else offset
        if needed > self.array.size:
            itemsize = self.array.itemsize
            raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, "
                               f"and itemsize {itemsize} requiring a storage size of {needed * itemsize} are out "
                               f"of bounds for storage of size {self.array.size * itemsize}")
        xp = backend.array_module(self.array)
        return xp.lib.stride_tricks.as_strided(self.array[offset:], shape=size,
                                               strides=tuple(step * self.array.itemsize for step in stride))


def _is_index(value) -> bool:
    return type(value) is int and value >= 0


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    """``torch._utils._rebuild_tensor_v2``: a tensor over ``storage``. Hooks are never restored (PyTorch
    saves none), and ``metadata`` only carries flags of tensor kinds minitorch does not have."""
    if not isinstance(storage, _Storage) or type(requires_grad) is not bool:
        raise UnpicklingError(f"malformed tensor: storage {type(storage).__name__}, requires_grad {requires_grad!r}")
    tensor = Tensor._wrap(storage.view(storage_offset, tuple(size), tuple(stride)))
    tensor.requires_grad = requires_grad  # raises, as PyTorch does, for an integer tensor
    return tensor


def _rebuild_parameter(data, requires_grad, backward_hooks):
    """``torch._utils._rebuild_parameter``: a Parameter sharing ``data``'s memory."""
    if not isinstance(data, Tensor) or type(requires_grad) is not bool:
        raise UnpicklingError(f"malformed parameter: data {type(data).__name__}, requires_grad {requires_grad!r}")
    return Parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    """``torch._utils._rebuild_parameter_with_state``: a Parameter with Python attributes (public ones
    only: a name starting with '_' could overwrite the tensor's own machinery)."""
    parameter = _rebuild_parameter(data, requires_grad, backward_hooks)
    attributes = state[0] if isinstance(state, tuple) else state  # PyTorch pickles (dict, slots)
    for name, value in (attributes or {}).items():
        if isinstance(name, str) and not name.startswith("_"):
            setattr(parameter, name, value)
    return parameter


def _encode(text, encoding="utf-8"):
    """``_codecs.encode``: how pickle protocol 2 writes ``bytes`` (``encode(text, 'latin1')``)."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnpicklingError(f"_codecs.encode is allowed only to make bytes from latin1 text, got {encoding!r}")
    return text.encode("latin1")


def _bytearray(source=b"", *args):
    """``bytearray`` from bytes or text only: ``bytearray(10**12)`` would allocate a terabyte."""
    if not isinstance(source, (bytes, str)):
        raise UnpicklingError("bytearray is allowed only from bytes or text")
    return bytearray(source, *args)


# What a checkpoint may name: PyTorch's weights-only allow-list, mapped onto minitorch.
_TORCH_GLOBALS = {
    "torch._utils._rebuild_tensor_v2": _rebuild_tensor_v2,
    "torch._utils._rebuild_parameter": _rebuild_parameter,
    "torch._utils._rebuild_parameter_with_state": _rebuild_parameter_with_state,
    "torch.Size": Size,
    "torch.device": backend.device,
    **{f"torch.{dtype.name}": dtype for dtype in backend.ALL_DTYPES},
    **{f"torch.{name}": _StorageType(name, numpy_dtype) for name, numpy_dtype in _STORAGE_CLASSES.items()},
}
_SAFE_GLOBALS = {
    **_TORCH_GLOBALS,
    "collections.OrderedDict": collections.OrderedDict,
    "collections.Counter": collections.Counter,
    "_codecs.encode": _encode,
    "builtins.set": set,
    "builtins.frozenset": frozenset,
    "builtins.complex": complex,
    "builtins.slice": slice,
    "builtins.bytearray": _bytearray,
}


# Protocol 2 pickles name Python 2's modules; pickle's own find_class renames them, an override must too.
_PYTHON3_MODULES = {"__builtin__": "builtins"}


def _weights_only_error(message: str) -> UnpicklingError:
    return UnpicklingError(f"Weights only load failed. {UNSAFE_MESSAGE}\nWeightsUnpickler error: {message}")


class _StorageReader:
    """Turns the persistent ids of a pickle into storages, each made once and put on the device
    ``map_location`` picks. Where the bytes come from depends on the format (the subclasses)."""

    def __init__(self, map_location):
        self.map_location = map_location
        self.loaded = {}  # key -> _Storage
        self.views = {}   # legacy view key -> _Storage

    def __call__(self, saved_id) -> _Storage:
        # ('storage', storage class, key, location, numel), and in the legacy format a sixth item:
        # None, or (view key, offset, numel) for a storage that is a slice of another.
        if not (isinstance(saved_id, tuple) and len(saved_id) in (5, 6) and _text(saved_id[0]) == "storage"):
            raise UnpicklingError(f"Unknown persistent id {saved_id!r}: only 'storage' ids are loaded")
        storage_type, key, location, numel = saved_id[1:5]
        if not (isinstance(storage_type, _StorageType) and isinstance(key, str) and _is_index(numel)
                and isinstance(location, (str, bytes))):
            raise UnpicklingError(f"malformed storage id {saved_id!r}")
        if key not in self.loaded:
            self.loaded[key] = self._place(self.make(storage_type, key, numel), _text(location))
        view = saved_id[5] if len(saved_id) == 6 else None
        if view is None:
            return self.loaded[key]
        if not (isinstance(view, tuple) and len(view) == 3 and isinstance(view[0], str)
                and _is_index(view[1]) and _is_index(view[2]) and view[1] + view[2] <= numel):
            raise UnpicklingError(f"malformed storage view {view!r}")
        view_key, offset, length = view
        if view_key not in self.views:
            self.views[view_key] = _Storage(self.loaded[key].array[offset:offset + length])
        return self.views[view_key]

    def make(self, storage_type: "_StorageType", key: str, numel: int) -> _Storage:
        raise NotImplementedError

    def _place(self, storage: _Storage, location: str) -> _Storage:
        """Where ``map_location`` (None, a device, a dict of location tags, or a callable) sends a storage."""
        if self.map_location is None:
            return _restore(storage, location)
        if isinstance(self.map_location, dict):
            return _restore(storage, self.map_location.get(location, location))
        if isinstance(self.map_location, (str, bytes, backend.device)):
            return _restore(storage, self.map_location)
        moved = self.map_location(storage, location)
        return _restore(storage, location) if moved is None else moved


def _host_array(raw, storage_type: "_StorageType"):
    """The elements read as ``raw`` (stored byte order) in this machine's byte order; bfloat16 widened to
    float32, its top half, with a warning as minitorch has no bfloat16."""
    array = raw.astype(storage_type.numpy_dtype, copy=False)
    if storage_type.is_bfloat16:
        warnings.warn("minitorch has no bfloat16: a bfloat16 storage is loaded as float32", UserWarning)
        array = (array.astype(numpy.uint32) << 16).view(numpy.float32)
    return array


class _ArchiveStorages(_StorageReader):
    """Storages of the zip format: each read from its record ``data/<key>`` when first named."""

    def __init__(self, archive: "_Archive", map_location):
        super().__init__(map_location)
        self.archive = archive
        byteorder = archive.read("byteorder").decode() if archive.has("byteorder") else "little"
        if byteorder not in ("little", "big"):
            raise ValueError(f"Unknown endianness type: {byteorder}")
        self.byteorder_mark = "<" if byteorder == "little" else ">"

    def make(self, storage_type, key, numel):
        stored_dtype = storage_type.numpy_dtype.newbyteorder(self.byteorder_mark)
        return _Storage(_host_array(self.archive.read_array(f"data/{key}", stored_dtype, numel), storage_type))


class _LegacyStorages(_StorageReader):
    """Storages of PyTorch's legacy format, whose bytes follow the pickle: each is allocated when first
    named (where ``map_location`` puts it), then filled by ``fill`` once the pickle has been read."""

    def __init__(self, file, map_location):
        super().__init__(map_location)
        self.file = file
        start = file.tell()
        self.bytes_left = file.seek(0, os.SEEK_END) - start  # no storage can be larger than the file
        file.seek(start)
        self.types = {}

    def make(self, storage_type, key, numel):
        if numel * storage_type.numpy_dtype.itemsize > self.bytes_left:
            raise RuntimeError(f"storage {key} claims {numel} elements, more than the file holds: corrupt file?")
        self.types[key] = storage_type
        dtype = numpy.float32 if storage_type.is_bfloat16 else storage_type.numpy_dtype
        return _Storage(numpy.empty(numel, dtype))

    def fill(self, keys) -> None:
        """Read the storages listed in ``keys``: each an int64 element count, then its little-endian bytes."""
        if not isinstance(keys, list) or not set(keys) <= set(self.loaded):
            raise UnpicklingError(f"malformed list of storage keys {keys!r}")
        for key in keys:
            storage, storage_type = self.loaded[key], self.types[key]
            raw = numpy.empty(storage.array.size, storage_type.numpy_dtype.newbyteorder("<"))
            count = self.file.read(8)
            if len(count) != 8 or struct.unpack("<q", count)[0] != raw.size \
                    or self.file.readinto(raw.view(numpy.uint8)) != raw.nbytes:
                raise RuntimeError(f"storage {key} is truncated or its size does not match: corrupt file?")
            storage.array[...] = backend.asarray(_host_array(raw, storage_type), dev=storage.device)


def _restore(storage: _Storage, location) -> _Storage:
    """``storage`` on the device ``location`` names (PyTorch's default_restore_location)."""
    target = backend.device(_text(location))
    if target.type == "cuda" and not backend.cuda_is_available():
        raise RuntimeError(_NO_CUDA_MESSAGE)
    return storage if storage.device == backend.as_device(target) else storage.to(target)


def _text(value):
    return value.decode("ascii") if isinstance(value, bytes) else value


class _WeightsUnpickler(pickle.Unpickler):
    """The unpickler of ``weights_only=True``: it resolves the allow-listed globals and nothing else,
    so a pickle can only ever call the functions listed in ``_SAFE_GLOBALS``."""

    def __init__(self, file, storages: _StorageReader, **pickle_load_args):
        super().__init__(file, **pickle_load_args)
        self.storages = storages

    def find_class(self, module, name):
        full_name = f"{_PYTHON3_MODULES.get(module, module)}.{name}"
        if full_name not in _SAFE_GLOBALS:
            raise _weights_only_error(f"Unsupported global: GLOBAL {full_name} was not an allowed global by "
                                      "default.")
        return _SAFE_GLOBALS[full_name]

    def persistent_load(self, saved_id):
        return self.storages(saved_id)


def _full_unpickler(pickle_module):
    """The unpickler of ``weights_only=False`` (any object, which may run code): PyTorch's tensor
    machinery maps onto minitorch's, every other global is imported as pickle always does."""

    class FullUnpickler(pickle_module.Unpickler):
        def __init__(self, file, storages: _StorageReader, **pickle_load_args):
            super().__init__(file, **pickle_load_args)
            self.storages = storages

        def find_class(self, module, name):
            full_name = f"{module}.{name}"
            if full_name in _TORCH_GLOBALS:
                return _TORCH_GLOBALS[full_name]
            if module == "torch" or module.startswith("torch."):
                raise UnpicklingError(f"minitorch has no counterpart of {full_name}: only PyTorch's tensors, "
                                      "storages, dtypes, devices and sizes load into minitorch")
            return super().find_class(module, name)

        def persistent_load(self, saved_id):
            return self.storages(saved_id)

    return FullUnpickler


# What a damaged zip archive raises inside zipfile and struct.
_ARCHIVE_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OverflowError, KeyError,
                   NotImplementedError, struct.error, zlib.error, OSError)


class _Archive:
    """A checkpoint's zip file, its records named relative to its one top folder. Member names are
    checked on opening, and a record's CRC when it is read, so damage is reported, never loaded."""

    def __init__(self, file):
        with self._reading("zip archive"):
            self.zip = zipfile.ZipFile(file)
            names = self.zip.namelist()
        if not names:
            raise RuntimeError("PytorchStreamReader failed reading zip archive: the archive is empty")
        self.folder = names[0].replace("\\", "/").split("/")[0]
        for name in names:  # PyTorch's rule: one top folder; ours too: no absolute paths, no '..'
            parts = name.replace("\\", "/").split("/")
            if not parts[0] or ".." in parts or ":" in parts[0] or "\0" in name:
                raise RuntimeError(f"PytorchStreamReader refused zip archive: member {name!r} names a path "
                                   "outside the archive")
            if len(parts) < 2 or parts[0] != self.folder:
                raise RuntimeError("PytorchStreamReader failed reading zip archive: file in archive is not in a "
                                   f"subdirectory {self.folder}/: {name}")
        if self.has("constants.pkl"):
            raise RuntimeError("this is a TorchScript archive, which minitorch cannot load")
        for name in ("data.pkl", "version"):
            if not self.has(name):
                raise RuntimeError(f"PytorchStreamReader failed locating file {name}: file not found")
        version = self.read("version").strip()
        if not version.isdigit():
            raise RuntimeError(f"PytorchStreamReader failed reading file version: {version!r} is not a number")

    @staticmethod
    @contextlib.contextmanager
    def _reading(what: str):
        try:
            yield
        except _ARCHIVE_ERRORS as error:
            raise RuntimeError(f"PytorchStreamReader failed reading {what}: {error}. The checkpoint file is "
                               "probably corrupted or truncated.") from error

    def has(self, name: str) -> bool:
        return f"{self.folder}/{name}" in self.zip.NameToInfo

    def read(self, name: str) -> bytes:
        with self._reading(f"file {name}"):
            return self.zip.read(f"{self.folder}/{name}")

    def read_array(self, name: str, dtype, numel: int):
        """The record ``name`` as a fresh array of ``numel`` elements of ``dtype``."""
        with self._reading(f"file {name}"):
            info = self.zip.getinfo(f"{self.folder}/{name}")
            if info.file_size != numel * dtype.itemsize:
                raise RuntimeError(f"PytorchStreamReader failed reading file {name}: it holds {info.file_size} "
                                   f"bytes, the checkpoint expects {numel} elements of {dtype.itemsize} bytes")
            array = numpy.empty(numel, dtype)
            with self.zip.open(info) as record:  # reading to the end checks the CRC
                if record.readinto(array.view(numpy.uint8)) != info.file_size or record.read(1):
                    raise zipfile.BadZipFile("record shorter or longer than its header says")
            return array


def _format_of(file) -> str:
    """'zip', 'safetensors' or 'legacy' (anything else), from the first bytes: a zip starts with
    b'PK\\x03\\x04', safetensors with its header's length (8 bytes, little-endian) then the header's '{'."""
    start = file.tell()
    head = file.read(9)
    file.seek(start)
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if len(head) == 9 and head[8:] == b"{":
        return "safetensors"
    return "legacy"


def _load_safetensors(file, map_location):
    from minitorch import safetensors  # imported here: it imports atomic_write from this module
    if isinstance(map_location, dict) or callable(map_location):
        raise RuntimeError(f"Loading safetensors file with {'dict' if isinstance(map_location, dict) else 'callable'} "
                           "map_location is not supported. Use a device string or minitorch.device instead.")
    tensors = safetensors.load(file.read())
    if map_location is None:
        return tensors
    device = backend.as_device(_text(map_location))
    return {name: tensor.to(device) for name, tensor in tensors.items()}


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Load an object that ``torch.save`` or ``minitorch.save`` wrote (or a safetensors file).

    ``f`` is a path or a binary file object. ``map_location`` moves storages as in PyTorch: a device
    or its name ('cpu', 'cuda:1'), a dict from saved location tags to new ones, or a callable
    ``(storage, location) -> storage or None``. ``weights_only`` (the default, unless a
    ``pickle_module`` is given) allows only tensors, containers and numbers, and raises
    ``UnpicklingError`` naming any other global the file asks for; ``weights_only=False`` loads any
    object, which may run code from the file: only for files you trust. ``mmap`` is accepted for
    PyTorch's signature; minitorch reads storages into memory.

    A damaged file raises ``RuntimeError`` (the archive) or ``UnpicklingError`` (the pickle), never
    returns a partial object. PyTorch's legacy format (before 1.6, not its older tar format) is read too.
    """
    if weights_only is None:
        weights_only = pickle_module is None
    if weights_only:
        if pickle_module is not None:
            raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
        if pickle_load_args:
            warnings.warn("pickle_load_args only works if `weights_only=False`.")
            pickle_load_args = {}
    pickle_load_args.setdefault("encoding", "utf-8")
    unpickler_class = _WeightsUnpickler if weights_only else _full_unpickler(pickle_module or pickle)
    with open(f, "rb") if _is_path(f) else contextlib.nullcontext(f) as file:
        kind = _format_of(file)
        if kind == "safetensors":
            return _load_safetensors(file, map_location)
        read = _load_archive if kind == "zip" else _load_legacy
        if not weights_only:
            return read(file, map_location, unpickler_class, pickle_load_args)
        try:
            return read(file, map_location, unpickler_class, pickle_load_args)
        except UnpicklingError:
            raise
        except pickle.UnpicklingError as error:
            raise _weights_only_error(str(error)) from error
        except (EOFError, ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as error:
            raise _weights_only_error(f"malformed pickle: {type(error).__name__}: {error}") from error


def _load_archive(file, map_location, unpickler_class, pickle_load_args):
    """The zip format: the pickle is the record data.pkl, each storage a record of its own."""
    archive = _Archive(file)
    storages = _ArchiveStorages(archive, map_location)
    return unpickler_class(io.BytesIO(archive.read("data.pkl")), storages, **pickle_load_args).load()


_LEGACY_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL_VERSION = 1001


def _load_legacy(file, map_location, unpickler_class, pickle_load_args):
    """PyTorch's format before 1.6, one stream: pickles of a magic number, the protocol version and the
    writer's system information, the object, the list of storage keys; then every storage's bytes.
    Anything that is no checkpoint fails here, at the first pickle (refused by the allow-list if it
    names a global)."""
    storages = _LegacyStorages(file, map_location)

    def next_pickle():
        return unpickler_class(file, storages, **pickle_load_args).load()

    if next_pickle() != _LEGACY_MAGIC_NUMBER:
        raise RuntimeError("Invalid magic number; corrupt file?")
    version = next_pickle()
    if version != _LEGACY_PROTOCOL_VERSION:
        raise RuntimeError(f"Invalid protocol version: {version}")
    next_pickle()  # the writer's system information: storages are little-endian on every machine
    result = next_pickle()
    storages.fill(next_pickle())
    return result
