"""Autograd: the graph nodes (``Function``), the engine that walks them, grad modes, and checks.

``backward`` and ``grad`` here are the two ways into the engine (``engine.py``).
"""
from __future__ import annotations

from minitorch import backend
from minitorch.autograd.anomaly_mode import detect_anomaly, set_detect_anomaly, is_anomaly_enabled
from minitorch.autograd.function import Function, _tensor_class, once_differentiable
from minitorch.autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                                          no_grad, set_grad_enabled)
from minitorch.autograd import engine
from minitorch.autograd.gradcheck import gradcheck, gradgradcheck
from minitorch.autograd.trace import trace

__all__ = ["Function", "once_differentiable", "backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "is_inference_mode_enabled", "detect_anomaly", "set_detect_anomaly",
           "is_anomaly_enabled", "gradcheck", "gradgradcheck", "trace"]


def _as_tuple(value):
    if value is None:
        return ()
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def _root_gradients(outputs, grad_outputs):
    """The gradient each output starts with: given, or ones for a single-element output."""
    Tensor = _tensor_class()
    grads = _as_tuple(grad_outputs) or (None,) * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(f"grad can be implicitly created only for scalar outputs; got {len(grads)} gradients "
                           f"for {len(outputs)} outputs")
    result = []
    for index, (output, grad) in enumerate(zip(outputs, grads)):
        if not output.requires_grad:
            raise RuntimeError(f"element {index} of tensors does not require grad and does not have a grad_fn")
        if grad is None:
            data = output._data  # (arrays, not Tensor methods: every ``loss.backward()`` passes here)
            if data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            grad = Tensor._wrap(backend.array_module(data).ones(data.shape, dtype=data.dtype))
        elif not isinstance(grad, Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got {type(grad).__name__}")
        elif grad._data.shape != output._data.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{index}] has a shape of {grad.shape} and output"
                               f"[{index}] has a shape of {output.shape}.")
        elif grad._data.dtype != output._data.dtype:  # PyTorch's engine casts a root's gradient to its dtype
            grad = grad.to(output.dtype)
        result.append(grad)
    return result


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Add the gradients of ``tensors`` into the ``.grad`` of the leaves (of ``inputs`` only, if given)."""
    outputs = _as_tuple(tensors)
    grads = _root_gradients(outputs, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    inputs = _as_tuple(inputs) or None
    if inputs is not None:
        _accumulate_into(outputs, grads, retain_graph, create_graph, inputs)
        return
    engine.run_backward(outputs, grads, retain_graph, create_graph)


def _accumulate_into(outputs, grads, retain_graph, create_graph, inputs):
    """``backward(inputs=...)``: only these tensors get their ``.grad`` added to."""
    results = engine.run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs,
                                  allow_unused=True, accumulate=False)
    for tensor, grad in zip(inputs, results):
        if grad is None:
            continue
        if tensor.grad_fn is None:
            node, _ = engine.gradient_edge(tensor)
            node.accumulate(grad, create_graph)  # as a full backward would: post-accumulate hooks run too
        else:
            grad = grad if create_graph else grad.detach()
            tensor._grad = grad.clone() if tensor._grad is None else tensor._grad + grad


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None,
         is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned (``.grad`` is left alone)."""
    outputs = _as_tuple(outputs)
    inputs_tuple = _as_tuple(inputs)
    for index, tensor in enumerate(inputs_tuple):
        if not tensor.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _root_gradients(outputs, grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    allow_unused = materialize_grads if allow_unused is None else allow_unused
    results = engine.run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs_tuple,
                                  allow_unused=allow_unused, accumulate=False)
    if materialize_grads:
        from minitorch import creation
        results = [creation.zeros_like(tensor) if grad is None else grad
                   for tensor, grad in zip(inputs_tuple, results)]
    return tuple(results)
