"""In-place ops against PyTorch: values, gradients, version counters, and the errors autograd raises.

Each program runs on both libraries (``check_program``). In-place ops on views are
recorded on their base (``autograd/views.py``), as PyTorch's CopySlices does.
"""
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minitorch
from tests.strategies import FLOAT_DTYPES, arrays, shapes
from tests.helpers import check_program, leaf, version

RNG = np.random.default_rng(0)
A = RNG.uniform(0.5, 2.0, (3, 4))
B = RNG.uniform(0.5, 2.0, (3, 4))

# name -> in-place call on x (values in [0.5, 2]) with an operand y (values in [0.5, 2]) broadcastable to x
INPLACE_OPS = {
    "add_ tensor": lambda lib, x, y: x.add_(y),
    "add_ alpha": lambda lib, x, y: x.add_(y, alpha=-2.5),
    "add_ scalar": lambda lib, x, y: x.add_(3.0),
    "sub_": lambda lib, x, y: x.sub_(y),
    "mul_ tensor": lambda lib, x, y: x.mul_(y),
    "mul_ scalar": lambda lib, x, y: x.mul_(-1.5),
    "div_": lambda lib, x, y: x.div_(y),
    "pow_": lambda lib, x, y: x.pow_(3),
    "pow_ tensor": lambda lib, x, y: x.pow_(y),
    "clamp_": lambda lib, x, y: x.clamp_(0.8, 1.5),
    "clamp_ min": lambda lib, x, y: x.clamp_(min=1.0),
    "exp_": lambda lib, x, y: x.exp_(),
    "log_": lambda lib, x, y: x.log_(),
    "sqrt_": lambda lib, x, y: x.sqrt_(),
    "neg_": lambda lib, x, y: x.neg_(),
    "abs_": lambda lib, x, y: x.sub_(1.2).abs_(),
    "sigmoid_": lambda lib, x, y: x.sigmoid_(),
    "tanh_": lambda lib, x, y: x.tanh_(),
    "relu_": lambda lib, x, y: x.sub_(1.2).relu_(),
    "copy_": lambda lib, x, y: x.copy_(y * 2),
    "copy_ cast": lambda lib, x, y: x.copy_(y.double()),
    "fill_ number": lambda lib, x, y: x.fill_(2.5),
    "fill_ 0-d tensor": lambda lib, x, y: x.fill_(y.sum()),
    "zero_": lambda lib, x, y: x.zero_(),
    "masked_fill_": lambda lib, x, y: x.masked_fill_(y > 1.2, -1.0),
    "+=": lambda lib, x, y: x.__iadd__(y),
    "-=": lambda lib, x, y: x.__isub__(y * 0.5),
    "*=": lambda lib, x, y: x.__imul__(y),
    "/=": lambda lib, x, y: x.__itruediv__(y),
}


@st.composite
def shape_and_operand_shape(draw):
    """A shape, and a shape that broadcasts to it (fewer leading dims, some sizes 1)."""
    shape = draw(shapes(min_dims=0, max_dims=3, max_side=4))
    dropped = draw(st.integers(0, len(shape)))
    ones = draw(st.lists(st.booleans(), min_size=len(shape), max_size=len(shape)))
    return shape, tuple(1 if one else size for size, one in zip(shape[dropped:], ones[dropped:]))


@pytest.mark.parametrize("name", INPLACE_OPS)
@given(shapes_=shape_and_operand_shape(), dtype=FLOAT_DTYPES, data=st.data())
def test_inplace_op_in_the_middle_of_a_graph_matches_torch(name, shapes_, dtype, data):
    shape, operand_shape = shapes_
    a = data.draw(arrays(shape, dtype, 0.5, 2.0))
    b = data.draw(arrays(operand_shape, dtype, 0.5, 2.0))
    upstream = data.draw(arrays(shape, dtype))

    def program(lib, a, b, upstream):
        x0, y = leaf(lib, a), leaf(lib, b)
        x = x0 * 1.5              # a non-leaf: in-place on it is recorded
        before = version(x)
        result = INPLACE_OPS[name](lib, x, y)
        assert result is x
        ((x * lib.tensor(upstream)).sum() + x.sum()).backward()
        return x, version(x) > before, x0.grad, y.grad

    check_program(program, a, b, upstream)


