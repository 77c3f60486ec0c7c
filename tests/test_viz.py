"""minitorch.viz.graph: the drawn graph is the graph PyTorch builds for the same expression."""
import collections
import os
import shutil
import subprocess
import sys

import pytest
import torch

import minitorch
from tests.helpers import GRAPH_EXPRESSIONS, graph_leaves, node_name

ACCUMULATE = "torch::autograd::AccumulateGrad"
REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def walk_next_functions(root, names):
    """(from, to) name pairs of a hand walk from ``root`` along ``grad_fn.next_functions``, the leaf
    under each AccumulateGrad by its name in ``names``: the edges a drawing must show."""
    edges = collections.Counter({("result", node_name(root.grad_fn)): 1})
    seen, queue = {root.grad_fn}, collections.deque([root.grad_fn])
    while queue:
        node = queue.popleft()
        if hasattr(node, "variable"):
            edges[(node_name(node), names[id(node.variable)])] += 1
        for child, _ in node.next_functions:
            if child is None:
                continue
            edges[(node_name(node), node_name(child))] += 1
            if child not in seen:
                seen.add(child)
                queue.append(child)
    return edges


def drawn_edges(graph):
    """The drawing's edges as (from, to) pairs of the first line of each label (the name)."""
    first_line = {node_id: label.split("\n")[0] for node_id, label in graph.nodes.items()}
    return collections.Counter((first_line[source], first_line[target]) for source, target in graph.edges)


def build(lib, expression):
    a, b = graph_leaves(lib)
    return GRAPH_EXPRESSIONS[expression](a, b), {"a": a, "b": b}


def test_graph_of_mul_add_sum_has_exactly_the_expected_nodes_and_edges():
    result, params = build(minitorch, "mul_add_sum")
    graph = minitorch.viz.graph(result, params=params)
    labels = {
        "result": "result\n()\nfloat32", "sum": "SumBackward", "add": "AddBackward",
        "mul": "MulBackward\nsaved: (2, 3), (2, 3)", "a": "a\n(2, 3)\nfloat32", "b": "b\n(2, 3)\nfloat32",
    }
    assert collections.Counter(graph.nodes.values()) == collections.Counter(
        [*labels.values(), ACCUMULATE, ACCUMULATE])
    by_label = {label: node_id for node_id, label in graph.nodes.items()}
    accumulate_of = {graph.nodes[leaf][0]: source for source, leaf in graph.edges if graph.nodes[source] == ACCUMULATE}
    ids = {key: by_label[label] for key, label in labels.items()}
    expected = {(ids["result"], ids["sum"]), (ids["sum"], ids["add"]), (ids["add"], ids["mul"]),
                (ids["add"], accumulate_of["a"]), (ids["mul"], accumulate_of["a"]),
                (ids["mul"], accumulate_of["b"]), (accumulate_of["a"], ids["a"]), (accumulate_of["b"], ids["b"])}
    assert len(graph.edges) == len(expected) and set(graph.edges) == expected
    assert f'{ids["mul"]} [label="MulBackward\\nsaved: (2, 3), (2, 3)"' in graph.source


def test_saved_shapes_are_the_shapes_torch_saves_for_mul():
    result, params = build(minitorch, "mul_add_sum")
    torch_result, _ = build(torch, "mul_add_sum")
    torch_mul = torch_result.grad_fn.next_functions[0][0].next_functions[0][0]
    torch_shapes = ", ".join(str(tuple(getattr(torch_mul, name).shape)) for name in ("_saved_self", "_saved_other"))
    assert f"MulBackward\nsaved: {torch_shapes}" in minitorch.viz.graph(result, params).nodes.values()


@pytest.mark.parametrize("expression", sorted(GRAPH_EXPRESSIONS))
def test_graph_is_the_next_functions_walk_and_matches_torchs_graph(expression):
    result, params = build(minitorch, expression)
    torch_result, torch_params = build(torch, expression)
    expected = walk_next_functions(torch_result, {id(tensor): name for name, tensor in torch_params.items()})
    walked = walk_next_functions(result, {id(tensor): name for name, tensor in params.items()})
    assert drawn_edges(minitorch.viz.graph(result, params=params)) == walked == expected


def test_show_saved_false_and_a_freed_graph_label_nodes_by_name_only():
    result, params = build(minitorch, "mul_add_sum")
    assert "MulBackward" in minitorch.viz.graph(result, params, show_saved=False).nodes.values()
    result.backward()  # frees what forward saved, as in PyTorch
    assert "MulBackward" in minitorch.viz.graph(result, params).nodes.values()


def test_graph_of_several_roots_draws_each_result_once_into_a_shared_graph():
    a, b = graph_leaves(minitorch)
    product = a * b
    graph = minitorch.viz.graph((product.sum(), product.mean()), params={"a": a, "b": b})
    assert collections.Counter(label.split("\n")[0] for label in graph.nodes.values()) == collections.Counter(
        ["result", "result", "SumBackward", "MeanBackward", "MulBackward", ACCUMULATE, ACCUMULATE, "a", "b"])


def test_unnamed_leaves_are_labelled_by_shape_and_dtype():
    a = minitorch.ones(4, dtype=minitorch.float64, requires_grad=True)
    assert minitorch.viz.graph(a.exp().sum()).nodes["4"] == "(4,)\nfloat64"


SOURCE_PROGRAM = """
import sys
sys.path.insert(0, {repository!r})
import minitorch
from tests.helpers import GRAPH_EXPRESSIONS, graph_leaves
a, b = graph_leaves(minitorch)
print(minitorch.viz.graph(GRAPH_EXPRESSIONS["reused_intermediate"](a, b), params=dict(a=a, b=b)).source, end="")
"""


def test_dot_source_is_byte_identical_across_builds_and_processes():
    def source():
        result, params = build(minitorch, "reused_intermediate")
        return minitorch.viz.graph(result, params=params).source
    first = source()
    assert source() == first
    other_process = subprocess.run([sys.executable, "-c", SOURCE_PROGRAM.format(repository=REPOSITORY)],
                                   capture_output=True, text=True, check=True, cwd=REPOSITORY)
    assert other_process.stdout == first == str(minitorch.viz.graph(*build(minitorch, "reused_intermediate")))


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
@pytest.mark.parametrize("format, signature", [("svg", b"<svg"), ("png", b"\x89PNG")])
def test_render_writes_the_picture_with_dot(tmp_path, format, signature):
    pytest.importorskip("graphviz")
    result, params = build(minitorch, "mul_add_sum")
    path = tmp_path / f"graph.{format}"
    assert minitorch.viz.graph(result, params).render(path, format=format) == str(path)
    assert signature in path.read_bytes()[:400]


MISSING_MESSAGE_PARTS = ("graphviz Python package (pip install graphviz)", "dot program (e.g. apt-get install graphviz)")


def test_render_without_the_graphviz_package_raises_import_error_naming_both(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # makes ``import graphviz`` fail
    with pytest.raises(ImportError) as error:
        minitorch.viz.graph(build(minitorch, "mul_add_sum")[0]).render(tmp_path / "graph.svg")
    assert all(part in str(error.value) for part in MISSING_MESSAGE_PARTS)


def test_render_without_dot_raises_runtime_error_naming_both(tmp_path, monkeypatch):
    pytest.importorskip("graphviz")
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no dot on it
    with pytest.raises(RuntimeError) as error:
        minitorch.viz.graph(build(minitorch, "mul_add_sum")[0]).render(tmp_path / "graph.svg")
    assert all(part in str(error.value) for part in MISSING_MESSAGE_PARTS)
    assert not (tmp_path / "graph.svg").exists()
