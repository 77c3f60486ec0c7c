"""Mixed precision against PyTorch's CPU autocast and GradScaler.

autocast: for each op family, the dtype of the output inside a region equals
torch's (float16 and bfloat16), values agree within low-precision tolerance,
and gradients reach float32 leaves as float32; nesting, ``enabled=False`` and
the decorator switch the state as torch's do. GradScaler: the scale, growth
tracker, skipped steps and parameters follow torch's over forced overflows.
"""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import minitorch

RNG = np.random.default_rng(0)
LIBRARIES = (torch, minitorch)
LOW_DTYPES = ("float16", "bfloat16")


def arrays(*shapes):
    return [RNG.standard_normal(shape).astype(np.float32) for shape in shapes]


CLASSES = RNG.integers(0, 5, 6)  # targets of the classification losses: 6 samples, 5 classes


# Each case: (name, arrays, function(library, functional, low_dtype, *tensors)). One function serves both
# libraries. Inputs are float32 leaves; "low" cases first cast an input to the low dtype, as the output of a
# matmul inside the region would be, to show which ops keep it and which run in float32.
LOWER_PRECISION_CASES = [
    ("linear", arrays((4, 6), (5, 6), (5,)), lambda L, F, low, x, w, b: F.linear(x, w, b)),
    ("matmul", arrays((2, 4, 6), (6, 3)), lambda L, F, low, x, y: x @ y),
    ("mm", arrays((4, 6), (6, 3)), lambda L, F, low, x, y: L.mm(x, y)),
    ("bmm", arrays((2, 4, 6), (2, 6, 3)), lambda L, F, low, x, y: L.bmm(x, y)),
    ("einsum", arrays((4, 6), (6, 3)), lambda L, F, low, x, y: L.einsum("ij,jk->ik", x, y)),
    ("conv1d", arrays((2, 3, 9), (4, 3, 3)), lambda L, F, low, x, w: F.conv1d(x, w, padding=1)),
    ("conv2d", arrays((2, 3, 6, 6), (4, 3, 3, 3), (4,)), lambda L, F, low, x, w, b: F.conv2d(x, w, b)),
    ("conv_transpose2d", arrays((2, 3, 5, 5), (3, 4, 3, 3)), lambda L, F, low, x, w: F.conv_transpose2d(x, w)),
    ("scaled_dot_product_attention", arrays((2, 5, 4), (2, 5, 4), (2, 5, 4)),
     lambda L, F, low, q, k, v: F.scaled_dot_product_attention(q, k, v)),
    ("prelu", arrays((3, 4), (1,)), lambda L, F, low, x, w: F.prelu(x, w)),
]
FLOAT32_CASES = [
    ("cross_entropy", arrays((6, 5)), lambda L, F, low, x: F.cross_entropy(x.to(low), L.tensor(CLASSES))),
    ("nll_loss", arrays((6, 5)), lambda L, F, low, x: F.nll_loss(x.to(low), L.tensor(CLASSES))),
    ("mse_loss", arrays((4, 5), (4, 5)), lambda L, F, low, x, y: F.mse_loss(x.to(low), y)),
    ("l1_loss", arrays((4, 5), (4, 5)), lambda L, F, low, x, y: F.l1_loss(x.to(low), y)),
    ("smooth_l1_loss", arrays((4, 5), (4, 5)), lambda L, F, low, x, y: F.smooth_l1_loss(x.to(low), y)),
    ("huber_loss", arrays((4, 5), (4, 5)), lambda L, F, low, x, y: F.huber_loss(x.to(low), y)),
    ("binary_cross_entropy_with_logits", arrays((4, 5)),
     lambda L, F, low, x: F.binary_cross_entropy_with_logits(x.to(low), (x > 0).float())),
    ("kl_div", arrays((4, 5), (4, 5)),
     lambda L, F, low, x, y: F.kl_div(F.log_softmax(x, 1).to(low), F.softmax(y, 1), reduction="batchmean")),
    ("prod", arrays((3, 4)), lambda L, F, low, x: (x * 0.5 + 1).to(low).prod(1)),
]
# Not on CPU autocast's lists: they keep their input's dtype (low precision in, low precision out).
UNLISTED_CASES = [
    ("softmax", arrays((4, 5)), lambda L, F, low, x: F.softmax(x.to(low), 1)),
    ("log_softmax", arrays((4, 5)), lambda L, F, low, x: F.log_softmax(x.to(low), 1)),
    ("sum", arrays((4, 5)), lambda L, F, low, x: x.to(low).sum(1)),
    ("cumsum", arrays((4, 5)), lambda L, F, low, x: x.to(low).cumsum(1)),
    ("layer_norm", arrays((4, 5)), lambda L, F, low, x: F.layer_norm(x.to(low), (5,))),
    ("relu_then_linear", arrays((4, 6), (5, 6)), lambda L, F, low, x, w: F.relu(F.linear(x, w))),
]
ALL_CASES = LOWER_PRECISION_CASES + FLOAT32_CASES + UNLISTED_CASES
TOLERANCE = {"float16": 1e-2, "bfloat16": 4e-2}