@pytest.mark.parametrize("name", ["add_ tensor", "mul_ tensor", "copy_", "fill_ number", "exp_", "clamp_"])
def test_inplace_op_double_backward_matches_torch(name):
    def program(lib, a, b):
        x0, y = leaf(lib, a), leaf(lib, b)
        x = x0 * x0
        INPLACE_OPS[name](lib, x, y)
        first = lib.autograd.grad((x * x).sum(), [x0, y], create_graph=True, allow_unused=True)
        total = sum((g * g).sum() for g in first if g is not None and g.requires_grad)
        return first, lib.autograd.grad(total, [x0, y], allow_unused=True)

    check_program(program, A, B)


# ---------------------------------------------------------------------------------------------
# Errors: leaves, stale saved tensors, dtypes and shapes
# ---------------------------------------------------------------------------------------------

def _leaf_requiring_grad(lib, a):
    leaf(lib, a).add_(1)


def _view_of_leaf_requiring_grad(lib, a):
    leaf(lib, a)[0].add_(1)


def _leaf_under_no_grad(lib, a):
    weight = leaf(lib, a)
    (weight * weight).sum().backward()
    with lib.no_grad():
        weight -= 0.1 * weight.grad   # an optimizer step
        weight[0].mul_(2)
    return weight, weight.requires_grad, weight.is_leaf, version(weight)


def _leaf_without_grad(lib, a):
    x = leaf(lib, a, False)
    x += 1
    x.mul_(x)
    return x, x.is_leaf, x.requires_grad


def _modified_input_saved_for_backward(lib, a):
    x = leaf(lib, a) * 1
    y = x * x          # saves x
    x.add_(1)
    y.sum().backward()


def _modified_output_saved_for_backward(lib, a):
    x = leaf(lib, a) * 1
    y = x.exp()        # saves its output
    y.mul_(2)
    y.sum().backward()


def _modified_input_not_saved(lib, a):
    w = leaf(lib, a)
    x = w * 1
    y = x.exp()        # saves its output, not x
    x.add_(1)
    y.sum().backward()
    return w.grad


def _modified_through_a_view(lib, a):
    x = leaf(lib, a) * 1
    y = x.exp()
    y[0].zero_()        # the view shares y's version counter
    y.sum().backward()


def _modified_through_detach(lib, a):
    x = leaf(lib, a) * 1
    y = x * x
    x.detach().zero_()  # detach shares the version counter too
    y.sum().backward()


def _modified_through_data(lib, a):
    w = leaf(lib, a)
    x = w * 1
    y = x * x
    x.data.mul_(2)      # .data does not: autograd cannot see this change
    y.sum().backward()
    return w.grad


def _operand_is_the_tensor_itself(lib, a):
    w = leaf(lib, a)
    y = w * 2
    y.mul_(y)
    y.sum().backward()


def _self_saved_by_the_op_itself(lib, a):
    w = leaf(lib, a)
    y = w * 2
    y.mul_(w)   # mul_ keeps y's old values for w's gradient
    y.div_(w)
    y.pow_(2)
    y.sum().backward()
    return y, w.grad


def _integer_result_into_float_is_fine(lib, a):
    x = lib.tensor(a)
    x.add_(lib.ones(4, dtype=lib.int64))
    return x


def _float_result_into_integer(lib, a):
    lib.tensor(a).long().add_(1.5)


def _result_of_a_larger_shape(lib, a):
    lib.tensor(a)[0].add_(lib.tensor(a))


def _write_into_expanded(lib, a):
    lib.tensor(a)[0].expand(3, 4).add_(1)


