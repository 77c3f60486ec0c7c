"""Batch, layer, group, instance and local response normalization against PyTorch: the layers over
several training and evaluation steps (outputs, gradients and running statistics), the functions'
first and second derivatives, the fused primitive against the composite it replaces, state_dict
layouts, and errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import minitorch
from minitorch.ops.normalization import Normalization
from helpers import (GRAD_TOLERANCES, assert_same, assert_same_state_dict, check_against_torch,
                     check_double_backward_against_torch, check_gradcheck, check_module_against_torch,
                     check_program)
from strategies import FLOAT_DTYPES

EPSILONS = st.sampled_from([1e-5, 1e-3, 0.1])
SIDES = st.integers(2, 4)

# -------------------------------------------------------------------------------------------------
# The layers, over a few steps of training and evaluation
# -------------------------------------------------------------------------------------------------

# layer -> how many spatial axes its input has after (N, C); BatchNorm1d takes (N, C) and (N, C, L).
RUNNING_STAT_LAYERS = {"BatchNorm1d": (0, 1), "BatchNorm2d": (2,), "BatchNorm3d": (3,),
                       "InstanceNorm1d": (1,), "InstanceNorm2d": (2,), "InstanceNorm3d": (3,)}


@st.composite
def running_stat_cases(draw, name):
    """(constructor args, kwargs, input shape) for a BatchNorm or InstanceNorm layer."""
    channels = draw(SIDES)
    spatial = draw(st.sampled_from(RUNNING_STAT_LAYERS[name]))
    shape = (draw(SIDES), channels) + tuple(draw(st.lists(SIDES, min_size=spatial, max_size=spatial)))
    momentum = draw(st.sampled_from([0.1, 0.5, None]))
    kwargs = dict(eps=draw(EPSILONS), momentum=momentum, affine=draw(st.booleans()),
                  track_running_stats=draw(st.booleans()))
    return (channels,), kwargs, shape


@st.composite
def layer_norm_cases(draw, name):
    shape = tuple(draw(st.lists(SIDES, min_size=1, max_size=4)))
    normalized_shape = shape[len(shape) - draw(st.integers(1, len(shape))):]
    kwargs = dict(eps=draw(EPSILONS), elementwise_affine=draw(st.booleans()), bias=draw(st.booleans()))
    return (list(normalized_shape) if draw(st.booleans()) else normalized_shape,), kwargs, shape


@st.composite
def group_norm_cases(draw, name):
    groups, per_group = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    shape = (draw(SIDES), groups * per_group) + tuple(draw(st.lists(SIDES, min_size=0, max_size=2)))
    kwargs = dict(eps=draw(EPSILONS), affine=draw(st.booleans()), bias=draw(st.booleans()))
    return (groups, groups * per_group), kwargs, shape


@st.composite
def local_response_norm_cases(draw, name):
    shape = (draw(SIDES), draw(st.integers(1, 6))) + tuple(draw(st.lists(SIDES, min_size=1, max_size=2)))
    kwargs = dict(alpha=draw(st.sampled_from([1e-4, 0.5])), beta=draw(st.sampled_from([0.75, 2.0])),
                  k=draw(st.sampled_from([1.0, 2.0])))
    return (draw(st.integers(1, 5)),), kwargs, shape


LAYER_CASES = {**{name: running_stat_cases for name in RUNNING_STAT_LAYERS}, "LayerNorm": layer_norm_cases,
               "GroupNorm": group_norm_cases, "LocalResponseNorm": local_response_norm_cases}


@pytest.mark.parametrize("name", LAYER_CASES)
@given(data=st.data(), dtype=FLOAT_DTYPES, modes=st.lists(st.booleans(), min_size=1, max_size=3),
       seed=st.integers(0, 2**16))
def test_layer_matches_torch_over_training_and_evaluation_steps(name, data, dtype, modes, seed):
    """Outputs, input and parameter gradients, and buffers (running statistics, num_batches_tracked)
    equal PyTorch's after every step of a drawn sequence of training (True) and evaluation steps."""
    args, kwargs, shape = data.draw(LAYER_CASES[name](name))
    if dtype == np.float32 and "eps" in kwargs:
        # A near-constant group with eps=1e-5 is ill-conditioned in float32: both libraries lose digits
        # (torch's own float32 gradient can be 5e-4 off its float64 one). Small eps is tested in float64.
        kwargs["eps"] = max(kwargs["eps"], 1e-3)
    module, torch_module = getattr(minitorch.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    if dtype == np.float64:
        module, torch_module = module.double(), torch_module.double()
    inputs = np.random.default_rng(seed)
    for step, training in enumerate(modes):
        module.train(training), torch_module.train(training)
        x = (inputs.standard_normal(shape) * 2 + 1).astype(dtype)
        if step == 0:  # copies torch's weights, then compares parameter gradients too
            check_module_against_torch(module, torch_module, x, seed=step)
        else:
            check_against_torch(module, torch_module, x, seed=step)
        for (key, value), (_, expected) in zip(module.state_dict().items(), torch_module.state_dict().items()):
            assert_same(value, expected, what=f"{key} after step {step}")
    for (key, parameter), (_, expected) in zip(module.named_parameters(), torch_module.named_parameters()):
        assert_same(parameter.grad, expected.grad, GRAD_TOLERANCES, f"accumulated grad of {key}")


STATE_DICT_CASES = [("BatchNorm1d", (3,), {}), ("BatchNorm2d", (3,), dict(affine=False)),
                    ("BatchNorm3d", (2,), dict(track_running_stats=False)), ("BatchNorm2d", (4,), dict(bias=False)),
                    ("InstanceNorm2d", (3,), {}), ("InstanceNorm1d", (3,), dict(affine=True, track_running_stats=True)),
                    ("LayerNorm", ((2, 3),), {}), ("LayerNorm", (5,), dict(bias=False)),
                    ("LayerNorm", ([4],), dict(elementwise_affine=False)), ("GroupNorm", (2, 6), {}),
                    ("GroupNorm", (3, 3), dict(affine=False)), ("LocalResponseNorm", (3,), dict(k=2.0))]


@pytest.mark.parametrize("name, args, kwargs", STATE_DICT_CASES)
def test_layer_has_torchs_state_dict_initial_values_and_repr(name, args, kwargs):
    module, torch_module = getattr(minitorch.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert_same_state_dict(module, torch_module)
    for (key, value), (_, expected) in zip(module.state_dict().items(), torch_module.state_dict().items()):
        assert_same(value, expected, what=key)
    assert repr(module) == repr(torch_module)
    assert_same_state_dict(module.double(), torch_module.double())  # num_batches_tracked stays int64


def test_unbatched_instance_norm_matches_torch():
    x = np.random.default_rng(0).standard_normal((3, 5))
    check_module_against_torch(minitorch.nn.InstanceNorm1d(3, affine=True).double(),
                               torch.nn.InstanceNorm1d(3, affine=True).double(), x)


def test_cumulative_moving_average_weighs_every_batch_equally():
    """momentum=None: the running mean is the plain average of the batch means so far."""
    layer = minitorch.nn.BatchNorm1d(2, momentum=None)
    batches = [np.random.default_rng(seed).standard_normal((4, 2)).astype(np.float32) for seed in range(3)]
    for batch in batches:
        layer(minitorch.tensor(batch))
    np.testing.assert_allclose(layer.running_mean.numpy(), np.mean([b.mean(0) for b in batches], 0), rtol=1e-5)
    assert layer.num_batches_tracked.item() == 3


# -------------------------------------------------------------------------------------------------
# The functions: first and second derivatives
# -------------------------------------------------------------------------------------------------

def _stats(lib, channels, seed=1):
    """Running statistics (as in evaluation), the same for both libraries."""
    generator = np.random.default_rng(seed)
    return lib.tensor(generator.standard_normal(channels)), lib.tensor(generator.uniform(0.5, 2.0, channels))


# name -> (call(lib, x, weight, bias), input shape, weight shape)
FUNCTIONS = {
    "layer_norm": (lambda lib, x, w, b: lib.nn.functional.layer_norm(x, [3, 4], w, b, 1e-3), (2, 3, 4), (3, 4)),
    "batch_norm_training": (lambda lib, x, w, b: lib.nn.functional.batch_norm(x, None, None, w, b, True, 0.1, 1e-3),
                            (4, 3, 2), (3,)),
    "batch_norm_evaluation": (lambda lib, x, w, b: lib.nn.functional.batch_norm(x, *_stats(lib, 3), w, b),
                              (4, 3, 2), (3,)),
    "group_norm": (lambda lib, x, w, b: lib.nn.functional.group_norm(x, 2, w, b, 1e-3), (2, 4, 3), (4,)),
    "instance_norm": (lambda lib, x, w, b: lib.nn.functional.instance_norm(x, weight=w, bias=b, eps=1e-3),
                      (2, 3, 4), (3,)),
    "instance_norm_running_stats": (lambda lib, x, w, b: lib.nn.functional.instance_norm(
        x, *_stats(lib, 3), w, b, use_input_stats=False), (2, 3, 4), (3,)),
}


def _function_inputs(name, seed=0):
    _, shape, weight_shape = FUNCTIONS[name]
    generator = np.random.default_rng(seed)
    return (generator.standard_normal(shape), generator.standard_normal(weight_shape),
            generator.standard_normal(weight_shape))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_normalization_function_passes_gradcheck_and_gradgradcheck(name):
    call = FUNCTIONS[name][0]
    check_gradcheck(lambda x, w, b: call(minitorch, x, w, b), *_function_inputs(name))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_normalization_function_second_derivatives_match_torch(name):
    call = FUNCTIONS[name][0]
    check_double_backward_against_torch(lambda x, w, b: call(minitorch, x, w, b), lambda x, w, b: call(torch, x, w, b),
                                        *_function_inputs(name))


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_normalization_function_matches_torch_with_and_without_affine(name, affine):
    call = FUNCTIONS[name][0]
    x, w, b = _function_inputs(name)
    if affine:
        check_against_torch(lambda *args: call(minitorch, *args), lambda *args: call(torch, *args), x, w, b)
    else:
        check_against_torch(lambda x: call(minitorch, x, None, None), lambda x: call(torch, x, None, None), x)


@given(dtype=FLOAT_DTYPES, momentum=st.sampled_from([0.0, 0.1, 1.0]), seed=st.integers(0, 2**16),
       function=st.sampled_from(["batch_norm", "instance_norm"]))
def test_functional_running_statistics_are_updated_in_place_as_torchs(dtype, momentum, seed, function):
    generator = np.random.default_rng(seed)
    x = (generator.standard_normal((3, 2, 4)) * 3 - 1).astype(dtype)
    stats = generator.standard_normal(2).astype(dtype), generator.uniform(0.5, 2, 2).astype(dtype)

    def program(lib, x, running_mean, running_var):
        running_mean, running_var = lib.tensor(running_mean), lib.tensor(running_var)
        norm = getattr(lib.nn.functional, function)
        output = norm(lib.tensor(x), running_mean, running_var, None, None, True, momentum, 1e-5)
        return output, running_mean, running_var
    check_program(program, x, *stats)


# -------------------------------------------------------------------------------------------------
# The fused primitive against the composite it replaces
# -------------------------------------------------------------------------------------------------

def composite_normalization(x, weight, bias, mean, var, axes, eps):
    """(x - mean) / sqrt(var + eps) * weight + bias from elementary ops: what ``Normalization`` fuses."""
    if mean is None:
        mean = x.mean(axes, keepdim=True)
        var = (x - mean).square().mean(axes, keepdim=True)
    output = (x - mean) / (var + eps).sqrt()
    if weight is not None:
        output = output * weight
    return output + bias if bias is not None else output


@given(data=st.data(), shape=st.lists(SIDES, min_size=1, max_size=4), batch_statistics=st.booleans(),
       affine=st.booleans(), eps=EPSILONS, seed=st.integers(0, 2**16))
def test_fused_normalization_matches_the_composite_in_values_and_gradients(data, shape, batch_statistics, affine,
                                                                          eps, seed):
    shape = tuple(shape)
    axes = tuple(sorted(data.draw(st.sets(st.integers(0, len(shape) - 1), min_size=1))))
    kept = tuple(1 if axis in axes else size for axis, size in enumerate(shape))
    generator = np.random.default_rng(seed)
    x = minitorch.tensor(generator.standard_normal(shape), requires_grad=True)
    weight, bias = (minitorch.tensor(generator.standard_normal(kept[1:]), requires_grad=True) for _ in range(2)) \
        if affine else (None, None)
    mean, var = (None, None) if batch_statistics else (minitorch.tensor(generator.standard_normal(kept)),
                                                       minitorch.tensor(generator.uniform(0.5, 2, kept)))
    upstream = minitorch.tensor(generator.standard_normal(shape))
    inputs = [t for t in (x, weight, bias) if t is not None]
    results = []
    for normalize in (lambda *args: Normalization.apply(*args)[0], composite_normalization):
        output = normalize(x, weight, bias, mean, var, axes, eps)
        results.append([output] + list(minitorch.autograd.grad(output, inputs, upstream)))
    for fused, composite in zip(*results):
        np.testing.assert_allclose(fused.detach().numpy(), composite.detach().numpy(), rtol=1e-9, atol=1e-10)


# -------------------------------------------------------------------------------------------------
# Errors, as PyTorch raises them
# -------------------------------------------------------------------------------------------------

def _functional(name, *args, **kwargs):
    return lambda lib, x: getattr(lib.nn.functional, name)(lib.tensor(x), *args, **kwargs)


def _layer(name, *args, **kwargs):
    return lambda lib, x: getattr(lib.nn, name)(*args, **kwargs)(lib.tensor(x))


ERRORS = {
    "batch_norm running_mean of the wrong size": (
        lambda lib, x: lib.nn.functional.batch_norm(lib.tensor(x), lib.zeros(4), lib.ones(4), training=True),
        (2, 3, 4)),
    "batch_norm weight of the wrong size": (
        lambda lib, x: lib.nn.functional.batch_norm(lib.tensor(x), None, None, lib.ones(4), training=True), (2, 3)),
    "batch_norm evaluation without running stats": (_functional("batch_norm", None, None), (2, 3)),
    "batch_norm only one running stat": (
        lambda lib, x: lib.nn.functional.batch_norm(lib.tensor(x), lib.zeros(3), None, training=True), (2, 3)),
    "batch_norm training with eps 0": (_functional("batch_norm", None, None, training=True, eps=0.0), (2, 3)),
    "BatchNorm1d training on a batch of one": (_layer("BatchNorm1d", 3), (1, 3)),
    "BatchNorm1d given 4-d input": (_layer("BatchNorm1d", 3), (2, 3, 4, 5)),
    "BatchNorm2d given 3-d input": (_layer("BatchNorm2d", 3), (2, 3, 4)),
    "BatchNorm2d with the wrong channels": (_layer("BatchNorm2d", 4), (2, 3, 2, 2)),
    "layer_norm shape mismatch": (_functional("layer_norm", [3]), (2, 3, 4)),
    "layer_norm longer than the input": (_functional("layer_norm", [2, 3, 4, 5]), (2, 3, 4)),
    "layer_norm empty normalized_shape": (_functional("layer_norm", []), (2, 3)),
    "layer_norm normalized_shape an int": (_functional("layer_norm", 3), (2, 3)),
    "layer_norm weight of the wrong shape": (
        lambda lib, x: lib.nn.functional.layer_norm(lib.tensor(x), [3, 4], lib.ones(4)), (2, 3, 4)),
    "LayerNorm given the wrong size": (_layer("LayerNorm", 5), (2, 4)),
    "group_norm channels not divisible": (_functional("group_norm", 2), (2, 3, 4)),
    "group_norm one value per group": (_functional("group_norm", 3), (1, 3, 1)),
    "group_norm 1-d input": (_functional("group_norm", 1), (3,)),
    "group_norm weight of the wrong size": (
        lambda lib, x: lib.nn.functional.group_norm(lib.tensor(x), 3, lib.ones(4)), (2, 3, 4)),
    "GroupNorm channels not divisible by groups": (_layer("GroupNorm", 4, 6), (2, 6)),
    "instance_norm one spatial element": (_functional("instance_norm"), (2, 3, 1)),
    "instance_norm running stats of the wrong size": (
        lambda lib, x: lib.nn.functional.instance_norm(lib.tensor(x), lib.zeros(4), lib.ones(4)), (2, 3, 4)),
    "InstanceNorm1d affine with the wrong channels": (_layer("InstanceNorm1d", 3, affine=True), (2, 4, 5)),
    "InstanceNorm2d given 2-d input": (_layer("InstanceNorm2d", 3), (2, 3)),
    # (torch's message has a run of spaces from a line continuation in its source: only the type is compared)
    "local_response_norm 2-d input": (_functional("local_response_norm", 2), (2, 3), False),
}


@pytest.mark.parametrize("case", ERRORS, ids=str)
def test_normalization_error_matches_torch(case):
    program, shape, *compare_message = ERRORS[case]
    error = check_program(program, np.random.default_rng(0).standard_normal(shape).astype(np.float32),
                          message=compare_message[0] if compare_message else True)
    assert isinstance(error, Exception), "torch raises nothing: the case does not test an error"
