"""The ``Optimizer`` base class (``torch.optim.Optimizer``): parameter groups, per-parameter state,
hooks, and a ``state_dict`` in PyTorch's layout, so an optimizer checkpoint moves between the
two frameworks.

Where it sits: above ``nn`` and the tensor layer. An optimizer never records autograd history:
``step`` runs under ``no_grad`` and updates each parameter's array in place with whole-array
NumPy/CuPy operations (``param._data``), bumping the parameter's version counter as any in-place
op does. State buffers (``exp_avg``, ``momentum_buffer``, ``step``, ...) are minitorch Tensors,
so ``state_dict()`` holds tensors exactly where PyTorch's does.
"""
from __future__ import annotations

import functools
import warnings
from collections import OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain

import minitorch
from minitorch import backend
from minitorch.autograd.function import RemovableHandle
from minitorch.nn.modules.module import _typename  # torch.typename, as nn's error messages use it
from minitorch.tensor import Tensor

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """The default of an option every parameter group must set itself (SGD's ``lr`` once was)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def scalar_dtype() -> backend.dtype:
    """The dtype of a ``state['step']`` tensor: float64 under a float64 default dtype, else float32."""
    return minitorch.float64 if minitorch.get_default_dtype() is minitorch.float64 else minitorch.float32


def step_counter() -> Tensor:
    """A fresh ``state['step']``: a 0-dim tensor, as PyTorch keeps it."""
    return minitorch.tensor(0.0, dtype=scalar_dtype())


def hyperparameter(value) -> float:
    """A Python number from an option that may be given as a 1-element tensor (``lr=torch.tensor(0.01)``)."""
    return value.item() if isinstance(value, Tensor) else value


def check_fused_options(fused, foreach, differentiable) -> None:
    """The combinations PyTorch refuses once an optimizer asks for its fused kernel (accepted, and
    stored, but computed as usual here)."""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


_OPTION_WORDS = {"lr": "learning rate", "eps": "epsilon value"}  # how PyTorch's messages name them


def check_nonnegative(**options) -> None:
    """PyTorch's range checks, in the order given: a tensor ``lr`` holds one number, no option is negative."""
    lr = options.get("lr")
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    for name, value in options.items():
        if not 0.0 <= value:
            raise ValueError(f"Invalid {_OPTION_WORDS.get(name, name + ' value')}: {value}")


def lerp_(start, end, weight: float) -> None:
    """``start += weight * (end - start)`` in place, as ``torch.lerp_`` computes it: from ``end``
    backwards when ``weight >= 0.5``, so the result is exact at both ends."""
    weight = start.dtype.type(weight)  # torch rounds the weight to the array's dtype first
    if weight < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)


def _runs_step_hooks(step):
    """Wrap a subclass's ``step``: run it without recording history, between the registered hooks."""

    @functools.wraps(step)
    def step_with_hooks(*args, **kwargs):
        # as in PyTorch, hooks see ``args`` with the optimizer first, and may replace them
        self = args[0]
        for pre_hook in list(_global_step_pre_hooks.values()) + list(self._optimizer_step_pre_hooks.values()):
            result = pre_hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, new_kwargs), "
                                       f"but got {result}.")
                args, kwargs = result
        with minitorch.no_grad():
            out = step(*args, **kwargs)
        self._opt_called = True  # what lr_scheduler checks to warn about calling it first
        for post_hook in list(self._optimizer_step_post_hooks.values()) + list(_global_step_post_hooks.values()):
            post_hook(self, args, kwargs)
        return out

    step_with_hooks._wrapped_by_optimizer = True
    return step_with_hooks


_global_step_pre_hooks: OrderedDict = OrderedDict()
_global_step_post_hooks: OrderedDict = OrderedDict()


def register_optimizer_step_pre_hook(hook) -> RemovableHandle:
    """A hook ``hook(optimizer, args, kwargs)`` run before every optimizer's ``step``."""
    return RemovableHandle(_global_step_pre_hooks, hook)


def register_optimizer_step_post_hook(hook) -> RemovableHandle:
    """A hook ``hook(optimizer, args, kwargs)`` run after every optimizer's ``step``."""
    return RemovableHandle(_global_step_post_hooks, hook)