def run_case(library, function, low_name, inputs, *, requires_grad):
    functional = library.nn.functional
    low = getattr(library, low_name)
    leaves = [library.tensor(array, requires_grad=requires_grad) for array in inputs]
    with library.autocast("cpu", dtype=low):
        output = function(library, functional, low, *leaves)
    return output, leaves


def as_numpy(tensor):
    return tensor.detach().float().numpy() if isinstance(tensor, torch.Tensor) else tensor.detach().float().numpy()


def assert_close(expected, actual, dtype_name):
    tolerance = TOLERANCE[dtype_name]
    np.testing.assert_allclose(as_numpy(actual), as_numpy(expected), rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("low_name", LOW_DTYPES)
@pytest.mark.parametrize("name, inputs, function", ALL_CASES, ids=[case[0] for case in ALL_CASES])
def test_output_dtype_values_and_float32_gradients_match_torch(name, inputs, function, low_name):
    expected, torch_leaves = run_case(torch, function, low_name, inputs, requires_grad=True)
    actual, leaves = run_case(minitorch, function, low_name, inputs, requires_grad=True)
    assert actual.dtype.name == str(expected.dtype).removeprefix("torch.")
    assert_close(expected, actual, low_name)
    upstream = RNG.standard_normal(tuple(expected.shape)).astype(np.float32)
    expected.backward(torch.tensor(upstream).to(expected.dtype))
    actual.backward(minitorch.tensor(upstream).to(actual.dtype))
    for torch_leaf, leaf in zip(torch_leaves, leaves):
        assert leaf.grad.dtype is minitorch.float32
        assert_close(torch_leaf.grad, leaf.grad, low_name)


def test_float64_inputs_are_not_cast():
    for library in LIBRARIES:
        x = library.ones(2, 2, dtype=library.float64)
        with library.autocast("cpu", dtype=library.float16):
            assert (x @ x).dtype == library.float64


# -- the autocast state: nesting, enabled=False, decorator, defaults ---------------------------------

def autocast_state_trace(library):
    """The (enabled, dtype) that library reports at each point of nested regions and a decorated function."""
    trace = []

    def record():
        trace.append((library.is_autocast_enabled("cpu"), str(library.get_autocast_dtype("cpu")).split(".")[-1]))

    @library.autocast("cpu", dtype=library.float16)
    def decorated():
        record()
        return (library.ones(2, 2) @ library.ones(2, 2)).dtype

    record()
    with library.autocast("cpu"):
        record()
        with library.autocast("cpu", enabled=False):
            record()
            trace.append(str((library.ones(2, 2) @ library.ones(2, 2)).dtype).split(".")[-1])
            trace.append(str(decorated()).split(".")[-1])
            record()
        with library.autocast("cpu", dtype=library.float16):
            record()
        record()
    record()
    trace.append(library.amp.autocast("cpu").fast_dtype is library.bfloat16)
    return trace


def test_nesting_enabled_false_and_decorator_switch_state_like_torch():
    assert autocast_state_trace(minitorch) == autocast_state_trace(torch)


def test_autocast_as_decorator_of_a_non_callable_raises_like_torch():
    messages = []
    for library in LIBRARIES:
        with pytest.raises(TypeError) as error:
            library.autocast("cpu")(3)
        messages.append(str(error.value).splitlines()[0])
    assert messages[0] == messages[1]


def casts_of(leaf, outputs):
    """The distinct graph nodes, reachable from ``outputs``, that take ``leaf`` as an input."""
    found, seen, stack = set(), set(), [output.grad_fn for output in outputs]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        for next_node, _ in node.next_functions:
            if getattr(next_node, "variable", None) is leaf:
                found.add(id(node))
            stack.append(next_node)
    return len(found)


@pytest.mark.parametrize("cache_enabled, casts", [(True, 1), (False, 2)])
def test_weight_is_cast_once_per_region_when_the_cache_is_on(cache_enabled, casts):
    for library in LIBRARIES:
        weight = library.ones(3, 3, requires_grad=True)
        with library.autocast("cpu", dtype=library.float16, cache_enabled=cache_enabled):
            outputs = (weight @ weight.detach(), weight.detach() @ weight)
        assert casts_of(weight, outputs) == casts


def test_cuda_spelling_exists_after_import_and_warns_without_a_gpu():
    if minitorch.cuda.is_available():
        pytest.skip("a GPU is present: cuda autocast is enabled there")
    with pytest.warns(UserWarning, match="CUDA is not available"):
        region = minitorch.cuda.amp.autocast()
    assert region.fast_dtype is minitorch.float16 and not region._enabled


def test_bfloat16_without_ml_dtypes_names_the_amp_extra():
    code = ("import sys; sys.modules['ml_dtypes'] = None; import minitorch\n"
            "try:\n    minitorch.zeros(2, dtype=minitorch.bfloat16)\n"
            "except RuntimeError as error:\n    print(error)")
    environment = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment,
                               check=True)
    assert "ml_dtypes" in completed.stdout and "minitorch[amp]" in completed.stdout


