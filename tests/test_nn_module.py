"""Module, Parameter, the containers and Flatten against PyTorch: the same model code, written once
as a function of the library (``make_net(torch)`` / ``make_net(minitorch)``), gives the same names,
state_dict keys, repr, hook calls and gradients."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from tests.helpers import (
    GRAD_TOLERANCES, assert_same, assert_same_state_dict, check_module_against_torch, check_program, to_numpy,
)
from tests.strategies import FLOAT_DTYPES, arrays, shapes

LIBRARIES = [torch, minitorch]


def make_classes(L):
    """A small model exercising everything registration can meet: nesting, a shared module and a
    shared parameter, persistent and non-persistent buffers, a None parameter, containers."""

    class Affine(L.nn.Module):
        def __init__(self, in_features, out_features):
            super().__init__()
            self.in_features, self.out_features = in_features, out_features
            values = np.linspace(-1, 1, in_features * out_features).reshape(out_features, in_features)
            self.weight = L.nn.Parameter(L.tensor(values, dtype=L.float32))
            self.bias = L.nn.Parameter(L.zeros(out_features))
            self.register_buffer("calls", L.zeros((), dtype=L.int64))
            self.register_buffer("cache", L.zeros(out_features), persistent=False)

        def forward(self, x):
            return x @ self.weight.t() + self.bias

        def extra_repr(self):
            return f"in_features={self.in_features}, out_features={self.out_features}"

    class Net(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = L.nn.Sequential(Affine(4, 3), L.nn.Flatten(), Affine(3, 3))
            self.heads = L.nn.ModuleList([Affine(3, 2), Affine(3, 2)])
            self.shared = self.heads[0]                       # the same module under two names
            self.scale = L.nn.Parameter(L.ones(1))
            self.tied = self.scale                            # the same parameter under two names
            self.missing = None
            self.register_parameter("unused", None)
            self.register_buffer("steps", L.tensor(0))
            self.table = L.nn.ParameterDict({"b": L.nn.Parameter(L.ones(2)), "a": L.nn.Parameter(L.zeros(2))})

        def forward(self, x):
            hidden = self.encoder(x)
            return self.heads[0](hidden) * self.scale + self.heads[1](hidden) * self.tied

    return Affine, Net


def make_net(L):
    return make_classes(L)[1]()


def names(pairs):
    return [name for name, _ in pairs]


# -- walking the tree: names and order as torch ---------------------------------------------------

WALKS = {
    "named_parameters": lambda net: names(net.named_parameters()),
    "named_parameters_with_duplicates": lambda net: names(net.named_parameters(remove_duplicate=False)),
    "named_parameters_with_prefix": lambda net: names(net.named_parameters(prefix="model")),
    "named_parameters_not_recursive": lambda net: names(net.named_parameters(recurse=False)),
    "named_buffers": lambda net: names(net.named_buffers()),
    "named_buffers_with_duplicates": lambda net: names(net.named_buffers(remove_duplicate=False)),
    "named_children": lambda net: names(net.named_children()),
    "named_modules": lambda net: names(net.named_modules()),
    "named_modules_with_duplicates": lambda net: names(net.named_modules(remove_duplicate=False)),
    "named_modules_with_prefix": lambda net: names(net.named_modules(prefix="root")),
    "parameter_count": lambda net: [len(list(net.parameters())), len(list(net.parameters(recurse=False)))],
    "buffer_count": lambda net: [len(list(net.buffers())), len(list(net.children())), len(list(net.modules()))],
    "state_dict_keys": lambda net: list(net.state_dict()),
    "state_dict_keys_with_prefix": lambda net: list(net.state_dict(prefix="model.")),
    "state_dict_metadata": lambda net: [[key, value["version"]] for key, value in net.state_dict()._metadata.items()],
    "state_dict_of_a_submodule": lambda net: list(net.encoder.state_dict()),
    "dir_lists_members_but_no_digits": lambda net: [name in dir(net) for name in ("scale", "steps", "encoder",
                                                                                   "forward", "training")]
    + [any(name[0].isdigit() for name in dir(net.encoder))],
}


@pytest.mark.parametrize("walk", WALKS.values(), ids=WALKS.keys())
def test_module_tree_walks_match_torch(walk):
    check_program(lambda L: walk(make_net(L)))


def test_shared_parameters_are_listed_once_and_are_the_same_object():
    net = make_net(minitorch)
    assert net.tied is net.scale and net.shared is net.heads[0]
    assert sum(parameter is net.scale for parameter in net.parameters()) == 1


def test_state_dict_detaches_unless_keep_vars():
    net = make_net(minitorch)
    detached, kept = net.state_dict(), net.state_dict(keep_vars=True)
    assert kept["scale"] is net.scale
    assert type(detached["scale"]) is minitorch.Tensor and not detached["scale"].requires_grad
    detached["scale"].fill_(5.0)  # the same memory
    assert net.scale.item() == 5.0


def test_state_dict_values_equal_torch_after_copying_weights():
    theirs = make_net(torch)
    with torch.no_grad():
        for parameter in theirs.parameters():
            parameter.uniform_(-1, 1)
    ours = make_net(minitorch)
    ours.load_state_dict({key: minitorch.tensor(to_numpy(value)) for key, value in theirs.state_dict().items()})
    assert_same_state_dict(ours, theirs)
    for key, value in theirs.state_dict().items():
        assert_same(ours.state_dict()[key], value)


# -- load_state_dict -----------------------------------------------------------------------------

def _load(changes, strict=True):
    """A program: load a net's own state_dict, changed by ``changes``, into a fresh net."""
    def program(L):
        state = make_net(L).state_dict()
        changes(L, state)
        try:
            result = make_net(L).load_state_dict(state, strict=strict)
        except RuntimeError as error:  # the whole message, every line of it, is compared
            return str(error).replace("minitorch.", "torch.")
        return [list(result.missing_keys), list(result.unexpected_keys), repr(result)]
    return program


