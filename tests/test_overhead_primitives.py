"""The primitives that exist to keep per-op overhead low (relu's and leaky_relu's one-op backwards,
``mean``, the fused MSE loss and its backward, Linear's weight gradient ``a^T @ b``): each against PyTorch (values, and
gradients for a random upstream gradient), float64 gradcheck and gradgradcheck, and against the
composite of ops it replaces."""
import numpy as np
import pytest
import torch

import minitorch
import minitorch.nn.functional as F
from minitorch.ops.linear import TransposedMatMul
from tests.helpers import check_against_torch, check_double_backward_against_torch, check_gradcheck

RNG = np.random.default_rng(0)


def away_from_zero(shape):
    """Values at least 0.1 from 0, where relu has its kink."""
    values = RNG.uniform(0.1, 2.0, shape)
    return values * RNG.choice([-1.0, 1.0], shape)


# -- relu: its backward is one op (ReluGradient), not grad * sign(y) ------------------------------

def test_relu_gradient_is_one_op_and_matches_torch():
    x = minitorch.tensor(away_from_zero((3, 4)), requires_grad=True)
    y = F.relu(x)
    with minitorch.enable_grad():
        grad, = minitorch.autograd.grad(y, x, minitorch.ones_like(y), create_graph=True)
    assert grad.grad_fn.name() == "ReluGradientBackward"
    check_against_torch(F.relu, torch.relu, away_from_zero((3, 4)))
    check_double_backward_against_torch(F.relu, torch.relu, away_from_zero((3, 4)))
    check_gradcheck(F.relu, away_from_zero((2, 5)))


def test_relu_gradient_equals_the_composite():
    x = minitorch.tensor(away_from_zero((4, 3)), requires_grad=True)
    upstream = minitorch.tensor(RNG.standard_normal((4, 3)))
    F.relu(x).backward(upstream)
    composite = (upstream * (x > 0).to(minitorch.float64)).detach()
    np.testing.assert_array_equal(x.grad.numpy(), composite.numpy())


# -- leaky_relu: one primitive (its backward one op too), not where(x > 0, x, slope * x) ----------

@pytest.mark.parametrize("negative_slope", [0.01, 0.2, 1.5])
def test_leaky_relu_primitive_matches_torch_and_the_where_composite(negative_slope):
    ours = (lambda t: F.leaky_relu(t, negative_slope))
    theirs = (lambda t: torch.nn.functional.leaky_relu(t, negative_slope))
    composite = (lambda t: torch.where(t > 0, t, t * negative_slope))
    for dtype in (np.float64, np.float32):
        check_against_torch(ours, theirs, away_from_zero((3, 4)).astype(dtype))
        check_against_torch(ours, composite, away_from_zero((3, 4)).astype(dtype))
    check_double_backward_against_torch(ours, theirs, away_from_zero((3, 4)))
    check_gradcheck(ours, away_from_zero((2, 5)))
    x = minitorch.tensor(away_from_zero((3, 4)), requires_grad=True)
    grad, = minitorch.autograd.grad(ours(x), x, minitorch.ones_like(x), create_graph=True)
    assert grad.grad_fn.name() == "LeakyReluGradientBackward"


# -- mean: a primitive, not sum / n ---------------------------------------------------------------

@pytest.mark.parametrize("dim, keepdim", [(None, False), (0, False), (1, True), ((0, 2), False), (-1, False)])
def test_mean_matches_torch_and_the_sum_composite(dim, keepdim):
    x = RNG.standard_normal((3, 4, 2))
    reduce = (lambda lib, t: t.mean() if dim is None else t.mean(dim, keepdim=keepdim))
    check_against_torch(lambda t: reduce(minitorch, t), lambda t: reduce(torch, t), x)
    check_against_torch(lambda t: reduce(minitorch, t), lambda t: reduce(torch, t), x.astype(np.float32))
    count = x.size if dim is None else np.prod([x.shape[d] for d in np.atleast_1d(dim)])
    composite = (lambda t: t.sum() / count if dim is None else t.sum(dim, keepdim=keepdim) / count)
    check_against_torch(lambda t: reduce(minitorch, t), composite, x)
    check_gradcheck(lambda t: reduce(minitorch, t), x)


def test_mean_of_float16_sums_in_float32_as_torch():
    x = np.full(4096, 0.1, dtype=np.float16)
    assert minitorch.tensor(x).mean().item() == pytest.approx(torch.tensor(x).mean().item(), rel=1e-3)


# -- the fused MSE loss and its one-op backward ---------------------------------------------------

@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("target_requires_grad", [False, True])
def test_mse_loss_primitive_matches_torch_and_the_composite(reduction, target_requires_grad):
    x, t = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3))
    grads = [True, target_requires_grad]
    ours = (lambda a, b: F.mse_loss(a, b, reduction=reduction))
    check_against_torch(ours, lambda a, b: torch.nn.functional.mse_loss(a, b, reduction=reduction), x, t,
                        requires_grad=grads)
    composite = (lambda a, b: getattr((a - b) ** 2, reduction)())
    check_against_torch(ours, composite, x, t, requires_grad=grads)
    check_against_torch(ours, composite, x.astype(np.float32), t.astype(np.float32), requires_grad=grads)
    check_double_backward_against_torch(ours, lambda a, b: torch.nn.functional.mse_loss(a, b, reduction=reduction),
                                        x, t)
    check_gradcheck(ours, x, t)


def test_mse_loss_is_one_node_with_one_backward_node():
    x = minitorch.tensor(RNG.standard_normal((4, 1)), requires_grad=True)
    loss = F.mse_loss(x, minitorch.tensor(RNG.standard_normal((4, 1))))
    assert loss.grad_fn.name() == "MSELossBackward"
    grad, = minitorch.autograd.grad(loss, x, create_graph=True)
    assert grad.grad_fn.name() == "MSELossBackwardBackward"


# -- TransposedMatMul: Linear's weight gradient g^T @ x -------------------------------------------

def test_transposed_matmul_matches_torch_and_its_composite():
    a, b = RNG.standard_normal((6, 3)), RNG.standard_normal((6, 4))
    check_against_torch(TransposedMatMul.apply, lambda p, q: p.t() @ q, a, b)
    check_against_torch(TransposedMatMul.apply, lambda p, q: p.t() @ q, a.astype(np.float32), b.astype(np.float32))
    check_double_backward_against_torch(TransposedMatMul.apply, lambda p, q: p.t() @ q, a, b)
    check_gradcheck(TransposedMatMul.apply, a, b)


def test_linear_backward_double_backward_through_its_primitives():
    x, weight, bias = RNG.standard_normal((4, 3)), RNG.standard_normal((2, 3)), RNG.standard_normal(2)
    check_double_backward_against_torch(F.linear, torch.nn.functional.linear, x, weight, bias)
    check_gradcheck(F.linear, x, weight, bias)
