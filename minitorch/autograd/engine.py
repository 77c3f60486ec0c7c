"""The engine: walks the graph backwards from the outputs, calling each node's ``backward`` once.

The smallest graph that needs an order is ``b = a + a; c = b * b``: ``b``'s node
gets two gradients (one per use) and must wait for both before it runs. So the
engine first counts, for every node reachable from the roots, how many
gradients will flow into it, then runs a node as soon as all of them have
arrived, newest node first among the ready ones, as PyTorch does. The walk is
iterative (a heap, not recursion): an LSTM's graph is thousands of nodes deep.

Two things are done here for every op, once: a gradient that a backward
returns with a broadcast shape is summed down to its input's shape, and cast
to its input's dtype.
"""
from __future__ import annotations

import heapq
import weakref

from minitorch.autograd import anomaly_mode, grad_mode
from minitorch.autograd.function import Function, SavedTensor  # noqa: F401  (SavedTensor: for readers)


class AccumulateGrad(Function):
    """The node at a leaf: adds the incoming gradient into ``leaf.grad``."""

    def __init__(self, leaf):
        super().__init__()
        self.variable = leaf
        self._sequence_nr = float("inf")  # PyTorch runs AccumulateGrad as soon as it is ready

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def accumulate(self, grad, create_graph: bool):
        leaf = self.variable
        if leaf._grad is None:
            # A fresh tensor of its own: the same array may have gone to several leaves (x + y).
            leaf._grad = grad if create_graph else grad.detach().clone()
        elif create_graph or grad_mode.is_grad_enabled() and leaf._grad.requires_grad:
            leaf._grad = leaf._grad + grad
        else:
            leaf._grad._data += grad._data
        for hook in leaf._post_accumulate_hooks:
            hook(leaf)


def gradient_edge(tensor):
    """(node, output_nr): where a gradient for ``tensor`` goes in the graph."""
    if tensor.grad_fn is not None:
        return tensor.grad_fn, tensor._output_nr
    accumulator = tensor._grad_accumulator() if tensor._grad_accumulator is not None else None
    if accumulator is None:  # the tensor keeps its accumulator weakly; the graph keeps it alive
        accumulator = AccumulateGrad(tensor)
        tensor._grad_accumulator = weakref.ref(accumulator)
    return accumulator, 0


def _count_dependencies(roots):
    """For every node reachable from ``roots``: how many edges point at it."""
    dependencies = {}
    seen = set()
    stack = [node for node in roots if node is not None]
    for node in stack:
        seen.add(node)
    while stack:
        node = stack.pop()
        for next_node, _ in node.next_functions:
            if next_node is None:
                continue
            dependencies[next_node] = dependencies.get(next_node, 0) + 1
            if next_node not in seen:
                seen.add(next_node)
                stack.append(next_node)
    return dependencies, seen


def _nodes_leading_to(targets, roots, nodes):
    """The nodes from which some target is reachable: the only ones ``grad()`` has to run."""
    children_of = {node: [n for n, _ in node.next_functions if n is not None] for node in nodes}
    needed = set(targets)
    # Reverse topological order: a node is needed if any of its children is.
    order = []
    visited = set()
    for root in roots:
        if root is None or root in visited:
            continue
        stack = [(root, iter(children_of[root]))]
        visited.add(root)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                order.append(node)
            elif child not in visited:
                visited.add(child)
                stack.append((child, iter(children_of[child])))
    for node in order:  # children come before parents in this order
        if node not in needed and any(child in needed for child in children_of[node]):
            needed.add(node)
    return needed


def _fit_to_input(grad, metadata, node, index):
    """Undo broadcasting and match the input's dtype: the one place every op's gradient passes."""
    shape, dtype = metadata
    if grad._data.shape != shape:
        try:
            grad = grad.sum_to_size(shape)
        except RuntimeError:
            raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index {index} - got "
                               f"{list(grad.shape)} but expected shape compatible with {list(shape)}") from None
    if grad._data.dtype != dtype:
        grad = grad.to(dtype=_dtype(dtype))
    return grad


def _dtype(numpy_dtype):
    from minitorch import backend
    return backend.from_numpy_dtype(numpy_dtype)


