"""Autocast's state and casting policy: which ops run in low precision, which in float32.

This is the ops-layer half of mixed precision (``minitorch.amp`` builds the
public ``autocast`` context manager on it; imports only point downwards).
Each listed op's public function carries ``@autocast_op``. Outside an
autocast region the wrapper reads one flag and calls the op. Inside one it
casts the op's floating inputs as PyTorch's autocast does
(``aten/src/ATen/autocast_mode.cpp``; the CPU and CUDA lists differ), then
runs the op with autocast off, so the ops it calls are not cast again:

- ``lower_precision_fp``: matmul, linear, convolution, attention run in the
  autocast dtype (float16 or bfloat16);
- ``fp32``: losses (and, on CUDA, norms and the functions that overflow in
  half, such as exp and pow) run in float32;
- ``fp32_set_opt_dtype``: softmax, sum, cumsum, prod (CUDA) accumulate in
  float32 unless the caller chose a ``dtype``;
- ``promote``: ops over several inputs run in the widest input dtype.

Casts are the differentiable ``to``, so gradients flow back to the original
dtypes. A cast of a float32 leaf that requires grad (a weight) is cached
until the outermost region ends, so a weight used twice is cast once.

NumPy's float16 matmul does not use BLAS, and bfloat16 arithmetic (ml_dtypes)
would round every intermediate of a composite op such as attention. So on
the CPU a low-precision op is emulated as hardware does it: inputs rounded
to the low dtype, arithmetic in float32, the result rounded to the low dtype.
"""
from __future__ import annotations

import functools
import inspect
import threading

from minitorch import backend
from minitorch.ops.conversion import to_dtype
from minitorch.tensor import Tensor

LOWER_PRECISION_FP = "lower_precision_fp"
FP32 = "fp32"
FP32_SET_OPT_DTYPE = "fp32_set_opt_dtype"
PROMOTE = "promote"
BANNED = "banned"

_LOWER_PRECISION_OPS = ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
                        "mm", "bmm", "addmm", "baddbmm", "addbmm", "matmul", "linear", "einsum", "prelu",
                        "scaled_dot_product_attention")
_LOSSES = ("cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div",
           "binary_cross_entropy_with_logits", "margin_ranking_loss", "soft_margin_loss", "hinge_embedding_loss",
           "cosine_embedding_loss", "poisson_nll_loss", "triplet_margin_loss", "multilabel_margin_loss",
           "multi_margin_loss")

# Per device type: op name -> cast policy (ops not named run unchanged). From PyTorch's autocast op reference.
POLICIES = {
    "cpu": {
        **dict.fromkeys(_LOWER_PRECISION_OPS, LOWER_PRECISION_FP),
        **dict.fromkeys(_LOSSES + ("binary_cross_entropy", "prod", "cdist"), FP32),
    },
    "cuda": {
        **dict.fromkeys(_LOWER_PRECISION_OPS + ("mv", "addmv", "addr", "chain_matmul", "multi_dot"),
                        LOWER_PRECISION_FP),
        **dict.fromkeys(_LOSSES + ("acos", "asin", "cosh", "erfinv", "exp", "expm1", "log", "log10", "log2", "log1p",
                                   "reciprocal", "rsqrt", "sinh", "tan", "pow", "softplus", "layer_norm",
                                   "group_norm", "norm", "cosine_similarity", "dist", "pdist", "cdist", "renorm",
                                   "logsumexp", "interpolate"), FP32),
        **dict.fromkeys(("softmax", "log_softmax", "sum", "prod", "cumsum", "cumprod"), FP32_SET_OPT_DTYPE),
        **dict.fromkeys(("addcdiv", "addcmul", "atan2", "bilinear", "cross", "dot", "tensordot", "scatter_add",
                         "index_put"), PROMOTE),
        "binary_cross_entropy": BANNED,
    },
}
DEVICE_TYPES = tuple(POLICIES)
DEFAULT_DTYPES = {"cpu": backend.bfloat16, "cuda": backend.float16}

_BANNED_MESSAGE = (
    "torch.nn.functional.binary_cross_entropy and torch.nn.BCELoss are unsafe to autocast.\n"
    "Many models use a sigmoid layer right before the binary cross entropy layer.\n"
    "In this case, combine the two layers using torch.nn.functional.binary_cross_entropy_with_logits\n"
    "or torch.nn.BCEWithLogitsLoss.  binary_cross_entropy_with_logits and BCEWithLogits are\n"
    "safe to autocast.")


class _ThreadState(threading.local):
    """Each thread's autocast state (thread-local, as in PyTorch); class attributes are a new thread's defaults.

    ``active`` (some device type is enabled) is the one flag a listed op reads outside a region.
    """

    active = False
    cache_enabled = True
    nesting = 0

    def __init__(self):
        self.enabled = dict.fromkeys(DEVICE_TYPES, False)
        self.dtype = dict(DEFAULT_DTYPES)
        self.cache = {}  # id(weight) -> (weight, its cast): the weight is kept so its id stays unique


_state = _ThreadState()


def _check_device_type(device_type: str) -> None:
    if device_type not in POLICIES:
        raise RuntimeError(f"unsupported autocast device_type '{device_type}'")


def is_autocast_available(device_type: str) -> bool:
    return device_type in POLICIES


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    _check_device_type(device_type)
    return _state.enabled[device_type]


