"""Custom ``autograd.Function``s against PyTorch, and ``gradcheck``/``gradgradcheck``.

The same Function is defined for both libraries by ``define(lib)``: minitorch's
``forward`` receives arrays (NumPy), PyTorch's tensors, so the forwards use only
what both understand (operators, and ``math.exp`` from the matching module);
``backward`` is written with Tensor ops in both.
"""
import importlib
import re
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import minitorch
from tests.strategies import FLOAT_DTYPES, arrays, shapes
from tests.helpers import check_program, leaf

RNG = np.random.default_rng(0)
A = RNG.uniform(0.5, 2.0, (2, 3))
B = RNG.uniform(0.5, 2.0, (2, 3))


def define(lib):
    """The test Functions, for ``lib``."""
    math = np if lib is minitorch else torch
    Function = lib.autograd.Function

    def as_long(array):
        return array.astype(np.int64) if lib is minitorch else array.long()

    class Cube(Function):
        """x**3, saving its input; d/dx = 3 x^2 (with Tensor ops: differentiable again)."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            return grad_output * 3 * x * x

    class Exp(Function):
        """exp(x), saving its output."""

        @staticmethod
        def forward(ctx, x):
            result = math.exp(x)
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_output):
            result, = ctx.saved_tensors
            return grad_output * result

    class ScaledProduct(Function):
        """exp(x) * y * scale, saving an intermediate (exp(x)) and an input; scale is a number."""

        @staticmethod
        def forward(ctx, x, y, scale):
            ctx.scale = scale
            exp_x = math.exp(x)
            ctx.save_for_backward(exp_x, y)
            ctx.seen_in_forward = ctx.needs_input_grad
            return exp_x * y * scale

        @staticmethod
        def backward(ctx, grad_output):
            exp_x, y = ctx.saved_tensors
            ctx.seen_in_backward = ctx.needs_input_grad
            grad_x = grad_output * exp_x * y * ctx.scale if ctx.needs_input_grad[0] else None
            grad_y = grad_output * exp_x * ctx.scale if ctx.needs_input_grad[1] else None
            return grad_x, grad_y, None

    class TwoOutputs(Function):
        """(2x, x*y); the engine passes zeros for an output that got no gradient."""

        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * 2, x * y

        @staticmethod
        def backward(ctx, grad_double, grad_product):
            x, y = ctx.saved_tensors
            return grad_double * 2 + grad_product * y, grad_product * x

    class SeesNone(Function):
        """Like TwoOutputs but with set_materialize_grads(False): reports which gradients were None."""

        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, grad_first, grad_second):
            ctx.report = (grad_first is None, grad_second is None)
            grad = 0
            if grad_first is not None:
                grad = grad + grad_first * 2
            if grad_second is not None:
                grad = grad + grad_second * 3
            return grad

    class ValuesAndSigns(Function):
        """(x * 2, int64 signs); the signs are marked non-differentiable."""

        @staticmethod
        def forward(ctx, x):
            signs = as_long(x > 1)
            ctx.mark_non_differentiable(signs)
            return x * 2, signs

        @staticmethod
        def backward(ctx, grad_values, grad_signs):
            return grad_values * 2

    class DoubleInPlace(Function):
        """x *= 2 in place (mark_dirty), returning x itself."""

        @staticmethod
        def forward(ctx, x):
            x *= 2
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * 2

    class WrongCount(Function):
        @staticmethod
        def forward(ctx, x, scale):
            return x * scale

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output

    class GradientForNumber(Function):
        @staticmethod
        def forward(ctx, x, scale):
            return x * scale

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output, grad_output

    class WrongShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output[0]

    class BroadcastGradient(Function):
        """x + a row: returns the gradient at the broadcast shape; the engine sums it for the row."""

        @staticmethod
        def forward(ctx, x, row):
            return x + row

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output, grad_output

    class WrongBackward(Function):
        """x*x with a wrong derivative (x instead of 2x): gradcheck must notice."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            return grad_output * x

    class MakesNan(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * float("nan")

    class SetupContextSquare(Function):
        """x*x in PyTorch 2's style: forward without ctx, then setup_context."""

        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, = inputs
            ctx.save_for_backward(x)

        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            return grad_output * 2 * x

    return {name: value for name, value in locals().items() if isinstance(value, type)}


FUNCTIONS = {torch: define(torch), minitorch: define(minitorch)}


# ---------------------------------------------------------------------------------------------
# Values and gradients
# ---------------------------------------------------------------------------------------------

@given(shape=shapes(max_dims=3), dtype=FLOAT_DTYPES, data=st.data())
def test_custom_functions_match_torch_on_drawn_shapes(shape, dtype, data):
    a = data.draw(arrays(shape, dtype, 0.5, 2.0))
    b = data.draw(arrays(shape, dtype, 0.5, 2.0))
    upstream = data.draw(arrays(shape, dtype))

    def program(lib, a, b, upstream):
        f = FUNCTIONS[lib]
        x, y = leaf(lib, a), leaf(lib, b)
        out = f["Cube"].apply(x) + f["Exp"].apply(y) + f["ScaledProduct"].apply(x, y, 0.5)
        double, product = f["TwoOutputs"].apply(x, y)
        out = out + double * product
        (out * lib.tensor(upstream)).sum().backward()
        return out, x.grad, y.grad

    check_program(program, a, b, upstream)


def _needs_input_grad(lib, a, b):
    f = FUNCTIONS[lib]
    x, y = leaf(lib, a), leaf(lib, b, False)
    out = f["ScaledProduct"].apply(x, y, 2.0)
    out.sum().backward()
    return out.grad_fn.seen_in_forward, out.grad_fn.seen_in_backward, x.grad


def _unused_output_gets_zeros(lib, a, b):
    f = FUNCTIONS[lib]
    x, y = leaf(lib, a), leaf(lib, b)
    double, _ = f["TwoOutputs"].apply(x, y)
    (double * 3).sum().backward()
    return x.grad, y.grad


def _materialize_grads_false(lib, a, b):
    f = FUNCTIONS[lib]
    x = leaf(lib, a)
    first, second = f["SeesNone"].apply(x)
    second.sum().backward()
    return first.grad_fn.report, x.grad


def _non_differentiable_output(lib, a, b):
    f = FUNCTIONS[lib]
    x = leaf(lib, a)
    values, signs = f["ValuesAndSigns"].apply(x)
    (values * signs).sum().backward()
    return values.requires_grad, signs.requires_grad, signs.dtype == lib.int64, x.grad


def _mark_dirty(lib, a, b):
    f = FUNCTIONS[lib]
    w = leaf(lib, a)
    x = w * 1
    before = x._version if lib is torch else x._version_number
    out = f["DoubleInPlace"].apply(x)
    after = x._version if lib is torch else x._version_number
    (out * out).sum().backward()
    return out is x, after > before, x, w.grad


def _mark_dirty_on_a_leaf(lib, a, b):
    FUNCTIONS[lib]["DoubleInPlace"].apply(leaf(lib, a))


def _number_argument(lib, a, b):
    f = FUNCTIONS[lib]
    x = leaf(lib, a)
    out = f["ScaledProduct"].apply(x, lib.tensor(b), 3.0)
    return out, len(out.grad_fn.next_functions)


def _wrong_count(lib, a, b):
    FUNCTIONS[lib]["WrongCount"].apply(leaf(lib, a), 2.0).sum().backward()


def _gradient_for_a_number(lib, a, b):
    FUNCTIONS[lib]["GradientForNumber"].apply(leaf(lib, a), 2.0).sum().backward()


def _wrong_shape(lib, a, b):
    FUNCTIONS[lib]["WrongShape"].apply(leaf(lib, a)).sum().backward()


def _broadcast_gradient_is_summed(lib, a, b):
    x, row = leaf(lib, a), leaf(lib, b[0])
    FUNCTIONS[lib]["BroadcastGradient"].apply(x, row).sum().backward()
    return x.grad, row.grad


def _saved_input_modified(lib, a, b):
    x = leaf(lib, a) * 1
    out = FUNCTIONS[lib]["Cube"].apply(x)
    x.add_(1)
    out.sum().backward()


def _saved_after_backward(lib, a, b):
    out = FUNCTIONS[lib]["Cube"].apply(leaf(lib, a))
    out.sum().backward()
    return out.grad_fn.saved_tensors


def _setup_context(lib, a, b):
    x = leaf(lib, a)
    out = FUNCTIONS[lib]["SetupContextSquare"].apply(x)
    out.sum().backward()
    return out, x.grad


def _no_grad_apply(lib, a, b):
    x = leaf(lib, a)
    with lib.no_grad():
        out = FUNCTIONS[lib]["Cube"].apply(x)
    return out, out.requires_grad, out.grad_fn is None


PROGRAMS = {
    "needs_input_grad": _needs_input_grad,
    "an unused output gets zeros": _unused_output_gets_zeros,
    "set_materialize_grads(False)": _materialize_grads_false,
    "mark_non_differentiable": _non_differentiable_output,
    "mark_dirty": _mark_dirty,
    "mark_dirty on a leaf raises": _mark_dirty_on_a_leaf,
    "a number argument has no edge": _number_argument,
    "wrong number of gradients raises": _wrong_count,
    "a gradient for a number raises": _gradient_for_a_number,
    "a gradient of the wrong shape raises": _wrong_shape,
    "a broadcast gradient is summed": _broadcast_gradient_is_summed,
    "saved input modified in place raises": _saved_input_modified,
    "saved tensors freed after backward": _saved_after_backward,
    "setup_context": _setup_context,
    "apply under no_grad": _no_grad_apply,
}


@pytest.mark.parametrize("name", PROGRAMS)
def test_custom_function_behaviour_matches_torch(name):
    check_program(PROGRAMS[name], A, B)


@pytest.mark.parametrize("name", ["Cube", "Exp", "SetupContextSquare"])
def test_double_backward_through_a_custom_function_matches_torch(name):
    def program(lib, a):
        x = leaf(lib, a)
        out = FUNCTIONS[lib][name].apply(x * x)
        grad, = lib.autograd.grad((out * out).sum(), x, create_graph=True)
        second, = lib.autograd.grad((grad * grad).sum(), x)
        return grad, second

    check_program(program, A)


def test_once_differentiable_runs_backward_without_a_graph():
    class Square(minitorch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @minitorch.autograd.once_differentiable
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            assert not minitorch.is_grad_enabled()
            return grad_output * 2 * x

    x = minitorch.tensor(A, requires_grad=True)
    grad, = minitorch.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(grad.numpy(), 2 * A)
    assert not grad.requires_grad


# ---------------------------------------------------------------------------------------------
# gradcheck and gradgradcheck
# ---------------------------------------------------------------------------------------------

def _gradcheck_error(lib):
    return importlib.import_module(f"{lib.__name__}.autograd.gradcheck").GradcheckError


@pytest.mark.parametrize("lib", [torch, minitorch], ids=["torch", "minitorch"])
def test_gradcheck_api_behaves_like_torchs(lib):
    f = FUNCTIONS[lib]
    x = leaf(lib, A)
    y = leaf(lib, B)
    assert lib.autograd.gradcheck(lambda a, b: f["ScaledProduct"].apply(a, b, 0.5), (x, y)) is True
    assert lib.autograd.gradcheck(f["Cube"].apply, x) is True
    assert lib.autograd.gradgradcheck(f["Cube"].apply, (x,)) is True
    assert lib.autograd.gradgradcheck(lambda a, b: f["TwoOutputs"].apply(a, b), (x, y)) is True
    assert lib.autograd.gradcheck(f["WrongBackward"].apply, (x,), raise_exception=False) is False
    with pytest.raises(_gradcheck_error(lib)) as raised:
        lib.autograd.gradcheck(f["WrongBackward"].apply, (x,))
    assert isinstance(raised.value, RuntimeError) and "Jacobian mismatch" in str(raised.value)
    with pytest.raises(ValueError):  # nothing requires grad
        lib.autograd.gradcheck(f["Cube"].apply, (leaf(lib, A, False),))


def test_gradcheck_perturbs_non_contiguous_inputs():
    base = minitorch.tensor(np.random.default_rng(1).standard_normal((4, 3)))
    x = base.t().requires_grad_()   # a transposed leaf: its memory is not contiguous
    assert not x.is_contiguous()
    assert minitorch.autograd.gradcheck(lambda t: (t * t).exp(), (x,))
    assert minitorch.autograd.gradcheck(FUNCTIONS[minitorch]["WrongBackward"].apply, (x,),
                                        raise_exception=False) is False


# ---------------------------------------------------------------------------------------------
# Anomaly mode with a custom backward
# ---------------------------------------------------------------------------------------------

def test_detect_anomaly_names_a_custom_function_returning_nan():
    def program(lib, a):
        x = leaf(lib, a)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.detect_anomaly():
                FUNCTIONS[lib]["MakesNan"].apply(x).sum().backward()

    error = check_program(program, A)
    assert re.fullmatch(r"Function 'MakesNanBackward' returned nan values in its 0th output\.", str(error))
