"""Making tensors: from data, filled with constants, ranges, and random draws.

Each function follows its PyTorch twin in signature, result dtype and errors.
Arrays are allocated on the requested device (NumPy for ``cpu``, CuPy on the
right GPU for ``cuda:N``).

Random draws go through a ``backend.Generator`` (the device's default one
unless a ``generator=`` is given), so ``minitorch.manual_seed`` makes a run
repeatable. The numbers differ from PyTorch's for the same seed; the
distributions are the same.
"""
from __future__ import annotations

import collections.abc
import contextlib
import functools
import math
import numbers
import operator
import warnings

import numpy

from minitorch import backend
from minitorch.autograd.function import Function
from minitorch.tensor import Tensor, _type_name


# -- shapes, devices, results ---------------------------------------------------------------

def _size(size) -> tuple:
    """``zeros(2, 3)``, ``zeros((2, 3))`` and ``zeros([2, 3])`` all mean shape (2, 3)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return _shape(size)


def _shape(size) -> tuple:
    """A sequence of sizes as a tuple of ints; floats and negative sizes are refused as PyTorch refuses them."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"argument 'size' must be tuple of ints, not {type(size).__name__}")
    shape = []
    for n in size:
        try:
            shape.append(operator.index(n))
        except TypeError:
            raise TypeError(f"argument 'size' must be tuple of ints, but found element of type "
                            f"{type(n).__name__}") from None
    if any(n < 0 for n in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: {shape}")
    return tuple(shape)


@contextlib.contextmanager
def _allocating_on(device):
    """The array module for ``device`` (None: the CPU), with CuPy set to allocate on that GPU."""
    dev = backend.as_device(device)
    with backend.device_context(dev):
        yield backend.module_for(dev)


def _make(array, requires_grad: bool) -> Tensor:
    tensor = Tensor._wrap(array)
    if requires_grad:
        tensor.requires_grad = True  # refuses integer dtypes, as PyTorch does
    return tensor


# -- from data ------------------------------------------------------------------------------

_PYTHON_SCALARS = (bool, int, float)


def _python_scalar_dtype(kind) -> backend.dtype:
    """A Python bool is bool, an int is int64, a float the default dtype."""
    return {bool: backend.bool_, int: backend.int64}.get(kind) or backend.get_default_dtype()


def _promote(a, b):
    return b if a is None else (a if b is None else backend.promote_types(a, b))


def _infer_dtype(data):
    """The dtype ``tensor(data)`` picks, as PyTorch does: the promotion of every element's own dtype.

    Python numbers count as bool, int64 or the default float; NumPy numbers,
    arrays and tensors keep their dtype. None for empty data.
    """
    if isinstance(data, Tensor):
        return data.dtype
    if hasattr(data, "dtype") and hasattr(data, "shape"):  # NumPy/CuPy arrays and NumPy numbers
        return backend.from_numpy_dtype(data.dtype)
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, str):  # lists, tuples, ranges
        kinds = set(map(type, data))
        if kinds.issubset(_PYTHON_SCALARS):  # the common case: one set() per innermost list, not one call per number
            dtypes = [_python_scalar_dtype(kind) for kind in kinds]
        else:
            dtypes = [_infer_dtype(item) for item in data]
        return functools.reduce(_promote, dtypes, None)
    if isinstance(data, bool):
        return backend.bool_
    if isinstance(data, numbers.Integral):
        return backend.int64
    if isinstance(data, numbers.Real):
        return backend.get_default_dtype()
    if isinstance(data, str):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")


def _nested_arrays(data):
    """Tensors inside lists become their CPU arrays, so NumPy can stack them."""
    if isinstance(data, Tensor):
        return backend.to_device(data._data, backend.CPU)
    if isinstance(data, (list, tuple)) and not set(map(type, data)).issubset(_PYTHON_SCALARS):
        return [_nested_arrays(item) for item in data]
    return data


def _array(data, dtype: backend.dtype, dev: backend.device, copy: bool):
    """``data`` as an array of ``dtype`` on ``dev``: always a new array when ``copy``, else shared if possible."""
    source = _nested_arrays(data)
    try:
        array = backend.asarray(source, dtype.numpy_dtype, dev)
    except OverflowError:
        raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow") from None
    if copy and (array is source or getattr(array, "base", None) is not None):
        array = array.copy(order="K")  # PyTorch keeps a NumPy array's memory layout when copying it
    return array


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, NumPy arrays or tensors)."""
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
                      "or sourceTensor.detach().clone().requires_grad_(True), rather than "
                      "minitorch.tensor(sourceTensor).", UserWarning, stacklevel=2)
    dtype = dtype or _infer_dtype(data) or backend.get_default_dtype()
    dev = backend.as_device(device) if device is not None else _device_of(data)
    return _make(_array(data, dtype, dev, copy=True), requires_grad)


def _device_of(data) -> backend.device:
    return data.device if isinstance(data, Tensor) else backend.device_of(data)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """``data`` as a tensor, sharing its memory when the dtype and device already match (else a copy)."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype)
    dtype = dtype or _infer_dtype(data) or backend.get_default_dtype()
    dev = backend.as_device(device) if device is not None else _device_of(data)
    return Tensor._wrap(_array(data, dtype, dev, copy=False))


