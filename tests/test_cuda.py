"""The GPU path (CuPy): creation, an op and its gradient, moves between devices, mixed-device errors.

Every test here carries the ``cuda`` marker and skips, with its reason, where
CuPy or a GPU is missing. Results are compared with PyTorch on the CPU (the
oracle needs no GPU), so they run against any torch build.
"""
import numpy as np
import pytest
import torch

import minitorch
from tests.helpers import GRAD_TOLERANCES, assert_same, to_numpy

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not minitorch.cuda.is_available(), reason="needs CuPy and a CUDA GPU")]

CREATION = {
    "tensor": lambda L, device: L.tensor([[1.5, -2.0], [3.0, 4.0]], device=device),
    "tensor_int": lambda L, device: L.tensor([1, 2, 3], device=device),
    "zeros": lambda L, device: L.zeros(2, 3, device=device),
    "ones_int32": lambda L, device: L.ones(4, dtype=L.int32, device=device),
    "full": lambda L, device: L.full((2, 2), 7, device=device),
    "eye": lambda L, device: L.eye(3, 2, device=device),
    "arange": lambda L, device: L.arange(0, 1, 0.1, device=device),
    "linspace": lambda L, device: L.linspace(-1, 1, 5, device=device),
    "zeros_like": lambda L, device: L.zeros_like(L.ones(2, device=device)),
}


@pytest.mark.parametrize("case", CREATION)
def test_creation_on_the_gpu_matches_torch_on_the_cpu(case):
    actual = CREATION[case](minitorch, "cuda")
    assert actual.device == minitorch.device("cuda", 0) and actual.is_cuda
    assert_same(actual, CREATION[case](torch, "cpu"))


@pytest.mark.parametrize("make", [lambda: minitorch.rand(3, 4, device="cuda"),
                                  lambda: minitorch.randn(100, device="cuda", dtype=minitorch.float64),
                                  lambda: minitorch.randint(0, 5, (10,), device="cuda"),
                                  lambda: minitorch.randperm(10, device="cuda")])
def test_random_draws_land_on_the_gpu_and_repeat_with_the_seed(make):
    minitorch.manual_seed(3)
    first = make()
    minitorch.manual_seed(3)
    assert first.device.type == "cuda" and make().tolist() == first.tolist()


def test_an_elementwise_op_and_its_gradient_on_the_gpu_match_torch():
    rng = np.random.default_rng(0)
    a, b, upstream = (rng.standard_normal((3, 4)).astype(np.float32) for _ in range(3))
    x, y = (minitorch.tensor(v, device="cuda", requires_grad=True) for v in (a, b))
    tx, ty = (torch.tensor(v, requires_grad=True) for v in (a, b))
    out, expected = x * y + x, tx * ty + tx
    assert out.device.type == "cuda"
    assert_same(out, expected)
    out.backward(minitorch.tensor(upstream, device="cuda"))
    expected.backward(torch.tensor(upstream))
    assert x.grad.device.type == "cuda"
    assert_same(x.grad, tx.grad, GRAD_TOLERANCES)
    assert_same(y.grad, ty.grad, GRAD_TOLERANCES)


def test_to_cuda_and_back_round_trips_values_and_gradients():
    x = minitorch.tensor([1.5, -2.0, 3.0], requires_grad=True)
    on_gpu = x.to("cuda")
    assert on_gpu.device.type == "cuda" and on_gpu.grad_fn is not None
    assert on_gpu.cpu().tolist() == x.tolist() and x.cuda().device == on_gpu.device
    (on_gpu * 2).backward(minitorch.ones(3, device="cuda"))
    assert x.grad.device == minitorch.device("cpu") and x.grad.tolist() == [2.0, 2.0, 2.0]
    double = minitorch.tensor([1, 2]).to("cuda", minitorch.float64)
    assert double.dtype is minitorch.float64 and double.device.type == "cuda"
    assert "device='cuda:0'" in repr(double)


def test_mixing_devices_in_an_op_raises_runtime_error():
    with pytest.raises(RuntimeError, match="same device"):
        minitorch.ones(2) + minitorch.ones(2, device="cuda")


def test_numpy_of_a_gpu_tensor_asks_for_cpu_first():
    with pytest.raises(TypeError, match="cpu"):
        minitorch.ones(2, device="cuda").numpy()
    assert to_numpy(minitorch.ones(2, device="cuda")).tolist() == [1.0, 1.0]


def test_cuda_module_reports_the_gpu():
    assert minitorch.cuda.device_count() >= 1
    assert minitorch.cuda.current_device() == 0
    minitorch.cuda.synchronize()
    assert minitorch.device("cuda") != minitorch.device("cuda:0")
    assert minitorch.zeros(1, device="cuda").device == minitorch.device("cuda:0")
