"""The array backend: the one module that knows NumPy from CuPy.

Everything above this layer handles arrays through the module this file hands
out (``xp``): NumPy for the ``cpu`` device, CuPy for ``cuda:N``. It also owns
the dtype objects (``minitorch.float32`` ...), PyTorch's type-promotion rules,
devices, and the random generators. No other file imports cupy.
"""
from __future__ import annotations

import contextlib
import threading

import numpy

try:  # CuPy is the optional ``cuda`` extra.
    import cupy
except ImportError:  # pragma: no cover - depends on the machine
    cupy = None

try:  # bfloat16 arrays come from ml_dtypes, the optional ``amp`` extra.
    import ml_dtypes
except ImportError:  # pragma: no cover - depends on the machine
    ml_dtypes = None


# ----------------------------------------------------------------------------
# dtypes
# ----------------------------------------------------------------------------

class dtype:
    """A tensor element type, named and behaving as ``torch.dtype``."""

    def __init__(self, name: str, numpy_dtype, is_floating_point: bool, is_signed: bool):
        self.name = name
        self.numpy_dtype = numpy.dtype(numpy_dtype)
        self.is_floating_point = is_floating_point
        self.is_signed = is_signed
        self.is_complex = False
        self.itemsize = self.numpy_dtype.itemsize

    def __repr__(self):
        return f"minitorch.{self.name}"

    def __reduce__(self):  # dtypes are singletons, also through pickle
        return (_dtype_by_name, (self.name,))

    def to_real(self):
        return self


float16 = dtype("float16", numpy.float16, True, True)
float32 = dtype("float32", numpy.float32, True, True)
float64 = dtype("float64", numpy.float64, True, True)
int8 = dtype("int8", numpy.int8, False, True)
int16 = dtype("int16", numpy.int16, False, True)
int32 = dtype("int32", numpy.int32, False, True)
int64 = dtype("int64", numpy.int64, False, True)
uint8 = dtype("uint8", numpy.uint8, False, False)
bool_ = dtype("bool", numpy.bool_, False, False)


class _UnavailableDtype(dtype):
    """A dtype whose arrays need a package that is not installed: any use says which extra to install."""

    def __init__(self, name: str, package: str, extra: str, itemsize: int):
        self.name = name
        self.is_floating_point = True
        self.is_signed = True
        self.is_complex = False
        self.itemsize = itemsize
        self._missing = f"minitorch.{name} needs the {package} package: pip install minitorch[{extra}]"

    @property
    def numpy_dtype(self):
        raise RuntimeError(self._missing)


# The NumPy dtype kinds of floating tensors: "f", and "V" for ml_dtypes' bfloat16, which NumPy sees as a
# structured ("void") type. No other void dtype ever backs a Tensor.
FLOATING_KINDS = "fV"
# The scalar types of floating NumPy numbers (an element of a bfloat16 array is not a numpy.floating).
FLOATING_SCALAR_TYPES = (numpy.floating,) + ((ml_dtypes.bfloat16,) if ml_dtypes is not None else ())

# NumPy has no bfloat16; ml_dtypes adds it (its matmul accumulates and returns float32, so autocast rounds).
bfloat16 = (dtype("bfloat16", ml_dtypes.bfloat16, True, True) if ml_dtypes is not None
            else _UnavailableDtype("bfloat16", "ml_dtypes", "amp", 2))

ALL_DTYPES = (float16, float32, float64, int8, int16, int32, int64, uint8, bool_) + (
    (bfloat16,) if ml_dtypes is not None else ())
_BY_NUMPY = {d.numpy_dtype: d for d in ALL_DTYPES}
# PyTorch's aliases: torch.half, torch.float, torch.double, torch.short, torch.int, torch.long.
ALIASES = {"half": float16, "float": float32, "double": float64,
           "short": int16, "int": int32, "long": int64}


def _dtype_by_name(name: str) -> dtype:
    return next(d for d in ALL_DTYPES if d.name == name)


