"""The one helper every parity test uses: run an op in minitorch and in PyTorch on the same
NumPy inputs, then compare forward values, dtypes and gradients.

Backward is seeded with a random upstream gradient, never ``.sum()`` (the sum of a
softmax is constant and would hide a broken backward). The tolerance policy is
written down once, here, per dtype.
"""
from __future__ import annotations

import numpy as np
import torch

import minitorch

# (rtol, atol) per dtype, for forward values and for gradients. float32 differences come from
# different libm/BLAS implementations and summation orders; float16 from rounding at each op.
TOLERANCES = {
    np.dtype(np.float16): (2e-3, 2e-3),
    np.dtype(np.float32): (2e-5, 2e-5),
    np.dtype(np.float64): (1e-9, 1e-10),
}
GRAD_TOLERANCES = {
    np.dtype(np.float16): (1e-2, 1e-2),
    np.dtype(np.float32): (1e-4, 1e-4),
    np.dtype(np.float64): (1e-8, 1e-9),
}

TORCH_DTYPES = {
    minitorch.float16: torch.float16, minitorch.float32: torch.float32, minitorch.float64: torch.float64,
    minitorch.int8: torch.int8, minitorch.int16: torch.int16, minitorch.int32: torch.int32,
    minitorch.int64: torch.int64, minitorch.uint8: torch.uint8, minitorch.bool: torch.bool,
}


def to_numpy(value):
    """A minitorch or torch tensor as a NumPy array (a copy, detached)."""
    if isinstance(value, minitorch.Tensor):
        return np.array(value.detach().cpu().numpy())
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy(force=True).copy()  # force: torch's ZeroTensor gradients
    return np.asarray(value)


def assert_same(actual, expected, tolerances=TOLERANCES, what="output"):
    """A minitorch result equals a torch result: same shape, same dtype, close values."""
    if isinstance(expected, (tuple, list)):
        assert isinstance(actual, (tuple, list)), f"{what}: expected a sequence, got {type(actual).__name__}"
        assert len(actual) == len(expected), f"{what}: {len(actual)} results, torch gives {len(expected)}"
        for index, (a, e) in enumerate(zip(actual, expected)):
            assert_same(a, e, tolerances, f"{what}[{index}]")
        return
    if isinstance(expected, torch.Tensor):
        assert isinstance(actual, minitorch.Tensor), f"{what}: expected a Tensor, got {type(actual).__name__}"
        assert tuple(actual.shape) == tuple(expected.shape), \
            f"{what}: shape {tuple(actual.shape)}, torch gives {tuple(expected.shape)}"
        assert TORCH_DTYPES[actual.dtype] == expected.dtype, f"{what}: dtype {actual.dtype}, torch gives {expected.dtype}"
        actual_array, expected_array = to_numpy(actual), to_numpy(expected)
        if expected_array.dtype.kind == "f":
            rtol, atol = tolerances[expected_array.dtype]
            np.testing.assert_allclose(actual_array, expected_array, rtol=rtol, atol=atol, equal_nan=True,
                                       err_msg=f"{what} differs from torch")
        else:
            np.testing.assert_array_equal(actual_array, expected_array, err_msg=f"{what} differs from torch")
        return
    assert actual == expected or (actual != actual and expected != expected), f"{what}: {actual} != torch's {expected}"


def _inputs(arrays, requires_grad):
    """The same inputs for both libraries: float arrays require grad unless told otherwise."""
    if requires_grad is None:
        requires_grad = [isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in arrays]
    elif isinstance(requires_grad, bool):
        requires_grad = [requires_grad and isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in arrays]
    ours, theirs = [], []
    for array, grad in zip(arrays, requires_grad):
        if isinstance(array, np.ndarray):
            ours.append(minitorch.tensor(array, requires_grad=grad))
            theirs.append(torch.tensor(array, requires_grad=grad))
        else:  # a Python number or option passes through unchanged
            ours.append(array)
            theirs.append(array)
    return ours, theirs