def _drop(*keys):
    def changes(L, state):
        for key in keys:
            del state[key]
    return changes


def _add(**entries):
    def changes(L, state):
        for key, shape in entries.items():
            state[key.replace("__", ".")] = L.zeros(shape)
    return changes


def _resize(key, shape):
    def changes(L, state):
        state[key] = L.zeros(shape)
    return changes


LOADS = {
    "everything": (lambda L, state: None, True),
    "missing_strict": (_drop("scale", "encoder.0.weight"), True),
    "missing_not_strict": (_drop("scale", "encoder.0.weight"), False),
    "unexpected_strict": (_add(extra=2, encoder__0__extra=1, nothere__weight=1), True),
    "unexpected_not_strict": (_add(extra=2, encoder__0__extra=1, nothere__weight=1), False),
    "both_strict": (lambda L, state: (_drop("steps")(L, state), _add(encoder__9__bias=1)(L, state)), True),
    "size_mismatch": (_resize("encoder.0.weight", (3, 5)), True),
    "size_mismatch_not_strict": (_resize("heads.1.bias", (7,)), False),
    "not_a_tensor": (lambda L, state: state.__setitem__("scale", 1.0), True),
}


@pytest.mark.parametrize("changes,strict", LOADS.values(), ids=LOADS.keys())
def test_load_state_dict_reports_and_raises_like_torch(changes, strict):
    check_program(_load(changes, strict))


def test_load_state_dict_names_the_mismatched_key_and_both_shapes():
    net = make_net(minitorch)
    state = net.state_dict()
    state["encoder.0.weight"] = minitorch.zeros(3, 5)
    with pytest.raises(RuntimeError, match=r"size mismatch for encoder\.0\.weight: copying a param with shape "
                                           r"minitorch\.Size\(\[3, 5\]\) from checkpoint, the shape in current model "
                                           r"is minitorch\.Size\(\[3, 4\]\)"):
        net.load_state_dict(state)


def test_load_state_dict_copies_values_into_the_same_parameters_with_their_dtype():
    net = make_net(minitorch)
    weight = net.encoder[0].weight
    state = {key: value.double() + 1 for key, value in net.state_dict().items()}
    net.load_state_dict(state)
    assert net.encoder[0].weight is weight and weight.dtype == minitorch.float32
    np.testing.assert_allclose(to_numpy(weight), to_numpy(state["encoder.0.weight"]))


def test_load_state_dict_with_assign_uses_the_given_tensors_as_parameters():
    def program(L):
        net = make_net(L)
        net.scale.requires_grad_(False)
        state = {key: value.clone() * 2 for key, value in net.state_dict().items()}
        net.load_state_dict(state, assign=True)
        scale = net.scale
        return [type(scale).__name__, scale.requires_grad, net.encoder[0].weight.requires_grad,
                net.steps is state["steps"], scale.tolist()]
    check_program(program)


def test_load_state_dict_rejects_what_is_not_a_mapping():
    check_program(lambda L: make_net(L).load_state_dict([1, 2]))


# -- registration --------------------------------------------------------------------------------

def _bare(L):
    module = L.nn.Module()
    module.existing = 3
    return module