# -- GradScaler ---------------------------------------------------------------------------------------

WEIGHT = RNG.standard_normal((2, 3)).astype(np.float32)
BATCH = RNG.standard_normal((4, 3)).astype(np.float32)


def scaler_trajectory(library, overflow_steps, steps=10, state=None, scaler_options=None):
    """Train a linear layer with a GradScaler, putting inf into a gradient at ``overflow_steps``;
    returns per step (scale, growth tracker, whether the weight changed) and the final weight."""
    weight = library.tensor(WEIGHT.copy(), requires_grad=True)
    optimizer = library.optim.SGD([weight], lr=0.1)
    scaler = library.amp.GradScaler("cpu", **(scaler_options or dict(init_scale=2.0 ** 10, growth_interval=3)))
    if state is not None:
        scaler.load_state_dict(state)
    trajectory = []
    for step in range(steps):
        optimizer.zero_grad()
        loss = (library.tensor(BATCH) @ weight.T).pow(2).mean()
        scaler.scale(loss).backward()
        if step in overflow_steps:
            with library.no_grad():
                weight.grad[0, 0] = float("inf") if step % 2 else float("nan")
        before = weight.detach().clone()
        scaler.step(optimizer)
        scaler.update()
        trajectory.append((scaler.get_scale(), scaler._get_growth_tracker(), not bool((weight == before).all())))
    return trajectory, weight.detach().numpy(), scaler.state_dict()


@pytest.mark.parametrize("overflow_steps", [(), (1,), (0, 1, 2, 6), (3, 4, 9)])
def test_grad_scaler_trajectory_matches_torch_over_forced_overflows(overflow_steps):
    expected, expected_weight, expected_state = scaler_trajectory(torch, overflow_steps)
    actual, actual_weight, actual_state = scaler_trajectory(minitorch, overflow_steps)
    assert actual == expected
    np.testing.assert_allclose(actual_weight, expected_weight, rtol=1e-6, atol=1e-6)
    assert actual_state == expected_state