class Optimizer:
    """Base class of all optimizers.

    ``params`` is an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts (parameter
    groups: ``{"params": [...], "lr": 0.1}``, options a group leaves out come from ``defaults``).
    Subclasses implement ``step`` and read their options from ``self.param_groups``.
    """

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {_typename(params)}")
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_wrapped_by_optimizer", False):
            cls.step = _runs_step_hooks(step)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
                     "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            self.__dict__.setdefault(name, OrderedDict())
        self.defaults.setdefault("differentiable", False)

    def __repr__(self):
        text = self.__class__.__name__ + " ("
        for index, group in enumerate(self.param_groups):
            text += f"\nParameter Group {index}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    # -- parameter groups ---------------------------------------------------------------------

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with options of its own (a layer unfrozen while fine-tuning)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        params = list(params)
        names = [param[0] for param in params if isinstance(param, tuple)]
        param_group["params"] = [param[1] if isinstance(param, tuple) else param for param in params]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names

        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {_typename(param)}")
            if not self.defaults.get("differentiable", None) and not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)

        params = param_group["params"]
        if len(params) != len({id(param) for param in params}):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        already_optimized = set()
        for group in self.param_groups:
            already_optimized.update(id(param) for param in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                with_or_without = "with names" if "param_names" in param_group else "without names"
                raise ValueError(f"all optimizer param groups should be with/without names. cannot add param "
                                 f"group {with_or_without} to the optimizer")
        if any(id(param) in already_optimized for param in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set them to None (the default) or fill them with zeros."""
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                if set_to_none:
                    param.grad = None
                    continue
                if param.grad.grad_fn is not None:
                    param.grad.detach_()  # a gradient made with create_graph stops holding its graph
                else:
                    param.grad.requires_grad_(False)  # (a view cannot be detached in place, but may be a leaf)
                param.grad.zero_()

    def step(self, closure=None):
        """Update the parameters once; ``closure`` re-evaluates the model and returns the loss."""
        raise NotImplementedError

    @staticmethod
    def _closure_loss(closure):
        """The loss ``closure()`` returns, computed with gradients on (``step`` runs under ``no_grad``)."""
        if closure is None:
            return None
        with minitorch.enable_grad():
            return closure()

    def _params_with_grad(self, group: dict) -> list:
        """The parameters of ``group`` that received a gradient: the others are skipped, as in PyTorch."""
        return [param for param in group["params"] if param.grad is not None]

    # -- hooks ----------------------------------------------------------------------------------

    def register_step_pre_hook(self, hook) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` runs before ``step``; it may return new ``(args, kwargs)``."""
        return RemovableHandle(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` runs after ``step``."""
        return RemovableHandle(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        return _register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        return _register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        return _register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        return _register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # -- checkpoints ------------------------------------------------------------------------------

    def state_dict(self) -> dict:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``: PyTorch's layout.

        Parameters are numbered in the order the groups list them; the tensors themselves are not
        saved, only the state that belongs to them, keyed by that number.
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        # numbered by position across the groups; like PyTorch, a parameter listed twice in one group
        # takes its later position (and the earlier number goes unused)
        index_of, start = {}, 0
        for group in self.param_groups:
            index_of.update({id(param): start + position for position, param in enumerate(group["params"])
                             if id(param) not in index_of})
            start += len(group["params"])
        param_groups = [{**{key: value for key, value in group.items() if key != "params"},
                         "params": [index_of[id(param)] for param in group["params"]]}
                        for group in self.param_groups]
        packed_state = {(index_of[id(key)] if isinstance(key, Tensor) else key): value
                        for key, value in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": param_groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict: dict) -> None:
        """Load what ``state_dict()`` returned (here or in PyTorch): groups are matched by position.

        Floating-point state is cast to its parameter's dtype and device; ``step`` counters are kept.
        """
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(group["params"]) != len(saved["params"]) for group, saved in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        param_of = dict(zip(chain.from_iterable(saved["params"] for saved in saved_groups),
                            chain.from_iterable(group["params"] for group in groups)))
        state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in param_of:
                param = param_of[key]
                state[param] = _cast_state(param, value)
            else:
                state[key] = value
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.__setstate__({"state": state, "param_groups": saved_groups})
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)


def _cast_state(param: Tensor, value, key=None):
    """A loaded state value made to fit ``param``: tensors move to its device (and its dtype, if floating;
    ``step`` counters keep theirs); dicts and sequences are walked."""
    if isinstance(value, Tensor):
        if key == "step":
            return value
        if param.is_floating_point():
            return value.to(dtype=param.dtype, device=param.device)
        return value.to(device=param.device)
    if isinstance(value, dict):
        return {inner_key: _cast_state(param, inner, inner_key) for inner_key, inner in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(param, inner) for inner in value)
    return value


def _register(hooks: OrderedDict, hook, prepend: bool) -> RemovableHandle:
    handle = RemovableHandle(hooks, hook)
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


class PerParameterOptimizer(Optimizer):
    """The ``step`` loop most optimizers share (Adam and its family, RMSprop, Adagrad, Adadelta, Rprop,
    ASGD): each parameter with a gradient is updated on its own, and each optimizer writes only its
    ``_update``.

    State is created on a parameter's first step, in PyTorch's key order: ``step`` (a 0-dim float
    tensor, counted up before use), the scalars in ``_scalar_state`` (NAdam's ``mu_product``), then
    one zero buffer, shaped like the parameter, per name ``_buffer_names`` gives.
    """

    _scalar_state: dict = {}

    def _buffer_names(self, group: dict) -> tuple:
        return ("exp_avg", "exp_avg_sq")

    def _init_state(self, state: dict, param: Tensor, group: dict) -> None:
        fused = group.get("fused")  # only Adam and AdamW have fused kernels; they count steps in float32
        state["step"] = minitorch.tensor(0.0, dtype=minitorch.float32) if fused else step_counter()
        if fused or group["capturable"]:
            state["step"] = state["step"].to(param.device)  # kept beside the parameter, off the host
        for name, initial in self._scalar_state.items():
            state[name] = minitorch.tensor(initial, dtype=scalar_dtype())
        for name in self._buffer_names(group):
            state[name] = minitorch.zeros_like(param)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            for param in self._params_with_grad(group):
                state = self.state[param]
                if not state:
                    self._init_state(state, param, group)
                state["step"]._data += 1
                grad = -param.grad._data if group["maximize"] else param.grad._data
                self._update(param, grad, state, state["step"].item(), group)
                param._version.bump()
        return loss

    def _update(self, param: Tensor, grad, state: dict, step: float, group: dict) -> None:
        """Update ``param._data`` in place, given its (maximize-signed) gradient array and its state."""
        raise NotImplementedError