REGISTRATION_ERRORS = {
    "parameter_not_a_parameter": lambda L: _bare(L).register_parameter("w", L.ones(2)),
    "parameter_name_with_dot": lambda L: _bare(L).register_parameter("a.b", None),
    "parameter_empty_name": lambda L: _bare(L).register_parameter("", None),
    "parameter_name_not_str": lambda L: _bare(L).register_parameter(3, None),
    "parameter_existing_attribute": lambda L: _bare(L).register_parameter("existing", None),
    "parameter_non_leaf": lambda L: _bare(L).register_parameter("w", _parameter_with_history(L)),
    "buffer_not_a_tensor": lambda L: _bare(L).register_buffer("b", [1.0]),
    "buffer_name_with_dot": lambda L: _bare(L).register_buffer("a.b", None),
    "buffer_existing_attribute": lambda L: _bare(L).register_buffer("existing", None),
    "module_not_a_module": lambda L: _bare(L).add_module("m", 3),
    "module_name_with_dot": lambda L: _bare(L).add_module("a.b", None),
    "module_empty_name": lambda L: _bare(L).add_module("", None),
    "module_existing_attribute": lambda L: _bare(L).add_module("existing", None),
    "tensor_assigned_to_a_parameter": lambda L: setattr(make_net(L), "scale", L.ones(1)),
    "number_assigned_to_a_module": lambda L: setattr(make_net(L), "encoder", 3),
    "number_assigned_to_a_buffer": lambda L: setattr(make_net(L), "steps", 3),
    "missing_attribute": lambda L: make_net(L).nothing,
    "get_submodule_missing": lambda L: make_net(L).get_submodule("encoder.7"),
    "get_submodule_not_a_module": lambda L: make_net(L).get_submodule("scale"),
    "get_parameter_missing": lambda L: make_net(L).get_parameter("encoder.0.nothing"),
    "get_parameter_not_a_parameter": lambda L: make_net(L).get_parameter("steps"),
    "get_buffer_not_a_buffer": lambda L: make_net(L).get_buffer("scale"),
    "forward_missing": lambda L: L.nn.Module()(1),
    "init_with_arguments": lambda L: L.nn.Module(3),
    "train_mode_not_bool": lambda L: make_net(L).train("yes"),
    "to_an_integer_dtype": lambda L: make_net(L).to(L.int64),
}


def _parameter_with_history(L):
    """A Parameter with a grad_fn: one that needs no grad, changed in place by a tensor that does."""
    result = L.nn.Parameter(L.ones(2), requires_grad=False)
    result.mul_(L.ones(2, requires_grad=True))
    return result


# messages naming a type differ ("torch.FloatTensor"): those compare the exception type only
TYPE_NAMING = {"parameter_not_a_parameter", "tensor_assigned_to_a_parameter", "to_an_integer_dtype"}


@pytest.mark.parametrize("name", REGISTRATION_ERRORS)
def test_registration_errors_match_torch(name):
    error = check_program(REGISTRATION_ERRORS[name], message=name not in TYPE_NAMING)
    assert isinstance(error, Exception)


REGISTRATION_EFFECTS = {
    "parameter_replaces_buffer": lambda L, net: (delattr(net, "steps"), setattr(net, "steps", L.nn.Parameter(L.ones(1)))),
    "module_replaces_attribute": lambda L, net: (setattr(net, "plain", 3), setattr(net, "plain", L.nn.Flatten())),
    "parameter_set_to_none": lambda L, net: setattr(net, "scale", None),
    "module_set_to_none": lambda L, net: setattr(net, "encoder", None),
    "buffer_set_to_none": lambda L, net: setattr(net, "steps", None),
    "buffer_reassigned": lambda L, net: setattr(net, "steps", L.tensor(5)),
    "buffer_made_non_persistent": lambda L, net: net.register_buffer("steps", L.tensor(1), persistent=False),
    "delete_parameter": lambda L, net: delattr(net, "table"),
    "delete_module": lambda L, net: delattr(net.encoder, "0"),
    "register_module": lambda L, net: net.register_module("extra", L.nn.Flatten()),
}


@pytest.mark.parametrize("effect", REGISTRATION_EFFECTS.values(), ids=REGISTRATION_EFFECTS.keys())
def test_registration_effects_match_torch(effect):
    def program(L):
        net = make_net(L)
        effect(L, net)
        return names(net.named_parameters()) + ["|"] + names(net.named_buffers()) + ["|"] + list(net.state_dict()) \
            + ["|"] + names(net.named_modules())
    check_program(program)


def test_get_submodule_parameter_and_buffer_find_dotted_paths():
    net = make_net(minitorch)
    assert net.get_submodule("") is net
    assert net.get_submodule("encoder.2") is net.encoder[2]
    assert net.get_parameter("heads.1.weight") is net.heads[1].weight
    assert net.get_buffer("encoder.0.calls") is net.encoder[0].calls


# -- modes, gradients, dtypes ------------------------------------------------------------------------

def test_train_and_eval_set_training_on_every_submodule():
    def program(L):
        net = make_net(L)
        seen = [net.training]
        net.eval()
        seen += [module.training for module in net.modules()]
        net.encoder.train()
        seen += [module.training for module in net.modules()]
        return seen
    check_program(program)


def test_train_calls_each_childs_train_so_overrides_run():
    calls = []

    class Frozen(minitorch.nn.Module):
        def train(self, mode=True):
            calls.append(mode)
            return super().train(False)

    net = minitorch.nn.Sequential(Frozen())
    net.train()
    assert calls == [True] and not net[0].training and net.training


