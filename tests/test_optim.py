"""The Optimizer base class and SGD against torch.optim: construction and parameter groups,
zero_grad, step (closures, grad mode, version counters, hooks), state_dict and load_state_dict,
repr, copying, SGD trajectories for every option, and whole training loops for every optimizer
both libraries have."""
import copy
import importlib
import pickle
import re
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import minitorch
from tests.helpers import (OPTIMIZER_TOLERANCES, check_optimizer_state_moves,
                           check_optimizer_trajectory, check_program, copy_weights_from_torch, to_numpy, version)
from tests.strategies import FLOAT_DTYPES

SHAPES = ((2, 3), (3,), ())


def make_params(lib, dtype=np.float64):
    """Three parameters with the same seeded values in either library."""
    rng = np.random.default_rng(0)
    return [lib.nn.Parameter(lib.tensor(rng.standard_normal(shape).astype(dtype))) for shape in SHAPES]


def feed_gradients(params, seed=1, skip=()):
    """The same seeded gradients in either library; parameters at the indices in ``skip`` get none."""
    rng = np.random.default_rng(seed)
    for index, param in enumerate(params):
        lib = torch if isinstance(param, torch.Tensor) else minitorch
        gradient = rng.standard_normal(tuple(param.shape)).astype(to_numpy(param).dtype)
        param.grad = None if index in skip else lib.tensor(gradient)