def _write_into_expanded_non_leaf(lib, a):
    (leaf(lib, a) * 1)[0].expand(3, 4).mul_(2)


ERROR_PROGRAMS = {
    "leaf requiring grad": _leaf_requiring_grad,
    "view of a leaf requiring grad": _view_of_leaf_requiring_grad,
    "leaf under no_grad (optimizer step)": _leaf_under_no_grad,
    "leaf without grad": _leaf_without_grad,
    "input saved for backward modified": _modified_input_saved_for_backward,
    "output saved for backward modified": _modified_output_saved_for_backward,
    "modified input that was not saved": _modified_input_not_saved,
    "saved tensor modified through a view": _modified_through_a_view,
    "saved tensor modified through detach()": _modified_through_detach,
    "saved tensor modified through .data": _modified_through_data,
    "y.mul_(y)": _operand_is_the_tensor_itself,
    "self saved by the in-place op itself": _self_saved_by_the_op_itself,
    "integer operand into float": _integer_result_into_float_is_fine,
    "float result into integer": _float_result_into_integer,
    "result of a larger shape": _result_of_a_larger_shape,
    "expanded tensor": _write_into_expanded,
    "expanded non-leaf": _write_into_expanded_non_leaf,
}


@pytest.mark.parametrize("name", ERROR_PROGRAMS)
def test_inplace_errors_and_allowed_cases_match_torch(name):
    check_program(ERROR_PROGRAMS[name], A)


def test_stale_saved_tensor_error_is_pytorchs():
    error = check_program(_modified_input_saved_for_backward, A)
    assert "modified by an inplace operation" in str(error)


# ---------------------------------------------------------------------------------------------
# Version counters
# ---------------------------------------------------------------------------------------------

def _versions(lib, a):
    x = lib.tensor(a)
    view, transposed, flat = x[1], x.t(), x.view(-1)
    detached = x.detach()
    counts = [version(x)]
    x.add_(1)
    counts.append((version(x), version(view), version(transposed), version(flat), version(detached)))
    view.mul_(2)
    transposed[0].zero_()
    counts.append((version(x), version(view), version(flat)))
    x[0] = 5.0
    counts.append(version(x))
    copy = x.clone()
    counts.append(version(copy))
    return counts, x


def test_version_counter_is_bumped_and_shared_with_views_like_torch():
    check_program(_versions, A)


# ---------------------------------------------------------------------------------------------
# In-place ops on views: recorded on the base (CopySlices)
# ---------------------------------------------------------------------------------------------

def _row_mul(lib, a, b):
    w = leaf(lib, a)
    x = w.clone()
    x[0].mul_(2)
    return x


def _column_add(lib, a, b):
    w, y = leaf(lib, a), leaf(lib, b)
    x = w.clone()
    x[:, 1] += y[:, 0]
    return x


def _transposed_add(lib, a, b):
    x = leaf(lib, a).clone()
    x.t().add_(1)
    return x


def _flat_slice_mul(lib, a, b):
    w, y = leaf(lib, a), leaf(lib, b)
    x = w * 1
    x.view(-1)[2:9].mul_(y.view(-1)[:7])
    return x


def _view_of_a_view(lib, a, b):
    w, y = leaf(lib, a), leaf(lib, b)
    x = w * 1
    x.t()[1:3, 0].mul_(y[0, :2])
    return x


def _view_used_after_its_inplace(lib, a, b):
    w, y = leaf(lib, a), leaf(lib, b)
    x = w * 1
    row = x[1]
    row.mul_(y[1])
    return row * 3 + x.sum()


def _several_inplace_on_views(lib, a, b):
    w, y = leaf(lib, a), leaf(lib, b)
    x = w.clone()
    x[0].mul_(y[0])
    x[1:].exp_()
    x[:, 2].zero_()
    x[2, 3].fill_(y[2, 3])
    return x