def from_numpy_dtype(numpy_dtype) -> dtype:
    """The minitorch dtype of a NumPy (or CuPy) dtype; TypeError when there is none."""
    try:
        return _BY_NUMPY[numpy.dtype(numpy_dtype)]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{numpy.dtype(numpy_dtype).type.__name__}. The only supported "
            "types are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool.") from None


_default_dtype = float32


def get_default_dtype() -> dtype:
    return _default_dtype


def set_default_dtype(d: dtype) -> None:
    global _default_dtype
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_dtype = d


# ----------------------------------------------------------------------------
# Type promotion (PyTorch's rules, c10/core/ScalarType.h and TensorIterator)
# ----------------------------------------------------------------------------

def _category(d: dtype) -> int:
    """bool < integer < floating: a lower-priority operand only matters if its category is higher."""
    return 2 if d.is_floating_point else (0 if d is bool_ else 1)


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both ``a`` and ``b`` convert to, as ``torch.promote_types``."""
    if a is b:
        return a
    if {a, b} == {float16, bfloat16}:  # neither holds the other; NumPy finds no common type
        return float32
    if a.is_floating_point != b.is_floating_point:  # int + float16 is float16 in PyTorch
        return a if a.is_floating_point else b
    return _BY_NUMPY[numpy.promote_types(a.numpy_dtype, b.numpy_dtype)]


def scalar_dtype(value) -> dtype:
    """The dtype a Python number takes when it stands alone."""
    if isinstance(value, (bool, numpy.bool_)):
        return bool_
    if isinstance(value, (int, numpy.integer)):
        return int64
    if isinstance(value, (float, numpy.floating)):
        return _default_dtype
    raise TypeError(f"unsupported scalar type {type(value).__name__}")


def _combine_categories(higher: dtype | None, lower: dtype | None) -> dtype | None:
    if higher is None:
        return lower
    if lower is None or higher.is_floating_point:
        return higher
    if higher is bool_ or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


def result_type(*operands) -> dtype:
    """The dtype of an elementwise op over tensors and Python scalars (``torch.result_type``).

    Three priority classes: tensors with dimensions, zero-dimensional tensors,
    then Python numbers. A lower class only changes the result when its
    category (bool < int < float) is higher, so ``int_tensor * 2.5`` is float32
    and ``float16_tensor * 2.5`` stays float16.
    """
    dimensioned = zero_dim = scalar = None
    for operand in operands:
        if isinstance(operand, numpy.generic):
            operand = operand.item()  # a NumPy number promotes as a Python number does in PyTorch
        if hasattr(operand, "dtype") and hasattr(operand, "ndim"):
            d = operand.dtype if isinstance(operand.dtype, dtype) else from_numpy_dtype(operand.dtype)
            if operand.ndim > 0:
                dimensioned = d if dimensioned is None else promote_types(dimensioned, d)
            else:
                zero_dim = d if zero_dim is None else promote_types(zero_dim, d)
        else:
            d = scalar_dtype(operand)
            scalar = d if scalar is None else promote_types(scalar, d)
    return _combine_categories(dimensioned, _combine_categories(zero_dim, scalar))


def float_dtype_for(d: dtype) -> dtype:
    """The dtype of a floating op (exp, true division, mean) on input dtype ``d``."""
    return d if d.is_floating_point else _default_dtype


# ----------------------------------------------------------------------------
# Devices
# ----------------------------------------------------------------------------

class device:
    """Where a tensor's array lives: ``device('cpu')``, ``device('cuda:0')``, ``device('cuda', 1)``.

    Parsed and compared as ``torch.device``: ``device('cuda')`` (no index) means
    the current GPU, and a device never equals a string (``device('cpu') == 'cpu'``
    is False in PyTorch too).
    """

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int):  # PyTorch reads a bare int as an accelerator index
            type, index = "cuda", type
        elif ":" in type:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed "
                                   f"explicitly: {type}")
            name, _, index_text = type.partition(":")
            if not index_text.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            type, index = name, int(index_text)
        if type not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {type}")
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self.type = type
        self.index = index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))


CPU = device("cpu")

# PyTorch's message (and exception type) for CUDA use in a build without it.
_NO_CUDA = ("Torch not compiled with CUDA enabled: minitorch needs CuPy and a GPU for 'cuda' devices "
            "(pip install minitorch[cuda])")


def as_device(value) -> device:
    """The device a tensor is put on, from a device, a string like 'cuda:1', or an int (a CUDA index).

    Any CPU index means the one CPU, and a bare 'cuda' means the current GPU,
    so tensors always report a device PyTorch would: ``cpu`` or ``cuda:N``.
    """
    if value is None:
        return CPU
    result = value if isinstance(value, device) else device(value)
    if result.type == "cpu":
        return CPU
    check_cuda()
    if result.index is None:
        result = device("cuda", cupy.cuda.runtime.getDevice())
    return result


def check_cuda() -> None:
    """Raise PyTorch's AssertionError when there is no GPU to use."""
    if not cuda_is_available():
        raise AssertionError(_NO_CUDA)


