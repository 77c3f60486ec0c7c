"""``Module``: the base of every layer and model, as ``torch.nn.Module``.

A Module keeps three ordered dicts, filled by plain attribute assignment:
``_parameters`` (``Parameter`` values), ``_buffers`` (tensors that are state
but not learned, such as BatchNorm's running mean) and ``_modules``
(sub-modules). Their order is registration order, so ``parameters()`` and
``state_dict()`` list things in the same order as PyTorch for the same model
code, and weights pair one-to-one between the two frameworks.

Calling a module runs its hooks around ``forward``. Backward hooks need no
help from the engine: the module's tensor inputs and outputs pass through an
identity ``Function`` (``BackwardHookFunction``) whose graph node sees the
gradients going in and out of the module, as PyTorch's ``BackwardHook`` does.
"""
from __future__ import annotations

import itertools
import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

from minitorch.autograd import grad_mode
from minitorch.autograd.function import Function, RemovableHandle
from minitorch.creation import zeros_like
from minitorch.nn.parameter import Parameter
from minitorch.tensor import Tensor

__all__ = ["Module"]

_EXTRA_STATE_KEY_SUFFIX = "_extra_state"


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns; prints as PyTorch's does."""

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class Module:
    """Base class for all neural network modules: subclass it, assign layers and parameters
    in ``__init__``, and compute in ``forward``."""

    training: bool
    _version = 1  # the state_dict format version PyTorch records in metadata
    call_super_init = False

    def __init__(self, *args, **kwargs):
        if kwargs and not self.call_super_init:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword argument "
                            f"'{next(iter(kwargs))}'")
        if args and not self.call_super_init:
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument but "
                            f"{len(args) + 1} were given")
        # object.__setattr__: our own __setattr__ needs these dicts to exist already
        for name, value in (("training", True), ("_parameters", OrderedDict()), ("_buffers", OrderedDict()),
                            ("_non_persistent_buffers_set", set()), ("_modules", OrderedDict()),
                            ("_forward_hooks", OrderedDict()), ("_forward_hooks_with_kwargs", OrderedDict()),
                            ("_forward_hooks_always_called", OrderedDict()), ("_forward_pre_hooks", OrderedDict()),
                            ("_forward_pre_hooks_with_kwargs", OrderedDict()), ("_backward_hooks", OrderedDict()),
                            ("_backward_pre_hooks", OrderedDict()), ("_is_full_backward_hook", None)):
            super().__setattr__(name, value)
        if self.call_super_init:
            super().__init__(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    # -- registration ------------------------------------------------------------------------

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name(self, name, "parameter", self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required)")
        if param is not None and param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                             f"created explicitly. To express '{name}' as a function of another Tensor, compute "
                             "the value in the forward() method.")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """A tensor that is state but not learned; ``persistent=False`` keeps it out of ``state_dict``."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name(self, name, "buffer", self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: "Module | None") -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {_typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        self._modules[name] = module

    def register_module(self, name: str, module: "Module | None") -> None:
        """Alias for ``add_module``."""
        self.add_module(name, module)

    def get_submodule(self, target: str) -> "Module":
        """The module at the dotted path ``target`` ("" is this module)."""
        if target == "":
            return self
        module = self
        for item in target.split("."):
            if not hasattr(module, item):
                raise AttributeError(f"{module._get_name()} has no attribute `{item}`")
            module = getattr(module, item)
            if not isinstance(module, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return module

    def get_parameter(self, target: str) -> Parameter:
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
        parameter = getattr(module, name)
        if not isinstance(parameter, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return parameter

    def get_buffer(self, target: str) -> Tensor:
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
        if name not in module._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return getattr(module, name)

    def get_extra_state(self):
        """State that is not a tensor, saved under ``<prefix>_extra_state`` when a subclass overrides this."""
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never be called.")

    def set_extra_state(self, state) -> None:
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never be called.")

    # -- attribute routing: assignments land in the right dict -----------------------------

    def __setattr__(self, name, value):
        parameters = self.__dict__.get("_parameters")
        modules = self.__dict__.get("_modules")
        buffers = self.__dict__.get("_buffers")
        if isinstance(value, Parameter):
            if parameters is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            _remove_from(name, self.__dict__, self._buffers, self._modules, self._non_persistent_buffers_set)
            self.register_parameter(name, value)
        elif parameters is not None and name in parameters:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            _remove_from(name, self.__dict__, self._parameters, self._buffers, self._non_persistent_buffers_set)
            modules[name] = value
        elif modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' "
                                "(torch.nn.Module or None expected)")
            modules[name] = value
        elif buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                "(torch.nn.Buffer, torch.Tensor or None expected)")
            buffers[name] = value
        else:
            super().__setattr__(name, value)

    def __getattr__(self, name):
        # Only called when normal lookup fails: parameters, buffers and modules live in their dicts.
        # (Written out, not as a loop over the three: ``self.weight`` runs in every layer's forward.)
        state = self.__dict__
        if "_parameters" in state:
            if name in state["_parameters"]:
                return state["_parameters"][name]
            if name in state["_buffers"]:
                return state["_buffers"][name]
            if name in state["_modules"]:
                return state["_modules"][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            super().__delattr__(name)

    def __dir__(self):
        keys = (dir(type(self)) + list(self.__dict__) + list(self._parameters) + list(self._modules)
                + list(self._buffers))
        return sorted(key for key in keys if not key[0].isdigit())  # "0", "1": Sequential's children

    def __getstate__(self):
        return self.__dict__.copy()

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_forward_hooks",
                     "_forward_hooks_with_kwargs", "_forward_hooks_always_called", "_backward_hooks",
                     "_backward_pre_hooks"):
            self.__dict__.setdefault(name, OrderedDict())  # checkpoints pickled by older versions
        self.__dict__.setdefault("_non_persistent_buffers_set", set())
        self.__dict__.setdefault("_is_full_backward_hook", None)

    # -- walking the tree ---------------------------------------------------------------------

    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, value) of what ``get_members`` lists in each module; a tensor shared by
        several modules comes once, under its first name, unless ``remove_duplicate`` is off."""
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in get_members(module):
                if value is None or value in seen:
                    continue
                if remove_duplicate:
                    seen.add(value)
                yield (module_prefix + "." if module_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        yield from self._named_members(lambda module: module._parameters.items(), prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        for _, parameter in self.named_parameters(recurse=recurse):
            yield parameter

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        yield from self._named_members(lambda module: module._buffers.items(), prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def named_modules(self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True):
        """This module and every module below it, depth first, each once unless ``remove_duplicate``
        is off (iteratively: deep models are fine)."""
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            module_prefix, module = stack.pop()
            if module in memo:
                continue
            if remove_duplicate:
                memo.add(module)
            yield module_prefix, module
            children = [((module_prefix + "." if module_prefix else "") + name, child)
                        for name, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    def modules(self):
        for _, module in self.named_modules():
            yield module

    # -- modes, gradients, devices, dtypes -----------------------------------------------------

    def train(self, mode: bool = True) -> "Module":
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        for parameter in self.parameters():
            parameter.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the parameters' gradients (or, with ``set_to_none=False``, zero them in place)."""
        for parameter in self.parameters():
            grad = parameter.grad
            if grad is None:
                continue
            if set_to_none:
                parameter.grad = None
                continue
            if grad.grad_fn is not None:
                grad.detach_()
            else:
                grad.requires_grad_(False)
            grad.zero_()

    def apply(self, fn) -> "Module":
        """Call ``fn`` on every sub-module (children first), then on this module."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _apply(self, fn, recurse: bool = True) -> "Module":
        """Replace every parameter's, gradient's and buffer's memory by ``fn(tensor)`` (``.to()`` and friends).

        Parameters and their gradients stay the same objects (only their memory changes),
        so an optimizer made before ``model.to(...)`` still holds them.
        """
        if recurse:
            for module in self.children():
                module._apply(fn)
        for parameter in self._parameters.values():
            if parameter is None:
                continue
            with grad_mode.no_grad():
                parameter.data = fn(parameter)
                if parameter.grad is not None:
                    parameter.grad.data = fn(parameter.grad)
        for name, buffer in self._buffers.items():
            if buffer is not None:
                self._buffers[name] = fn(buffer)
        return self

    def to(self, *args, **kwargs) -> "Module":
        """``to(device)``, ``to(dtype)`` (floating-point tensors only), ``to(device, dtype)``, ``to(tensor)``."""
        from minitorch.tensor import _parse_to
        device, dtype, _ = _parse_to(args, kwargs)
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired dtype={dtype}")

        def convert(tensor):
            return tensor.to(device=device, dtype=dtype if tensor.is_floating_point() else None)
        return self._apply(convert)

    def cuda(self, device=None) -> "Module":
        return self._apply(lambda tensor: tensor.cuda(device))

    def cpu(self) -> "Module":
        return self._apply(lambda tensor: tensor.cpu())

    def type(self, dst_type) -> "Module":
        return self._apply(lambda tensor: tensor.type(dst_type))

    def float(self) -> "Module":
        return self._apply(lambda tensor: tensor.float() if tensor.is_floating_point() else tensor)

    def double(self) -> "Module":
        return self._apply(lambda tensor: tensor.double() if tensor.is_floating_point() else tensor)

    def half(self) -> "Module":
        return self._apply(lambda tensor: tensor.half() if tensor.is_floating_point() else tensor)

    def bfloat16(self) -> "Module":
        return self._apply(lambda tensor: tensor.bfloat16() if tensor.is_floating_point() else tensor)

    # -- calling: hooks around forward ---------------------------------------------------------

    def __call__(self, *args, **kwargs):
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks or self._backward_pre_hooks):
            return self.forward(*args, **kwargs)
        result = None
        called = set()  # forward hooks that ran (the always_call ones must run once, even on an error)
        try:
            for hook_id, hook in list(self._forward_pre_hooks.items()):
                args, kwargs = self._run_forward_pre_hook(hook_id, hook, args, kwargs)
            backward_hook = None
            if self._backward_hooks or self._backward_pre_hooks:
                backward_hook = BackwardHook(self, list(self._backward_hooks.values()),
                                             list(self._backward_pre_hooks.values()))
                args = backward_hook.setup_input_hook(args)
            result = self.forward(*args, **kwargs)
            for hook_id, hook in list(self._forward_hooks.items()):
                called.add(hook_id)
                result = self._run_forward_hook(hook_id, hook, args, kwargs, result)
            if backward_hook is not None:
                if not isinstance(result, (Tensor, tuple)):
                    warnings.warn("For backward hooks to be called, module output should be a Tensor or a tuple of "
                                  f"Tensors but received {type(result)}", stacklevel=2)
                result = backward_hook.setup_output_hook(result)
            return result
        except Exception:
            for hook_id, hook in list(self._forward_hooks.items()):
                if hook_id not in self._forward_hooks_always_called or hook_id in called:
                    continue
                try:
                    result = self._run_forward_hook(hook_id, hook, args, kwargs, result)
                except Exception as error:  # noqa: BLE001  (the forward's error is the one to raise)
                    warnings.warn("module forward hook with ``always_call=True`` raised an exception that was "
                                  f"silenced as another error was raised in forward: {error}", stacklevel=2)
            raise

    def _run_forward_pre_hook(self, hook_id, hook, args, kwargs):
        if hook_id in self._forward_pre_hooks_with_kwargs:
            result = hook(self, args, kwargs)
            if result is None:
                return args, kwargs
            if not (isinstance(result, tuple) and len(result) == 2):
                raise RuntimeError(f"forward pre-hook must return None or a tuple of (new_args, new_kwargs), "
                                   f"but got {result}.")
            return result
        result = hook(self, args)
        if result is None:
            return args, kwargs
        return (result if isinstance(result, tuple) else (result,)), kwargs

    def _run_forward_hook(self, hook_id, hook, args, kwargs, output):
        if hook_id in self._forward_hooks_with_kwargs:
            result = hook(self, args, kwargs, output)
        else:
            result = hook(self, args, output)
        return output if result is None else result

    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False):
        """``hook(module, args)`` (or ``hook(module, args, kwargs)``) before forward; may return new args."""
        handle = RemovableHandle(self._forward_pre_hooks, hook)
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False):
        """``hook(module, args, output)`` (or ``hook(module, args, kwargs, output)``) after forward; may
        return a new output. ``always_call`` runs it even when forward raises."""
        handle = RemovableHandle(self._forward_hooks, hook)
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_pre_hook(self, hook, prepend: bool = False):
        """``hook(module, grad_output)`` when the gradients of the outputs are known; may return new ones."""
        handle = RemovableHandle(self._backward_pre_hooks, hook)
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_hook(self, hook, prepend: bool = False):
        """``hook(module, grad_input, grad_output)`` when the gradients of the inputs are known; may return
        new ``grad_input``. Non-tensor inputs, and inputs that need no gradient, get None."""
        if self._is_full_backward_hook is False:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks on a single Module. "
                               "Please use only one of them.")
        self._is_full_backward_hook = True
        handle = RemovableHandle(self._backward_hooks, hook)
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    # -- state_dict ----------------------------------------------------------------------------

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        """This module's own parameters and persistent buffers (not its children's) into ``destination``."""
        for name, parameter in self._parameters.items():
            if parameter is not None:
                destination[prefix + name] = parameter if keep_vars else parameter.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buffer if keep_vars else buffer.detach()
        if type(self).get_extra_state is not Module.get_extra_state:
            destination[prefix + _EXTRA_STATE_KEY_SUFFIX] = self.get_extra_state()

    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """Every parameter and persistent buffer by dotted name, in registration order
        (detached unless ``keep_vars``): exactly PyTorch's keys for the same model."""
        if args:  # the deprecated positional form: state_dict(destination, prefix, keep_vars)
            destination = args[0] if destination is None else destination
            prefix = args[1] if len(args) > 1 and prefix == "" else prefix
            keep_vars = args[2] if len(args) > 2 and not keep_vars else keep_vars
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = {"version": self._version}
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        return destination

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        """Copy this module's own entries of ``state_dict`` in; note missing, unexpected and bad ones."""
        persistent_buffers = {name: buffer for name, buffer in self._buffers.items()
                              if name not in self._non_persistent_buffers_set}
        local_state = {name: value for name, value in itertools.chain(self._parameters.items(),
                                                                       persistent_buffers.items())
                       if value is not None}
        assign = local_metadata.get("assign_to_params_buffers", False)
        for name, target in local_state.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                error_msgs.append(f'While copying the parameter named "{key}", expected torch.Tensor or Tensor-like '
                                  f"object from checkpoint but received {type(value)}")
                continue
            if target.dim() == 0 and value.dim() == 1:
                value = value[0]  # checkpoints of PyTorch 0.3 stored scalars as 1-element vectors
            if value.shape != target.shape:
                error_msgs.append(f"size mismatch for {key}: copying a param with shape {value.shape} from "
                                  f"checkpoint, the shape in current model is {target.shape}.")
                continue
            try:
                with grad_mode.no_grad():
                    if assign:
                        if isinstance(target, Parameter):
                            if isinstance(value, Parameter):
                                value.requires_grad_(target.requires_grad)
                            else:
                                value = Parameter(value, requires_grad=target.requires_grad)
                        setattr(self, name, value)
                    else:
                        target.copy_(value)
            except Exception as error:  # noqa: BLE001  (collected and raised together, as PyTorch does)
                error_msgs.append(f'While copying the parameter named "{key}", whose dimensions in the model are '
                                  f"{target.size()} and whose dimensions in the checkpoint are {value.size()}, an "
                                  f"exception occurred : {error.args}.")
        extra_state_key = prefix + _EXTRA_STATE_KEY_SUFFIX
        if type(self).set_extra_state is not Module.set_extra_state:
            if extra_state_key in state_dict:
                self.set_extra_state(state_dict[extra_state_key])
            elif strict:
                missing_keys.append(extra_state_key)
        elif strict and extra_state_key in state_dict:
            unexpected_keys.append(extra_state_key)
        if strict:
            for key in state_dict:
                if not key.startswith(prefix) or key == extra_state_key:
                    continue
                head, *rest = key[len(prefix):].split(".", 1)
                if (rest and head not in self._modules) or (not rest and head not in local_state):
                    unexpected_keys.append(key)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy ``state_dict``'s tensors into this module's parameters and buffers (cast to each
        target's dtype and device), or with ``assign`` make them the parameters and buffers.
        Returns the missing and unexpected keys; raises on them when ``strict``, and always on
        a shape mismatch."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing_keys, unexpected_keys, error_msgs = [], [], []
        metadata = getattr(state_dict, "_metadata", None)
        # Walk the tree with an explicit stack, each module seeing only the keys under its prefix.
        stack = [(self, OrderedDict(state_dict), "")]
        while stack:
            module, local_state_dict, prefix = stack.pop()
            local_metadata = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
            if assign:
                local_metadata["assign_to_params_buffers"] = assign
            module._load_from_state_dict(local_state_dict, prefix, local_metadata, True, missing_keys,
                                         unexpected_keys, error_msgs)
            children = []
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    children.append((child, {key: value for key, value in local_state_dict.items()
                                             if key.startswith(child_prefix)}, child_prefix))
            stack.extend(reversed(children))
        if strict:
            if unexpected_keys:
                error_msgs.insert(0, "Unexpected key(s) in state_dict: "
                                  + ", ".join(f'"{key}"' for key in unexpected_keys) + ". ")
            if missing_keys:
                error_msgs.insert(0, "Missing key(s) in state_dict: "
                                  + ", ".join(f'"{key}"' for key in missing_keys) + ". ")
        if error_msgs:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(error_msgs))
        return _IncompatibleKeys(missing_keys, unexpected_keys)

    # -- printing ------------------------------------------------------------------------------

    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The text between the parentheses of this module's line in ``repr`` (subclasses override)."""
        return ""

    def __repr__(self):
        extra_repr = self.extra_repr()
        extra_lines = extra_repr.split("\n") if extra_repr else []
        child_lines = [f"({name}): {_addindent(repr(module), 2)}" for name, module in self._modules.items()]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"


# -- backward hooks -------------------------------------------------------------------------------


class BackwardHookFunction(Function):
    """Identity on the tensors it is given: its graph node is where a module's backward hooks sit."""

    @staticmethod
    def forward(ctx, *arrays):
        ctx.set_materialize_grads(False)  # hooks see None for an output that got no gradient
        outputs = tuple(array.view() for array in arrays)  # new objects: told apart by identity below
        ctx.mark_non_differentiable(*[output for output, needs_grad in zip(outputs, ctx.needs_input_grad)
                                      if not needs_grad])
        return outputs

    @staticmethod
    def backward(ctx, *grad_outputs):
        return grad_outputs  # d x/dx = 1


class BackwardHook:
    """Calls a module's full backward hooks (PyTorch's ``torch.utils.hooks.BackwardHook``).

    The module's tensor inputs, then its outputs, pass through ``BackwardHookFunction``.
    In backward, the outputs' node is reached first: it records ``grad_output`` and runs
    the pre-hooks (which may replace it). The inputs' node is reached last: it runs the
    hooks with ``grad_input`` and ``grad_output`` (they may replace ``grad_input``).
    """

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs = None
        self.n_outputs = -1
        self.output_tensors_index = None
        self.n_inputs = -1
        self.input_tensors_index = None
        self.inputs = []

    @staticmethod
    def _pack_with_none(indices, values, size):
        """One entry per argument: the tensors' values at their positions, None elsewhere."""
        packed = [None] * size
        for index, value in zip(indices, values):
            packed[index] = value
        return tuple(packed)

    def _apply_on_tensors(self, attach, args):
        """Pass the tensors among ``args`` through the identity and ``attach`` hooks to its node."""
        indices = [index for index, arg in enumerate(args) if isinstance(arg, Tensor)]
        tensors = [args[index] for index in indices]
        if not (any(tensor.requires_grad for tensor in tensors) and grad_mode.is_grad_enabled()):
            return args, None
        new_tensors = BackwardHookFunction.apply(*tensors)
        for old, new in zip(tensors, new_tensors):
            new._version = old._version  # the same memory: in-place changes of either are seen by both
        attach(next(tensor.grad_fn for tensor in new_tensors if tensor.grad_fn is not None))
        args = list(args)
        for index, tensor in zip(indices, new_tensors):
            args[index] = tensor
        return tuple(args), indices

    def setup_input_hook(self, args):
        def attach(grad_fn):
            grad_fn.register_hook(self._input_hook)
        result, self.input_tensors_index = self._apply_on_tensors(attach, args)
        self.n_inputs = len(args)
        self.inputs = [arg for arg in result if isinstance(arg, Tensor)]
        return result

    def _input_hook(self, grad_input, _):
        if self.grad_outputs is None:
            return None  # the gradient reached the inputs without passing through the outputs
        # As in PyTorch, an input tensor that got no gradient shows a zero one (materialised).
        grad_input = [zeros_like(tensor) if grad is None else grad for grad, tensor in zip(grad_input, self.inputs)]
        result = self._pack_with_none(self.input_tensors_index, grad_input, self.n_inputs)
        for hook in self.user_hooks:
            new_result = hook(self.module, result, self.grad_outputs)
            if new_result is None:
                continue
            if len(new_result) != len(result):
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got {len(new_result)}, "
                                   f"but expected {len(result)}")
            result = new_result
        self.grad_outputs = None
        return tuple(result[index] for index in self.input_tensors_index)

    def setup_output_hook(self, outputs):
        def attach(grad_fn):
            grad_fn.register_hook(self._output_hook)
        is_tuple = isinstance(outputs, tuple)
        outputs = outputs if is_tuple else (outputs,)
        result, self.output_tensors_index = self._apply_on_tensors(attach, outputs)
        self.n_outputs = len(outputs)
        return result if is_tuple else result[0]

    def _output_hook(self, _, grad_output):
        self.grad_outputs = self._pack_with_none(self.output_tensors_index, grad_output, self.n_outputs)
        for hook in self.user_pre_hooks:
            new_grad_outputs = hook(self.module, self.grad_outputs)
            if new_grad_outputs is None:
                continue
            if len(new_grad_outputs) != len(self.grad_outputs):
                raise RuntimeError(f"Backward pre hook returned an invalid number of grad_output, got "
                                   f"{len(new_grad_outputs)}, but expected {len(self.grad_outputs)}")
            self.grad_outputs = new_grad_outputs
        grad_outputs = self.grad_outputs
        if self.input_tensors_index is None:  # no input needs a gradient: the hooks run now, with None
            warnings.warn("Full backward hook is firing when gradients are computed with respect to module outputs "
                          "since no inputs require gradients.", stacklevel=5)
            grad_inputs = self._pack_with_none([], [], self.n_inputs)
            for hook in self.user_hooks:
                result = hook(self.module, grad_inputs, self.grad_outputs)
                if result is not None and not (isinstance(result, tuple) and all(g is None for g in result)):
                    raise RuntimeError("Backward hook for Modules where no input requires gradient should always "
                                       "return None or None for all gradients.")
            self.grad_outputs = None
        return tuple(grad_outputs[index] for index in self.output_tensors_index)


# -- helpers --------------------------------------------------------------------------------------


def _addindent(text: str, spaces: int) -> str:
    """Indent every line but the first (a child's repr nested in its parent's)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


def _typename(value) -> str:
    """How PyTorch's error messages name a value's type (``torch.typename``)."""
    if isinstance(value, Tensor):
        return value.type()
    module = type(value).__module__
    name = type(value).__qualname__
    return name if module in ("", "builtins") else f"{module}.{name}"


def _check_name(module, name, kind, store):
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {_typename(name)}")
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain "."')
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if hasattr(module, name) and name not in store:
        raise KeyError(f"attribute '{name}' already exists")


def _remove_from(name, *stores):
    for store in stores:
        if name in store:
            if isinstance(store, set):
                store.discard(name)
            else:
                del store[name]
