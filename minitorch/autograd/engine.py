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

from minitorch import backend
from minitorch.autograd import anomaly_mode, grad_mode
from minitorch.autograd.function import _NO_HOOKS, Function, _leaf_edge, _tensor_class

# Set by ``minitorch.autograd.trace()`` while it is active: an object whose ``wrap(run)`` returns ``run``
# recording each node it runs. Looked at once per backward, so tracing costs nothing when off.
_tracer = None


class AccumulateGrad(Function):
    """The node at a leaf: adds the incoming gradient into ``leaf.grad``."""

    _sequence_nr = float("inf")  # PyTorch runs AccumulateGrad as soon as it is ready

    def __init__(self, leaf):
        self.variable = leaf

    def name(self):
        return "torch::autograd::AccumulateGrad"

    @property
    def _pre_hooks(self):
        """The leaf's own hooks (``leaf.register_hook``) are this node's tensor hooks."""
        hooks = self.variable._hooks
        return {0: hooks} if hooks else _NO_HOOKS

    def accumulate(self, grad, create_graph: bool):
        leaf = self.variable
        if leaf._grad is None:
            # A tensor of its own: the same gradient may have gone to several leaves (x + y). Without
            # create_graph nothing is recorded, so the array is copied directly (no Clone op).
            leaf._grad = grad.clone() if create_graph else _tensor_class()._wrap(grad._data.copy(order="K"))
        elif create_graph or grad_mode.is_grad_enabled() and leaf._grad.requires_grad:
            leaf._grad = leaf._grad + grad
        else:
            leaf._grad._data += grad._data
        for hook in list(leaf._post_accumulate_hooks.values()) if leaf._post_accumulate_hooks else ():
            hook(leaf)


def gradient_edge(tensor):
    """(node, output_nr): where a gradient for ``tensor`` goes in the graph."""
    grad_fn = tensor.grad_fn
    if grad_fn is not None:
        return grad_fn, tensor._output_nr
    return _leaf_edge(tensor)


def _count_dependencies(roots):
    """For every node reachable from ``roots``: how many edges point at it. (A node is first
    reached when it has no count yet; roots are walked from the start.)"""
    dependencies = {}
    root_set = {node for node in roots if node is not None}
    stack = list(root_set)  # each root once, though two roots may be outputs of one node (unbind)
    while stack:
        node = stack.pop()
        for next_node, _ in node.next_functions:
            if next_node is None:
                continue
            count = dependencies.get(next_node)
            if count is None:
                dependencies[next_node] = 1
                if next_node not in root_set:
                    stack.append(next_node)
            else:
                dependencies[next_node] = count + 1
    return dependencies, root_set


def _nodes_leading_to(targets, roots, nodes):
    """The nodes from which some target is reachable below them: the only ones ``grad()`` has to run.
    (A target itself only has its gradient captured, unless another target lies below it.)"""
    children_of = {node: [n for n, _ in node.next_functions if n is not None] for node in nodes}
    needed = set()
    # Reverse topological order: a node is needed if any of its children is a target or needed.
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
        if any(child in needed or child in targets for child in children_of[node]):
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
    return backend.from_numpy_dtype(numpy_dtype)