def _float_outputs(outputs):
    outputs = outputs if isinstance(outputs, (tuple, list)) else (outputs,)
    return [o for o in outputs if getattr(o, "requires_grad", False)]


def check_against_torch(minitorch_fn, torch_fn, *arrays, requires_grad=None, seed=0, backward=True):
    """Forward values, dtypes and gradients of ``minitorch_fn`` equal those of ``torch_fn``.

    ``arrays`` are NumPy arrays (tensor inputs) or plain values passed through. Returns
    the minitorch result, for further checks.
    """
    ours, theirs = _inputs(arrays, requires_grad)
    expected = torch_fn(*theirs)
    actual = minitorch_fn(*ours)
    assert_same(actual, expected)
    if not backward:
        return actual
    expected_outputs = _float_outputs(expected)
    actual_outputs = _float_outputs(actual)
    assert len(actual_outputs) == len(expected_outputs), \
        f"{len(actual_outputs)} outputs require grad, torch has {len(expected_outputs)}"
    if not expected_outputs:
        return actual
    generator = np.random.default_rng(seed)
    upstream = [generator.standard_normal(tuple(o.shape)).astype(to_numpy(o).dtype) for o in expected_outputs]
    torch.autograd.backward(expected_outputs, [torch.tensor(g) for g in upstream])
    minitorch.autograd.backward(actual_outputs, [minitorch.tensor(g) for g in upstream])
    for index, (mine, reference) in enumerate(zip(ours, theirs)):
        if isinstance(reference, torch.Tensor) and reference.requires_grad:
            assert_same_grad(mine.grad, reference.grad, f"grad of input {index}")
    return actual


def assert_same_grad(grad, reference, what):
    """A minitorch ``.grad`` equals torch's: both absent (or ours all zeros), or close."""
    if reference is None:
        assert grad is None or not to_numpy(grad).any(), f"{what}: torch has none"
    else:
        assert grad is not None, f"{what} is None, torch has one"
        assert_same(grad, reference, GRAD_TOLERANCES, what)


def check_gradcheck(minitorch_fn, *arrays, double_backward=True, atol=1e-5, rtol=1e-3):
    """minitorch's gradients of ``minitorch_fn`` at float64 ``arrays`` match finite differences
    (``gradcheck``), and so do its second derivatives (``gradgradcheck``) when asked."""
    inputs = [minitorch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)
              if isinstance(a, np.ndarray) and a.dtype.kind == "f" else
              (minitorch.tensor(a) if isinstance(a, np.ndarray) else a) for a in arrays]
    assert minitorch.autograd.gradcheck(minitorch_fn, inputs, atol=atol, rtol=rtol)
    if double_backward:
        assert minitorch.autograd.gradgradcheck(minitorch_fn, inputs, atol=atol, rtol=rtol)