def set_autocast_enabled(device_type, enabled=None) -> None:
    """``set_autocast_enabled(device_type, enabled)``, or the legacy ``set_autocast_enabled(enabled)`` for CUDA."""
    if enabled is None:
        device_type, enabled = "cuda", device_type
    _check_device_type(device_type)
    _state.enabled[device_type] = bool(enabled)
    _state.active = any(_state.enabled.values())


def get_autocast_dtype(device_type: str) -> backend.dtype:
    _check_device_type(device_type)
    return _state.dtype[device_type]


def set_autocast_dtype(device_type: str, dtype: backend.dtype) -> None:
    _check_device_type(device_type)
    _state.dtype[device_type] = dtype


def is_autocast_cache_enabled() -> bool:
    return _state.cache_enabled


def set_autocast_cache_enabled(enabled: bool) -> None:
    _state.cache_enabled = bool(enabled)


def clear_autocast_cache() -> None:
    _state.cache.clear()


def autocast_increment_nesting() -> int:
    _state.nesting += 1
    return _state.nesting


def autocast_decrement_nesting() -> int:
    _state.nesting -= 1
    return _state.nesting


# ----------------------------------------------------------------------------
# Casting the arguments of one op
# ----------------------------------------------------------------------------

def _is_eligible(value, device_type: str) -> bool:
    """Autocast touches floating tensors on its device, never float64 ones."""
    return (isinstance(value, Tensor) and value.is_floating_point() and value.dtype is not backend.float64
            and value.device.type == device_type)


def _tensors(args):
    """The tensors among arguments, looking one level into lists and tuples (``cat``'s sequence)."""
    for value in args:
        if isinstance(value, (list, tuple)):
            yield from (item for item in value if isinstance(item, Tensor))
        elif isinstance(value, Tensor):
            yield value


def _cast(value, device_type: str, dtype: backend.dtype):
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(item, device_type, dtype) for item in value)
    if not _is_eligible(value, device_type) or value._data.dtype == dtype.numpy_dtype:
        return value
    cacheable = (_state.cache_enabled and dtype is _state.dtype[device_type] and value.requires_grad
                 and value.is_leaf and value.dtype is backend.float32)
    if not cacheable:
        return to_dtype(value, dtype)
    cached = _state.cache.get(id(value))
    if cached is None:
        cached = _state.cache[id(value)] = (value, to_dtype(value, dtype))
    return cached[1]


def _widest_dtype(tensors, device_type: str) -> backend.dtype:
    """``promote``: float32 if any eligible input is float32, else the autocast dtype."""
    for tensor in tensors:
        if _is_eligible(tensor, device_type) and tensor.dtype is backend.float32:
            return backend.float32
    return _state.dtype[device_type]


def _round_outputs(result, dtype: backend.dtype):
    if isinstance(result, tuple):
        return tuple(_round_outputs(item, dtype) for item in result)
    if isinstance(result, Tensor) and result.dtype.is_floating_point:
        return to_dtype(result, dtype)
    return result


def _run_cast(function, args, kwargs, device_type: str, dtype: backend.dtype):
    """``function`` on its inputs cast to ``dtype``; on the CPU, low precision is float32 arithmetic on
    rounded inputs."""
    args = _cast(args, device_type, dtype)
    kwargs = {name: _cast(value, device_type, dtype) for name, value in kwargs.items()}
    if dtype is backend.float32 or device_type == "cuda" and dtype is backend.float16:
        return function(*args, **kwargs)
    if not any(tensor.dtype is dtype for tensor in _tensors((*args, *kwargs.values()))):
        return function(*args, **kwargs)  # nothing was cast (float64 inputs): nothing to emulate
    args = _cast(args, device_type, backend.float32)
    kwargs = {name: _cast(value, device_type, backend.float32) for name, value in kwargs.items()}
    return _round_outputs(function(*args, **kwargs), dtype)


def _call_with_policy(function, dtype_position, args, kwargs):
    first = next(_tensors(args), None)
    device_type = "cpu" if first is None else first.device.type
    policy = POLICIES[device_type].get(function.__name__) if _state.enabled[device_type] else None
    if policy is None:
        return function(*args, **kwargs)
    if policy == BANNED:
        raise RuntimeError(_BANNED_MESSAGE)
    _state.active = False  # the op's own inner ops run as it asks, not cast again
    try:
        if policy == LOWER_PRECISION_FP:
            return _run_cast(function, args, kwargs, device_type, _state.dtype[device_type])
        if policy == FP32:
            return _run_cast(function, args, kwargs, device_type, backend.float32)
        if policy == PROMOTE:
            return _run_cast(function, args, kwargs, device_type, _widest_dtype(_tensors(args), device_type))
        # FP32_SET_OPT_DTYPE: accumulate in float32 unless the caller chose a dtype or the input is not eligible.
        dtype_given = len(args) > dtype_position or kwargs.get("dtype") is not None
        if _is_eligible(args[0], device_type) and not dtype_given:
            kwargs = {**kwargs, "dtype": backend.float32}
        return function(*args, **kwargs)
    finally:
        _state.active = True


def autocast_op(function):
    """Decorate an op's public function so that autocast regions cast its inputs by the op's policy (by name)."""
    parameters = list(inspect.signature(function).parameters)
    dtype_position = parameters.index("dtype") if "dtype" in parameters else len(parameters)

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if not _state.active:
            return function(*args, **kwargs)
        return _call_with_policy(function, dtype_position, args, kwargs)
    return wrapper