def _backward(L, net):
    net(L.ones(2, 4)).sum().backward()


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad_matches_torch(set_to_none):
    def program(L):
        net = make_net(L)
        _backward(L, net)
        grad = net.scale.grad
        net.zero_grad(set_to_none=set_to_none)
        return [net.scale.grad is None, net.scale.grad is grad] + [
            p.grad.abs().sum().item() for p in net.parameters() if p.grad is not None]
    check_program(program)


def test_requires_grad_and_apply_match_torch():
    def program(L):
        net = make_net(L)
        net.encoder.requires_grad_(False)
        flags = [p.requires_grad for p in net.parameters()]
        visited = []
        net.apply(lambda module: visited.append(type(module).__name__))
        return flags + visited
    check_program(program)


CONVERSIONS = {
    "double": lambda L, net: net.double(),
    "half": lambda L, net: net.half(),
    "bfloat16": lambda L, net: net.bfloat16(),
    "float": lambda L, net: net.double().float(),
    "to_dtype": lambda L, net: net.to(L.float64),
    "to_keyword_dtype": lambda L, net: net.to(dtype=L.float16),
    "to_tensor": lambda L, net: net.to(L.zeros(1, dtype=L.float64)),
    "to_cpu": lambda L, net: net.to("cpu"),
    "cpu": lambda L, net: net.cpu(),
    "type": lambda L, net: net.type(L.float64),
}


@pytest.mark.parametrize("convert", CONVERSIONS.values(), ids=CONVERSIONS.keys())
def test_dtype_conversions_keep_parameter_and_grad_objects_and_match_torch(convert):
    def program(L):
        net = make_net(L)
        _backward(L, net)
        parameters = list(net.parameters())
        grads = [p.grad for p in parameters]
        assert convert(L, net) is net
        same = [a is b for a, b in zip(parameters, net.parameters())] + [p.grad is g for p, g in zip(parameters, grads)]
        dtypes = [str(value.dtype).split(".")[-1] for value in net.state_dict().values()]
        dtypes += [str(p.grad.dtype).split(".")[-1] for p in net.parameters()]
        return same + dtypes
    check_program(program)


def test_converted_model_computes_like_torch():
    theirs = make_net(torch).double()
    ours = make_net(minitorch).double()
    x = np.random.default_rng(0).standard_normal((3, 4))
    check_module_against_torch(ours, theirs, x)


# -- calling: forward hooks --------------------------------------------------------------------------

def _hooked(L, log, **options):
    """A Flatten module with pre-hooks and hooks that log their calls and change args and outputs."""
    module = L.nn.Flatten(0)

    def pre_double(mod, args):
        log.append("pre_double")
        return args[0] * 2

    def pre_kwargs(mod, args, kwargs):
        log.append(f"pre_kwargs {sorted(kwargs)}")
        return args, kwargs

    def post_add(mod, args, output):
        log.append("post_add")
        return output + 1

    def post_kwargs(mod, args, kwargs, output):
        log.append(f"post_kwargs {sorted(kwargs)}")

    def post_first(mod, args, output):
        log.append("post_first")

    def pre_first(mod, args):
        log.append(f"pre_first {args[0].tolist()}")

    handles = [module.register_forward_pre_hook(pre_double),
               module.register_forward_pre_hook(pre_kwargs, with_kwargs=True),
               module.register_forward_hook(post_add),
               module.register_forward_hook(post_kwargs, with_kwargs=True),
               module.register_forward_hook(post_first, prepend=True),
               module.register_forward_pre_hook(pre_first, prepend=True)]
    return module, handles


def test_forward_hooks_run_in_order_and_change_inputs_and_outputs_like_torch():
    def program(L):
        log = []
        module, handles = _hooked(L, log)
        output = module(L.ones(2, 2))
        handles[0].remove()
        handles[2].remove()
        output2 = module(L.ones(2, 2))
        return log + output.tolist() + output2.tolist()
    check_program(program)


def test_forward_pre_hook_with_kwargs_can_replace_kwargs():
    def program(L):
        class Scale(L.nn.Module):
            def forward(self, x, factor=1.0):
                return x * factor

        module = Scale()
        module.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 3.0}), with_kwargs=True)
        return module(L.ones(2), factor=2.0).tolist()
    check_program(program)


def test_forward_pre_hook_with_kwargs_returning_a_bad_value_raises_like_torch():
    def program(L):
        module = L.nn.Flatten()
        module.register_forward_pre_hook(lambda mod, args, kwargs: 3, with_kwargs=True)
        return module(L.ones(2, 2))
    check_program(program)


def test_always_call_forward_hook_runs_when_forward_raises():
    def program(L):
        log = []
        module = L.nn.Flatten(3)  # a 2-D input makes forward raise
        module.register_forward_hook(lambda mod, args, output: log.append(("always", output)), always_call=True)
        module.register_forward_hook(lambda mod, args, output: log.append("plain"))
        try:
            module(L.ones(2, 2))
        except Exception as error:  # noqa: BLE001
            log.append(type(error).__name__)
        return [str(entry) for entry in log]
    check_program(program)


