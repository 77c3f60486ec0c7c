"""The engine and the autograd API against PyTorch: the same program runs on both libraries.

``check_program(program, ...)`` (tests/helpers.py) runs ``program(lib, ...)`` with
``lib = torch`` and ``lib = minitorch`` and compares what it returns (tensors,
gradients, flags), or, when PyTorch raises, that minitorch raises the same
exception type with the same opening words.
"""
import re
import sys
import threading
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import minitorch
from tests.helpers import check_program, leaf, version
from tests.strategies import FLOAT_DTYPES, arrays, shapes

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4))
B = RNG.standard_normal((3, 4))
V = RNG.uniform(0.5, 2.0, (4,))


# ---------------------------------------------------------------------------------------------
# backward(): gradients, retain_graph, create_graph, inputs=
# ---------------------------------------------------------------------------------------------

def _backward_none_on_scalar(lib, a):
    x = leaf(lib, a)
    (x * x).sum().backward()
    return x.grad


def _backward_with_gradient(lib, a):
    x = leaf(lib, a)
    (x * x).backward(lib.ones_like(x) * 3)
    return x.grad


def _backward_non_scalar_without_gradient(lib, a):
    (leaf(lib, a) * 2).backward()


def _backward_not_requiring_grad(lib, a):
    (leaf(lib, a, False) * 2).sum().backward()


def _backward_gradient_wrong_shape(lib, a):
    (leaf(lib, a) * 2).backward(lib.ones(2))


def _accumulates_across_calls(lib, a):
    x = leaf(lib, a)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.clone()
    y.backward()
    return first, x.grad


def _second_backward_through_freed_graph(lib, a):
    x = leaf(lib, a)
    y = (x * x).sum()
    y.backward()
    y.backward()


def _saved_tensors_after_free(lib, a):
    x = leaf(lib, a)
    y = x.exp()
    y.sum().backward()
    y.sum().backward()


def _graph_without_saved_tensors_runs_twice(lib, a):
    x = leaf(lib, a)
    y = (x + 1).sum()
    y.backward()
    y.backward()
    return x.grad