def device_context(dev: device):
    """A context in which CuPy allocates on ``dev``'s GPU (nothing to do for the CPU)."""
    return cupy.cuda.Device(dev.index) if dev.type == "cuda" else contextlib.nullcontext()


def cuda_is_available() -> bool:
    if cupy is None:
        return False
    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # CUDA driver missing or broken: no GPU for us
        return False


def cuda_device_count() -> int:
    return cupy.cuda.runtime.getDeviceCount() if cuda_is_available() else 0


def cuda_current_device() -> int:
    check_cuda()
    return cupy.cuda.runtime.getDevice()


def cuda_synchronize(device_index=None) -> None:
    """Wait for all work queued on a GPU (the current one by default)."""
    check_cuda()
    with cupy.cuda.Device(device_index if device_index is not None else cupy.cuda.runtime.getDevice()):
        cupy.cuda.Device().synchronize()


def cuda_set_device(index: int) -> None:
    """Make GPU ``index`` the one this thread allocates on and launches kernels on."""
    check_cuda()
    cupy.cuda.Device(index).use()


def cuda_device_properties(index: int) -> dict:
    """The CUDA runtime's description of a GPU (``cudaGetDeviceProperties``: name, totalGlobalMem, major ...)."""
    check_cuda()
    return cupy.cuda.runtime.getDeviceProperties(index)


# GPU memory comes from CuPy's default pool, which caches freed blocks as PyTorch's caching allocator
# does: "allocated" is what live arrays use, "reserved" what the pool holds. CuPy keeps no peak, so every
# allocation goes through ``_tracking_malloc``, which records the largest "allocated" seen per GPU.
_peak_allocated: dict = {}


def _tracking_malloc(size: int):
    pool = cupy.get_default_memory_pool()
    memory = pool.malloc(size)
    used = pool.used_bytes()  # the pool of the current GPU, where malloc just allocated
    if used > _peak_allocated.get(memory.device_id, 0):
        _peak_allocated[memory.device_id] = used
    return memory


if cupy is not None:
    cupy.cuda.set_allocator(_tracking_malloc)


def cuda_memory_stats(index: int) -> dict:
    """Bytes of GPU ``index``'s memory pool: allocated (by live arrays), its peak, and reserved (cached too)."""
    check_cuda()
    with cupy.cuda.Device(index):
        pool = cupy.get_default_memory_pool()
        allocated = pool.used_bytes()
        return {"allocated": allocated, "peak_allocated": max(_peak_allocated.get(index, 0), allocated),
                "reserved": pool.total_bytes()}


def cuda_reset_peak_memory(index: int) -> None:
    """Start measuring the peak afresh from what is allocated now."""
    _peak_allocated[index] = cuda_memory_stats(index)["allocated"]


def cuda_empty_cache() -> None:
    """Hand the blocks the memory pools cache back to the driver (live arrays keep theirs)."""
    for index in range(cuda_device_count()):
        with cupy.cuda.Device(index):
            cupy.get_default_memory_pool().free_all_blocks()


