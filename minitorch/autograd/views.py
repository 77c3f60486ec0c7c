"""Views, and in-place ops on them: how ``x[0].mul_(2)`` changes the history of ``x`` (PyTorch's CopySlices).

A view op (a ``Function`` with ``is_view = True``) whose output shares memory
with its input makes that output a view (``mark_view``): it shares the input's
version counter, its ``_base`` is the tensor that owns the memory, and its
``_view_info`` records how to make it again from that base: the view op, its
other arguments, and the ``ViewInfo`` of its input when that was a view too.

An in-place op is computed out of place, then written into the memory
(``Tensor._inplace``). On a plain tensor, the tensor's history simply continues
from the result's node. On a view ``v`` of ``base`` the write changes ``base``
too, so (``set_inplace_history``):

- ``base`` gets a new node, ``CopySlices(old base, result)``: "base, with the
  region that ``v`` covers replaced by ``result``". Its backward sends the
  upstream gradient with that region zeroed to the old base, and the region of
  it to ``result``, whose own node leads back through ``v``'s old history.
- ``v``'s history becomes its view op replayed on the new ``base``.

Other views of ``base`` see that the shared version counter moved and replay
their view op on ``base`` when they are next used (``refresh_view``), as
PyTorch regenerates a view's ``grad_fn``.
"""
from __future__ import annotations

from minitorch import backend
from minitorch.autograd import grad_mode
from minitorch.autograd.function import Function

# How a view was made, which decides whether an in-place op on it may be recorded (PyTorch's CreationMeta).
DEFAULT = "default"
NO_GRAD_MODE = "no_grad_mode"      # made while grad mode was off
MULTI_OUTPUT = "multi_output"      # one of several views from one op (split, unbind, chunk)


class ViewInfo:
    """How to make a view again from its base: ``function.apply(parent view, *args)[output_nr]``."""

    __slots__ = ("function", "args", "output_nr", "parent", "creation", "version")

    def __init__(self, function, args, output_nr, parent, creation, version):
        self.function = function
        self.args = args
        self.output_nr = output_nr
        self.parent = parent          # the ViewInfo of the view op's input, when that was a view
        self.creation = creation
        self.version = version        # the version counter's value when this view's history was last set

    def replay(self, base):
        """The view made again from ``base`` with the same view ops (recorded when grad mode is on)."""
        chain = []
        info = self
        while info is not None:  # a loop, not recursion: views of views can nest deeply
            chain.append(info)
            info = info.parent
        view = base
        for info in reversed(chain):
            output = info.function.apply(view, *info.args)
            view = output[info.output_nr] if type(output) is tuple else output
        return view


def mark_view(view, source, function, args, output_nr, count):
    """Make ``view``, output ``output_nr`` of ``count`` of the view op ``function`` on ``source``, a view
    of ``source``'s base, when it does share its memory (``reshape`` sometimes copies)."""
    data, source_data = view._data, source._data
    owner = source_data if source_data.base is None else source_data.base
    if data.base is not owner and not backend.array_module(data).may_share_memory(data, source_data):
        return  # (the first test is the quick one: NumPy points a view's .base at the memory's owner)
    parent = source._view_info
    if parent is not None and parent.creation != DEFAULT:
        creation = parent.creation
    elif count > 1:
        creation = MULTI_OUTPUT
    elif not grad_mode.is_grad_enabled():
        creation = NO_GRAD_MODE
    else:
        creation = DEFAULT
    view._version = source._version
    view._base = source._base if source._base is not None else source
    view._view_info = ViewInfo(function, args, output_nr, parent, creation, source._version.value)


def view_requires_grad(view) -> bool:
    """A view requires grad when it was made so, or when its base does (even if made under no_grad)."""
    if view._view_info.version != view._version.value:
        refresh_view(view)
    return view._requires_grad or view._base._requires_grad


def refresh_view(view) -> None:
    """The memory of ``view`` was modified in place (through its base or another view): its
    history becomes its view op replayed on the base's current history."""
    info = view._view_info
    base = view._base
    if view._grad_fn is not None or base._requires_grad:
        if info.creation != DEFAULT:
            raise RuntimeError(_forbidden_message(view, indirect=True))
        with grad_mode.enable_grad():
            replayed = info.replay(base)
        set_history(view, replayed._grad_fn, replayed._output_nr)
    info.version = view._version.value