def run_backward(roots, grad_roots, retain_graph: bool, create_graph: bool, inputs=None, allow_unused=False,
                 accumulate=True):
    """Backpropagate ``grad_roots`` from the ``roots`` tensors.

    With ``accumulate`` the gradients of leaves go into ``.grad`` (``backward``);
    otherwise the gradients reaching ``inputs`` are returned (``autograd.grad``).
    """
    root_edges = [root._gradient_edge() for root in roots]
    root_nodes = [node for node, _ in root_edges]
    dependencies, nodes = _count_dependencies(root_nodes)

    captured = None
    input_edges = None
    needed = None
    if inputs is not None:
        input_edges = [tensor._gradient_edge() for tensor in inputs]
        captured = {edge: None for edge in input_edges}
        if not accumulate:
            needed = _nodes_leading_to({node for node, _ in input_edges}, root_nodes, nodes)

    buffers = {}  # node -> list of gradients for its outputs, summed as they arrive
    ready = []
    for (node, output_nr), grad in zip(root_edges, grad_roots):
        slots = buffers.setdefault(node, [None] * _output_count(node))
        slots[output_nr] = grad if slots[output_nr] is None else slots[output_nr] + grad
    for node in buffers:
        if dependencies.get(node, 0) == 0:
            heapq.heappush(ready, (-node._sequence_nr, id(node), node))

    with grad_mode.set_grad_enabled(create_graph):
        while ready:
            _, _, node = heapq.heappop(ready)
            grad_outputs = _call_tensor_hooks(node, buffers.pop(node))
            if captured is not None:
                for output_nr, grad in enumerate(grad_outputs):
                    if (node, output_nr) in captured:
                        captured[(node, output_nr)] = grad
            if needed is not None and node not in needed:
                continue
            grad_inputs = _run_node(node, grad_outputs, create_graph, accumulate)
            if not retain_graph:
                node._release_saved()
            for (next_node, output_nr), grad in zip(node.next_functions, grad_inputs):
                if next_node is None:
                    continue
                if grad is not None:
                    slots = buffers.setdefault(next_node, [None] * _output_count(next_node))
                    slots[output_nr] = grad if slots[output_nr] is None else slots[output_nr] + grad
                dependencies[next_node] -= 1
                if dependencies[next_node] == 0:
                    if next_node in buffers:
                        heapq.heappush(ready, (-next_node._sequence_nr, id(next_node), next_node))
                    else:
                        _skip_subgraph(next_node, dependencies, buffers, ready)

    if inputs is None:
        return None
    results = []
    for tensor, edge in zip(inputs, input_edges):
        grad = captured[edge]
        if grad is None and not allow_unused:
            raise RuntimeError("One of the differentiated Tensors appears to not have been used in the graph. "
                               "Set allow_unused=True if this is the desired behavior.")
        results.append(grad)
    return results


def _skip_subgraph(node, dependencies, buffers, ready):
    """A node that received no gradient at all: release its children's dependency counts too."""
    stack = [node]
    while stack:
        current = stack.pop()
        for next_node, _ in current.next_functions:
            if next_node is None:
                continue
            dependencies[next_node] -= 1
            if dependencies[next_node] == 0:
                if next_node in buffers:
                    heapq.heappush(ready, (-next_node._sequence_nr, id(next_node), next_node))
                else:
                    stack.append(next_node)


def _output_count(node):
    return len(node._output_metadata) if node._output_metadata else 1


def _call_tensor_hooks(node, grad_outputs):
    """Hooks registered with ``tensor.register_hook`` (and ``retain_grad``) see a gradient first."""
    for output_nr, grad in enumerate(grad_outputs):
        if grad is None:
            continue
        hooks = node.variable._hooks if isinstance(node, AccumulateGrad) else node._pre_hooks.get(output_nr, ())
        for hook in list(hooks):
            new_grad = hook(grad)
            if new_grad is not None:
                grad = new_grad
        grad_outputs[output_nr] = grad
    return grad_outputs


def _run_node(node, grad_outputs, create_graph, accumulate):
    """Call one node's backward; fit each gradient to its input; anomaly checks."""
    if isinstance(node, AccumulateGrad):
        if accumulate and grad_outputs[0] is not None:
            node.accumulate(grad_outputs[0], create_graph)
        return ()
    for hook in node._pre_hooks.get(None, ()):
        new_grads = hook(tuple(grad_outputs))
        if new_grads is not None:
            grad_outputs = list(new_grads)
    if node.materialize_grads:
        grad_outputs = [grad if grad is not None else _zeros_like_output(node, index)
                        for index, grad in enumerate(grad_outputs)]
    grad_inputs = node.backward(node, *grad_outputs)
    if not isinstance(grad_inputs, tuple):
        grad_inputs = (grad_inputs,)
    expected = len(node.next_functions)
    if len(grad_inputs) > expected and all(grad is None for grad in grad_inputs[expected:]):
        grad_inputs = grad_inputs[:expected]
    if len(grad_inputs) != expected:
        raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                           f"(expected {len(node.next_functions)}, got {len(grad_inputs)})")
    grad_inputs = [None if grad is None or edge[0] is None
                   else _fit_to_input(_as_tensor(grad, node, index), node._input_metadata[index], node, index)
                   for index, (grad, edge) in enumerate(zip(grad_inputs, node.next_functions))]
    for hook in node._hooks:
        new_grads = hook(tuple(grad_inputs), tuple(grad_outputs))
        if new_grads is not None:
            grad_inputs = list(new_grads)
    if anomaly_mode.is_anomaly_enabled():
        anomaly_mode.check_for_nan(node, grad_inputs)
    return grad_inputs


def _as_tensor(grad, node, index):
    from minitorch.tensor import Tensor
    if isinstance(grad, Tensor):
        return grad
    raise TypeError(f"{node.name()}.backward returned {type(grad).__name__} at index {index}; expected a Tensor or None")


def _zeros_like_output(node, index):
    from minitorch.tensor import Tensor
    shape, numpy_dtype = node._output_metadata[index]
    return Tensor._wrap(node._xp.zeros(shape, dtype=numpy_dtype))
