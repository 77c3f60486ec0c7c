"""``Function``: one differentiable op, and the graph node its call leaves behind.

A built-in op and a user's custom op are written the same way::

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):              # x: the backend's ndarray
            result = numpy.exp(x)
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_output):   # grad_output: a Tensor
            result, = ctx.saved_tensors
            return grad_output * result   # d exp(x)/dx = exp(x)

``forward`` computes on raw arrays. ``apply`` hands it the arrays of its tensor
arguments, wraps what it returns in Tensors and, when grad mode is on and an
input requires grad, makes the ``ctx`` the results' ``grad_fn``: the node that
the engine (``engine.py``) later calls. ``backward`` is written with Tensor
ops, so it is itself differentiable and ``create_graph=True`` gives
higher-order gradients.
"""
from __future__ import annotations

import itertools
import traceback

import numpy

from minitorch import backend
from minitorch.autograd import anomaly_mode, grad_mode

_sequence_numbers = itertools.count()

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
    "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time "
    "or if you need to access saved tensors after calling backward.")


class SavedTensor:
    """A tensor kept for backward, with the version it had, so in-place changes are caught."""

    __slots__ = ("data", "version_counter", "saved_version", "leaf", "grad_fn", "output_nr", "requires_grad")

    def __init__(self, data, version_counter, leaf=None, grad_fn=None, output_nr=0, requires_grad=False):
        self.data = data
        self.version_counter = version_counter
        self.saved_version = version_counter.value
        self.leaf = leaf              # a leaf is kept itself, so gradients reach its .grad
        self.grad_fn = grad_fn        # a non-leaf is kept as (data, grad_fn): the graph as it was when saved
        self.output_nr = output_nr
        self.requires_grad = requires_grad

    def unpack(self, node):
        from minitorch.tensor import Tensor
        if self.version_counter.value != self.saved_version:
            name = node.name() if node is not None else "a custom Function"
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: [{backend.from_numpy_dtype(self.data.dtype)} {list(self.data.shape)}] is at version "
                f"{self.version_counter.value}; expected version {self.saved_version} instead. The tensor was "
                f"saved by {name}.")
        if self.leaf is not None:
            return self.leaf
        tensor = Tensor._wrap(self.data, self.requires_grad, self.grad_fn, self.output_nr)
        tensor._version = self.version_counter
        return tensor


