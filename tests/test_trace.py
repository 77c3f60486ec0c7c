"""minitorch.autograd.trace: the rows are the nodes the engine runs, in its order, with PyTorch's gradients."""
import math
import warnings

import numpy as np
import pytest
import torch

import minitorch
from minitorch.autograd import engine
from tests.helpers import GRAPH_EXPRESSIONS, graph_leaves, node_name


def all_nodes(root):
    """Every node of the graph below ``root``, each once."""
    seen, stack = [], [root.grad_fn]
    while stack:
        node = stack.pop()
        if node is not None and node not in seen:
            seen.append(node)
            stack.extend(child for child, _ in node.next_functions)
    return seen


def watch_torch(root):
    """The (name, incoming gradient norms) of each node as PyTorch's engine runs it, from pre-hooks."""
    ran = []
    for node in all_nodes(root):
        node.register_prehook(lambda grads, node=node: ran.append(
            (node_name(node), [math.nan if grad is None else grad.double().norm().item() for grad in grads])))
    return ran


def watch_minitorch(root):
    """The nodes in the order minitorch's engine runs them: a pre-hook on each function, and the
    leaf's own hook for an AccumulateGrad (which runs the leaf's hooks first)."""
    ran = []
    for node in all_nodes(root):
        if hasattr(node, "variable"):
            node.variable.register_hook(lambda grad, node=node: ran.append(node))
        else:
            node.register_prehook(lambda grads, node=node: ran.append(node))
    return ran


@pytest.mark.parametrize("expression", sorted(GRAPH_EXPRESSIONS))
def test_trace_order_is_the_order_the_engine_runs_nodes(expression):
    result = GRAPH_EXPRESSIONS[expression](*graph_leaves(minitorch))
    ran = watch_minitorch(result)
    with minitorch.autograd.trace() as records:
        result.backward()
    assert [record.name for record in records] == [node.name() for node in ran]
    assert [record.order for record in records] == list(range(len(ran)))
    assert len(ran) == len(all_nodes(result))


@pytest.mark.parametrize("expression", sorted(GRAPH_EXPRESSIONS))
def test_trace_rows_match_torchs_execution_order_and_incoming_gradients(expression):
    result = GRAPH_EXPRESSIONS[expression](*graph_leaves(minitorch))
    torch_result = GRAPH_EXPRESSIONS[expression](*graph_leaves(torch))
    ran = watch_torch(torch_result)
    torch_shapes = [[tuple(node.variable.shape)] if hasattr(node, "variable") else None
                    for node in all_nodes(torch_result)]
    with minitorch.autograd.trace() as records:
        result.backward()
    torch_result.backward()
    assert [record.name for record in records] == [name for name, _ in ran]
    for record, (name, norms) in zip(records, ran):
        no_gradient_as_nan = [math.nan if norm is None else norm for norm in record.grad_norms]
        np.testing.assert_allclose(no_gradient_as_nan, norms, rtol=1e-5, err_msg=name)
    leaf_shapes = [list(record.grad_shapes) for record in records if record.output_norms == ()]
    assert sorted(leaf_shapes) == sorted(shape for shape in torch_shapes if shape is not None)


def test_returned_norms_are_the_norms_of_torchs_node_outputs():
    result = GRAPH_EXPRESSIONS["activations"](*graph_leaves(minitorch))
    torch_result = GRAPH_EXPRESSIONS["activations"](*graph_leaves(torch))
    returned = {}
    for node in all_nodes(torch_result):
        if not hasattr(node, "variable"):
            node.register_hook(lambda grad_inputs, grad_outputs, node=node: returned.setdefault(node_name(node), []).append(
                [grad.double().norm().item() for grad in grad_inputs if grad is not None]))
    with minitorch.autograd.trace() as records:
        result.backward()
    torch_result.backward()
    for record in records:
        if record.output_norms:
            expected = returned[record.name].pop(0)
            np.testing.assert_allclose([norm for norm in record.output_norms if norm is not None], expected,
                                       rtol=1e-5, err_msg=record.name)


def test_trace_records_autograd_grad_and_is_off_outside_the_block():
    a, b = graph_leaves(minitorch)
    with minitorch.autograd.trace() as records:
        minitorch.autograd.grad((a * b).sum(), [a])
    assert [record.name for record in records] == ["SumBackward", "MulBackward"]
    assert engine._tracer is None
    (a * b).sum().backward()
    assert len(records) == 2


def test_table_has_a_row_per_node_and_is_printed_by_print_and_print_table(capsys):
    result = GRAPH_EXPRESSIONS["mul_add_sum"](*graph_leaves(minitorch))
    with minitorch.autograd.trace(print_table=True) as records:
        result.backward()
    printed = capsys.readouterr().out
    print(records)
    assert capsys.readouterr().out == printed == records.table() + "\n"
    lines = printed.splitlines()
    assert lines[0].split() == ["#", "node", "grad", "shapes", "grad", "norms", "returned", "norms", "ms"]
    assert [line.split()[1] for line in lines[2:]] == [record.name for record in records]
    mul_row = next(line for line in lines if "MulBackward" in line)
    assert mul_row.split()[2:4] == ["[2,", "3]"]


def sqrt_at_zero(lib):
    """sqrt's backward at 0 returns inf, times a 0 gradient: NaN."""
    x = lib.tensor([0.0, 1.0], requires_grad=True)
    return x.sqrt(), x


def test_first_inf_is_marked_at_the_node_whose_torch_twin_returns_inf():
    root, _ = sqrt_at_zero(minitorch)
    torch_root, _ = sqrt_at_zero(torch)
    nonfinite = []
    torch_root.grad_fn.register_hook(lambda grad_inputs, grad_outputs: nonfinite.append(
        node_name(torch_root.grad_fn)) if not torch.isfinite(grad_inputs[0]).all() else None)
    torch_root.sum().backward()
    with minitorch.autograd.trace() as records:
        root.sum().backward()
    marked = [record for record in records if record.nonfinite]
    assert [record.name for record in marked] == nonfinite == ["SqrtBackward"]
    assert math.isinf(marked[0].output_norms[0])
    assert "<- first NaN/inf" in [line for line in records.table().splitlines() if "SqrtBackward" in line][0]


def test_with_anomaly_mode_the_error_is_torchs_and_the_trace_points_at_the_nan_node(capsys):
    messages = []
    for lib in (torch, minitorch):
        root, _ = sqrt_at_zero(lib)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.detect_anomaly(), pytest.raises(RuntimeError) as error:
                if lib is minitorch:
                    with minitorch.autograd.trace(print_table=True) as records:
                        (root * 0).sum().backward()
                else:
                    (root * 0).sum().backward()
        messages.append(str(error.value))
    assert messages[1].split("Backward")[0] == messages[0].split("Backward")[0]  # "Function 'Sqrt"
    marked = records.first_nonfinite
    assert marked.name == "SqrtBackward" and marked.error.startswith("RuntimeError: Function 'SqrtBackward'")
    assert [record.name for record in records if record.nonfinite] == ["SqrtBackward"]
    assert f"node {marked.order} (SqrtBackward)" in "\n".join(error.value.__notes__)
    assert "SqrtBackward" in [line for line in capsys.readouterr().out.splitlines() if "<- first NaN/inf" in line][0]
