"""``minitorch.viz``: draw the backward graph of a result as Graphviz DOT text.

``graph(loss, params=dict(model.named_parameters()))`` walks what the engine
walks: from the result's ``grad_fn`` along ``next_functions`` down to the
``AccumulateGrad`` nodes, whose ``variable`` is a leaf tensor. It draws

- the result (its shape and dtype), pointing at its ``grad_fn``;
- one box per node: its ``name()`` and, with ``show_saved``, the shapes of the
  tensors its forward saved for backward (gone after a backward without
  ``retain_graph``);
- one box per leaf: its name from ``params``, shape and dtype;

with arrows in backward order: from a node to the nodes its gradients go to.
Nodes are numbered in the order a breadth-first walk first meets them, never
by memory address, so the same code gives byte-identical DOT text in every run.

``Graph.render`` turns the text into SVG or PNG with the ``graphviz`` Python
package and Graphviz's ``dot`` program; nothing else here needs either.
"""
from __future__ import annotations

import collections
import os
import shutil

from minitorch.autograd.function import SavedTensor

_MISSING = ("Graph.render needs the graphviz Python package (pip install graphviz) and Graphviz's dot program "
            "(e.g. apt-get install graphviz)")

# torchviz's colours, so the pictures read the same: the result green, leaves blue, nodes grey.
_RESULT_STYLE = 'fillcolor="darkolivegreen1"'
_LEAF_STYLE = 'fillcolor="lightblue"'
_NODE_STYLE = 'fillcolor="lightgrey"'


class Graph:
    """A drawn backward graph. ``source`` (and ``str()``) is the DOT text; ``nodes`` maps each node's
    id ("0", "1", ... in walk order) to its label and ``edges`` lists (from_id, to_id) pairs."""

    def __init__(self, nodes: dict, edges: list, styles: dict):
        self.nodes = nodes
        self.edges = edges
        self._styles = styles

    @property
    def source(self) -> str:
        lines = ["digraph {", '    graph [rankdir=TB]', '    node [shape=box style="filled,rounded" '
                 'fontname="monospace" fontsize=11]']
        lines += [f'    {node_id} [label="{_escape(label)}" {self._styles[node_id]}]'
                  for node_id, label in self.nodes.items()]
        lines += [f"    {source} -> {target}" for source, target in self.edges]
        return "\n".join(lines + ["}"]) + "\n"

    def __str__(self):
        return self.source

    def render(self, path, format: str = "svg") -> str:
        """Write the picture to ``path`` (exactly that file) in ``format`` ('svg', 'png', ...); return the path."""
        try:
            import graphviz
        except ImportError:
            raise ImportError(f"{_MISSING}; the graphviz package is not installed") from None
        if shutil.which("dot") is None:
            raise RuntimeError(f"{_MISSING}; the dot program was not found on PATH")
        picture = graphviz.Source(self.source).pipe(format=format)
        with open(path, "wb") as file:
            file.write(picture)
        return os.fspath(path)


def graph(root, params: dict | None = None, show_saved: bool = True) -> Graph:
    """The backward graph of ``root`` (a Tensor or a tuple of Tensors); ``params`` (name -> Tensor,
    e.g. ``dict(model.named_parameters())``) names the leaves."""
    roots = root if isinstance(root, (tuple, list)) else (root,)
    names = {id(tensor): name for name, tensor in (params or {}).items()}
    nodes, edges, styles = {}, [], {}
    ids = {}  # id(object) -> node id, for the objects met so far (the walk keeps them all alive)

    def node_id(thing, label, style):
        """The id of ``thing``'s box, made on first meeting it; whether it is new."""
        key = id(thing)
        if key in ids:
            return ids[key], False
        ids[key] = new_id = str(len(nodes))
        nodes[new_id] = label
        styles[new_id] = style
        return new_id, True

    queue = collections.deque()
    for tensor in roots:
        result_id, _ = node_id(tensor, _tensor_label(tensor, names.get(id(tensor), "result")), _RESULT_STYLE)
        if tensor.grad_fn is not None:
            queue.append((result_id, tensor.grad_fn))
    while queue:
        parent_id, function = queue.popleft()
        function_id, new = node_id(function, _function_label(function, show_saved), _NODE_STYLE)
        edges.append((parent_id, function_id))
        if not new:
            continue
        leaf = getattr(function, "variable", None)  # an AccumulateGrad node: the leaf it feeds
        if leaf is not None:
            leaf_id, _ = node_id(leaf, _tensor_label(leaf, names.get(id(leaf))), _LEAF_STYLE)
            edges.append((function_id, leaf_id))
        queue.extend((function_id, next_function) for next_function, _ in function.next_functions
                     if next_function is not None)
    return Graph(nodes, edges, styles)


def _tensor_label(tensor, name: str | None) -> str:
    described = f"{tuple(tensor.shape)}\n{str(tensor.dtype).removeprefix('minitorch.')}"
    return described if name is None else f"{name}\n{described}"


def _function_label(function, show_saved: bool) -> str:
    shapes = [tuple(saved.data.shape) for saved in function._saved if type(saved) is SavedTensor]
    if not (show_saved and shapes):
        return function.name()
    return function.name() + "\nsaved: " + ", ".join(str(shape) for shape in shapes)


def _escape(label: str) -> str:
    """A label as a DOT string: quotes and backslashes escaped, lines joined with DOT's \\n."""
    return label.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