def from_numpy(array: numpy.ndarray) -> Tensor:
    """A tensor sharing memory with the NumPy ``array``: writes to one show in the other."""
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    backend.from_numpy_dtype(array.dtype)  # raises TypeError for dtypes minitorch lacks
    return Tensor._wrap(array)


# -- constants ------------------------------------------------------------------------------

def _filled(shape, fill_value, dtype, device, requires_grad) -> Tensor:
    dtype = dtype or backend.get_default_dtype()
    with _allocating_on(device) as xp:
        array = xp.full(shape, fill_value, dtype=dtype.numpy_dtype)
    return _make(array, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _filled(_size(size), 0, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _filled(_size(size), 1, dtype, device, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ``fill_value``; its dtype follows the value (bool, int64 or the default float)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _filled(_shape(size), fill_value, dtype or backend.scalar_dtype(fill_value), device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, pin_memory=False, memory_format=None) -> Tensor:
    """A tensor whose values are whatever the memory held (fast to make; fill it before reading)."""
    dtype = dtype or backend.get_default_dtype()
    with _allocating_on(device) as xp:
        array = xp.empty(_size(size), dtype=dtype.numpy_dtype)
    return _make(array, requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """The ``n`` x ``m`` identity matrix (``m`` defaults to ``n``)."""
    m = n if m is None else m
    for name, value in (("n", n), ("m", m)):
        if value < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {value}")
    dtype = dtype or backend.get_default_dtype()
    with _allocating_on(device) as xp:
        array = xp.eye(n, m, dtype=dtype.numpy_dtype)
    return _make(array, requires_grad)


def _like(input: Tensor, dtype, device):
    """``*_like`` functions copy the input's dtype and device unless told otherwise."""
    return (dtype or input.dtype), (device if device is not None else input.device)


def _like_function(make):
    """``zeros_like`` from ``zeros``: the same tensor-making function, with the shape, dtype and device of
    ``input`` (dtype and device can be overridden)."""
    def like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
        dtype, device = _like(input, dtype, device)
        return make(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)
    like.__name__ = like.__qualname__ = f"{make.__name__}_like"
    like.__doc__ = f"``{make.__name__}`` with the shape, dtype and device of ``input``."
    return like


zeros_like = _like_function(zeros)
ones_like = _like_function(ones)
empty_like = _like_function(empty)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return full(input.shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


# -- ranges ---------------------------------------------------------------------------------

def _number(value):
    return value.item() if isinstance(value, Tensor) else value


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from ``start`` up to (not including) ``end``, ``step`` apart.

    int64 unless a bound or the step is a float. As in PyTorch the length is
    ``ceil((end - start) / step)`` and value i is ``start + i * step``
    computed in float64; an integer dtype truncates start, end and step first.
    """
    if end is None:
        start, end = 0, start
    start, end, step = _number(start), _number(end), _number(step)
    if dtype is None:
        integral = all(isinstance(value, numbers.Integral) for value in (start, end, step))
        dtype = backend.int64 if integral else backend.get_default_dtype()
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if not dtype.is_floating_point:
        start, end, step = int(start), int(end), int(step)
        if step == 0:  # a fractional step truncated away
            raise ValueError("step must be nonzero")
    if dtype.is_floating_point:
        count, index_dtype = math.ceil((end - start) / step), numpy.float64
    else:
        count, index_dtype = -((start - end) // step), numpy.int64  # ceil division in exact integers
    with _allocating_on(device) as xp:
        array = (start + xp.arange(count, dtype=index_dtype) * step).astype(dtype.numpy_dtype)
    return _make(array, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` values evenly spaced from ``start`` to ``end``, both ends included."""
    start, end, steps = _number(start), _number(end), operator.index(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = dtype or backend.get_default_dtype()
    if not dtype.is_floating_point:
        start, end = int(start), int(end)
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    with _allocating_on(device) as xp:
        index = xp.arange(steps, dtype=numpy.float64)
        # PyTorch counts the first half up from start and the second half down from end, so both ends are exact.
        values = xp.where(index < steps // 2, start + step * index, end - step * (steps - 1 - index))
        if steps == 1:
            values = xp.full(1, start, dtype=numpy.float64)
        array = values.astype(dtype.numpy_dtype)  # an integer dtype truncates, as a C cast does
    return _make(array, requires_grad)


# -- random ---------------------------------------------------------------------------------

def _generator(generator, device) -> backend.Generator:
    """``generator``, or the default generator of ``device`` (the CPU when None)."""
    dev = backend.as_device(device)
    if generator is None:
        return backend.default_generator(dev)
    if generator.device.type != dev.type:
        raise RuntimeError(f"Expected a '{dev.type}' device type for generator but found "
                           f"'{generator.device.type}'")
    return generator


def _check_floating(dtype: backend.dtype, kernel: str) -> backend.dtype:
    if not dtype.is_floating_point:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(dtype)}'")
    return dtype


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform on [0, 1)."""
    dtype = _check_floating(dtype or backend.get_default_dtype(), "check_uniform_bounds")
    draws = _generator(generator, device).random(_size(size), dtype.numpy_dtype)
    return _make(draws, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal: mean 0, standard deviation 1."""
    dtype = _check_floating(dtype or backend.get_default_dtype(), "normal_kernel_cpu")
    draws = _generator(generator, device).standard_normal(_size(size), dtype.numpy_dtype)
    return _make(draws, requires_grad)


def _check_integer_range(low: int, high: int, dtype: backend.dtype) -> None:
    """[low, high) must be non-empty and, for an integer dtype, representable in it."""
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if not dtype.is_floating_point:
        info = numpy.iinfo(numpy.uint8) if dtype is backend.bool_ else numpy.iinfo(dtype.numpy_dtype)
        top = 1 if dtype is backend.bool_ else info.max
        if low < info.min:
            raise RuntimeError(f"from is out of bounds for {dtype.name}")
        if high - 1 > top:
            raise RuntimeError(f"to - 1 is out of bounds for {dtype.name}")


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Integers uniform on [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None and isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    low, high = operator.index(_number(low)), operator.index(_number(high))
    dtype = dtype or backend.int64
    _check_integer_range(low, high, dtype)
    draws = _generator(generator, device).integers(low, high, _shape(size))
    return _make(draws.astype(dtype.numpy_dtype), requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A random permutation of 0 .. n-1."""
    dtype = dtype or backend.int64
    if dtype is backend.bool_:
        raise NotImplementedError("\"randperm\" not implemented for 'Bool'")
    n = _shape([n])[0]
    draws = _generator(generator, device).permutation(n)
    return _make(draws.astype(dtype.numpy_dtype), requires_grad)


rand_like = _like_function(rand)
randn_like = _like_function(randn)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    if high is None:
        low, high = 0, low
    dtype, device = _like(input, dtype, device)
    return randint(low, high, input.shape, generator=generator, dtype=dtype, device=device,
                   requires_grad=requires_grad)


class _Normal(Function):
    """mean + std * noise, for tensor ``mean``/``std``.

    PyTorch does not differentiate through the noise: ``normal``'s gradient
    with respect to mean and std is zero (reparameterise by hand,
    ``mean + std * randn_like(mean)``, to get the pathwise gradient).
    """

    @staticmethod
    def forward(ctx, mean, std, noise, numpy_dtype):
        return (mean + std * noise).astype(numpy_dtype, copy=False)

    @staticmethod
    def backward(ctx, grad_output):
        zero = zeros_like(grad_output)
        return zero, zero, None, None


def _std_ok(std) -> bool:
    return bool((std._data >= 0).all()) if isinstance(std, Tensor) else std >= 0


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Draws from N(mean, std²). Four forms, as PyTorch's:

    ``normal(mean_tensor, std=1.0)``, ``normal(mean, std_tensor)`` and
    ``normal(mean_tensor, std_tensor)`` draw one value per element of the
    (broadcast) parameters; ``normal(mean, std, size)`` draws ``size`` values.
    """
    tensors = [value for value in (mean, std) if isinstance(value, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments: "
                            "expected a tensor mean or std, or a size")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        draws = _generator(generator, device).standard_normal(_shape(size), numpy.float64)
        dtype = _check_floating(dtype or backend.get_default_dtype(), "normal_kernel_cpu")
        return _make((mean + std * draws).astype(dtype.numpy_dtype), requires_grad)
    if not _std_ok(std):
        raise RuntimeError("normal expects all elements of std >= 0.0" if isinstance(std, Tensor) else
                           f"normal expects std >= 0.0, but found std {std:g}")
    dtype = _check_floating(functools.reduce(backend.promote_types, [t.dtype for t in tensors]), "normal_kernel_cpu")
    shape = numpy.broadcast_shapes(*(tuple(t.shape) for t in tensors))
    noise = _generator(generator, tensors[0].device).standard_normal(shape, dtype.numpy_dtype)
    return _Normal.apply(mean, std, noise, dtype.numpy_dtype)


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """1 with probability ``input`` (or ``p``, when given), else 0; the dtype and shape of ``input``."""
    if p is None:
        _check_floating(input.dtype, "bernoulli_tensor_cpu_p_")
        if not bool(((input._data >= 0) & (input._data <= 1)).all()):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
        probabilities = input._data
    elif isinstance(p, Tensor):
        probabilities = p._data
    else:
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
        probabilities = p
    draws = _generator(generator, input.device).random(input.shape)
    return Tensor._wrap((draws < probabilities).astype(input._data.dtype))


def multinomial(input, num_samples, replacement=False, *, generator=None) -> Tensor:
    """Category indices drawn with the (unnormalised) weights in each row of ``input`` (1-D or 2-D)."""
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.is_floating_point():
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {_type_name(input.dtype)}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    weights = backend.to_device(input._data, backend.CPU).astype(numpy.float64)
    rows = weights.reshape(-1, weights.shape[-1])
    categories = rows.shape[1]
    if (rows < 0).any() or not numpy.isfinite(rows).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (rows.sum(axis=1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and num_samples > categories:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    engine = _generator(generator, backend.CPU)
    probabilities = rows / rows.sum(axis=1, keepdims=True)
    if replacement:
        # Inverse CDF: category i is drawn when u falls in [cdf[i-1], cdf[i]).
        cumulative = probabilities.cumsum(axis=1)
        uniforms = engine.random((rows.shape[0], num_samples))
        samples = numpy.stack([numpy.searchsorted(cdf, u, side="right") for cdf, u in zip(cumulative, uniforms)])
        samples = numpy.minimum(samples, categories - 1)  # u just below 1 when the cdf rounds to below 1
    else:
        # Gumbel top-k: the k largest of log(p) + Gumbel noise are a draw without replacement.
        with numpy.errstate(divide="ignore"):  # log(0) = -inf: a zero weight comes last
            keys = numpy.log(probabilities) - numpy.log(-numpy.log(engine.random(rows.shape)))
        samples = numpy.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    samples = samples.reshape(weights.shape[:-1] + (num_samples,)).astype(numpy.int64)
    return Tensor._wrap(backend.to_device(samples, input.device))


# -- the in-place random methods (Tensor.uniform_, normal_, random_) draw through these -------

def uniform_like(input, low=0.0, high=1.0, *, generator=None) -> Tensor:
    """Uniform on [low, high), with ``input``'s shape, dtype and device."""
    _check_floating(input.dtype, "check_uniform_bounds")
    if low > high:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={low} > to={high}")
    draws = _generator(generator, input.device).random(input.shape, input._data.dtype)
    draws *= high - low  # in place: the draws are a fresh array (a model's init fills millions of weights)
    draws += low
    return Tensor._wrap(draws)


def normal_like(input, mean=0.0, std=1.0, *, generator=None) -> Tensor:
    """N(mean, std²), with ``input``'s shape, dtype and device."""
    _check_floating(input.dtype, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    draws = _generator(generator, input.device).standard_normal(input.shape, input._data.dtype)
    draws *= std  # in place, as in uniform_like
    draws += mean
    return Tensor._wrap(draws)


def random_like(input, low=None, high=None, *, generator=None) -> Tensor:
    """Integers for ``Tensor.random_``: ``random_()``, ``random_(to)`` or ``random_(from, to)``.

    With no bounds, [0, 2**mantissa] for a float dtype (every integer it holds
    exactly) and [0, max] for an integer dtype, as in PyTorch.
    """
    if low is None:
        if input.is_floating_point():
            low, high = 0, 2 ** (numpy.finfo(input._data.dtype).nmant + 1) + 1
        else:
            low, high = 0, (1 if input.dtype is backend.bool_ else int(numpy.iinfo(input._data.dtype).max)) + 1
    elif high is None:
        low, high = 0, low
    _check_integer_range(low, high, input.dtype)
    draws = _generator(generator, input.device).integers(low, high, input.shape)
    return Tensor._wrap(draws.astype(input._data.dtype))
