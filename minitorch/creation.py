"""Making tensors: from data, filled with constants, ranges, and random draws.

Random draws go through a ``backend.Generator`` (the device's default one
unless a ``generator=`` is given), so ``minitorch.manual_seed`` makes a run
repeatable. The numbers differ from PyTorch's for the same seed; the
distributions are the same.
"""
from __future__ import annotations

import math
import numbers

import numpy

from minitorch import backend
from minitorch.tensor import Tensor


def _size(size) -> tuple:
    """``zeros(2, 3)``, ``zeros((2, 3))`` and ``zeros([2, 3])`` all mean shape (2, 3)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    shape = tuple(int(n) for n in size)
    if any(n < 0 for n in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: {list(shape)}")
    return shape


def _make(array, requires_grad: bool) -> Tensor:
    tensor = Tensor._wrap(array)
    if requires_grad:
        tensor.requires_grad = True
    return tensor


def _infer_dtype(data) -> backend.dtype:
    """The dtype ``minitorch.tensor(data)`` picks: bool, int64 or the default float, from the values."""
    if isinstance(data, Tensor):
        return data.dtype
    if hasattr(data, "dtype") and hasattr(data, "shape"):  # a NumPy or CuPy array keeps its dtype
        return backend.from_numpy_dtype(data.dtype)
    kinds = set()
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, Tensor):
            kinds.add(item._data.dtype.kind)
        elif isinstance(item, (bool, numpy.bool_)):
            kinds.add("b")
        elif isinstance(item, (numbers.Integral,)):
            kinds.add("i")
        elif isinstance(item, numbers.Real):
            kinds.add("f")
        else:
            raise TypeError(f"Could not infer dtype of {type(item).__name__}")
    if "f" in kinds:
        return backend.get_default_dtype()
    if "i" in kinds or "u" in kinds:
        return backend.int64
    if kinds == {"b"}:
        return backend.bool_
    return backend.get_default_dtype()  # empty data


def _nested_arrays(data):
    """Tensors inside lists become their CPU arrays, so NumPy can stack them."""
    if isinstance(data, Tensor):
        return backend.to_device(data._data, backend.CPU)
    if isinstance(data, (list, tuple)):
        return [_nested_arrays(item) for item in data]
    return data


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays or tensors)."""
    dtype = dtype or _infer_dtype(data)
    dev = backend.as_device(device if device is not None else
                            (data.device if isinstance(data, Tensor) else backend.device_of(data)))
    if isinstance(data, Tensor):
        array = data._data.astype(dtype.numpy_dtype, copy=True)
        array = backend.to_device(array, dev)
    else:
        source = _nested_arrays(data)
        array = backend.asarray(source, dtype.numpy_dtype, dev)
        if array is source or getattr(array, "base", None) is source:
            array = array.copy()
    return _make(array, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """A tensor over ``data``, sharing memory with it when dtype and device already match."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (device or dtype) else data
    dtype = dtype or _infer_dtype(data)
    dev = backend.as_device(device if device is not None else backend.device_of(data))
    return Tensor._wrap(backend.asarray(_nested_arrays(data), dtype.numpy_dtype, dev))


def from_numpy(array: numpy.ndarray) -> Tensor:
    """A tensor sharing memory with the NumPy ``array``: writes to one show in the other."""
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    backend.from_numpy_dtype(array.dtype)  # raises TypeError for unsupported dtypes
    return Tensor._wrap(array)


def _filled(shape, fill, dtype, device, requires_grad) -> Tensor:
    dtype = dtype or backend.get_default_dtype()
    xp = backend.module_for(backend.as_device(device))
    return _make(xp.full(shape, fill, dtype=dtype.numpy_dtype), requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    return _filled(_size(size), 0, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    return _filled(_size(size), 1, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, pin_memory=False, memory_format=None) -> Tensor:
    dtype = dtype or backend.get_default_dtype()
    xp = backend.module_for(backend.as_device(device))
    return _make(xp.empty(_size(size), dtype=dtype.numpy_dtype), requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if dtype is None:
        dtype = backend.scalar_dtype(fill_value.item() if isinstance(fill_value, Tensor) else fill_value)
    return _filled(_size((size,)), fill_value, dtype, device, requires_grad)


def _like(input: Tensor, dtype, device):
    return (dtype or input.dtype), (device if device is not None else input.device)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return zeros(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return ones(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return empty(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return full(input.shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype = dtype or backend.get_default_dtype()
    xp = backend.module_for(backend.as_device(device))
    return _make(xp.eye(n, n if m is None else m, dtype=dtype.numpy_dtype), requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from ``start`` up to (not including) ``end``; int64 unless a bound or step is a float."""
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        dtype = backend.get_default_dtype() if any(isinstance(v, float) for v in values) else backend.int64
    start, end, step = values
    count = max(math.ceil((end - start) / step), 0)
    xp = backend.module_for(backend.as_device(device))
    # Computed in float64 (or int64), then cast, as PyTorch does: start + i * step.
    array = (start + xp.arange(count, dtype=numpy.float64 if dtype.is_floating_point else numpy.int64) * step)
    return _make(array.astype(dtype.numpy_dtype), requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype = dtype or backend.get_default_dtype()
    xp = backend.module_for(backend.as_device(device))
    array = xp.linspace(start, end, int(steps), dtype=numpy.float64)
    if not dtype.is_floating_point:
        array = xp.trunc(array)
    return _make(array.astype(dtype.numpy_dtype), requires_grad)


# -- random -------------------------------------------------------------------------------

def _generator(generator, device) -> backend.Generator:
    if generator is not None:
        return generator
    return backend.default_generator(backend.as_device(device))


def _float_dtype(dtype) -> backend.dtype:
    dtype = dtype or backend.get_default_dtype()
    if not dtype.is_floating_point:
        raise RuntimeError(f"\"check_uniform_bounds\" not implemented for '{dtype.name}'")
    return dtype


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform on [0, 1)."""
    dtype = _float_dtype(dtype)
    draws = _generator(generator, device).engine.random(_size(size))
    return _make(draws.astype(dtype.numpy_dtype), requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal."""
    dtype = _float_dtype(dtype)
    draws = _generator(generator, device).engine.standard_normal(_size(size))
    return _make(draws.astype(dtype.numpy_dtype), requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Integers uniform on [low, high)."""
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dtype = dtype or backend.int64
    draws = _generator(generator, device).engine.integers(low, high, size=_size((size,)))
    return _make(draws.astype(dtype.numpy_dtype), requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A random permutation of 0 .. n-1."""
    dtype = dtype or backend.int64
    draws = _generator(generator, device).engine.permutation(int(n))
    return _make(draws.astype(dtype.numpy_dtype), requires_grad)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return rand(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return randn(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    if high is None:
        low, high = 0, low
    dtype, device = _like(input, dtype, device)
    return randint(low, high, input.shape, generator=generator, dtype=dtype, device=device,
                   requires_grad=requires_grad)


def _param(value):
    """A distribution parameter as an array broadcastable over the draw (a Tensor's values, or a number)."""
    return value._data if isinstance(value, Tensor) else value


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Draws from N(mean, std^2); ``mean`` and ``std`` may be tensors (elementwise parameters)."""
    like = mean if isinstance(mean, Tensor) else (std if isinstance(std, Tensor) else None)
    if like is not None:
        shape = numpy.broadcast_shapes(tuple(getattr(mean, "shape", ())), tuple(getattr(std, "shape", ())))
        dtype = dtype or like.dtype
        device = like.device
    else:
        if size is None:
            raise TypeError("normal() missing required argument 'size'")
        shape = _size((size,))
        dtype = dtype or backend.get_default_dtype()
    if isinstance(std, (int, float)) and std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    draws = _generator(generator, device).engine.standard_normal(shape)
    xp = backend.module_for(backend.as_device(device))
    values = _param(mean) + _param(std) * draws
    return _make(xp.asarray(values).astype(_float_dtype(dtype).numpy_dtype), requires_grad)


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """1 with probability ``input`` (or ``p``), else 0; same dtype as ``input``."""
    probabilities = input._data if p is None else _param(p)
    draws = _generator(generator, input.device).engine.random(input.shape)
    return Tensor._wrap((draws < probabilities).astype(input._data.dtype))


def multinomial(input, num_samples, replacement=False, *, generator=None) -> Tensor:
    """Indices drawn with the weights in each row of ``input`` (1-D or 2-D)."""
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    weights = backend.to_device(input._data, backend.CPU).astype(numpy.float64)
    rows = weights.reshape(-1, weights.shape[-1])
    if (rows < 0).any() or not numpy.isfinite(rows).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (rows.sum(axis=1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    engine = _generator(generator, backend.CPU).engine
    probabilities = rows / rows.sum(axis=1, keepdims=True)
    if replacement:
        # Inverse-CDF sampling for all rows at once.
        cumulative = probabilities.cumsum(axis=1)
        uniforms = engine.random((rows.shape[0], num_samples))
        samples = (uniforms[:, :, None] > cumulative[:, None, :]).sum(axis=2)
        samples = numpy.minimum(samples, rows.shape[1] - 1)
    else:
        # Gumbel top-k: sampling without replacement, vectorised over rows.
        keys = numpy.log(probabilities) - numpy.log(-numpy.log(engine.random(rows.shape)))
        samples = numpy.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    samples = samples.reshape(weights.shape[:-1] + (num_samples,)).astype(numpy.int64)
    return Tensor._wrap(backend.to_device(samples, input.device))


# -- helpers for the in-place random methods (Tensor.uniform_, normal_, ...) ---------------

def uniform_like(input, low, high, *, generator=None) -> Tensor:
    draws = _generator(generator, input.device).engine.random(input.shape)
    return Tensor._wrap((low + (high - low) * draws).astype(input._data.dtype))


def normal_like(input, mean, std, *, generator=None) -> Tensor:
    draws = _generator(generator, input.device).engine.standard_normal(input.shape)
    return Tensor._wrap((mean + std * draws).astype(input._data.dtype))
