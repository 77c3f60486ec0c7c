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

``apply`` is the per-op overhead of the whole library, so it does as little as
it can: with grad mode off or no input requiring grad it only wraps arrays.
"""
from __future__ import annotations

import functools
import itertools
import traceback
import weakref

import numpy

from minitorch import backend
from minitorch.autograd import anomaly_mode, grad_mode

_sequence_numbers = itertools.count()
_NO_HOOKS = {}  # the shared, never mutated, empty hook table of nodes that have none
_NO_EDGE = (None, 0)  # the edge of an input that takes no gradient

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
    "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time "
    "or if you need to access saved tensors after calling backward.")

# minitorch.tensor imports this module, so Tensor is looked up once, on the first apply.
_Tensor = None


def _tensor_class():
    global _Tensor
    if _Tensor is None:
        from minitorch.tensor import Tensor
        _Tensor = Tensor
    return _Tensor


class VersionCounter:
    """How many in-place changes a tensor's memory has had; shared by a tensor and its views.
    (``tensor._version_number`` is its value: PyTorch's ``tensor._version``.)"""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0

    def bump(self):
        self.value += 1


class SavedTensor:
    """A tensor kept for backward, with the version it had, so in-place changes are caught.

    A saved output does not keep its node (the node keeps it: that would be a
    reference cycle); ``unpack`` is given the node.
    """

    __slots__ = ("data", "version_counter", "saved_version", "leaf", "grad_fn", "output_nr", "requires_grad",
                 "is_output")

    def __init__(self, data, version_counter, leaf=None, grad_fn=None, output_nr=0, requires_grad=False,
                 is_output=False):
        self.data = data
        self.version_counter = version_counter
        self.saved_version = version_counter.value
        self.leaf = leaf              # a leaf is kept itself, so gradients reach its .grad
        self.grad_fn = grad_fn        # a non-leaf is kept as (data, grad_fn): the graph as it was when saved
        self.output_nr = output_nr
        self.requires_grad = requires_grad
        self.is_output = is_output    # an output of the node that saved it: grad_fn is that node

    def unpack(self, node):
        if self.version_counter.value != self.saved_version:
            name = node.name() if node is not None else "a custom Function"
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: [{backend.from_numpy_dtype(self.data.dtype)} {list(self.data.shape)}] is at version "
                f"{self.version_counter.value}; expected version {self.saved_version} instead. The tensor was "
                f"saved by {name}.")
        if self.leaf is not None:
            return self.leaf
        grad_fn = node if self.is_output else self.grad_fn
        tensor = (_Tensor or _tensor_class())._wrap(self.data, self.requires_grad, grad_fn, self.output_nr)
        tensor._version = self.version_counter
        return tensor


