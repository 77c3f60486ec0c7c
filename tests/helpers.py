"""The one helper every parity test uses: run an op in minitorch and in PyTorch on the same
NumPy inputs, then compare forward values, dtypes and gradients.

Backward is seeded with a random upstream gradient, never ``.sum()`` (the sum of a
softmax is constant and would hide a broken backward). The tolerance policy is
written down once, here, per dtype.
"""
from __future__ import annotations

import contextlib
import os
import re

import numpy as np
import torch

import minitorch

# (rtol, atol) per dtype, for forward values and for gradients. float32 differences come from
# different libm/BLAS implementations and summation orders; float16 from rounding at each op.
TOLERANCES = {
    "bfloat16": (1.6e-2, 1e-2),  # 8 bits of mantissa: one unit in the last place is 0.4% to 0.8%
    np.dtype(np.float16): (2e-3, 2e-3),
    np.dtype(np.float32): (2e-5, 2e-5),
    np.dtype(np.float64): (1e-9, 1e-10),
}
GRAD_TOLERANCES = {
    "bfloat16": (3e-2, 3e-2),
    np.dtype(np.float16): (1e-2, 1e-2),
    np.dtype(np.float32): (1e-4, 1e-4),
    np.dtype(np.float64): (1e-8, 1e-9),
}

# Where minitorch computes in the parity checks: MINITORCH_TEST_DEVICE=cuda re-runs them on a GPU (scripts/
# gpu_check.sh). PyTorch stays on the CPU as the oracle; results come back through ``.cpu()`` to be compared.
# check_program's programs make their own tensors and modules, so they stay on the CPU.
TEST_DEVICE = minitorch.device(os.environ.get("MINITORCH_TEST_DEVICE", "cpu"))

TORCH_DTYPES = {
    minitorch.float16: torch.float16, minitorch.float32: torch.float32, minitorch.float64: torch.float64,
    minitorch.int8: torch.int8, minitorch.int16: torch.int16, minitorch.int32: torch.int32,
    minitorch.int64: torch.int64, minitorch.uint8: torch.uint8, minitorch.bool: torch.bool,
}
# The dtypes NumPy holds natively, above, which the dtype-drawing tests draw from; and bfloat16 (through
# ml_dtypes), which tests/test_amp.py covers, as assert_same knows it.
TORCH_DTYPES_WITH_BFLOAT16 = {**TORCH_DTYPES, minitorch.bfloat16: torch.bfloat16}


def torch_tensor(array):
    """A NumPy array as a torch tensor; a bfloat16 array (ml_dtypes, which torch cannot read) through
    float32, exactly."""
    if array.dtype == minitorch.bfloat16.numpy_dtype:
        return torch.tensor(array.astype(np.float32)).bfloat16()
    return torch.tensor(array)


def to_numpy(value):
    """A minitorch or torch tensor as a NumPy array (a copy, detached; bfloat16 as float32, exactly)."""
    if isinstance(value, (minitorch.Tensor, torch.Tensor)) and str(value.dtype).endswith("bfloat16"):
        value = value.float()
    if isinstance(value, minitorch.Tensor):
        return np.array(value.detach().cpu().numpy())
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy(force=True).copy()  # force: torch's ZeroTensor gradients
    return np.asarray(value)