def _create_graph_gives_second_derivative(lib, a):
    x = leaf(lib, a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns of the reference cycle x -> x.grad -> graph -> x
        (x * x * x).sum().backward(create_graph=True)
    first = x.grad
    assert first.requires_grad
    x.grad = None
    first.sum().backward()
    return first, x.grad


def _backward_inputs_only(lib, a, b):
    x, y = leaf(lib, a), leaf(lib, b)
    h = x * y
    h.retain_grad()
    (h * x).sum().backward(inputs=[y])
    return x.grad, y.grad, h.grad


def _backward_inputs_non_leaf(lib, a, b):
    x, y = leaf(lib, a), leaf(lib, b)
    h = x * y
    (h.exp() * 2).sum().backward(inputs=[h, x])
    return h.grad, x.grad, y.grad


def _backward_of_leaf_itself(lib, a):
    x = leaf(lib, a)
    x.backward(lib.ones_like(x))
    return x.grad


def _several_roots(lib, a, b):
    x, y = leaf(lib, a), leaf(lib, b)
    outputs = (x * y, (x * 2).sum())
    lib.autograd.backward(outputs, [lib.ones_like(outputs[0]), lib.tensor(2.0, dtype=outputs[1].dtype)])
    return x.grad, y.grad


def _roots_from_one_node(lib, a):
    x = leaf(lib, a)
    first, second = x.unbind(0)[:2]
    lib.autograd.backward([first, second], [lib.ones_like(first), lib.ones_like(second) * 2])
    return x.grad


def _unused_branch_gets_no_gradient(lib, a, b):
    x, y = leaf(lib, a), leaf(lib, b)
    unused = y * 3  # noqa: F841  (in the graph of nothing that is differentiated)
    (x * 2).sum().backward()
    return x.grad, y.grad


BACKWARD_PROGRAMS = {
    "gradient None on a scalar": (_backward_none_on_scalar, A),
    "explicit gradient": (_backward_with_gradient, A),
    "non-scalar without gradient raises": (_backward_non_scalar_without_gradient, A),
    "output not requiring grad raises": (_backward_not_requiring_grad, A),
    "gradient of the wrong shape raises": (_backward_gradient_wrong_shape, A),
    "leaf gradients accumulate": (_accumulates_across_calls, A),
    "second backward through a freed graph raises": (_second_backward_through_freed_graph, A),
    "saved output freed": (_saved_tensors_after_free, A),
    "a graph with nothing saved runs twice": (_graph_without_saved_tensors_runs_twice, A),
    "create_graph": (_create_graph_gives_second_derivative, A),
    "inputs= leaves only those": (_backward_inputs_only, A, B),
    "inputs= with a non-leaf": (_backward_inputs_non_leaf, A, B),
    "backward of a leaf": (_backward_of_leaf_itself, A),
    "several roots": (_several_roots, A, B),
    "two roots from one node": (_roots_from_one_node, A),
    "unused branch": (_unused_branch_gets_no_gradient, A, B),
}



def test_second_backward_error_is_pytorchs():
    error = check_program(_second_backward_through_freed_graph, A)
    assert "Trying to backward through the graph a second time" in str(error)


# ---------------------------------------------------------------------------------------------
# The order of the walk: diamonds and random DAGs
# ---------------------------------------------------------------------------------------------

def _diamond(lib, a):
    x = leaf(lib, a)
    b = x + x      # b's node gets two gradients...
    c = b * b      # ...and must wait for both before it runs
    d = c * x + b.exp()
    b.retain_grad()
    d.sum().backward()
    return d, x.grad, b.grad


def test_diamond_b_equals_a_plus_a_matches_torch():
    check_program(_diamond, A)


OPS = [
    lambda lib, p, q: p + q,
    lambda lib, p, q: p * q,
    lambda lib, p, q: p - q * 0.5,
    lambda lib, p, q: lib.tanh(p) * q,
    lambda lib, p, q: lib.sigmoid(p + q),
    lambda lib, p, q: p / (q * q + 1),
]


@st.composite
def dag_recipes(draw):
    """A random DAG: each node applies a random op to two earlier nodes (with reuse)."""
    steps = draw(st.lists(st.tuples(st.integers(0, len(OPS) - 1), st.integers(0, 10 ** 6), st.integers(0, 10 ** 6)),
                          min_size=1, max_size=12))
    outputs = draw(st.lists(st.integers(0, 10 ** 6), min_size=1, max_size=3))
    return steps, outputs


@given(recipe=dag_recipes(), shape=shapes(max_dims=2, max_side=3), dtype=FLOAT_DTYPES, data=st.data())
def test_random_dag_gradients_match_torch(recipe, shape, dtype, data):
    steps, outputs = recipe
    a = data.draw(arrays(shape, dtype, -1.0, 1.0))
    b = data.draw(arrays(shape, dtype, -1.0, 1.0))
    upstream = np.random.default_rng(len(steps)).standard_normal(shape).astype(dtype)

    def program(lib, a, b):
        x, y = leaf(lib, a), leaf(lib, b)
        nodes = [x, y]
        for op, i, j in steps:
            nodes.append(OPS[op](lib, nodes[i % len(nodes)], nodes[j % len(nodes)]))
        loss = sum((nodes[2 + k % len(steps)] * lib.tensor(upstream)).sum() for k in outputs)
        loss.backward()
        return loss, x.grad, y.grad

    check_program(program, a, b)


# ---------------------------------------------------------------------------------------------
# autograd.grad
# ---------------------------------------------------------------------------------------------

def _grad_basic(lib, a, b):
    x, y = leaf(lib, a), leaf(lib, b)
    z = x * y + x.exp()
    grads = lib.autograd.grad(z, [x, y], grad_outputs=lib.ones_like(z) * 0.5)
    return grads, x.grad, y.grad


def _grad_unused_raises(lib, a, b):
    x, y = leaf(lib, a), leaf(lib, b)
    lib.autograd.grad((x * 2).sum(), [x, y])


def _grad_unused_allowed(lib, a, b):
    x, y = leaf(lib, a), leaf(lib, b)
    return lib.autograd.grad((x * 2).sum(), [x, y], allow_unused=True)


def _grad_materialize(lib, a, b):
    x, y = leaf(lib, a), leaf(lib, b)
    return lib.autograd.grad((x * 2).sum(), [x, y], materialize_grads=True)


def _grad_of_non_leaf(lib, a, b):
    x, y = leaf(lib, a), leaf(lib, b)
    h = x * y
    out = (h * h).sum()
    return lib.autograd.grad(out, h)


def _grad_input_not_requiring_grad(lib, a, b):
    x, y = leaf(lib, a), leaf(lib, b, False)
    lib.autograd.grad((x * y).sum(), [y])


def _grad_retain_graph(lib, a):
    x = leaf(lib, a)
    out = (x * x).sum()
    first = lib.autograd.grad(out, x, retain_graph=True)
    second = lib.autograd.grad(out, x)
    return first, second


def _grad_freed(lib, a):
    x = leaf(lib, a)
    out = (x * x).sum()
    lib.autograd.grad(out, x)
    lib.autograd.grad(out, x)


def _grad_create_graph(lib, a, b):
    x, y = leaf(lib, a), leaf(lib, b)
    out = (x * x * y).sum()
    gx, = lib.autograd.grad(out, x, create_graph=True)
    gxx, gxy = lib.autograd.grad((gx * gx).sum(), [x, y])
    return gx, gxx, gxy


def _grad_multiple_outputs(lib, a, b):
    x, y = leaf(lib, a), leaf(lib, b)
    outputs = [x * y, (x + y).exp()]
    return lib.autograd.grad(outputs, [x, y], grad_outputs=[lib.ones_like(outputs[0]), lib.ones_like(outputs[1]) * 2])


def _grad_leaves_dot_grad_alone(lib, a):
    x = leaf(lib, a)
    x.grad = lib.ones_like(x)
    lib.autograd.grad((x * 3).sum(), x)
    return x.grad


def _grad_non_scalar_without_grad_outputs(lib, a):
    x = leaf(lib, a)
    lib.autograd.grad(x * 2, x)


GRAD_PROGRAMS = {
    "basic": (_grad_basic, A, B),
    "unused input raises": (_grad_unused_raises, A, B),
    "allow_unused gives None": (_grad_unused_allowed, A, B),
    "materialize_grads gives zeros": (_grad_materialize, A, B),
    "non-leaf input": (_grad_of_non_leaf, A, B),
    "input not requiring grad raises": (_grad_input_not_requiring_grad, A, B),
    "retain_graph": (_grad_retain_graph, A),
    "freed graph raises": (_grad_freed, A),
    "create_graph": (_grad_create_graph, A, B),
    "multiple outputs": (_grad_multiple_outputs, A, B),
    "leaves .grad alone": (_grad_leaves_dot_grad_alone, A),
    "non-scalar without grad_outputs raises": (_grad_non_scalar_without_grad_outputs, A),
}



# ---------------------------------------------------------------------------------------------
# Hooks and retain_grad
# ---------------------------------------------------------------------------------------------

def _retain_grad(lib, a, b):
    x, y = leaf(lib, a), leaf(lib, b)
    h = x * y
    h.retain_grad()
    h.retain_grad()  # twice is once
    (h * h).sum().backward(retain_graph=True)
    first = h.grad.clone()
    (h * 3).sum().backward()
    return first, h.grad, h.retains_grad, x.retains_grad


def _leaf_hook_modifies_grad(lib, a):
    x = leaf(lib, a)
    seen = []
    x.register_hook(lambda grad: seen.append(grad.clone()))
    x.register_hook(lambda grad: grad * 2)
    x.register_hook(lambda grad: grad + 1)
    (x * x).sum().backward()
    return seen, x.grad


def _non_leaf_hooks_in_order(lib, a):
    x = leaf(lib, a)
    h = x * 3
    h.register_hook(lambda grad: grad * 2)
    h.register_hook(lambda grad: grad - 1)
    h.exp().sum().backward()
    return x.grad


def _retain_grad_runs_after_hooks(lib, a):
    x = leaf(lib, a)
    h = x * 1
    h.retain_grad()
    h.register_hook(lambda grad: grad * 2)
    (h * 5).sum().backward()
    return h.grad, x.grad


def _removed_hook(lib, a):
    x = leaf(lib, a)
    h = x * 1
    handle = h.register_hook(lambda grad: grad * 100)
    kept = h.register_hook(lambda grad: grad * 2)
    handle.remove()
    handle.remove()
    leaf_handle = x.register_hook(lambda grad: grad * 100)
    leaf_handle.remove()
    (h * 1).sum().backward()
    kept.remove()
    return x.grad


def _same_hook_twice_then_removed_once(lib, a):
    x = leaf(lib, a)
    double = lambda grad: grad * 2  # noqa: E731
    first = x.register_hook(double)
    x.register_hook(double)
    first.remove()
    (x * 1).sum().backward()
    return x.grad


def _hook_on_tensor_without_grad(lib, a):
    leaf(lib, a, False).register_hook(lambda grad: grad)


def _hook_sees_grad_in_autograd_grad(lib, a):
    x = leaf(lib, a)
    h = x * 2
    h.register_hook(lambda grad: grad * 10)
    return lib.autograd.grad((h * h).sum(), [h, x])


def _post_accumulate_grad_hook(lib, a):
    x = leaf(lib, a)
    seen = []
    x.register_post_accumulate_grad_hook(lambda tensor: seen.append(tensor.grad.clone()))
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    return seen


def _post_accumulate_hook_on_non_leaf(lib, a):
    (leaf(lib, a) * 2).register_post_accumulate_grad_hook(lambda tensor: None)


def _node_hooks(lib, a):
    x = leaf(lib, a)
    h = x * 2
    seen = []
    h.grad_fn.register_prehook(lambda grad_outputs: seen.append(len(grad_outputs)))
    h.grad_fn.register_hook(lambda grad_inputs, grad_outputs: (grad_inputs[0] * 3,) + grad_inputs[1:])
    h.sum().backward()
    return seen, x.grad


def _node_hook_returning_too_few(lib, a):
    h = leaf(lib, a) * 2
    h.grad_fn.register_hook(lambda grad_inputs, grad_outputs: (grad_inputs[0],) * 5)
    h.sum().backward()


HOOK_PROGRAMS = {
    "retain_grad": (_retain_grad, A, B),
    "leaf hooks modify the gradient": (_leaf_hook_modifies_grad, A),
    "non-leaf hooks run in order": (_non_leaf_hooks_in_order, A),
    "retain_grad sees the hooked gradient": (_retain_grad_runs_after_hooks, A),
    "handle.remove": (_removed_hook, A),
    "one registration removed of two": (_same_hook_twice_then_removed_once, A),
    "hook on a tensor without grad raises": (_hook_on_tensor_without_grad, A),
    "hooks run for autograd.grad": (_hook_sees_grad_in_autograd_grad, A),
    "post-accumulate grad hook": (_post_accumulate_grad_hook, A),
    "post-accumulate hook on a non-leaf raises": (_post_accumulate_hook_on_non_leaf, A),
    "node pre-hooks and hooks": (_node_hooks, A),
    "node hook returning the wrong count raises": (_node_hook_returning_too_few, A),
}



def test_grad_of_non_leaf_warns_like_torch():
    for lib in (torch, minitorch):
        x = leaf(lib, A)
        h = x * 2
        with pytest.warns(UserWarning, match="is not a leaf Tensor"):
            assert h.grad is None
        h.retain_grad()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert h.grad is None and x.grad is None


# ---------------------------------------------------------------------------------------------
# requires_grad, detach, and the structure of the graph
# ---------------------------------------------------------------------------------------------

def _requires_grad_flags(lib, a):
    x = leaf(lib, a, False)
    before = (x.requires_grad, x.is_leaf, x.grad_fn is None)
    x.requires_grad_()
    h = x * 2
    d = h.detach()
    return before, (x.requires_grad, x.is_leaf), (h.requires_grad, h.is_leaf), (d.requires_grad, d.is_leaf,
                                                                               d.grad_fn is None)


def _requires_grad_false_on_non_leaf(lib, a):
    (leaf(lib, a) * 2).requires_grad_(False)


def _requires_grad_on_integers(lib, a):
    lib.tensor(a.astype(np.int64)).requires_grad_()


def _detach_shares_memory_and_version(lib, a):
    x = leaf(lib, a) * 1
    d = x.detach()
    d.add_(1)
    return x, version(x), version(d), d._is_view()


def _detach_inplace(lib, a):
    x = leaf(lib, a)
    h = x * 2
    h.detach_()
    return h.requires_grad, h.is_leaf, h.grad_fn is None, (h * 3).requires_grad


def _detach_inplace_on_a_view(lib, a):
    (leaf(lib, a) * 1)[0].detach_()


def _detached_branch_gets_no_gradient(lib, a):
    x = leaf(lib, a)
    ((x * 2).detach() * x).sum().backward()
    return x.grad


def _data_is_detached_with_its_own_version(lib, a):
    x = leaf(lib, a) * 1
    data = x.data
    data.add_(1)
    return x, data.requires_grad, version(x)


def _ops_under_no_grad(lib, a):
    x = leaf(lib, a)
    with lib.no_grad():
        h = x * 2
    return h.requires_grad, h.grad_fn is None, h.is_leaf


REQUIRES_GRAD_PROGRAMS = {
    "flags": (_requires_grad_flags, A),
    "requires_grad_(False) on a non-leaf raises": (_requires_grad_false_on_non_leaf, A),
    "integers cannot require grad": (_requires_grad_on_integers, A),
    "detach shares memory and version": (_detach_shares_memory_and_version, A),
    "detach_": (_detach_inplace, A),
    "detach_ on a view raises": (_detach_inplace_on_a_view, A),
    "detached branch": (_detached_branch_gets_no_gradient, A),
    ".data": (_data_is_detached_with_its_own_version, A),
    "no_grad results": (_ops_under_no_grad, A),
}



PROGRAMS = {f"{group}: {name}": entry for group, table in [
    ("backward", BACKWARD_PROGRAMS), ("autograd.grad", GRAD_PROGRAMS), ("hooks", HOOK_PROGRAMS),
    ("requires_grad and detach", REQUIRES_GRAD_PROGRAMS)] for name, entry in table.items()}


@pytest.mark.parametrize("name", PROGRAMS)
def test_autograd_program_matches_torch(name):
    program, *inputs = PROGRAMS[name]
    check_program(program, *inputs)


def graph_structure(node):
    """The shape of the graph below ``node``, without names: nested tuples of edges; 'leaf' for AccumulateGrad."""
    if node is None:
        return None
    if hasattr(node, "variable"):
        return "leaf"
    return tuple((graph_structure(child), output_nr) for child, output_nr in node.next_functions)


STRUCTURE_PROGRAMS = {
    "binary op": lambda lib, x, y: x * y,
    "constant operand": lambda lib, x, y: x * y.detach(),
    "chain": lambda lib, x, y: (x * y).exp().sum(),
    "diamond": lambda lib, x, y: (x + x) * (x + x),
    "two outputs of one node": lambda lib, x, y: (lambda parts: parts[0] * parts[1])(x.unbind(0)),
}


@pytest.mark.parametrize("name", STRUCTURE_PROGRAMS)
def test_grad_fn_and_next_functions_have_torchs_structure(name):
    structures = []
    for lib in (torch, minitorch):
        x, y = leaf(lib, A), leaf(lib, B)
        result = STRUCTURE_PROGRAMS[name](lib, x, y)
        assert not result.is_leaf and x.is_leaf and x.grad_fn is None
        assert isinstance(result.grad_fn.name(), str)
        structures.append(graph_structure(result.grad_fn))
    assert structures[1] == structures[0]


def test_accumulate_grad_node_is_shared_per_leaf():
    x = leaf(minitorch, A)
    first, second = x * 2, x * 3
    assert first.grad_fn.next_functions[0][0] is second.grad_fn.next_functions[0][0]
    assert first.grad_fn.next_functions[0][0].variable is x


# ---------------------------------------------------------------------------------------------
# Deep graphs: the engine is iterative
# ---------------------------------------------------------------------------------------------

def test_a_5000_op_chain_backpropagates_without_recursion_error():
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # a recursive engine would fail far before 5000
    try:
        x = minitorch.tensor([1.0, 2.0], requires_grad=True)
        y = x
        for _ in range(5000):
            y = y * 1.0001 + 0.0
        y.sum().backward()
        expected = 1.0001 ** 5000
        np.testing.assert_allclose(x.grad.numpy(), [expected, expected], rtol=1e-4)
        del y  # freeing a deep graph must not recurse either
    finally:
        sys.setrecursionlimit(limit)


def _lstm_like_loop(lib, inputs, weights, recurrent):
    x = lib.tensor(inputs)
    w = leaf(lib, weights)
    u = leaf(lib, recurrent)
    h = lib.zeros(1, 4, dtype=w.dtype)
    c = lib.zeros(1, 4, dtype=w.dtype)
    for t in range(x.shape[0]):
        gates = x[t:t + 1] @ w + h @ u
        i, f, o = lib.sigmoid(gates[:, :4]), lib.sigmoid(gates[:, 4:8]), lib.sigmoid(gates[:, 8:12])
        c = f * c + i * lib.tanh(gates[:, 12:])
        h = o * lib.tanh(c)
    h.sum().backward()
    return h, w.grad, u.grad


def test_lstm_like_loop_of_many_steps_matches_torch():
    rng = np.random.default_rng(1)
    check_program(_lstm_like_loop, rng.standard_normal((300, 3)), rng.standard_normal((3, 16)) * 0.5,
                  rng.standard_normal((4, 16)) * 0.5)


# ---------------------------------------------------------------------------------------------
# Anomaly mode
# ---------------------------------------------------------------------------------------------

NAN_MESSAGE = re.compile(r"Function '\w+' returned nan values in its 0th output\.")


def _sqrt_at_zero(lib, a):
    x = lib.tensor(np.zeros(3), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with lib.autograd.detect_anomaly():
            (lib.sqrt(x) * 0).sum().backward()
    return x.grad


def test_detect_anomaly_names_the_node_that_made_nan():
    error = check_program(_sqrt_at_zero, A, message=False)
    assert isinstance(error, RuntimeError) and NAN_MESSAGE.fullmatch(str(error)), str(error)
    assert "Sqrt" in str(error)


@pytest.mark.parametrize("mode", ["off", "check_nan=False"])
def test_without_anomaly_nan_checks_nan_passes_silently(mode):
    x = minitorch.tensor(np.zeros(3), requires_grad=True)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with minitorch.autograd.detect_anomaly(check_nan=False) if mode != "off" else warnings.catch_warnings():
            (minitorch.sqrt(x) * 0).sum().backward()
    assert np.isnan(x.grad.numpy()).all()


def test_anomaly_switches_match_torch():
    def program(lib, a):
        is_enabled = torch.is_anomaly_enabled if lib is torch else minitorch.autograd.is_anomaly_enabled
        flags = [is_enabled()]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.detect_anomaly():
                flags.append(is_enabled())
            lib.autograd.set_detect_anomaly(True)
            flags.append(is_enabled())
            lib.autograd.set_detect_anomaly(False)
            with lib.autograd.set_detect_anomaly(True):
                flags.append(is_enabled())
        flags.append(is_enabled())
        return flags
    check_program(program, A)


# ---------------------------------------------------------------------------------------------
# Grad mode is per thread, and so is the engine's own switch
# ---------------------------------------------------------------------------------------------

def test_backward_in_threads_matches_a_single_thread():
    results = {}

    def work(index):
        x = minitorch.tensor(A * (index + 1), requires_grad=True)
        for _ in range(20):
            (x * x).sum().backward()
        results[index] = x.grad.numpy().copy()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index in range(4):
        np.testing.assert_allclose(results[index], 40 * A * (index + 1))
    assert minitorch.is_grad_enabled()


EXACT = {dtype: (0, 0) for dtype in ("bfloat16", np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))}


@pytest.mark.parametrize("output_dtype, grad_dtype", [("float16", "float64"), ("bfloat16", "float32"),
                                                      ("float32", "float64")])
def test_a_root_gradient_of_another_dtype_is_cast_to_the_outputs_dtype_first(output_dtype, grad_dtype):
    """Rounding the gradient before the op's backward, not after, gives torch's gradient bit for bit."""
    upstream = np.random.default_rng(0).standard_normal(50)

    def program(L):
        x = L.ones(50, dtype=getattr(L, output_dtype), requires_grad=True)
        (x * 3).backward(L.tensor(upstream, dtype=getattr(L, grad_dtype)))
        return x.grad
    check_program(program, tolerances=EXACT)