class Function:
    """Base class of differentiable ops (``torch.autograd.Function``); an instance is one graph node.

    Subclasses define ``forward(ctx, *args)`` on arrays and ``backward(ctx, *grad_outputs)``
    on Tensors (or, as in PyTorch, ``forward(*args)`` plus ``setup_context(ctx, inputs, output)``).
    Class attribute ``is_view = True`` marks ops whose output may share memory
    with their first input: such an output becomes a view of it (shared version
    counter, ``_base``, and a record of how to make the view again, which
    in-place ops on views need; see ``views.py``).
    """

    is_view = False
    _uses_setup_context = False

    # A node's state, as class-level defaults: creating a ctx costs nothing until an op records.
    next_functions = ()          # (node, output_nr) of each input: where its gradient goes
    needs_input_grad = ()
    materialize_grads = True
    _saved = ()
    _saved_freed = False
    _to_save = None
    _non_differentiable = ()
    _dirty = ()
    _input_metadata = ()         # (shape, dtype) of each tensor input a gradient goes to, else None
    _tensor_positions = None     # which arguments are tensors, when not all are
    _output_metadata = ()        # (shape, dtype) of each output of a multi-output node, to make zero gradients
    _pre_hooks = _NO_HOOKS       # output_nr -> {handle id: hook(grad)}: tensor hooks; None -> node prehooks
    _retain_grad_hooks = _NO_HOOKS  # output_nr -> hook: retain_grad(), run after the tensor hooks
    _hooks = _NO_HOOKS           # {handle id: hook(grad_inputs, grad_outputs)}: after the node ran
    _sequence_nr = 0
    _forward_trace = None        # the forward call's stack, in anomaly mode

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._uses_setup_context = "setup_context" in vars(cls) or cls._uses_setup_context

    # -- the ctx API used inside forward/backward -------------------------------------------

    def save_for_backward(self, *values):
        """Keep inputs, outputs or other arrays of forward for backward (as Tensors there)."""
        self._to_save = values

    @property
    def saved_tensors(self):
        if self._saved_freed:
            raise RuntimeError(_FREED_MESSAGE)
        return tuple([saved.unpack(self) if type(saved) is SavedTensor else saved for saved in self._saved])

    def mark_non_differentiable(self, *arrays):
        """Outputs (given as the arrays forward returns) that never carry a gradient, such as indices."""
        self._non_differentiable = arrays

    def mark_dirty(self, *arrays):
        """Inputs that forward modified in place and returns: the input tensor itself is then the
        output, its version is bumped and its history continues through this node."""
        self._dirty = arrays

    def set_materialize_grads(self, value: bool):
        self.materialize_grads = bool(value)

    # -- the node API used by the engine and by people walking the graph --------------------

    def name(self) -> str:
        return type(self).__name__ + "Backward"

    def register_hook(self, hook):
        """``hook(grad_inputs, grad_outputs)``, called after this node's backward; may return new grad_inputs."""
        if self._hooks is _NO_HOOKS:
            self._hooks = {}
        return RemovableHandle(self._hooks, hook)

    def register_prehook(self, hook):
        """``hook(grad_outputs)``, called before this node's backward; may return new grad_outputs."""
        return self._add_pre_hook(None, hook)

    def _add_pre_hook(self, output_nr, hook):
        if self._pre_hooks is _NO_HOOKS:
            self._pre_hooks = {}
        return RemovableHandle(self._pre_hooks.setdefault(output_nr, {}), hook)

    def _set_retain_grad_hook(self, output_nr, hook):
        if self._retain_grad_hooks is _NO_HOOKS:
            self._retain_grad_hooks = {}
        self._retain_grad_hooks[output_nr] = hook

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    # -- apply: run forward, then link the graph -------------------------------------------

    @classmethod
    def apply(cls, *args):
        # The hot path of the library: every op of every forward and backward passes here once.
        Tensor = _Tensor or _tensor_class()
        ctx = cls()
        arrays = [arg._data if isinstance(arg, Tensor) else arg for arg in args]
        if backend.cupy is not None:  # (without CuPy every array is a NumPy one: no devices to mix)
            _check_same_device(args, arrays, Tensor)
        record = grad_mode._state.enabled and ctx._link_inputs(args, Tensor)
        if cls._uses_setup_context:
            outputs = cls.forward(*arrays)
            cls.setup_context(ctx, tuple(arrays), outputs)
        else:
            outputs = cls.forward(ctx, *arrays)
        if type(outputs) is not tuple:
            if not (cls.is_view or ctx._dirty or ctx._non_differentiable):
                # the common case, inlined: one plain array out (or the NumPy scalar of a full reduction)
                array = outputs if type(outputs) is numpy.ndarray else _as_array(outputs)
                if record and array.dtype.kind in backend.FLOATING_KINDS:
                    result = Tensor._wrap(array, True, ctx)
                    ctx._link_outputs(args, arrays, (result,), (outputs,))
                    return result
                return Tensor._wrap(array)
            result = ctx._wrap_output(args, outputs, 0, 1, record, Tensor)
            if record:
                ctx._link_outputs(args, arrays, (result,), (outputs,))
            return result
        results = tuple(ctx._wrap_output(args, output, index, len(outputs), record, Tensor)
                        for index, output in enumerate(outputs))
        if record:
            ctx._link_outputs(args, arrays, results, outputs)
        return results

    def _wrap_output(self, args, output, index, count, record, Tensor):
        if type(output) is not numpy.ndarray:
            output = _as_array(output)
        if self._dirty and any(output is array for array in self._dirty):
            return self._dirty_input(args, output, Tensor)
        differentiable = (record and output.dtype.kind in backend.FLOATING_KINDS
                          and not (self._non_differentiable
                                   and any(output is array for array in self._non_differentiable)))
        tensor = Tensor._wrap(output, differentiable, self if differentiable else None, index)
        if self.is_view and isinstance(args[0], Tensor):
            views.mark_view(tensor, args[0], type(self), args[1:], index, count)
        return tensor

    def _dirty_input(self, args, output, Tensor):
        """An output that is an input modified in place (``mark_dirty``): that input tensor itself."""
        for arg in args:
            if isinstance(arg, Tensor) and arg._data is output:
                arg._version.bump()
                return arg
        raise RuntimeError("mark_dirty was given an array that is not an input of forward")

    def _link_inputs(self, args, Tensor) -> bool:
        """Edges to the tensor inputs' nodes (set before forward, so forward can read ``needs_input_grad``);
        whether any input requires grad, that is, whether the op is recorded at all.

        As in PyTorch, ``next_functions`` has an edge per tensor argument only; ``backward``
        still returns a gradient (or None) per argument, and the engine picks the tensors' out.
        """
        next_functions = []
        needs_input_grad = []
        input_metadata = []
        for arg in args:
            if not isinstance(arg, Tensor):
                needs_input_grad.append(False)
                continue
            if arg._view_info is None:  # the common cases first, without properties
                if arg._grad_fn is not None:
                    edge = (arg._grad_fn, arg._output_nr)
                else:
                    edge = _leaf_edge(arg) if arg._requires_grad else None
            else:
                # (a view's requires_grad can change when its base is modified in place: ask it)
                edge = arg._gradient_edge() if arg.requires_grad else None
            if edge is None:
                next_functions.append(_NO_EDGE)
                needs_input_grad.append(False)
                input_metadata.append(None)
            else:
                next_functions.append(edge)
                needs_input_grad.append(True)
                input_metadata.append((arg._data.shape, arg._data.dtype))
        self.next_functions = tuple(next_functions)
        self.needs_input_grad = tuple(needs_input_grad)
        self._input_metadata = input_metadata
        if len(next_functions) != len(args):
            self._tensor_positions = [position for position, arg in enumerate(args) if isinstance(arg, Tensor)]
        return True in needs_input_grad

    def _link_outputs(self, args, arrays, results, raw_outputs):
        """Make this ctx the results' node: output metadata, saved tensors, in-place inputs.

        ``raw_outputs`` are what forward returned, before NumPy scalars became 0-d arrays:
        what forward saved is recognised by identity with those."""
        self._sequence_nr = next(_sequence_numbers)
        if len(results) > 1:  # (a single output never needs a zero gradient made for it)
            self._output_metadata = [(result._data.shape, result._data.dtype) for result in results]
        if self._dirty:
            self._rebase_dirty_inputs(args, results)
        if self._to_save is not None:
            self._resolve_saved(args, arrays, results, raw_outputs)
        if anomaly_mode._enabled:
            self._forward_trace = "".join(traceback.format_stack()[:-3])

    def _rebase_dirty_inputs(self, args, results):
        """Inputs forward modified in place now have this node as their history (as an in-place op)."""
        for index, result in enumerate(results):
            if not any(result is arg for arg in args):
                continue
            views.check_inplace_allowed(result, used="has been used")
            views.set_inplace_history(result, result._wrap(result._data, True, self, index))

    def _resolve_saved(self, args, arrays, results, raw_outputs):
        """Turn what forward saved (arrays) into SavedTensors pointing at the right graph nodes."""
        to_save = self._to_save
        self._to_save = None
        saved = []
        for value in to_save:
            if value is None:
                saved.append(None)
                continue
            if isinstance(value, _Tensor):
                value = value._data
            source = _source_of(value, args, arrays, results, raw_outputs)
            # (SavedTensor's arguments are positional here: this runs for every saved tensor of every op)
            if source is None:
                if isinstance(value, (int, float, bool, numpy.generic)):
                    saved.append(value)  # a number stays a number (and so works on any device)
                else:  # an intermediate array: a constant for backward
                    saved.append(SavedTensor(value, VersionCounter()))
            elif source._grad_fn is self:
                saved.append(SavedTensor(value, source._version, None, None, source._output_nr, True, True))
            elif source._grad_fn is None and source._requires_grad:
                saved.append(SavedTensor(value, source._version, source))
            else:
                saved.append(SavedTensor(value, source._version, None, source._grad_fn, source._output_nr,
                                         source._requires_grad))
        self._saved = tuple(saved)

    def _release_saved(self):
        """Free what forward saved (after a backward without ``retain_graph``)."""
        if self._saved:
            self._saved = ()
            self._saved_freed = True

    def _keep_original(self, tensor):
        """``tensor`` is about to be overwritten by this node's own result (an in-place op): keep a
        copy of what this node saved from it, as PyTorch keeps ``original_self``.

        Only when ``tensor`` was saved once: in ``y.mul_(y)`` the second operand is the same
        tensor, modified by the op, and backward raises, as in PyTorch.
        """
        aliases = [index for index, saved in enumerate(self._saved)
                   if isinstance(saved, SavedTensor) and saved.data is tensor._data]
        if len(aliases) != 1:
            return
        saved = list(self._saved)
        original = saved[aliases[0]]
        saved[aliases[0]] = SavedTensor(original.data.copy(), VersionCounter(), leaf=original.leaf,
                                        grad_fn=original.grad_fn, output_nr=original.output_nr,
                                        requires_grad=original.requires_grad, is_output=original.is_output)
        self._saved = tuple(saved)

    def _output_written_into(self, result, tensor):
        """An in-place op's ``result`` now lives in ``tensor``: the output this node saved is
        ``tensor``'s memory at its new version, so a later in-place change of it is caught."""
        for saved in self._saved:
            if isinstance(saved, SavedTensor) and saved.data is result._data:
                saved.data = tensor._data
                saved.version_counter = tensor._version
                saved.saved_version = tensor._version.value