# -- calling: backward hooks ------------------------------------------------------------------------

def _values(grads):
    return [None if g is None else g for g in grads]


def _backward_hook_program(replace_grad_input, replace_grad_output):
    def program(L):
        log = []
        Affine, _ = make_classes(L)

        class Pair(L.nn.Module):
            def __init__(self):
                super().__init__()
                self.layer = Affine(2, 2)

            def forward(self, x, y, k=2.0):
                return self.layer(x) * k, y * 2, "not a tensor"

        module = Pair().double()

        def pre_hook(mod, grad_output):
            log.append(["pre"] + _values(grad_output))
            if replace_grad_output:
                return (grad_output[0] * 3,) + tuple(grad_output[1:])

        def hook(mod, grad_input, grad_output):
            log.append(["hook"] + _values(grad_input) + _values(grad_output))
            if replace_grad_input:
                return (grad_input[0] * 10,) + tuple(grad_input[1:])

        module.register_full_backward_pre_hook(pre_hook)
        module.register_full_backward_hook(hook)
        x = L.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=L.float64, requires_grad=True)
        y = L.tensor([1.0, -1.0], dtype=L.float64)
        first, second, _ = module(x, y)
        upstream = L.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=L.float64)
        first.backward(upstream)
        return [entry for item in log for entry in item] + [x.grad, module.layer.weight.grad, second.requires_grad]
    return program


@pytest.mark.parametrize("replace_grad_input", [False, True])
@pytest.mark.parametrize("replace_grad_output", [False, True])
def test_full_backward_hooks_see_and_change_gradients_like_torch(replace_grad_input, replace_grad_output):
    check_program(_backward_hook_program(replace_grad_input, replace_grad_output), tolerances=GRAD_TOLERANCES)


def test_backward_hooks_of_nested_modules_run_outermost_first_like_torch():
    def program(L):
        log = []
        net = make_net(L)
        for name, module in net.named_modules():
            module.register_full_backward_pre_hook(lambda mod, go, name=name: log.append(f"pre {name}"))
            module.register_full_backward_hook(lambda mod, gi, go, name=name: log.append(f"hook {name}"))
        net(L.ones(2, 4, requires_grad=True)).sum().backward()
        return log
    check_program(program)


def test_backward_hook_when_no_input_requires_grad_gets_none_grad_input():
    def program(L):
        log = []
        Affine, _ = make_classes(L)
        module = Affine(2, 2)
        module.register_full_backward_hook(lambda mod, gi, go: log.append([gi[0] is None, go[0]]))
        module(L.ones(1, 2)).sum().backward()
        return [entry for item in log for entry in item]
    with pytest.warns(UserWarning, match="Full backward hook is firing"):
        check_program(program)


def test_removed_backward_hook_is_not_called():
    log = []
    module = minitorch.nn.Flatten()
    handle = module.register_full_backward_hook(lambda *args: log.append(1))
    handle.remove()
    module(minitorch.ones(2, 2, requires_grad=True)).sum().backward()
    assert log == []


# -- printing, copying, pickling ------------------------------------------------------------------

def _repr(L, module):
    return repr(module).replace("minitorch.", "torch.") if L is minitorch else repr(module)


REPRS = {
    "net": lambda L: make_net(L),
    "empty_module": lambda L: L.nn.Module(),
    "sequential_of_dict": lambda L: L.nn.Sequential(OrderedDict(flat=L.nn.Flatten(), unflat=L.nn.Unflatten(1, (2, 2)))),
    "module_list_with_repeats": lambda L: L.nn.ModuleList([L.nn.Flatten()] * 3 + [L.nn.Flatten(0)] + [L.nn.Flatten()]),
    "empty_module_list": lambda L: L.nn.ModuleList(),
    "module_dict": lambda L: L.nn.ModuleDict({"b": L.nn.Flatten(), "a": make_classes(L)[0](2, 1)}),
    "parameter_list": lambda L: L.nn.ParameterList([L.ones(2), L.nn.Parameter(L.zeros(2, 3)), "text"]),
    "parameter_dict": lambda L: L.nn.ParameterDict({"x": L.ones(2, dtype=L.float64)}),
    "parameter": lambda L: L.nn.Parameter(L.tensor([1.0, 2.0])),
    "parameter_without_grad": lambda L: L.nn.Parameter(L.tensor([1.0, 2.0]), requires_grad=False),
}


@pytest.mark.parametrize("build", REPRS.values(), ids=REPRS.keys())
def test_repr_matches_torch(build):
    check_program(lambda L: _repr(L, build(L)))