def check_double_backward_against_torch(minitorch_fn, torch_fn, *arrays, seed=0):
    """Second derivatives equal PyTorch's: the gradient of <grad(f), v> for random v and upstream u."""
    ours, theirs = _inputs([np.asarray(a, dtype=np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
                            else a for a in arrays], None)
    results = []
    for library, fn, inputs in ((torch, torch_fn, theirs), (minitorch, minitorch_fn, ours)):
        differentiable = [x for x in inputs if getattr(x, "requires_grad", False)]
        outputs = _float_outputs(fn(*inputs))
        local = np.random.default_rng(seed)
        upstream = [library.tensor(local.standard_normal(tuple(o.shape))) for o in outputs]
        grads = library.autograd.grad(outputs, differentiable, upstream, create_graph=True, allow_unused=True)
        directions = [library.tensor(local.standard_normal(tuple(x.shape))) for x in differentiable]
        total = sum((g * v).sum() for g, v in zip(grads, directions) if g is not None and g.requires_grad)
        if not isinstance(total, (library.Tensor,)):
            results.append(None)  # the first derivative is constant: nothing to differentiate
            continue
        results.append(library.autograd.grad(total, differentiable, allow_unused=True))
    expected, actual = results
    if expected is None:
        assert actual is None, "minitorch's first derivative depends on the inputs, torch's does not"
        return
    if actual is None:  # minitorch's first derivative is constant: torch's second derivative must be zero
        assert all(e is None or not to_numpy(e).any() for e in expected), "torch has a second derivative"
        return
    for index, (a, e) in enumerate(zip(actual, expected)):
        if e is None:
            assert a is None or not to_numpy(a).any(), f"second derivative {index}: torch has none"
        else:
            assert a is not None, f"second derivative {index} is None, torch has one"
            assert_same(a, e, GRAD_TOLERANCES, f"second derivative {index}")


MESSAGE_PREFIX = 40  # how many opening characters of PyTorch's error message must match


def _run(program, lib, arrays_in):
    try:
        return program(lib, *[a.copy() if isinstance(a, np.ndarray) else a for a in arrays_in]), None
    except Exception as error:  # noqa: BLE001  (the error is the result being compared)
        return None, error


def check_program(program, *inputs, message=True, tolerances=GRAD_TOLERANCES):
    """``program(torch, *inputs)`` and ``program(minitorch, *inputs)`` give the same results or errors."""
    expected, expected_error = _run(program, torch, inputs)
    actual, actual_error = _run(program, minitorch, inputs)
    if expected_error is not None:
        assert actual_error is not None, f"torch raises {expected_error!r}, minitorch returns {actual!r}"
        assert type(actual_error) is type(expected_error), f"torch raises {expected_error!r}, minitorch {actual_error!r}"
        if message:
            prefix = str(expected_error)[:MESSAGE_PREFIX]
            assert str(actual_error).startswith(prefix), f"torch says {expected_error}, minitorch says {actual_error}"
        return actual_error
    if actual_error is not None:
        raise actual_error
    assert_same(actual, expected, tolerances)
    return actual


def leaf(lib, array, requires_grad=True):
    return lib.tensor(array, requires_grad=requires_grad)


def version(tensor):
    """PyTorch's ``tensor._version`` (minitorch's ``_version`` is the shared counter object itself)."""
    return tensor._version if isinstance(tensor, torch.Tensor) else tensor._version_number


def assert_same_state_dict(module, torch_module):
    """Same keys in the same order, same shapes and dtypes: weights can move between the frameworks."""
    ours, theirs = module.state_dict(), torch_module.state_dict()
    assert list(ours) == list(theirs), f"state_dict keys {list(ours)}, torch has {list(theirs)}"
    for key in theirs:
        assert tuple(ours[key].shape) == tuple(theirs[key].shape), f"{key}: shape {tuple(ours[key].shape)}, " \
                                                                   f"torch {tuple(theirs[key].shape)}"
        assert TORCH_DTYPES[ours[key].dtype] == theirs[key].dtype, f"{key}: dtype {ours[key].dtype}, torch " \
                                                                   f"{theirs[key].dtype}"


def copy_weights_from_torch(module, torch_module):
    """Load ``torch_module``'s state_dict into ``module`` (through NumPy), checking the layouts match."""
    assert_same_state_dict(module, torch_module)
    module.load_state_dict({key: minitorch.tensor(to_numpy(value)) for key, value in
                            torch_module.state_dict().items()})


def check_module_against_torch(module, torch_module, *arrays, requires_grad=None, seed=0):
    """A minitorch layer and its PyTorch twin, with the same weights (copied through ``state_dict``),
    give the same outputs, input gradients and parameter gradients on the same inputs.

    Both modules must already be in the wanted dtype and mode (``.double()``, ``.eval()``).
    Returns the minitorch output.
    """
    copy_weights_from_torch(module, torch_module)
    actual = check_against_torch(module, torch_module, *arrays, requires_grad=requires_grad, seed=seed)
    for (name, parameter), (_, reference) in zip(module.named_parameters(), torch_module.named_parameters()):
        assert_same_grad(parameter.grad, reference.grad, f"grad of parameter {name}")
    return actual