def cuda_event(enable_timing: bool, blocking: bool, interprocess: bool):
    """A CUDA event (CuPy's: ``record(stream)``, ``synchronize()``, ``done``)."""
    check_cuda()
    return cupy.cuda.Event(block=blocking, disable_timing=not enable_timing, interprocess=interprocess)


def cuda_elapsed_time(start_event, end_event) -> float:
    """Milliseconds between two recorded CUDA events."""
    return cupy.cuda.get_elapsed_time(start_event, end_event)


def cuda_stream(index: int):
    """A new CUDA stream on GPU ``index`` (CuPy's ``Stream``: ``synchronize()``, ``done``, ``wait_event``)."""
    check_cuda()
    with cupy.cuda.Device(index):
        return cupy.cuda.Stream()


def cuda_current_stream(index: int):
    """The stream work on GPU ``index`` is queued on now."""
    check_cuda()
    with cupy.cuda.Device(index):
        return cupy.cuda.get_current_stream()


# ----------------------------------------------------------------------------
# Arrays
# ----------------------------------------------------------------------------

def array_module(array):
    """``numpy`` or ``cupy``: the module that computes on ``array`` (Chainer's ``get_array_module``)."""
    if type(array) is numpy.ndarray or cupy is None:
        return numpy
    return cupy.get_array_module(array)


def module_for(dev: device):
    return cupy if dev.type == "cuda" else numpy


def device_of(array) -> device:
    if type(array) is numpy.ndarray or cupy is None or not isinstance(array, cupy.ndarray):
        return CPU
    return device("cuda", array.device.id)


def to_device(array, dev: device):
    """A copy of ``array`` on ``dev`` (the same array when it already lives there)."""
    if dev.type == "cpu":
        return cupy.asnumpy(array) if cupy is not None and isinstance(array, cupy.ndarray) else numpy.asarray(array)
    with cupy.cuda.Device(dev.index):
        return cupy.asarray(array)


def asarray(data, numpy_dtype=None, dev: device = CPU):
    """An array on ``dev`` from nested lists, numbers or an array (no copy when none is needed)."""
    if dev.type == "cpu":
        if cupy is not None and isinstance(data, cupy.ndarray):
            data = cupy.asnumpy(data)
        return numpy.asarray(data, dtype=numpy_dtype)
    with cupy.cuda.Device(dev.index):
        return cupy.asarray(data, dtype=numpy_dtype)


def ensure_array(value):
    """``value`` as an array: NumPy's reductions over all axes return scalars, which become 0-d arrays."""
    if cupy is not None and isinstance(value, cupy.ndarray):
        return value
    return numpy.asarray(value)


# The dtypes ``cupyx.scatter_add`` adds with CUDA's atomicAdd; the others (int64 among them) go through the host.
_GPU_SCATTER_ADD_DTYPES = tuple(numpy.dtype(d) for d in (numpy.int32, numpy.uint32, numpy.uint64, numpy.float16,
                                                         numpy.float32, numpy.float64))


def in_dtype_of(x, result):
    """``result`` in ``x``'s dtype (itself when it already is). ml_dtypes' bfloat16 arrays turn float32 in
    matmul, beside a Python float and in ``clip``, where PyTorch keeps bfloat16."""
    return result.astype(x.dtype, copy=False)


def matmul(a, b):
    """``a @ b`` in the operands' dtype: ml_dtypes' bfloat16 product accumulates in float32, as PyTorch's
    does, and is rounded to bfloat16, as PyTorch's result is."""
    return in_dtype_of(a, a @ b)


def einsum(equation: str, *operands, optimize=False):
    """``einsum`` in the operands' dtype; NumPy's einsum takes no bfloat16, so those go through float32."""
    xp = array_module(operands[0])
    dtype = operands[0].dtype
    if dtype.kind != "V":
        return xp.einsum(equation, *operands, optimize=optimize)
    widened = [operand.astype(numpy.float32) for operand in operands]
    return xp.einsum(equation, *widened, optimize=optimize).astype(dtype)