def test_grad_scaler_state_dict_carries_over_between_libraries():
    _, _, torch_state = scaler_trajectory(torch, (1,), steps=5)
    _, _, minitorch_state = scaler_trajectory(minitorch, (1,), steps=5)
    continued_from_torch = scaler_trajectory(minitorch, (2,), steps=4, state=torch_state)
    continued_from_minitorch = scaler_trajectory(torch, (2,), steps=4, state=minitorch_state)
    assert continued_from_torch[0] == continued_from_minitorch[0]
    assert continued_from_torch[2] == continued_from_minitorch[2]


def test_grad_scaler_unscale_before_clipping_then_step_matches_torch():
    results = []
    for library in LIBRARIES:
        weight = library.tensor(WEIGHT.copy(), requires_grad=True)
        optimizer = library.optim.SGD([weight], lr=0.1)
        scaler = library.amp.GradScaler("cpu")
        scaler.scale((library.tensor(BATCH) @ weight.T).pow(2).mean()).backward()
        scaler.unscale_(optimizer)
        gradient = weight.grad.numpy().copy()
        library.nn.utils.clip_grad_norm_([weight], 0.5)
        scaler.step(optimizer)
        scaler.update()
        results.append((gradient, weight.detach().numpy(), scaler.get_scale()))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-5)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-5)
    assert results[1][2] == results[0][2]


def _misuse(name):
    """Each misuse of the scaler's per-iteration protocol, on a fresh scaler and optimizer."""
    def run(library):
        weight = library.tensor(WEIGHT.copy(), requires_grad=True)
        optimizer = library.optim.SGD([weight], lr=0.1)
        scaler = library.amp.GradScaler("cpu")
        if name == "bad growth factor":
            library.amp.GradScaler("cpu", growth_factor=1.0)
        if name == "bad backoff factor":
            library.amp.GradScaler("cpu", backoff_factor=1.0)
        if name == "step before scale":
            scaler.step(optimizer)
        if name == "update before scale":
            scaler.update()
        scaler.scale(weight.sum()).backward()
        if name == "unscale twice":
            scaler.unscale_(optimizer)
            scaler.unscale_(optimizer)
        if name == "unscale after step":
            scaler.step(optimizer)
            scaler.unscale_(optimizer)
        if name == "step twice":
            scaler.step(optimizer)
            scaler.step(optimizer)
        if name == "closure":
            scaler.step(optimizer, closure=lambda: None)
        if name == "update without steps":
            scaler.update()
        if name == "load empty state":
            scaler.load_state_dict({})
    return run


@pytest.mark.parametrize("name", ["bad growth factor", "bad backoff factor", "step before scale",
                                  "update before scale", "unscale twice", "unscale after step", "step twice",
                                  "closure", "update without steps", "load empty state"])
def test_grad_scaler_misuse_raises_like_torch(name):
    errors = []
    for library in LIBRARIES:
        with pytest.raises(Exception) as error:
            _misuse(name)(library)
        errors.append((type(error.value), str(error.value)))
    assert errors[1] == errors[0]


def test_disabled_grad_scaler_passes_through_like_torch():
    for library in LIBRARIES:
        scaler = library.amp.GradScaler("cpu", enabled=False)
        loss = library.tensor(2.0)
        assert scaler.scale(loss) is loss and scaler.get_scale() == 1.0 and scaler.state_dict() == {}
        assert not scaler.is_enabled()


