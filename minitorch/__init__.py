"""minitorch: PyTorch's core, written to be read.

``import minitorch as torch`` runs PyTorch programs on NumPy (CPU) or CuPy (GPU).
Layers, bottom to top: ``backend`` (arrays, dtypes, devices), ``tensor`` and
``autograd`` (the graph and the engine), ``ops`` (each differentiable op),
then ``nn``, ``optim``, ``utils.data`` and the rest, built on the public API.
"""
from minitorch import backend
from minitorch.backend import (
    bfloat16, bool_ as bool, device, dtype, float16, float32, float64, get_default_dtype, int8, int16, int32, int64,
    manual_seed, promote_types, set_default_dtype, uint8, Generator,
)
from minitorch.backend import float16 as half, float32 as float, float64 as double  # noqa: A001
from minitorch.backend import int16 as short, int32 as int, int64 as long  # noqa: A001
from minitorch.tensor import Size, Tensor
from minitorch import autograd
from minitorch.autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from minitorch.autograd.grad_mode import is_inference_mode_enabled
from minitorch.autograd.anomaly_mode import is_anomaly_enabled, set_detect_anomaly_state as set_anomaly_enabled
from minitorch.creation import (
    arange, as_tensor, bernoulli, empty, empty_like, eye, from_numpy, full, full_like, linspace, multinomial,
    normal, ones, ones_like, rand, rand_like, randint, randint_like, randn, randn_like, randperm, tensor, zeros,
    zeros_like,
)
from minitorch.ops.elementwise import *  # noqa: F401,F403  (each family lists its public ops in __all__)
from minitorch.ops.reduction import *  # noqa: F401,F403
from minitorch.ops.shape import *  # noqa: F401,F403
from minitorch.ops.indexing import *  # noqa: F401,F403
from minitorch.ops.linalg import *  # noqa: F401,F403
from minitorch.ops.conversion import clone  # noqa: F401
from minitorch.ops.activation import erf  # noqa: F401
from minitorch._printing import set_printoptions  # noqa: F401
from minitorch import cuda
from minitorch.random import get_rng_state, set_rng_state  # noqa: F401  (fork_rng stays in minitorch.random)

__version__ = "0.1.0"


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:
    return input.is_floating_point()


def numel(input: Tensor) -> int:
    return input.numel()


def is_complex(input: Tensor) -> bool:
    return input.is_complex()


def equal(input: Tensor, other: Tensor) -> bool:
    """True if both have the same size and elements (dtypes may differ)."""
    if not isinstance(other, Tensor):
        raise TypeError(f"equal(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    return input.equal(other)


def allclose(input: Tensor, other: Tensor, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return input.allclose(other, rtol, atol, equal_nan)


def detach(input: Tensor) -> Tensor:
    return input.detach()


def clamp_min(input: Tensor, min) -> Tensor:
    return input.clamp_min(min)


def clamp_max(input: Tensor, max) -> Tensor:
    return input.clamp_max(max)


def result_type(tensor1, tensor2) -> dtype:
    return backend.result_type(tensor1, tensor2)


def can_cast(from_: dtype, to: dtype) -> bool:
    """Whether a value of ``from_`` may be written into ``to`` by an in-place op (no lower category)."""
    def category(d):
        return 2 if d.is_floating_point else (0 if d is backend.bool_ else 1)
    return category(from_) <= category(to)


default_generator = backend.default_generator()  # the CPU generator (manual_seed reseeds it in place)


def seed() -> int:
    return backend.default_generator().seed()


def initial_seed() -> int:
    return backend.default_generator().initial_seed()

from minitorch import nn  # noqa: E402,F401  (nn builds on everything above)
from minitorch import optim  # noqa: E402,F401  (optim builds on nn's Parameter)
from minitorch.serialization import load, save  # noqa: E402,F401  (checkpoints build on nn)
from minitorch import utils  # noqa: E402,F401  (utils.data, as torch imports torch.utils)
from minitorch import amp  # noqa: E402,F401  (mixed precision builds on ops and optim)
from minitorch.amp import autocast  # noqa: E402,F401  (torch.autocast)
from minitorch.ops.autocast import (  # noqa: E402,F401
    autocast_decrement_nesting, autocast_increment_nesting, clear_autocast_cache, get_autocast_dtype,
    is_autocast_cache_enabled, is_autocast_enabled, set_autocast_cache_enabled, set_autocast_dtype,
    set_autocast_enabled,
)
from minitorch import distributed  # noqa: E402,F401  (collectives; mpi4py is imported only when used)
from minitorch import viz  # noqa: E402,F401  (graph drawing builds on autograd)