def _as_array(output):
    """What forward returned, as an array: NumPy reductions return scalars, not 0-d arrays."""
    return numpy.asarray(output) if isinstance(output, numpy.generic) else backend.ensure_array(output)


def _source_of(value, args, arrays, results, raw_outputs):
    """The tensor, among an op's inputs and outputs, whose array ``value`` is (None if none is)."""
    for arg, array in zip(args, arrays):
        if array is value and isinstance(arg, _Tensor):
            return arg
    for result, raw in zip(results, raw_outputs):
        if raw is value or result._data is value:
            return result
    return None


def _leaf_edge(tensor):
    """(AccumulateGrad node, 0): where a gradient for the leaf ``tensor`` goes. The tensor keeps its
    node weakly (the graph keeps it alive), so every op using the leaf in one graph shares one node."""
    accumulator = tensor._grad_accumulator() if tensor._grad_accumulator is not None else None
    if accumulator is None:
        from minitorch.autograd.engine import AccumulateGrad
        accumulator = AccumulateGrad(tensor)
        tensor._grad_accumulator = weakref.ref(accumulator)
    return accumulator, 0


def _check_same_device(args, arrays, Tensor):
    """Raise torch's error for tensors on two devices. As in torch, a 0-dim CPU tensor may join tensors
    on a GPU (it acts as a scalar): its array is copied to that device in ``arrays``."""
    device = None
    cpu_scalars = []
    for index, arg in enumerate(args):
        if isinstance(arg, Tensor):
            arg_device = arg.device
            if arg_device.type == "cpu" and arg.ndim == 0:
                cpu_scalars.append(index)
            elif device is None:
                device = arg_device
            elif arg_device != device:
                raise RuntimeError("Expected all tensors to be on the same device, but found at least two devices, "
                                   f"{device} and {arg_device}!")
    if device is not None and device.type != "cpu":
        for index in cpu_scalars:
            arrays[index] = backend.to_device(arrays[index], device)


def once_differentiable(backward):
    """Decorates a custom ``backward`` that is not itself differentiable: it runs under ``no_grad``."""
    @functools.wraps(backward)
    def wrapper(ctx, *grad_outputs):
        with grad_mode.no_grad():
            return backward(ctx, *grad_outputs)
    return wrapper


class RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` takes that registration out again."""

    _next_id = itertools.count()

    def __init__(self, hooks: dict, hook):
        self.id = next(RemovableHandle._next_id)
        self._hooks = hooks
        hooks[self.id] = hook

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()


# views.py builds on Function (CopySlices is one), so it is imported once Function exists.
from minitorch.autograd import views  # noqa: E402