def test_deepcopy_gives_an_independent_model_with_the_same_structure():
    net = make_net(minitorch)
    _backward(minitorch, net)
    clone = copy.deepcopy(net)
    assert list(clone.state_dict()) == list(net.state_dict())
    assert clone.tied is clone.scale and clone.shared is clone.heads[0]  # sharing survives the copy
    assert all(a is not b for a, b in zip(clone.parameters(), net.parameters()))
    assert all(type(p) is minitorch.nn.Parameter and p.requires_grad for p in clone.parameters())
    with minitorch.no_grad():
        clone.scale.fill_(7.0)
    assert net.scale.item() == 1.0
    x = minitorch.ones(2, 4)
    np.testing.assert_allclose(to_numpy(copy.deepcopy(net)(x)), to_numpy(net(x)))


def test_pickle_round_trip_keeps_state_and_hooks_dicts():
    nn = minitorch.nn
    net = nn.Sequential(nn.Flatten(), nn.ParameterList([minitorch.randn(2, 3)]), nn.ModuleDict({"a": nn.Flatten()}))
    net.register_buffer("steps", minitorch.tensor(3))
    loaded = pickle.loads(pickle.dumps(net))
    assert list(loaded.state_dict()) == list(net.state_dict())
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(to_numpy(loaded.state_dict()[key]), to_numpy(value))
    state = net.__getstate__()
    del state["_forward_hooks_always_called"]  # a checkpoint from an older version
    fresh = minitorch.nn.Module.__new__(type(net))
    fresh.__setstate__(state)
    assert fresh._forward_hooks_always_called == OrderedDict()


# -- Parameter -----------------------------------------------------------------------------------------

PARAMETER_FACTS = {
    "requires_grad_by_default": lambda L: L.nn.Parameter(L.ones(2)).requires_grad,
    "requires_grad_false": lambda L: L.nn.Parameter(L.ones(2), requires_grad=False).requires_grad,
    "is_a_tensor_and_leaf": lambda L: [isinstance(L.nn.Parameter(L.ones(2)), L.Tensor),
                                       L.nn.Parameter(L.ones(2)).is_leaf],
    "ops_give_plain_tensors": lambda L: [type(op(L.nn.Parameter(L.ones(2, 2)))).__name__ for op in
                                         (lambda p: p * 2, lambda p: p[0], lambda p: p.sum(), lambda p: p.detach(),
                                          lambda p: p.t(), lambda p: p.clone())],
    "shares_memory_with_its_data": lambda L: _shares_memory(L),
    "of_nothing_is_empty": lambda L: list(L.nn.Parameter().shape),
    "of_an_integer_tensor_raises": lambda L: L.nn.Parameter(L.ones(2, dtype=L.int64)),
    "of_a_non_leaf_is_a_leaf": lambda L: L.nn.Parameter(L.ones(2, requires_grad=True) * 2).is_leaf,
    "deepcopy_is_independent": lambda L: _deepcopied_parameter(L),
}


def _shares_memory(L):
    data = L.zeros(2)
    parameter = L.nn.Parameter(data)
    data.fill_(3.0)
    return parameter.tolist()


def _deepcopied_parameter(L):
    parameter = L.nn.Parameter(L.ones(2), requires_grad=False)
    clone = copy.deepcopy(parameter)
    clone.data.fill_(2.0)
    return [type(clone).__name__, clone.requires_grad, parameter.tolist(), clone.tolist()]


@pytest.mark.parametrize("fact", PARAMETER_FACTS.values(), ids=PARAMETER_FACTS.keys())
def test_parameter_behaves_like_torch(fact):
    check_program(fact, message=False)


# -- containers ------------------------------------------------------------------------------------

def _seq(L):
    return L.nn.Sequential(L.nn.Flatten(0), L.nn.Flatten(1), L.nn.Unflatten(0, (1, -1)))


def _contents(module):
    """A container's children as (key, repr) text, which also shows identity-free structure."""
    return [f"{key}: {module!r}" for key, module in module._modules.items()]


SEQUENTIAL_OPERATIONS = {
    "index": lambda L, s: repr(s[1]),
    "negative_index": lambda L, s: repr(s[-1]),
    "index_out_of_range": lambda L, s: s[3],
    "slice_is_a_sequential": lambda L, s: [type(s[1:]).__name__, _contents(s[1:]), _contents(s[::-1])],
    "len_and_iter": lambda L, s: [len(s)] + [repr(m) for m in s],
    "append": lambda L, s: _contents(s.append(L.nn.Flatten(2))),
    "extend": lambda L, s: _contents(s.extend([L.nn.Flatten(2), L.nn.Flatten(3)])),
    "insert": lambda L, s: _contents(s.insert(1, L.nn.Flatten(5))),
    "insert_negative": lambda L, s: _contents(s.insert(-1, L.nn.Flatten(5))),
    "insert_out_of_range": lambda L, s: s.insert(9, L.nn.Flatten(5)),
    "pop": lambda L, s: [repr(s.pop(1))] + _contents(s),
    "del_renumbers": lambda L, s: (s.__delitem__(0), _contents(s))[1],
    "del_slice": lambda L, s: (s.__delitem__(slice(0, 2)), _contents(s))[1],
    "setitem": lambda L, s: (s.__setitem__(-1, L.nn.Flatten(7)), _contents(s))[1],
    "add": lambda L, s: _contents(s + _seq(L)),
    "add_non_sequential": lambda L, s: s + 1,
    "iadd": lambda L, s: _contents(s.__iadd__(_seq(L))),
    "mul": lambda L, s: _contents(s * 2),
    "mul_by_zero": lambda L, s: s * 0,
    "forward": lambda L, s: list(s(L.ones(2, 3, 2)).shape),
    "ordered_dict_names": lambda L, s: _contents(L.nn.Sequential(OrderedDict(a=L.nn.Flatten(), b=L.nn.Flatten()))),
}