def assert_same(actual, expected, tolerances=TOLERANCES, what="output"):
    """A minitorch result equals a torch result: same shape, same dtype, close values (nested in
    sequences and dicts alike)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{what}: expected a dict, got {type(actual).__name__}"
        assert list(actual) == list(expected), f"{what}: keys {list(actual)}, torch has {list(expected)}"
        for key in expected:
            assert_same(actual[key], expected[key], tolerances, f"{what}[{key!r}]")
        return
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
        assert TORCH_DTYPES_WITH_BFLOAT16[actual.dtype] == expected.dtype, \
            f"{what}: dtype {actual.dtype}, torch gives {expected.dtype}"
        actual_array, expected_array = to_numpy(actual), to_numpy(expected)
        if expected_array.dtype.kind == "f":
            rtol, atol = tolerances["bfloat16" if expected.dtype == torch.bfloat16 else expected_array.dtype]
            np.testing.assert_allclose(actual_array, expected_array, rtol=rtol, atol=atol, equal_nan=True,
                                       err_msg=f"{what} differs from torch")
        else:
            np.testing.assert_array_equal(actual_array, expected_array, err_msg=f"{what} differs from torch")
        return
    if isinstance(expected, float) and float in tolerances:  # a Python float computed from tensors
        assert isinstance(actual, float), f"{what}: expected a float, got {type(actual).__name__}"
        rtol, atol = tolerances[float]
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=f"{what} differs from torch")
        return
    assert actual == expected or (actual != actual and expected != expected), f"{what}: {actual} != torch's {expected}"


def _inputs(arrays, requires_grad):
    """The same inputs for both libraries: float arrays require grad unless told otherwise."""
    if requires_grad is None:
        requires_grad = [isinstance(a, np.ndarray) and a.dtype.kind in "fV" for a in arrays]
    elif isinstance(requires_grad, bool):
        requires_grad = [requires_grad and isinstance(a, np.ndarray) and a.dtype.kind in "fV" for a in arrays]
    ours, theirs = [], []
    for array, grad in zip(arrays, requires_grad):
        if isinstance(array, np.ndarray):
            ours.append(minitorch.tensor(array, requires_grad=grad, device=TEST_DEVICE))
            theirs.append(torch_tensor(array).requires_grad_(grad))
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
    torch.autograd.backward(expected_outputs, [torch_tensor(g) for g in upstream])
    minitorch.autograd.backward(actual_outputs, [minitorch.tensor(g, device=TEST_DEVICE) for g in upstream])
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


def _sorted_sets(message: str) -> str:
    """A message with each printed set's items sorted: a set's order changes from run to run."""
    return re.sub(r"\{([^{}:]*)\}", lambda match: "{" + ", ".join(sorted(match.group(1).split(", "))) + "}", message)


def check_program(program, *inputs, message=True, tolerances=GRAD_TOLERANCES):
    """``program(torch, *inputs)`` and ``program(minitorch, *inputs)`` give the same results or errors."""
    expected, expected_error = _run(program, torch, inputs)
    actual, actual_error = _run(program, minitorch, inputs)
    if expected_error is not None:
        assert actual_error is not None, f"torch raises {expected_error!r}, minitorch returns {actual!r}"
        assert type(actual_error) is type(expected_error), f"torch raises {expected_error!r}, minitorch {actual_error!r}"
        if message:
            prefix = _sorted_sets(str(expected_error))[:MESSAGE_PREFIX]
            assert _sorted_sets(str(actual_error)).startswith(prefix), \
                f"torch says {expected_error}, minitorch says {actual_error}"
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
    module.to(TEST_DEVICE)
    actual = check_against_torch(module, torch_module, *arrays, requires_grad=requires_grad, seed=seed)
    for (name, parameter), (_, reference) in zip(module.named_parameters(), torch_module.named_parameters()):
        assert_same_grad(parameter.grad, reference.grad, f"grad of parameter {name}")
    return actual


# -- optimizers ---------------------------------------------------------------------------------------

# An optimizer's trajectory must follow PyTorch's (issue: float64 within 1e-10 relative, float32 1e-5).
OPTIMIZER_TOLERANCES = {
    np.dtype(np.float32): (1e-5, 1e-6),
    np.dtype(np.float64): (1e-10, 1e-12),
}
OPTIMIZER_SHAPES = ((3, 4), (5,), ())
MINITORCH_DTYPES = {np.dtype(np.float32): minitorch.float32, np.dtype(np.float64): minitorch.float64}


@contextlib.contextmanager
def default_dtype(dtype):
    """Both libraries' default dtype set to ``dtype``: the dtype of scalar optimizer state (``step``,
    NAdam's ``mu_product``, ASGD's ``eta`` and ``mu``), which PyTorch casts to the parameter's dtype
    when it loads a state_dict."""
    before = minitorch.get_default_dtype(), torch.get_default_dtype()
    minitorch.set_default_dtype(MINITORCH_DTYPES[np.dtype(dtype)])
    torch.set_default_dtype(torch.float64 if np.dtype(dtype) == np.float64 else torch.float32)
    try:
        yield
    finally:
        minitorch.set_default_dtype(before[0])
        torch.set_default_dtype(before[1])


def _map_tensors(value, tensor_type, convert):
    """``value`` with each ``tensor_type`` inside it (in dicts, lists, tuples) replaced by ``convert(it)``;
    containers keep their type (a scheduler's ``Counter`` of milestones stays a Counter)."""
    if isinstance(value, tensor_type):
        return convert(value)
    if isinstance(value, dict):
        return type(value)({key: _map_tensors(inner, tensor_type, convert) for key, inner in value.items()})
    if isinstance(value, (list, tuple)):
        return type(value)(_map_tensors(inner, tensor_type, convert) for inner in value)
    return value


def to_torch_structure(value):
    """A nested structure (an optimizer state_dict, say) with every minitorch tensor made a torch one."""
    return _map_tensors(value, minitorch.Tensor, lambda tensor: torch.from_numpy(to_numpy(tensor)))


def from_torch_structure(value):
    """The other way: every torch tensor in a nested structure made a minitorch one."""
    return _map_tensors(value, torch.Tensor, lambda tensor: minitorch.tensor(to_numpy(tensor)))


class OptimizerPair:
    """The same optimizer in both libraries over parameters with the same values, fed the same gradients.

    ``group_options`` splits the parameters into groups: a list of per-group option dicts, the
    parameters dealt round-robin among them. ``gradient_source(lib, params, step)`` may replace
    the random gradients (an LBFGS closure needs a loss: then it returns that loss).
    """

    def __init__(self, name, options, dtype=np.float64, seed=0, shapes=OPTIMIZER_SHAPES, group_options=None):
        self.dtype = np.dtype(dtype)
        self.rng = np.random.default_rng(seed)
        arrays = [self.rng.standard_normal(shape).astype(self.dtype) for shape in shapes]
        self.ours = [minitorch.nn.Parameter(minitorch.tensor(array, device=TEST_DEVICE)) for array in arrays]
        self.theirs = [torch.nn.Parameter(torch.tensor(array)) for array in arrays]
        self.optimizer = getattr(minitorch.optim, name)(self._groups(self.ours, group_options), **options)
        # options may hold minitorch tensors (lr=minitorch.tensor(0.01)): torch gets its own twins
        self.torch_optimizer = getattr(torch.optim, name)(self._groups(self.theirs, to_torch_structure(group_options)),
                                                          **to_torch_structure(options))

    @staticmethod
    def _groups(params, group_options):
        if not group_options:
            return params
        return [{"params": params[index::len(group_options)], **options}
                for index, options in enumerate(group_options)]

    def feed_random_gradients(self, skip=()):
        """Give every parameter (but those at the indices in ``skip``, left with grad None) a random gradient."""
        for index, (ours, theirs) in enumerate(zip(self.ours, self.theirs)):
            if index in skip:
                ours.grad = theirs.grad = None
            else:
                gradient = self.rng.standard_normal(ours.shape).astype(self.dtype)
                ours.grad, theirs.grad = minitorch.tensor(gradient, device=TEST_DEVICE), torch.tensor(gradient)

    def step(self, closure=None):
        """One step on both sides; ``closure(lib, params)`` makes a loss for optimizers that need one."""
        if closure is None:
            return self.optimizer.step(), self.torch_optimizer.step()

        def bind(lib, optimizer, params):
            def evaluate():
                optimizer.zero_grad()
                loss = closure(lib, params)
                loss.backward()
                return loss
            return evaluate
        return (self.optimizer.step(bind(minitorch, self.optimizer, self.ours)),
                self.torch_optimizer.step(bind(torch, self.torch_optimizer, self.theirs)))

    def assert_same_parameters(self, what):
        for index, (ours, theirs) in enumerate(zip(self.ours, self.theirs)):
            assert_same(ours.detach(), theirs.detach(), OPTIMIZER_TOLERANCES, f"{what}: parameter {index}")

    def assert_same_state(self, what="state_dict"):
        """The state dicts agree: the same layout, option values, state keys, dtypes and close values
        (Python floats too, such as LBFGS's ``prev_loss``, within the parameters' tolerance)."""
        tolerances = {**OPTIMIZER_TOLERANCES, float: OPTIMIZER_TOLERANCES[self.dtype]}
        assert_same(self.optimizer.state_dict(), self.torch_optimizer.state_dict(), tolerances, what)

    def hand_state_to_torch(self):
        """Load our state_dict into a fresh torch optimizer of the same kind (as a checkpoint would)."""
        fresh = type(self.torch_optimizer)(self._groups_like(self.torch_optimizer))
        fresh.load_state_dict(to_torch_structure(self.optimizer.state_dict()))
        self.torch_optimizer = fresh

    def hand_state_to_minitorch(self):
        """Load torch's state_dict into a fresh minitorch optimizer of the same kind."""
        fresh = type(self.optimizer)(self._groups_like(self.optimizer))
        fresh.load_state_dict(from_torch_structure(self.torch_optimizer.state_dict()))
        self.optimizer = fresh

    @staticmethod
    def _groups_like(optimizer):
        """``optimizer``'s parameters in its groups, options left at their defaults (the loaded
        state_dict must bring them back)."""
        return [{"params": list(group["params"])} for group in optimizer.param_groups]


def check_optimizer_trajectory(name, options, dtype=np.float64, steps=20, seed=0, group_options=None,
                               closure=None, skip_every=3):
    """``minitorch.optim.<name>`` follows ``torch.optim.<name>``'s parameter trajectory step for step.

    Both start from the same parameters and get the same random gradients (or the same ``closure``
    loss); every ``skip_every``-th step the last parameter has no gradient and must stay put. At the
    end the two ``state_dict``s must agree.
    """
    pair = OptimizerPair(name, options, dtype, seed, group_options=group_options)
    for step in range(steps):
        if closure is None:
            skip = {len(pair.ours) - 1} if skip_every and step % skip_every == skip_every - 1 else set()
            pair.feed_random_gradients(skip)
            losses = pair.step()
        else:
            losses = pair.step(closure)
            assert_same(losses[0], losses[1], OPTIMIZER_TOLERANCES, f"loss returned by step {step}")
        pair.assert_same_parameters(f"after step {step + 1}")
    pair.assert_same_state()
    return pair


def check_optimizer_state_moves(name, options, dtype=np.float64, steps=5, seed=0, group_options=None,
                                closure=None):
    """An optimizer state_dict saved by minitorch loads into PyTorch's optimizer and training goes on on
    the same trajectory; and the same the other way round."""
    for hand_over in ("hand_state_to_torch", "hand_state_to_minitorch"):
        pair = OptimizerPair(name, options, dtype, seed, group_options=group_options)
        for phase in range(2):
            for step in range(steps):
                if closure is None:
                    pair.feed_random_gradients()
                pair.step(closure)
            if phase == 0:
                getattr(pair, hand_over)()
                pair.assert_same_state(f"{hand_over}: state_dict after loading")
        pair.assert_same_parameters(f"{hand_over}: {steps} steps after loading")


# Small expressions of two (2, 3) leaves, written once for both libraries: the graphs on which the graph
# drawing (test_viz) and the backward trace (test_trace) are compared with PyTorch's own graph and engine.
GRAPH_EXPRESSIONS = {
    "mul_add_sum": lambda a, b: (a * b + a).sum(),
    "reused_intermediate": lambda a, b: ((a + a) * (a + a)).exp().sum() + (a + a).mean() * b.sum(),
    "activations": lambda a, b: ((a * b).relu() * 2).tanh().mean() + (a - b).sigmoid().sum(),
    "multi_output": lambda a, b: (a.unbind(0)[0] * a.unbind(0)[1] + b.sum(0)).sum(),
}


def graph_leaves(lib, seed=0):
    """The leaves ``a`` and ``b`` of GRAPH_EXPRESSIONS, the same numbers in both libraries."""
    arrays = np.random.default_rng(seed).standard_normal((2, 2, 3)).astype(np.float32)
    return tuple(leaf(lib, array) for array in arrays)


def node_name(node) -> str:
    """A graph node's name without PyTorch's overload number (MulBackward0): minitorch's name."""
    return re.sub(r"\d+$", "", node.name())