def _base_modified_then_view_used(lib, a, b):
    w = leaf(lib, a)
    x = w.clone()
    view = x[:2]
    x.mul_(2)           # the view's values changed too: its history is refreshed
    return view * 1


def _sibling_views_overlapping(lib, a, b):
    w, y = leaf(lib, a), leaf(lib, b)
    x = w.clone()
    row, column = x[0], x[:, 0]
    column.mul_(y[:, 0])
    return row * 1, column * 1


def _write_grad_into_plain_buffer(lib, a, b):
    y = leaf(lib, b)
    out = lib.zeros(3, 4, dtype=y.dtype)   # does not require grad ...
    for i in range(3):
        out[i].copy_(y[i] * i)             # ... until values that do are written into it
    assert not out.is_leaf and out.requires_grad
    return out


def _sibling_of_plain_buffer(lib, a, b):
    y = leaf(lib, b)
    out = lib.zeros(3, 4, dtype=y.dtype)
    row, column = out[1], out[:, 2]
    column.add_(y[:, 2])
    assert row.requires_grad
    return row * 1


def _setitem_with_grad(lib, a, b):
    w, y = leaf(lib, a), leaf(lib, b)
    x = w * 1
    x[1] = y[0] * 2
    x[:, 0] = 0.0
    x[0][2] = y[2, 2]
    return x


def _inplace_on_view_then_saved_base(lib, a, b):
    w = leaf(lib, a)
    x = w * 1
    y = x.exp()
    y[0].mul_(2)   # modifies the output that exp saved
    return y


def _retain_grad_and_hooks_move_with_inplace(lib, a, b):
    w = leaf(lib, a)
    x = w * 1
    x.retain_grad()
    x.register_hook(lambda grad: grad * 2)
    x.mul_(3)
    (x * 1).sum().backward()
    return x.grad, w.grad


def _retain_grad_on_a_view_then_base_modified(lib, a, b):
    w = leaf(lib, a)
    x = w * 1
    view = x[:2]
    view.retain_grad()
    x.mul_(3)
    (view * 1).sum().backward()
    return view.grad, w.grad


VIEW_PROGRAMS = {
    "x[0].mul_(2)": _row_mul,
    "x[:, 1] += y": _column_add,
    "x.t().add_(1)": _transposed_add,
    "x.view(-1)[2:9].mul_(y)": _flat_slice_mul,
    "view of a view": _view_of_a_view,
    "the view itself after its in-place op": _view_used_after_its_inplace,
    "several in-place ops on views": _several_inplace_on_views,
    "base modified, then a view of it used": _base_modified_then_view_used,
    "overlapping sibling views": _sibling_views_overlapping,
    "values with grad written into a plain buffer": _write_grad_into_plain_buffer,
    "sibling view of such a buffer": _sibling_of_plain_buffer,
    "setitem": _setitem_with_grad,
    "in-place on a view of a saved output": _inplace_on_view_then_saved_base,
    "hooks and retain_grad with in-place": _retain_grad_and_hooks_move_with_inplace,
    "retain_grad on a view, base modified": _retain_grad_on_a_view_then_base_modified,
}


@pytest.mark.parametrize("name", VIEW_PROGRAMS)
def test_inplace_on_views_gives_torchs_values_and_gradients(name):
    upstream = RNG.standard_normal((3, 4))

    def program(lib, a, b):
        w, y = leaf(lib, a), leaf(lib, b)
        results = VIEW_PROGRAMS[name](lib, w.detach().numpy(), y.detach().numpy())
        results = results if isinstance(results, tuple) else (results,)
        if not all(isinstance(r, lib.Tensor) for r in results):  # programs returning gradients did backward
            return results
        total = sum((r * lib.tensor(upstream[:r.shape[0]].reshape(-1)[:r.numel()].reshape(r.shape))).sum()
                    for r in results)
        leaves = [t for t in _leaves_of(total) if t.requires_grad]
        return results, lib.autograd.grad(total, leaves, allow_unused=True) if leaves else ()

    check_program(program, A, B)