@pytest.mark.parametrize("operation", SEQUENTIAL_OPERATIONS.values(), ids=SEQUENTIAL_OPERATIONS.keys())
def test_sequential_operations_match_torch(operation):
    check_program(lambda L: operation(L, _seq(L)))


def _modules(L):
    return L.nn.ModuleList([L.nn.Flatten(0), L.nn.Flatten(1), L.nn.Flatten(2)])


MODULE_LIST_OPERATIONS = {
    "index_and_negative_index": lambda L, m: [repr(m[0]), repr(m[-1])],
    "index_out_of_range": lambda L, m: m[-4],
    "slice": lambda L, m: [type(m[::2]).__name__] + _contents(m[::2]),
    "len_and_iter": lambda L, m: [len(m)] + [repr(x) for x in m],
    "append_extend_insert": lambda L, m: (m.append(L.nn.Flatten(3)).extend([L.nn.Flatten(4)]),
                                          m.insert(1, L.nn.Flatten(5)), _contents(m))[2],
    "iadd": lambda L, m: (m.__iadd__([L.nn.Flatten(9)]), _contents(m))[1],
    "add": lambda L, m: _contents(m + _modules(L)),
    "pop_and_del": lambda L, m: [repr(m.pop(0))] + (m.__delitem__(-1), _contents(m))[1],
    "setitem": lambda L, m: (m.__setitem__(1, L.nn.Flatten(8)), _contents(m))[1],
    "extend_with_non_iterable": lambda L, m: m.extend(3),
    "called": lambda L, m: m(1),
}


@pytest.mark.parametrize("operation", MODULE_LIST_OPERATIONS.values(), ids=MODULE_LIST_OPERATIONS.keys())
def test_module_list_operations_match_torch(operation):
    check_program(lambda L: operation(L, _modules(L)))


def _module_dict(L):
    return L.nn.ModuleDict({"b": L.nn.Flatten(0), "a": L.nn.Flatten(1)})


MODULE_DICT_OPERATIONS = {
    "keys_values_items": lambda L, d: [list(d.keys()), [repr(v) for v in d.values()], [k for k, _ in d.items()]],
    "getitem_contains_len_iter": lambda L, d: [repr(d["a"]), "a" in d, "z" in d, len(d), list(d)],
    "setitem_and_update": lambda L, d: (d.__setitem__("c", L.nn.Flatten(2)), d.update([("d", L.nn.Flatten(3))]),
                                        d.update(OrderedDict(e=L.nn.Flatten(4))), _contents(d))[3],
    "pop_del_clear": lambda L, d: [repr(d.pop("b")), (d.__delitem__("a"), len(d))[1], (d.clear(), len(d))[1]],
    "update_with_bad_element": lambda L, d: d.update([("x",)]),
    "update_with_non_iterable": lambda L, d: d.update(3),
    "missing_key": lambda L, d: d["zz"],
}


@pytest.mark.parametrize("operation", MODULE_DICT_OPERATIONS.values(), ids=MODULE_DICT_OPERATIONS.keys())
def test_module_dict_operations_match_torch(operation):
    check_program(lambda L: operation(L, _module_dict(L)))


def _parameter_list(L):
    return L.nn.ParameterList([L.ones(2), L.nn.Parameter(L.zeros(3))])


PARAMETER_LIST_OPERATIONS = {
    "state_dict_keys": lambda L, p: list(p.state_dict()),
    "tensors_become_parameters": lambda L, p: [type(x).__name__ for x in p],
    "index_negative_and_slice": lambda L, p: [p[-1].tolist(), type(p[:1]).__name__, len(p[:1]), len(p)],
    "append_extend_setitem": lambda L, p: (p.append(L.ones(1)).extend([L.ones(4)]), p.__setitem__(0, L.zeros(5)),
                                           [list(x.shape) for x in p] + list(p.state_dict()))[2],
    "iadd": lambda L, p: (p.__iadd__([L.ones(6)]), [list(x.shape) for x in p])[1],
    "extend_with_a_tensor": lambda L, p: p.extend(L.ones(2)),
    "index_out_of_range": lambda L, p: p[2],
    "called": lambda L, p: p(1),
    "in_a_module": lambda L, p: (lambda m: (setattr(m, "params", p), names(m.named_parameters()))[1])(L.nn.Module()),
}