class VersionCounter:
    """How many in-place changes a tensor's memory has had; shared by a tensor and its views."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0

    def bump(self):
        self.value += 1


class Function:
    """Base class of differentiable ops (``torch.autograd.Function``); an instance is one graph node.

    Subclasses define ``forward(ctx, *args)`` on arrays and ``backward(ctx, *grad_outputs)``
    on Tensors. Class attribute ``is_view = True`` marks ops whose output may
    share memory with their first input (its version counter is then shared too).
    """

    is_view = False

    def __init__(self):
        self.next_functions = ()
        self.needs_input_grad = ()
        self.materialize_grads = True
        self._saved = ()
        self._saved_freed = False
        self._to_save = None
        self._non_differentiable = ()
        self._dirty = ()
        self._input_metadata = ()    # (shape, dtype) of each input a gradient goes to
        self._output_metadata = ()   # (shape, dtype, device) of each output, to make zero gradients
        self._pre_hooks = {}         # output_nr -> [hook(grad) -> grad or None]: tensor hooks
        self._hooks = []             # hook(grad_inputs, grad_outputs): after the node ran
        self._sequence_nr = 0
        self._forward_trace = None   # the forward call's stack, in anomaly mode

    # -- the ctx API used inside forward/backward -------------------------------------------

    def save_for_backward(self, *values):
        """Keep inputs, outputs or other arrays of forward for backward (as Tensors there)."""
        self._to_save = values

    @property
    def saved_tensors(self):
        if self._saved_freed:
            raise RuntimeError(_FREED_MESSAGE)
        return tuple(saved if saved is None or not isinstance(saved, SavedTensor) else saved.unpack(self)
                     for saved in self._saved)

    def mark_non_differentiable(self, *arrays):
        """Outputs (given as the arrays forward returns) that never carry a gradient, such as indices."""
        self._non_differentiable = arrays

    def mark_dirty(self, *arrays):
        """Inputs forward modified in place (accepted for PyTorch compatibility; apply checks leaves)."""
        self._dirty = arrays

    def set_materialize_grads(self, value: bool):
        self.materialize_grads = bool(value)

    # -- the node API used by the engine and by people walking the graph --------------------

    def name(self) -> str:
        return type(self).__name__ + "Backward"

    def register_hook(self, hook):
        """``hook(grad_inputs, grad_outputs)``, called after this node's backward; may return new grad_inputs."""
        self._hooks.append(hook)
        return _RemovableHandle(self._hooks, hook)

    def register_prehook(self, hook):
        """``hook(grad_outputs)``, called before this node's backward; may return new grad_outputs."""
        return self._add_pre_hook(None, hook)

    def _add_pre_hook(self, output_nr, hook):
        hooks = self._pre_hooks.setdefault(output_nr, [])
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    # -- apply: run forward, then link the graph -------------------------------------------

    @classmethod
    def apply(cls, *args):
        from minitorch.tensor import Tensor

        ctx = cls()
        arrays = []
        device = None
        requires_grad = False
        for arg in args:
            if isinstance(arg, Tensor):
                arrays.append(arg._data)
                requires_grad = requires_grad or arg.requires_grad
                arg_device = arg.device
                if device is None:
                    device = arg_device
                elif arg_device != device:
                    raise RuntimeError(
                        "Expected all tensors to be on the same device, but found at least two devices, "
                        f"{device} and {arg_device}!")
            else:
                arrays.append(arg)
        outputs = cls.forward(ctx, *arrays)
        single = not isinstance(outputs, tuple)
        if single:
            outputs = (outputs,)
        record = requires_grad and grad_mode.is_grad_enabled()
        results = tuple(ctx._wrap_output(args, arrays, index, output, record)
                        for index, output in enumerate(outputs))
        if record:
            ctx._link(args, results)
        return results[0] if single else results

    def _wrap_output(self, args, arrays, index, output, record):
        from minitorch.tensor import Tensor
        if type(output) is not numpy.ndarray:
            output = backend.ensure_array(output)  # NumPy reductions return scalars, not 0-d arrays
        differentiable = (record and output.dtype.kind == "f"
                          and not any(output is array for array in self._non_differentiable))
        tensor = Tensor._wrap(output, differentiable, self if differentiable else None, index)
        if self.is_view and index == 0 and isinstance(args[0], Tensor):
            base = args[0]
            if backend.array_module(output).may_share_memory(output, base._data):
                tensor._version = base._version
                tensor._base = base._base if base._base is not None else base
        return tensor

    def _link(self, args, results):
        """Make this ctx the results' node: edges to the inputs' nodes, metadata, saved tensors."""
        from minitorch.tensor import Tensor
        self._sequence_nr = next(_sequence_numbers)
        next_functions = []
        needs_input_grad = []
        input_metadata = []
        for arg in args:
            if isinstance(arg, Tensor) and arg.requires_grad:
                next_functions.append(arg._gradient_edge())
                needs_input_grad.append(True)
                input_metadata.append((arg._data.shape, arg._data.dtype))
            else:
                next_functions.append((None, 0))
                needs_input_grad.append(False)
                input_metadata.append(None)
        self.next_functions = tuple(next_functions)
        self._xp = backend.array_module(results[0]._data)
        self.needs_input_grad = tuple(needs_input_grad)
        self._input_metadata = tuple(input_metadata)
        self._output_metadata = tuple((r._data.shape, r._data.dtype) for r in results)
        self._resolve_saved(args, [a._data if isinstance(a, Tensor) else a for a in args], results)
        if anomaly_mode.is_anomaly_enabled():
            self._forward_trace = "".join(traceback.format_stack()[:-3])

    def _resolve_saved(self, args, arrays, results):
        """Turn what forward saved (arrays) into SavedTensors pointing at the right graph nodes."""
        from minitorch.tensor import Tensor
        to_save = self._to_save
        if to_save is None:
            return
        self._to_save = None
        saved = []
        for value in to_save:
            if value is None:
                saved.append(None)
                continue
            if isinstance(value, Tensor):
                value = value._data
            source = next((a for a, array in zip(args, arrays) if isinstance(a, Tensor) and array is value), None)
            if source is None:
                source = next((r for r in results if r._data is value), None)
            if source is None:  # an intermediate array: a constant for backward
                saved.append(SavedTensor(value, VersionCounter()))
            elif source.grad_fn is None and source.requires_grad:
                saved.append(SavedTensor(value, source._version, leaf=source))
            else:
                saved.append(SavedTensor(value, source._version, grad_fn=source.grad_fn,
                                         output_nr=source._output_nr, requires_grad=source.requires_grad))
        self._saved = tuple(saved)

    def _release_saved(self):
        """Free what forward saved (after a backward without ``retain_graph``)."""
        if self._saved:
            self._saved = ()
            self._saved_freed = True

    def _keep_original(self, tensor):
        """Before ``tensor`` is overwritten in place by this node's own result, keep a copy of the
        values this node saved from it (PyTorch's ``original_self``)."""
        copies = []
        for saved in self._saved:
            if isinstance(saved, SavedTensor) and saved.data is tensor._data:
                copy = SavedTensor(saved.data.copy(), VersionCounter(), leaf=saved.leaf, grad_fn=saved.grad_fn,
                                   output_nr=saved.output_nr, requires_grad=saved.requires_grad)
                copies.append(copy)
            else:
                copies.append(saved)
        self._saved = tuple(copies)


class _RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` takes the hook out again."""

    def __init__(self, hooks: list, hook):
        self._hooks = hooks
        self._hook = hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)