# bfloat16 tensors outside autocast: each op keeps the dtype and agrees with torch (which computes in
# float32 inside and rounds once). NumPy's bfloat16 (ml_dtypes) promotes to float32 beside Python floats
# and in matmul: these catch an op that lets that through.
BFLOAT16_OPS = {
    "matmul": (lambda L, F, a, b: a @ b.mT, ((3, 4), (5, 4))),
    "bmm": (lambda L, F, a, b: L.bmm(a, b.mT), ((2, 3, 4), (2, 5, 4))),
    "einsum": (lambda L, F, a, b: L.einsum("ij,kj->ik", a, b), ((3, 4), (5, 4))),
    "linear": (lambda L, F, a, b: F.linear(a, b), ((3, 4), (5, 4))),
    "conv2d": (lambda L, F, a, b: F.conv2d(a, b, padding=1), ((2, 3, 5, 5), (4, 3, 3, 3))),
    "conv_transpose2d": (lambda L, F, a, b: F.conv_transpose2d(a, b, stride=2), ((2, 3, 4, 4), (3, 2, 3, 3))),
    "attention": (lambda L, F, a, b: F.scaled_dot_product_attention(a, b, b), ((2, 3, 4), (2, 5, 4))),
    **{name: (lambda L, F, a, name=name: getattr(F, name)(a), ((3, 4),))
       for name in ("relu", "gelu", "silu", "elu", "selu", "celu", "softplus", "mish", "hardswish", "hardsigmoid",
                    "leaky_relu", "logsigmoid", "tanh", "sigmoid", "softsign", "tanhshrink")},
    "gelu_tanh": (lambda L, F, a: F.gelu(a, approximate="tanh"), ((3, 4),)),
    "softmax": (lambda L, F, a: F.softmax(a, 1), ((3, 4),)),
    "log_softmax": (lambda L, F, a: F.log_softmax(a, 1), ((3, 4),)),
    "layer_norm": (lambda L, F, a: F.layer_norm(a, (4,)), ((3, 4),)),
    "group_norm": (lambda L, F, a: F.group_norm(a, 2), ((2, 4, 3),)),
    "batch_norm": (lambda L, F, a: F.batch_norm(a, None, None, training=True), ((5, 3),)),
    "max_pool2d": (lambda L, F, a: F.max_pool2d(a, 2), ((1, 2, 4, 4),)),
    "avg_pool2d": (lambda L, F, a: F.avg_pool2d(a, 2), ((1, 2, 4, 4),)),
    "adaptive_avg_pool2d": (lambda L, F, a: F.adaptive_avg_pool2d(a, 3), ((1, 2, 5, 5),)),
    "interpolate": (lambda L, F, a: F.interpolate(a, scale_factor=2, mode="bilinear"), ((1, 2, 3, 3),)),
    "mse_loss": (lambda L, F, a, b: F.mse_loss(a, b), ((3, 4), (3, 4))),
    "cross_entropy": (lambda L, F, a: F.cross_entropy(a, L.tensor([0, 2, 3])), ((3, 4),)),
    "mean_var": (lambda L, F, a: a.var(1) + a.mean(0).sum(), ((3, 4),)),
    "scalar_arithmetic": (lambda L, F, a: (a * 0.7 + 1.3) / 2.9 - a.pow(2) * 0.1, ((3, 4),)),
    "norm": (lambda L, F, a: a.norm(), ((3, 4),)),
}


@pytest.mark.parametrize("name", BFLOAT16_OPS)
def test_bfloat16_ops_keep_their_dtype_and_match_torch(name):
    function, shapes = BFLOAT16_OPS[name]
    arrays = [RNG.standard_normal(shape).astype(np.float32) for shape in shapes]

    def run(library):
        leaves = [library.tensor(array).bfloat16().requires_grad_() for array in arrays]
        output = function(library, library.nn.functional, *leaves)
        output.float().sum().backward()
        return output, leaves

    expected, torch_leaves = run(torch)
    actual, leaves = run(minitorch)
    assert actual.dtype is minitorch.bfloat16 and expected.dtype == torch.bfloat16
    assert_close(expected, actual, "bfloat16")
    for torch_leaf, leaf in zip(torch_leaves, leaves):
        assert leaf.grad.dtype is minitorch.bfloat16
        assert_close(torch_leaf.grad, leaf.grad, "bfloat16")