def _leaves_of(tensor):
    """The leaves reachable from ``tensor``'s graph, in a stable order (by their values)."""
    found, stack, seen = [], [tensor.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if hasattr(node, "variable"):
            found.append(node.variable)
        stack.extend(child for child, _ in node.next_functions)
    return sorted(found, key=lambda t: float(t.detach().sum()))


@given(shape=shapes(min_dims=2, max_dims=3, min_side=2, max_side=4), dtype=FLOAT_DTYPES, data=st.data())
def test_inplace_on_a_drawn_slice_matches_torch(shape, dtype, data):
    a = data.draw(arrays(shape, dtype, 0.5, 2.0))
    start = data.draw(st.integers(0, shape[0] - 1))
    stop = data.draw(st.integers(start + 1, shape[0]))
    step = data.draw(st.integers(1, 2))
    dim = data.draw(st.integers(1, len(shape) - 1))
    values = data.draw(arrays((len(range(start, stop, step)),) + tuple(s for i, s in enumerate(shape[1:], 1)
                                                                       if i != dim), dtype, 0.5, 2.0))
    upstream = data.draw(arrays(shape, dtype))
    op = data.draw(st.sampled_from(["mul_", "add_", "copy_", "div_"]))

    def program(lib, a, values, upstream):
        w, v = leaf(lib, a), leaf(lib, values)
        x = w * w
        region = x[start:stop:step][(slice(None),) * dim + (0,)]   # a slice, then a select: a view of a view
        getattr(region, op)(v)
        (x * lib.tensor(upstream)).sum().backward()
        return x, w.grad, v.grad

    check_program(program, a, values, upstream)


VIEWS = [
    lambda t: t[1],
    lambda t: t[:, 2],
    lambda t: t.t(),
    lambda t: t.view(-1)[3:9],
    lambda t: t[1:, 1:3],
    lambda t: t[::2],
    lambda t: t,
    lambda t: t.t()[1:3],
]
VIEW_OPS = [
    lambda view, y: view.mul_(1.5),
    lambda view, y: view.add_(y),
    lambda view, y: view.mul_(y),
    lambda view, y: view.copy_(y * 2),
    lambda view, y: view.zero_(),
    lambda view, y: view.sigmoid_(),   # saves its output: a later overlapping write makes backward raise
    lambda view, y: view.div_(y),
]


@given(steps=st.lists(st.tuples(st.integers(0, len(VIEWS) - 1), st.integers(0, len(VIEW_OPS) - 1), st.booleans()),
                      min_size=1, max_size=6),
       dtype=FLOAT_DTYPES, data=st.data())
def test_drawn_sequences_of_inplace_ops_on_overlapping_views_match_torch(steps, dtype, data):
    a = data.draw(arrays((3, 4), dtype, 0.5, 2.0))
    b = data.draw(arrays((3, 4), dtype, 0.5, 2.0))
    upstream = data.draw(arrays((3, 4), dtype))

    def program(lib, a, b, upstream):
        w, y = leaf(lib, a), leaf(lib, b)
        x = w * 1
        kept = []
        for view_index, op_index, keep in steps:
            view = VIEWS[view_index](x)
            VIEW_OPS[op_index](view, VIEWS[view_index](y))
            if keep:  # used at the end, after later writes through other views changed it
                kept.append(view)
        loss = (x * lib.tensor(upstream)).sum() + sum((view * 0.5).sum() for view in kept)
        loss.backward()
        return x, w.grad, y.grad

    check_program(program, a, b, upstream)


def test_gradcheck_and_gradgradcheck_through_an_inplace_on_a_view():
    def function(w, y):
        x = w * 1
        x[1:, :2].mul_(y[:2, 1:3])
        x.t()[0].add_(y[:, 0])
        return x * x

    rng = np.random.default_rng(3)
    inputs = [minitorch.tensor(rng.standard_normal((3, 4)), requires_grad=True) for _ in range(2)]
    assert minitorch.autograd.gradcheck(function, inputs)
    assert minitorch.autograd.gradgradcheck(function, inputs)


def _recurrent_loop_writing_into_a_buffer(lib, inputs, weights):
    x, w = lib.tensor(inputs), leaf(lib, weights)
    out = lib.zeros(x.shape[0] + 1, w.shape[1], dtype=w.dtype)
    for t in range(x.shape[0]):
        step = lib.tanh(out[t:t + 1] @ w + x[t])
        if t % 2:
            out[t + 1].copy_(step[0])   # a chain of CopySlices nodes, one per step
        else:
            out[t + 1] = step[0]        # setitem
    (out * out).sum().backward()
    return out, w.grad


def test_a_long_loop_writing_each_step_into_a_buffer_matches_torch():
    rng = np.random.default_rng(2)
    check_program(_recurrent_loop_writing_into_a_buffer, rng.standard_normal((300, 4)),
                  rng.standard_normal((4, 4)) * 0.5)


# ---------------------------------------------------------------------------------------------
# Views that cannot be modified in place under autograd
# ---------------------------------------------------------------------------------------------

def _view_made_under_no_grad(lib, a):
    x = leaf(lib, a) * 1
    with lib.no_grad():
        view = x[0]
    view.mul_(2)


def _view_made_under_no_grad_of_plain_tensor(lib, a):
    x = lib.tensor(a)
    with lib.no_grad():
        view = x[0]
    view.mul_(leaf(lib, a[0]))


def _view_made_under_no_grad_base_modified(lib, a):
    x = leaf(lib, a) * 1
    with lib.no_grad():
        view = x[0]
    x.mul_(2)
    return view * 2


def _view_made_under_no_grad_both_under_no_grad(lib, a):
    x = leaf(lib, a) * 1
    with lib.no_grad():
        view = x[0]
        view.mul_(2)
    return x


def _plain_view_modified_with_grad_mode_on(lib, a):
    x = lib.tensor(a)
    with lib.no_grad():
        view = x[0]
    view.mul_(2)
    return x


def _unbind_output_modified(lib, a):
    x = leaf(lib, a) * 1
    x.unbind(0)[1].mul_(2)


def _split_output_base_modified(lib, a):
    x = leaf(lib, a) * 1
    first, _ = x.split(2)
    x.mul_(2)
    return first * 1


def _view_modified_under_no_grad(lib, a):
    w = leaf(lib, a)
    x = w * 1
    view = x[0]
    with lib.no_grad():
        view.mul_(2)
    (view * 1).sum().backward()
    return x, w.grad


FORBIDDEN_PROGRAMS = {
    "view made under no_grad": _view_made_under_no_grad,
    "view made under no_grad of a plain tensor": _view_made_under_no_grad_of_plain_tensor,
    "view made under no_grad, base modified": _view_made_under_no_grad_base_modified,
    "view and in-place both under no_grad": _view_made_under_no_grad_both_under_no_grad,
    "plain view, nothing requires grad": _plain_view_modified_with_grad_mode_on,
    "an output of unbind": _unbind_output_modified,
    "an output of split, base modified": _split_output_base_modified,
    "view modified under no_grad": _view_modified_under_no_grad,
}


@pytest.mark.parametrize("name", FORBIDDEN_PROGRAMS)
def test_views_autograd_cannot_record_raise_like_torch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_program(FORBIDDEN_PROGRAMS[name], A)


def test_inplace_without_grad_does_no_autograd_work():
    x = minitorch.tensor(A)
    view = x[0]
    view.add_(1)
    x.mul_(2)
    assert x.grad_fn is None and view.grad_fn is None and not x.requires_grad
    with minitorch.no_grad():
        w = minitorch.tensor(A, requires_grad=True)
        w.mul_(2)
    assert w.grad_fn is None and w.is_leaf