def backward_with_graph(loss):
    """``loss.backward(create_graph=True)``: gradients that carry a graph of their own."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns of the reference cycle this makes
        loss.backward(create_graph=True)


def without_addresses(text):
    """An error message that names a function, with the memory address left out."""
    return re.sub(r" at 0x[0-9a-fA-F]+", "", text)


# -- construction --------------------------------------------------------------------------------------


def optimizer_module(lib):
    """``torch.optim.optimizer`` (which ``torch.optim`` does not keep as an attribute) or ours."""
    return importlib.import_module(f"{lib.__name__}.optim.optimizer")


def required_option(lib, params):
    return lib.optim.Optimizer(params, {"lr": optimizer_module(lib).required, "momentum": 0.5})


def retained_non_leaf(lib, params):
    doubled = params[0] * 2
    doubled.retain_grad()
    return lib.optim.SGD([doubled])


CONSTRUCTIONS = {  # name: program(lib, params) making an optimizer, or raising
    "tensors": lambda lib, params: lib.optim.SGD(params, lr=0.1),
    "a generator of tensors": lambda lib, params: lib.optim.SGD(iter(params)),
    "named pairs": lambda lib, params: lib.optim.SGD([(f"p{index}", param) for index, param in enumerate(params)]),
    "group dicts": lambda lib, params: lib.optim.SGD(
        [{"params": params[:1]}, {"params": params[1:], "lr": 0.5, "momentum": 0.9}], lr=0.1),
    "a group of one bare tensor": lambda lib, params: lib.optim.SGD([{"params": params[0]}]),
    "named groups": lambda lib, params: lib.optim.SGD(
        [{"params": [("first", params[0])]}, {"params": [("second", params[1]), ("third", params[2])]}]),
    "a non-leaf that retains its grad": retained_non_leaf,
    "a group giving a required option": lambda lib, params: lib.optim.Optimizer(
        [{"params": params, "lr": 0.1}], {"lr": optimizer_module(lib).required, "momentum": 0.5}),
    # errors
    "an empty list": lambda lib, params: lib.optim.SGD([]),
    "a set in a group": lambda lib, params: lib.optim.SGD([{"params": set(params)}]),
    "a non-leaf": lambda lib, params: lib.optim.SGD([params[0] * 2]),
    "a parameter in two groups": lambda lib, params: lib.optim.SGD([{"params": params}, {"params": params[:1]}]),
    "names for some params only": lambda lib, params: lib.optim.SGD([("first", params[0]), params[1]]),
    "named and unnamed groups": lambda lib, params: lib.optim.SGD(
        [{"params": [("first", params[0])]}, {"params": params[1:]}]),
    "a group missing a required option": required_option,
    "a group that is not a dict": lambda lib, params: lib.optim.SGD(params[:1]).add_param_group(params[1:]),
}


@pytest.mark.parametrize("name", CONSTRUCTIONS)
def test_construction_makes_torchs_param_groups_or_raises_its_error(name):
    def program(lib):
        return CONSTRUCTIONS[name](lib, make_params(lib)).state_dict()
    check_program(program)


@pytest.mark.parametrize("argument", [lambda params: params[0], lambda params: [params[0], 1.0]],
                         ids=["a bare tensor", "a number among tensors"])
def test_type_errors_name_the_offending_type_like_torch(argument):
    def program(lib):
        try:
            lib.optim.SGD(argument(make_params(lib)))
        except TypeError as error:
            return str(error).replace(f"{lib.__name__}.", "")  # torch.DoubleTensor is our minitorch.DoubleTensor
    check_program(program)


def test_duplicate_parameters_warn_like_torch_and_number_like_torch():
    def program(lib):
        params = make_params(lib)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            optimizer = lib.optim.SGD([params[0], params[1], params[0], params[2]], lr=0.1, weight_decay=0.5)
        feed_gradients(params)
        optimizer.step()  # the repeated parameter is updated twice
        return [str(warning.message) for warning in caught], optimizer.state_dict(), params
    check_program(program)


def test_add_param_group_fills_in_defaults_and_keeps_state():
    def program(lib):
        params = make_params(lib)
        optimizer = lib.optim.SGD(params[:1], lr=0.1, momentum=0.9, nesterov=True)
        feed_gradients(params)
        optimizer.step()
        optimizer.add_param_group({"params": params[1:], "lr": 0.5, "weight_decay": 0.1})
        optimizer.step()
        return optimizer.state_dict(), params
    check_program(program)


# -- zero_grad -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad_sets_to_none_or_zeros_and_skips_missing_grads(set_to_none):
    def program(lib):
        params = make_params(lib)
        optimizer = lib.optim.SGD(params)
        feed_gradients(params, skip={1})
        optimizer.zero_grad(set_to_none=set_to_none)
        return [param.grad for param in params]
    check_program(program)


def test_zero_grad_detaches_a_gradient_made_with_create_graph():
    def program(lib):
        param = lib.nn.Parameter(lib.tensor([0.5, -1.5, 2.0], dtype=lib.float64))
        backward_with_graph((param ** 3).sum())
        had_graph = param.grad.grad_fn is not None
        lib.optim.SGD([param]).zero_grad(set_to_none=False)
        return had_graph, param.grad.grad_fn is None, param.grad.requires_grad, param.grad
    check_program(program)


def test_zero_grad_clears_a_gradient_that_is_a_view():
    def program(lib):
        param = lib.nn.Parameter(lib.ones(3))
        base = lib.ones(2, 3)
        param.grad = base[0]
        lib.optim.SGD([param]).zero_grad(set_to_none=False)
        return param.grad, base
    check_program(program)


# -- step --------------------------------------------------------------------------------------------------


def test_step_returns_the_closure_loss_computed_with_grad_enabled():
    def program(lib):
        params = make_params(lib)
        optimizer = lib.optim.SGD(params, lr=0.1)
        seen = []

        def closure():
            seen.append(lib.is_grad_enabled())
            optimizer.zero_grad()
            loss = sum((param ** 2).sum() for param in params)
            loss.backward()
            return loss
        with lib.no_grad():
            loss = optimizer.step(closure)
        return loss, seen, params, lib.is_grad_enabled()
    check_program(program)


def test_step_updates_leaves_without_recording_history_and_bumps_their_versions():
    def program(lib):
        params = make_params(lib)
        optimizer = lib.optim.SGD(params, lr=0.1, momentum=0.9)
        backward_with_graph(sum((param ** 3).sum() for param in params))
        optimizer.step()  # the update must record no history even so
        versions = [[version(param) for param in params]]
        for step in range(2):
            feed_gradients(params, seed=step, skip={2} if step == 1 else ())
            optimizer.step()
            versions.append([version(param) for param in params])
        buffer = optimizer.state[params[0]]["momentum_buffer"]
        return (versions, [(param.is_leaf, param.grad_fn is None, param.requires_grad) for param in params],
                buffer.requires_grad, lib.is_grad_enabled())
    check_program(program)


def test_state_is_keyed_by_the_parameters_themselves():
    def program(lib):
        params = make_params(lib)
        optimizer = lib.optim.SGD(params, momentum=0.9)
        feed_gradients(params, skip={0})
        optimizer.step()
        keys = [next(index for index, param in enumerate(params) if param is key) for key in optimizer.state]
        return keys, params[0] in optimizer.state, optimizer.state[params[1]]["momentum_buffer"]
    check_program(program)


# -- step hooks -------------------------------------------------------------------------------------------


def record_step_hooks(lib, optimizer, calls):
    """Register instance and global step hooks that log their calls; returns the handles."""
    module = optimizer_module(lib)

    def logger(name):
        return lambda optimizer, args, kwargs: calls.append((name, len(args), sorted(kwargs)))
    return [optimizer.register_step_pre_hook(logger("pre")), optimizer.register_step_post_hook(logger("post")),
            module.register_optimizer_step_pre_hook(logger("global pre")),
            module.register_optimizer_step_post_hook(logger("global post"))]


def test_step_hooks_run_in_torchs_order_and_handles_remove_them():
    def program(lib):
        params = make_params(lib)
        optimizer = lib.optim.SGD(params, lr=0.1)
        calls = []
        handles = record_step_hooks(lib, optimizer, calls)
        try:
            feed_gradients(params)
            optimizer.step()
            optimizer.step(closure=None)
        finally:
            for handle in handles:
                handle.remove()
        optimizer.step()
        return calls
    check_program(program)


def test_step_pre_hook_may_replace_the_arguments():
    def program(lib):
        params = make_params(lib)
        optimizer = lib.optim.SGD(params, lr=0.1)
        feed_gradients(params)
        optimizer.register_step_pre_hook(lambda optimizer, args, kwargs: (args, {"closure": lambda: lib.tensor(7.0)}))
        return optimizer.step()
    check_program(program)


def test_step_pre_hook_returning_something_else_raises_like_torch():
    def program(lib):
        params = make_params(lib)
        optimizer = lib.optim.SGD(params)
        optimizer.register_step_pre_hook(lambda optimizer, args, kwargs: "something else")
        try:
            optimizer.step()
        except RuntimeError as error:
            return without_addresses(str(error))
    check_program(program)


# -- state_dict and its hooks ----------------------------------------------------------------------------


def trained_optimizer(lib, params, steps=2):
    """SGD over two named groups, a few momentum steps taken (the last parameter skipped once)."""
    optimizer = lib.optim.SGD([{"params": [("weight", params[0])], "lr": 0.2},
                               {"params": [("bias", params[1]), ("scale", params[2])], "nesterov": True}],
                              lr=0.1, momentum=0.9)
    for step in range(steps):
        feed_gradients(params, seed=step, skip={2} if step == 0 else ())
        optimizer.step()
    return optimizer


def test_state_dict_numbers_parameters_across_groups_and_keeps_names():
    check_program(lambda lib: trained_optimizer(lib, make_params(lib)).state_dict())


def test_state_dict_hooks_run_in_order_and_may_replace_the_result():
    def program(lib):
        optimizer = trained_optimizer(lib, make_params(lib))
        calls = []
        optimizer.register_state_dict_pre_hook(lambda optimizer: calls.append("pre"))
        optimizer.register_state_dict_pre_hook(lambda optimizer: calls.append("first pre"), prepend=True)
        optimizer.register_state_dict_post_hook(lambda optimizer, state_dict: calls.append("post"))
        optimizer.register_state_dict_post_hook(
            lambda optimizer, state_dict: {**state_dict, "extra": len(state_dict["state"])}, prepend=True)
        handle = optimizer.register_state_dict_post_hook(lambda optimizer, state_dict: {"removed": True})
        handle.remove()
        return optimizer.state_dict(), calls
    check_program(program)


def test_load_state_dict_hooks_may_replace_the_loaded_dict():
    def program(lib):
        params = make_params(lib)
        optimizer = trained_optimizer(lib, params)
        state_dict = optimizer.state_dict()
        calls = []

        def pre_hook(optimizer, state_dict):
            calls.append("pre")
            groups = [{**group, "lr": 0.05} for group in state_dict["param_groups"]]
            return {**state_dict, "param_groups": groups}
        optimizer.register_load_state_dict_pre_hook(pre_hook)
        optimizer.register_load_state_dict_post_hook(lambda optimizer: calls.append("post"))
        optimizer.register_load_state_dict_post_hook(lambda optimizer: calls.append("first post"), prepend=True)
        optimizer.load_state_dict(state_dict)
        return optimizer.state_dict(), calls
    check_program(program)


LOAD_ERRORS = {  # name: edit of a state_dict that makes it not fit the optimizer
    "one group too many": lambda state_dict: state_dict["param_groups"].append(state_dict["param_groups"][0]),
    "a group too short": lambda state_dict: state_dict["param_groups"][1]["params"].pop(),
}


@pytest.mark.parametrize("name", LOAD_ERRORS)
def test_load_state_dict_refuses_a_dict_that_does_not_fit_like_torch(name):
    def program(lib):
        optimizer = trained_optimizer(lib, make_params(lib))
        state_dict = optimizer.state_dict()
        LOAD_ERRORS[name](state_dict)
        optimizer.load_state_dict(state_dict)
    check_program(program)


def test_load_state_dict_casts_floating_state_to_the_parameter_dtype_but_keeps_step():
    def program(lib):
        params = make_params(lib) + [lib.zeros(2, dtype=lib.int64)]
        optimizer = lib.optim.SGD(params, momentum=0.9)
        half = lib.float16
        optimizer.load_state_dict({
            "state": {0: {"momentum_buffer": lib.ones(2, 3, dtype=half), "step": lib.tensor(3.0, dtype=half),
                          "history": [lib.ones(1, dtype=half)], "count": 4},
                      3: {"momentum_buffer": lib.ones(2, dtype=half)},
                      "not a parameter": {"kept": lib.ones(1, dtype=half)}},
            "param_groups": [{**optimizer.state_dict()["param_groups"][0], "lr": 0.5}]})
        return optimizer.state_dict(), optimizer.state["not a parameter"]
    check_program(program)


def test_loading_keeps_the_optimizer_param_names_when_the_dict_has_none():
    def program(lib):
        params = make_params(lib)
        named = lib.optim.SGD([(f"p{index}", param) for index, param in enumerate(params)])
        named.load_state_dict(lib.optim.SGD(params, lr=0.3).state_dict())
        return named.state_dict()
    check_program(program)


# -- repr and copies ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("make_optimizer", [
    lambda lib, params: lib.optim.SGD(params),
    lambda lib, params: lib.optim.SGD([{"params": params[:1], "lr": 0.5}, {"params": params[1:]}], momentum=0.9),
    lambda lib, params: lib.optim.SGD([(f"p{index}", param) for index, param in enumerate(params)],
                                      lr=lib.tensor(0.01)),
], ids=["defaults", "two groups", "named, tensor lr"])
def test_repr_is_torchs_text(make_optimizer):
    check_program(lambda lib: repr(make_optimizer(lib, make_params(lib))))


@pytest.mark.parametrize("make_copy", [copy.deepcopy, lambda optimizer: pickle.loads(pickle.dumps(optimizer))],
                         ids=["deepcopy", "pickle"])
def test_a_copied_optimizer_owns_copied_parameters_and_trains_on(make_copy):
    def program(lib):
        params = make_params(lib)
        optimizer = trained_optimizer(lib, params)
        calls = []
        optimizer.register_step_post_hook(lambda *args: calls.append("post"))  # hooks are not copied
        clone = make_copy(optimizer)
        clone_params = [param for group in clone.param_groups for param in group["params"]]
        shares = [clone_param is param for clone_param, param in zip(clone_params, params)]
        keyed_by_copies = all(any(key is param for param in clone_params) for key in clone.state)
        feed_gradients(clone_params, seed=5)
        clone.step()
        return shares, keyed_by_copies, calls, clone_params, clone.state_dict(), params
    check_program(program)


# -- SGD ---------------------------------------------------------------------------------------------------

MOMENTUM_KINDS = st.one_of(  # the branches of SGD's momentum, each drawn as often
    st.just({}),
    st.fixed_dictionaries({"momentum": st.floats(0.1, 0.95)}),
    st.fixed_dictionaries({"momentum": st.floats(0.1, 0.95), "dampening": st.floats(0.1, 0.9)}),
    st.fixed_dictionaries({"momentum": st.floats(0.1, 0.95), "nesterov": st.just(True)}),
)
IMPLEMENTATIONS = st.sampled_from([{}, {"foreach": False}, {"foreach": True}, {"fused": True}])
SGD_GROUP_OPTIONS = {  # what a parameter group may set its own way
    "lr": st.floats(1e-3, 0.3),
    "momentum": st.one_of(st.just(0.0), st.floats(0.1, 0.95)),
    "dampening": st.floats(0.0, 0.9),
    "weight_decay": st.one_of(st.just(0.0), st.floats(1e-3, 0.5)),
    "maximize": st.booleans(),
}


@st.composite
def sgd_options(draw):
    """SGD constructor options torch accepts, and sometimes two groups with options of their own."""
    options = {**draw(MOMENTUM_KINDS), **draw(IMPLEMENTATIONS)}
    options.update(draw(st.fixed_dictionaries({}, optional={key: SGD_GROUP_OPTIONS[key]
                                                            for key in ("lr", "weight_decay", "maximize")})))
    group_options = draw(st.one_of(st.none(), st.lists(st.fixed_dictionaries({}, optional=SGD_GROUP_OPTIONS),
                                                       min_size=2, max_size=2)))
    return options, group_options


@given(drawn=sgd_options(), dtype=FLOAT_DTYPES)
def test_sgd_trajectory_matches_torch_for_every_option(drawn, dtype):
    options, group_options = drawn
    check_optimizer_trajectory("SGD", options, dtype, group_options=group_options)


@given(drawn=sgd_options(), dtype=FLOAT_DTYPES)
def test_sgd_state_dict_moves_to_torch_and_back_mid_training(drawn, dtype):
    options, group_options = drawn
    check_optimizer_state_moves("SGD", options, dtype, group_options=group_options)


@pytest.mark.parametrize("options", [
    {"lr": minitorch.tensor(0.02, dtype=minitorch.float32), "momentum": 0.9},
    {"lr": minitorch.tensor([0.05]), "weight_decay": minitorch.tensor(0.1), "nesterov": True, "momentum": 0.5},
    {"fused": True, "momentum": 0.9, "maximize": True},
], ids=["0-dim float32 lr", "1-element lr and tensor weight_decay", "fused"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sgd_tensor_options_and_fused_follow_torch(options, dtype):
    check_optimizer_trajectory("SGD", options, dtype)


SGD_BAD_OPTIONS = {
    "negative lr": lambda lib: {"lr": -0.1},
    "negative momentum": lambda lib: {"momentum": -0.1},
    "negative weight_decay": lambda lib: {"weight_decay": -0.1},
    "nesterov without momentum": lambda lib: {"nesterov": True},
    "nesterov with dampening": lambda lib: {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
    "a 2-element lr": lambda lib: {"lr": lib.tensor([0.1, 0.2])},
    "a negative tensor lr": lambda lib: {"lr": lib.tensor(-0.1)},
    "fused and differentiable": lambda lib: {"fused": True, "differentiable": True},
    "fused and foreach": lambda lib: {"fused": True, "foreach": True},
}


@pytest.mark.parametrize("name", SGD_BAD_OPTIONS)
def test_sgd_refuses_bad_options_like_torch(name):
    check_program(lambda lib: lib.optim.SGD(make_params(lib), **SGD_BAD_OPTIONS[name](lib)))


def test_sgd_loading_an_old_checkpoint_fills_in_later_options():
    def program(lib):
        params = make_params(lib)
        optimizer = lib.optim.SGD(params, momentum=0.9)
        state_dict = optimizer.state_dict()
        for key in ("nesterov", "maximize", "foreach", "differentiable", "fused"):
            del state_dict["param_groups"][0][key]
        optimizer.load_state_dict(state_dict)
        return optimizer.state_dict()
    check_program(program)


# -- whole training loops --------------------------------------------------------------------------------

TRAINING_OPTIONS = {"SGD": {"lr": 0.05, "momentum": 0.9, "nesterov": True}}  # others train with their defaults
OPTIMIZER_NAMES = sorted(name for name in dir(minitorch.optim)
                         if isinstance(getattr(minitorch.optim, name), type)
                         and issubclass(getattr(minitorch.optim, name), minitorch.optim.Optimizer)
                         and name not in ("Optimizer", "LBFGS") and hasattr(torch.optim, name))


def training_losses(lib, name, torch_model, inputs, targets, steps=20):
    """The losses of ``steps`` full-batch steps of ``name`` on a Linear-ReLU-Linear model in float64."""
    model = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.ReLU(), lib.nn.Linear(8, 1)).double()
    if lib is minitorch:
        copy_weights_from_torch(model, torch_model)
    else:
        model.load_state_dict(torch_model.state_dict())
    optimizer = getattr(lib.optim, name)(model.parameters(), **TRAINING_OPTIONS.get(name, {}))
    loss_function = lib.nn.MSELoss()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_function(model(lib.tensor(inputs)), lib.tensor(targets))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return np.array(losses)


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_training_a_small_model_gives_torchs_losses(name):
    torch.manual_seed(0)
    torch_model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1)).double()
    rng = np.random.default_rng(0)
    inputs, targets = rng.standard_normal((16, 4)), rng.standard_normal((16, 1))
    expected = training_losses(torch, name, torch_model, inputs, targets)
    actual = training_losses(minitorch, name, torch_model, inputs, targets)
    np.testing.assert_allclose(actual, expected, rtol=OPTIMIZER_TOLERANCES[np.dtype(np.float64)][0])
    assert expected[-1] < expected[0], "the loop should train: the test would be weak otherwise"