def run_backward(roots, grad_roots, retain_graph: bool, create_graph: bool, inputs=None, allow_unused=False,
                 accumulate=True):
    """Backpropagate ``grad_roots`` from the ``roots`` tensors.

    With ``accumulate`` the gradients of leaves go into ``.grad`` (``backward``);
    otherwise the gradients reaching ``inputs`` are returned (``autograd.grad``).
    """
    root_edges = [root._gradient_edge() for root in roots]
    root_nodes = [node for node, _ in root_edges]
    dependencies, root_set = _count_dependencies(root_nodes)

    captured = None
    input_edges = None
    needed = None
    if inputs is not None:
        input_edges = [tensor._gradient_edge() for tensor in inputs]
        captured = {edge: None for edge in input_edges}
        if not accumulate:
            needed = _nodes_leading_to({node for node, _ in input_edges}, root_nodes, root_set.union(dependencies))

    buffers = {}  # node -> list of gradients for its outputs, summed as they arrive
    ready = []
    for (node, output_nr), grad in zip(root_edges, grad_roots):
        _add_gradient(buffers, node, output_nr, grad, create_graph)
    for node in buffers:
        if dependencies.get(node, 0) == 0:
            heapq.heappush(ready, (-node._sequence_nr, id(node), node))

    runners = (_run_node, _run_leaf, _accumulate_leaf)
    if _tracer is not None:
        runners = tuple(_tracer.wrap(run) for run in runners)
    run_node, run_leaf, accumulate_leaf = runners
    grad_was_enabled = grad_mode._state.enabled
    grad_mode._set_enabled(create_graph)  # backward records a graph only for create_graph
    heappush, heappop = heapq.heappush, heapq.heappop
    try:
        while ready:
            node = heappop(ready)[2]
            grad_outputs = buffers.pop(node)
            has_hooks = node._pre_hooks or node._retain_grad_hooks
            if captured is not None:
                runs = needed is None or node in needed
                # As in PyTorch, a gradient captured for grad() has been through the tensor's hooks
                # only when its node does not run (the node runs them itself, after the capture).
                if has_hooks and not runs:
                    grad_outputs = _call_tensor_hooks(node, grad_outputs)
                for output_nr, grad in enumerate(grad_outputs):
                    if (node, output_nr) in captured:
                        captured[(node, output_nr)] = grad
                if not runs:
                    continue
            if has_hooks:
                grad_outputs = _call_tensor_hooks(node, grad_outputs)
            if type(node) is AccumulateGrad:  # a leaf: nothing below it
                if accumulate:
                    accumulate_leaf(node, grad_outputs, create_graph)
                continue
            grad_inputs = run_node(node, grad_outputs, create_graph)
            if not retain_graph and node._saved:
                node._release_saved()
            for (next_node, output_nr), grad in zip(node.next_functions, grad_inputs):
                if next_node is None:
                    continue
                if grad is not None:
                    _add_gradient(buffers, next_node, output_nr, grad, create_graph)
                remaining = dependencies[next_node] - 1
                dependencies[next_node] = remaining
                if remaining == 0:
                    if next_node not in buffers:
                        _skip_subgraph(next_node, dependencies, buffers, ready)
                    elif type(next_node) is AccumulateGrad and captured is None:
                        # A leaf runs first among the ready nodes anyway (PyTorch's order): run it
                        # now, without a trip through the queue (half the nodes of a small network).
                        run_leaf(next_node, buffers.pop(next_node), create_graph)
                    else:
                        heappush(ready, (-next_node._sequence_nr, id(next_node), next_node))
    finally:
        grad_mode._set_enabled(grad_was_enabled)

    if inputs is None:
        return None
    results = []
    for index, edge in enumerate(input_edges):
        grad = captured[edge]
        if grad is None and not allow_unused:
            raise RuntimeError(f"The differentiated Tensor at index {index} appears to not have been used in the "
                               "graph. Set allow_unused=True if this is the desired behavior.")
        results.append(grad)
    return results


def _run_leaf(node, grad_outputs, create_graph):
    """An AccumulateGrad node of ``backward()``: the leaf's hooks, then the sum into its ``.grad``."""
    if node.variable._hooks:  # (what ``_pre_hooks`` would build, asked without building it)
        grad_outputs = _call_tensor_hooks(node, grad_outputs)
    _accumulate_leaf(node, grad_outputs, create_graph)


def _accumulate_leaf(node, grad_outputs, create_graph):
    """An AccumulateGrad node whose hooks have run: the sum into its leaf's ``.grad``."""
    if grad_outputs[0] is not None:
        node.accumulate(grad_outputs[0], create_graph)


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


def _add_gradient(buffers, node, output_nr, grad, create_graph):
    """Sum ``grad`` into the gradient that output ``output_nr`` of ``node`` has received so far.
    (Both were fitted to that output's shape and dtype; the sum is recorded only for create_graph.)"""
    slots = buffers.get(node)
    if slots is None:
        slots = buffers[node] = [None] * (len(node._output_metadata) or 1)
    previous = slots[output_nr]
    if previous is None:
        slots[output_nr] = grad
    elif create_graph:
        slots[output_nr] = previous + grad
    else:
        slots[output_nr] = _tensor_class()._wrap(backend.ensure_array(previous._data + grad._data))