def check_inplace_allowed(tensor, used="is being used") -> None:
    """PyTorch's errors for an in-place op that autograd would have to record but cannot."""
    info = tensor._view_info
    if info is not None:
        if info.creation != DEFAULT:
            raise RuntimeError(_forbidden_message(tensor, indirect=False))
        base = tensor._base
        if base._requires_grad and base._grad_fn is None:
            raise RuntimeError(f"a view of a leaf Variable that requires grad {used} in an in-place operation.")
    elif tensor._requires_grad and tensor._grad_fn is None:
        raise RuntimeError(f"a leaf Variable that requires grad {used} in an in-place operation.")


def set_inplace_history(tensor, result) -> None:
    """``result`` (with a node) was just written into ``tensor``: continue ``tensor``'s history from it."""
    info = tensor._view_info
    if info is None:
        set_history(tensor, result._grad_fn, result._output_nr)
        return
    base = tensor._base
    written = CopySlices.apply(base, result, info)
    set_history(base, written._grad_fn, 0)
    replayed = info.replay(base)
    set_history(tensor, replayed._grad_fn, replayed._output_nr)
    info.version = tensor._version.value


def set_history(tensor, grad_fn, output_nr) -> None:
    """Make ``(grad_fn, output_nr)`` the node of ``tensor``; a ``retain_grad()`` moves along, as in PyTorch."""
    if tensor._retains_grad and tensor._grad_fn is not None:
        hook = tensor._grad_fn._retain_grad_hooks.pop(tensor._output_nr, None)
        if hook is not None:
            grad_fn._set_retain_grad_hook(output_nr, hook)
    tensor._grad_fn = grad_fn
    tensor._output_nr = output_nr
    tensor._requires_grad = True


def _forbidden_message(view, indirect: bool) -> str:
    info = view._view_info
    modified = ("its base or another view of its base has been modified inplace" if indirect
                else "is being modified inplace")
    if info.creation == MULTI_OUTPUT:
        return (f"Output {info.output_nr} of {info.function.__name__} is a view and {modified}. This view "
                "is the output of a function that returns multiple views. Such functions do not allow the output "
                "views to be modified inplace. You should replace the inplace operation by an out-of-place one.")
    return (f"A view was created in no_grad mode and {modified} with grad mode enabled. Given that this use case "
            "is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both the view and "
            "the inplace either both inside the no_grad block (if you don't want the inplace to be tracked) or both "
            "outside (if you want the inplace to be tracked).")


class CopySlices(Function):
    """``base`` with the region a view covers replaced by ``values``: an in-place op on a view, as seen by
    its base. d/dbase = upstream with the region zeroed; d/dvalues = the region of upstream."""

    @staticmethod
    def forward(ctx, base, values, view_info):
        # The values are already in the memory; this node only records where they came from.
        ctx.view_info = view_info
        return base

    @staticmethod
    def backward(ctx, grad_output):
        grad_output = grad_output.contiguous()  # the view ops are replayed on it: give them plain strides
        grad_base = ZeroRegion.apply(grad_output, ctx.view_info) if ctx.needs_input_grad[0] else None
        return grad_base, ctx.view_info.replay(grad_output), None


class ZeroRegion(Function):
    """x with zeros in the region a view covers (found by replaying the view on a copy, so nothing
    as large as the base is kept per node); its own adjoint: d/dx = the same zeroing of upstream."""

    @staticmethod
    def forward(ctx, x, view_info):
        ctx.view_info = view_info
        result = x.copy()
        view_info.replay(_wrap(result))._data[...] = 0
        return result

    @staticmethod
    def backward(ctx, grad_output):
        return ZeroRegion.apply(grad_output, ctx.view_info), None


class Overwrite(Function):
    """``destination.copy_(source)``: the old values are gone. d/ddestination = 0, d/dsource = 1
    (the engine sums the gradient over the dimensions ``source`` was broadcast along)."""

    @staticmethod
    def forward(ctx, destination, source):
        return backend.array_module(source).broadcast_to(source, destination.shape)

    @staticmethod
    def backward(ctx, grad_output):
        grad_destination = None
        if ctx.needs_input_grad[0]:
            grad_destination = _wrap(backend.array_module(grad_output._data).zeros_like(grad_output._data))
        return grad_destination, grad_output


def _wrap(array):
    from minitorch.tensor import Tensor
    return Tensor._wrap(array)