def scatter_add(xp, target, index, values):
    """``target[index] += values`` with repeated indices adding up (``np.add.at``)."""
    if xp is numpy:
        numpy.add.at(target, index, values)
    elif target.dtype in _GPU_SCATTER_ADD_DTYPES:
        import cupyx  # only reached with CuPy arrays
        cupyx.scatter_add(target, index, values)
    else:
        _ufunc_at_on_host(numpy.add, target, index, values)


def scatter_multiply(xp, target, index, values):
    """``target[index] *= values`` with repeated indices multiplying up (``np.multiply.at``).

    CuPy has no ``multiply.at``: on a GPU this rare path runs on the host.
    """
    if xp is numpy:
        numpy.multiply.at(target, index, values)
    else:
        _ufunc_at_on_host(numpy.multiply, target, index, values)


def _ufunc_at_on_host(ufunc, target, index, values):
    """``ufunc.at`` on a GPU array, through a copy on the host (for what CuPy cannot do in place)."""
    host = cupy.asnumpy(target)
    index = index if isinstance(index, tuple) else (index,)
    host_index = tuple(cupy.asnumpy(i) if isinstance(i, cupy.ndarray) else i for i in index)
    ufunc.at(host, host_index, cupy.asnumpy(values))
    target[...] = cupy.asarray(host)


def reshape_view(array, shape):
    """``array`` seen with ``shape`` without copying, or None when that needs a copy."""
    try:
        view = array.view()
        view.shape = shape
        return view
    except AttributeError:
        return None


# ----------------------------------------------------------------------------
# Random generators
# ----------------------------------------------------------------------------