@pytest.mark.parametrize("operation", PARAMETER_LIST_OPERATIONS.values(), ids=PARAMETER_LIST_OPERATIONS.keys())
def test_parameter_list_operations_match_torch(operation):
    check_program(lambda L: operation(L, _parameter_list(L)))


def _parameter_dict(L):
    return L.nn.ParameterDict({"z": L.ones(2), "a": L.nn.Parameter(L.zeros(3))})


PARAMETER_DICT_OPERATIONS = {
    "plain_dict_keys_are_sorted": lambda L, p: [list(p.keys()), list(p.state_dict())],
    "ordered_dict_keeps_order": lambda L, p: list(L.nn.ParameterDict(OrderedDict(z=L.ones(1), a=L.ones(1))).keys()),
    "values_and_items": lambda L, p: [[type(v).__name__ for v in p.values()], [k for k, _ in p.items()]],
    "setitem_get_setdefault": lambda L, p: (p.__setitem__("m", L.ones(4)), p.setdefault("n", L.ones(5)),
                                            [list(p), p.get("nothing"), list(p.get("m").shape)])[2],
    "pop_popitem_clear": lambda L, p: [p.pop("a").tolist(), p.popitem()[0], (p.clear(), len(p))[1]],
    "copy_and_or": lambda L, p: [list(p.copy()), list(p | L.nn.ParameterDict({"b": L.ones(1)})),
                                 list(reversed(p)), "z" in p],
    "fromkeys": lambda L, p: list(p.fromkeys(["u", "v"], L.ones(1))),
    "non_string_key": lambda L, p: p[3],
    "update_with_bad_element": lambda L, p: p.update([("x", 1, 2)]),
    "called": lambda L, p: p(1),
}


@pytest.mark.parametrize("operation", PARAMETER_DICT_OPERATIONS.values(), ids=PARAMETER_DICT_OPERATIONS.keys())
def test_parameter_dict_operations_match_torch(operation):
    check_program(lambda L: operation(L, _parameter_dict(L)))


# -- Flatten, Unflatten -------------------------------------------------------------------------------

@st.composite
def flatten_cases(draw):
    shape = draw(shapes(min_dims=1, max_dims=4, max_side=4))
    ndim = len(shape)
    start = draw(st.integers(-ndim, ndim - 1))
    end = draw(st.integers(-ndim, ndim - 1))
    if (start % ndim) > (end % ndim):
        start, end = end, start
    return shape, start, end, draw(arrays(shape, draw(FLOAT_DTYPES)))


@given(flatten_cases())
def test_flatten_matches_torch(case):
    _, start, end, x = case
    check_module_against_torch(minitorch.nn.Flatten(start, end), torch.nn.Flatten(start, end), x)


@given(st.sampled_from([((6, 4), 0, (2, 3)), ((2, 12), 1, (3, -1)), ((2, 3, 4), -1, (2, 2)), ((5,), 0, (5, 1))]),
       FLOAT_DTYPES)
def test_unflatten_matches_torch(case, dtype):
    shape, dim, sizes = case
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    check_module_against_torch(minitorch.nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes), x)


@pytest.mark.parametrize("sizes", [[2, 3], 6, (2, 3.0)])
def test_unflatten_checks_its_sizes_like_torch(sizes):
    check_program(lambda L: repr(L.nn.Unflatten(1, sizes)))


def test_flatten_errors_match_torch():
    check_program(lambda L: L.nn.Flatten(2, 0)(L.ones(2, 2, 2)), message=False)


# -- devices -------------------------------------------------------------------------------------------

@pytest.mark.cuda
@pytest.mark.skipif(not minitorch.cuda.is_available(), reason="needs CuPy and a CUDA GPU")
def test_cuda_moves_parameters_grads_and_buffers_in_place_and_back():
    net = make_net(minitorch)
    _backward(minitorch, net)
    parameters = list(net.parameters())
    expected = to_numpy(net(minitorch.ones(2, 4)))
    assert net.cuda() is net
    assert all(a is b for a, b in zip(parameters, net.parameters()))
    assert all(value.device.type == "cuda" for value in net.state_dict().values())
    assert all(p.grad.device.type == "cuda" for p in net.parameters())
    np.testing.assert_allclose(to_numpy(net(minitorch.ones(2, 4, device="cuda"))), expected, rtol=1e-5)
    net.load_state_dict(make_net(minitorch).state_dict())  # CPU tensors are copied onto the GPU
    assert net.scale.device.type == "cuda"
    net.to("cpu")
    assert all(value.device.type == "cpu" for value in net.state_dict().values())