def _call_tensor_hooks(node, grad_outputs):
    """Hooks registered with ``tensor.register_hook`` see a gradient first, in the order they were
    registered; then ``retain_grad()`` keeps what they made of it."""
    for output_nr, grad in enumerate(grad_outputs):
        if grad is None:
            continue
        for hook in list(node._pre_hooks.get(output_nr, _NO_HOOKS).values()):
            new_grad = hook(grad)
            if new_grad is not None:
                grad = new_grad
        grad_outputs[output_nr] = grad
        retain = node._retain_grad_hooks.get(output_nr)
        if retain is not None:
            retain(grad)
    return grad_outputs


def _run_node(node, grad_outputs, create_graph):
    """Call one node's backward; fit each gradient to its input; anomaly checks."""
    if node._pre_hooks:
        for hook in list(node._pre_hooks.get(None, _NO_HOOKS).values()):
            new_grads = hook(tuple(grad_outputs))
            if new_grads is not None:
                grad_outputs = list(new_grads)
    if len(grad_outputs) > 1 and node.materialize_grads and any(grad is None for grad in grad_outputs):
        present = next(grad for grad in grad_outputs if grad is not None)
        grad_outputs = [grad if grad is not None else _zeros_like_output(node, index, present)
                        for index, grad in enumerate(grad_outputs)]
    grad_inputs = _one_per_edge(node, node.backward(node, *grad_outputs))
    if node._hooks:
        for hook in list(node._hooks.values()):
            new_grads = hook(tuple(grad_inputs), tuple(grad_outputs))
            if new_grads is not None:
                if len(new_grads) != len(grad_inputs):
                    raise RuntimeError(f"hook '{getattr(hook, '__name__', hook)}' has returned an incorrect number "
                                       f"of values (got {len(new_grads)}, but expected {len(grad_inputs)})")
                grad_inputs = list(new_grads)
    if anomaly_mode._enabled and anomaly_mode._check_nan:
        anomaly_mode.check_for_nan(node, grad_inputs)
    return grad_inputs


def _one_per_edge(node, grad_inputs):
    """What ``backward`` returned (a gradient or None per forward argument), checked, as one
    gradient per edge in ``next_functions``, summed to its input's shape and cast to its dtype."""
    if type(grad_inputs) is not tuple:
        grad_inputs = tuple(grad_inputs) if isinstance(grad_inputs, list) else (grad_inputs,)
    if len(grad_inputs) != len(node.needs_input_grad):
        grad_inputs = _drop_trailing_nones(node, grad_inputs)
    if node._tensor_positions is not None:
        grad_inputs = _tensor_arguments_only(node, grad_inputs)
    Tensor = _tensor_class()
    fitted = []
    # (an input's metadata is None exactly when it takes no gradient: its edge points nowhere)
    for grad, metadata in zip(grad_inputs, node._input_metadata):
        if grad is None or metadata is None:
            fitted.append(None)
            continue
        if not isinstance(grad, Tensor):
            raise TypeError(f"{node.name()}.backward returned {type(grad).__name__} at index {len(fitted)}; "
                            "expected a Tensor or None")
        data = grad._data
        if data.shape != metadata[0] or data.dtype != metadata[1]:
            grad = _fit_to_input(grad, metadata, node, len(fitted))
        fitted.append(grad)
    return fitted


def _drop_trailing_nones(node, grad_inputs):
    """Extra gradients are allowed when they are None (PyTorch's rule); otherwise the count is wrong."""
    expected = len(node.needs_input_grad)
    if len(grad_inputs) > expected and all(grad is None for grad in grad_inputs[expected:]):
        return grad_inputs[:expected]
    raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients (expected "
                       f"{expected}, got {len(grad_inputs)})")


def _tensor_arguments_only(node, grad_inputs):
    """The gradients of the tensor arguments; any other argument must have got None."""
    positions = node._tensor_positions
    for position, grad in enumerate(grad_inputs):
        if grad is not None and position not in positions:
            raise RuntimeError(f"function {node.name()} returned a gradient different than None at position "
                               f"{position + 1}, but the corresponding forward input was not a Variable")
    return [grad_inputs[position] for position in positions]


def _zeros_like_output(node, index, like):
    """A zero gradient for an output that received none (``materialize_grads``)."""
    shape, numpy_dtype = node._output_metadata[index]
    return _tensor_class()._wrap(backend.array_module(like._data).zeros(shape, dtype=numpy_dtype))