class Generator:
    """A seeded source of random numbers for one device (``torch.Generator``).

    Draws come from NumPy's PCG64 on the CPU and CuPy's generator on a GPU, so
    the numbers differ from PyTorch's even for the same seed; their
    distributions are the same, and the same seed gives the same numbers.
    The state (``get_state``) is a uint8 tensor, as in PyTorch, but it holds
    PCG64's state (see ``_PCG64_STATE_LAYOUT``), not PyTorch's Mersenne Twister.
    """

    def __init__(self, device="cpu"):
        self.device = as_device(device)
        self.manual_seed(67280421310721)  # PyTorch's default seed

    def manual_seed(self, seed: int) -> "Generator":
        seed = int(seed)
        self._initial_seed = seed
        if self.device.type == "cuda":
            with device_context(self.device):
                self.engine = cupy.random.default_rng(seed & 0xFFFFFFFFFFFFFFFF)
        else:
            self.engine = numpy.random.Generator(numpy.random.PCG64(seed & 0xFFFFFFFFFFFFFFFF))
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; returns the new seed."""
        seed = int(numpy.random.SeedSequence().entropy) & 0xFFFFFFFFFFFFFFFF
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        return self._initial_seed

    def get_state(self):
        """The state as a 1-D uint8 Tensor (torch's ByteTensor), so that checkpoints carry it as data."""
        if self.device.type == "cuda":
            raise RuntimeError("minitorch cannot save the state of a CUDA generator; reseed it with manual_seed")
        from minitorch.tensor import Tensor  # Tensor sits above the backend: imported when first needed
        state = self.engine.bit_generator.state
        values = {"state": state["state"]["state"], "inc": state["state"]["inc"],
                  "has_uint32": state["has_uint32"], "uinteger": state["uinteger"]}
        raw = b"".join(values[name].to_bytes(size, "little") for name, size in _PCG64_STATE_LAYOUT)
        return Tensor._wrap(numpy.frombuffer(raw, numpy.uint8).copy())

    def set_state(self, new_state) -> "Generator":
        """Restore a state ``get_state`` returned; PyTorch's checks and exception types."""
        if self.device.type == "cuda":
            raise RuntimeError("minitorch cannot restore the state of a CUDA generator; reseed it with manual_seed")
        from minitorch.tensor import Tensor
        if not isinstance(new_state, Tensor):
            kind = type(new_state)
            name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
            raise TypeError(f"expected a ByteTensor (a uint8 Tensor), but got {name}")
        if new_state.dtype is not uint8:
            raise TypeError("RNG state must be a ByteTensor (a uint8 Tensor)")
        if not new_state.is_contiguous():
            raise RuntimeError("RNG state must be contiguous")
        raw = to_device(new_state._data, CPU).tobytes()
        if len(raw) != _PCG64_STATE_SIZE:
            raise RuntimeError(f"Expected a PCG64 generator state of size {_PCG64_STATE_SIZE} but found the input "
                               f"RNG state size to be {len(raw)}")
        values, offset = {}, 0
        for name, size in _PCG64_STATE_LAYOUT:
            values[name] = int.from_bytes(raw[offset:offset + size], "little")
            offset += size
        self.engine.bit_generator.state = {
            "bit_generator": "PCG64", "state": {"state": values["state"], "inc": values["inc"]},
            "has_uint32": values["has_uint32"], "uinteger": values["uinteger"]}
        return self

    # -- draws: arrays on this generator's device ------------------------------------------

    def _floats(self, method: str, shape, numpy_dtype):
        """Floats from ``engine.<method>``; the engines draw float32 and float64, so half goes through float."""
        numpy_dtype = numpy.dtype(numpy_dtype)
        draw_dtype = numpy.float32 if numpy_dtype == numpy.float16 else numpy_dtype
        with device_context(self.device):
            return getattr(self.engine, method)(shape, dtype=draw_dtype).astype(numpy_dtype, copy=False)

    def random(self, shape, numpy_dtype=numpy.float64):
        """Uniform on [0, 1)."""
        draws = self._floats("random", shape, numpy_dtype)
        if draws.dtype == numpy.float16:  # float32 draws just below 1 round up to 1 in half
            with device_context(self.device):
                draws = module_for(self.device).minimum(draws, numpy.float16(1 - 2 ** -11))
        return draws

    def standard_normal(self, shape, numpy_dtype=numpy.float64):
        return self._floats("standard_normal", shape, numpy_dtype)

    def integers(self, low: int, high: int, shape):
        """int64 values uniform on [low, high)."""
        with device_context(self.device):
            return self.engine.integers(low, high, size=shape, dtype=numpy.int64)

    def permutation(self, n: int):
        """0 .. n-1 in random order (int64)."""
        with device_context(self.device):
            if self.device.type == "cuda":  # CuPy's generator has no permutation: sort random keys
                return self.engine.random(n).argsort()
            return self.engine.permutation(n)


# The CPU generator's state as bytes, all little-endian (a fixed layout, so a checkpoint written on one machine
# restores on another): PCG64's 128-bit state and increment, then the spare half of the last 64-bit draw that
# NumPy keeps for 32-bit draws (a flag and the value).
_PCG64_STATE_LAYOUT = (("state", 16), ("inc", 16), ("has_uint32", 4), ("uinteger", 4))
_PCG64_STATE_SIZE = sum(size for _, size in _PCG64_STATE_LAYOUT)

_default_generators: dict = {}
_last_manual_seed = None  # so that a GPU's generator made after manual_seed starts from it too
_generator_lock = threading.Lock()


def default_generator(dev: device = CPU) -> Generator:
    with _generator_lock:
        if dev not in _default_generators:
            generator = Generator(dev)
            if _last_manual_seed is not None:
                generator.manual_seed(_last_manual_seed)
            _default_generators[dev] = generator
        return _default_generators[dev]


def manual_seed(seed: int) -> Generator:
    """Seed every device's default generator; returns the CPU one, as ``torch.manual_seed`` does."""
    global _last_manual_seed
    _last_manual_seed = int(seed)
    for generator in list(_default_generators.values()):
        generator.manual_seed(seed)
    return default_generator(CPU)
