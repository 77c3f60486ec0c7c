"""The GPU path (CuPy), and minitorch.cuda's behaviour without a GPU.

Tests marked ``cuda`` need CuPy and a GPU and skip, with the reason, where either
is missing; ``scripts/gpu_check.sh`` runs them on a GPU, together with the whole
parity suite re-run there (``MINITORCH_TEST_DEVICE=cuda``, see tests/helpers.py).
Results are compared with PyTorch on the CPU (the oracle needs no GPU), or with
PyTorch on the GPU where a test says so.

The other tests run here: without a GPU, ``minitorch.cuda`` must answer as a
CPU-only PyTorch build does, values and errors alike.
"""
import importlib
import io

import numpy as np
import pytest
import torch

import minitorch
from tests import helpers
from tests.helpers import GRAD_TOLERANCES, assert_same, check_program, copy_weights_from_torch, to_numpy

requires_gpu = pytest.mark.skipif(not minitorch.cuda.is_available(), reason="needs CuPy and a CUDA GPU")
requires_torch_gpu = pytest.mark.skipif(not torch.cuda.is_available(),
                                        reason="compares with PyTorch on a GPU, and this PyTorch has none")
without_any_gpu = pytest.mark.skipif(minitorch.cuda.is_available() or torch.cuda.is_available(),
                                     reason="compares the behaviour without a GPU, and there is one here")


def on_the_gpu(test):
    """The ``cuda`` marker, and a skip with its reason where CuPy or a GPU is missing."""
    return pytest.mark.cuda(requires_gpu(test))


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


@on_the_gpu
@pytest.mark.parametrize("case", CREATION)
def test_creation_on_the_gpu_matches_torch_on_the_cpu(case):
    actual = CREATION[case](minitorch, "cuda")
    assert actual.device == minitorch.device("cuda", 0) and actual.is_cuda
    assert_same(actual, CREATION[case](torch, "cpu"))


@on_the_gpu
@pytest.mark.parametrize("make", [lambda: minitorch.rand(3, 4, device="cuda"),
                                  lambda: minitorch.randn(100, device="cuda", dtype=minitorch.float64),
                                  lambda: minitorch.randint(0, 5, (10,), device="cuda"),
                                  lambda: minitorch.randperm(10, device="cuda")])
def test_random_draws_land_on_the_gpu_and_repeat_with_the_seed(make):
    minitorch.manual_seed(3)
    first = make()
    minitorch.manual_seed(3)
    assert first.device.type == "cuda" and make().tolist() == first.tolist()


@on_the_gpu
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


@on_the_gpu
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


@on_the_gpu
def test_mixing_devices_in_an_op_raises_runtime_error():
    with pytest.raises(RuntimeError, match="same device"):
        minitorch.ones(2) + minitorch.ones(2, device="cuda")


@on_the_gpu
def test_numpy_of_a_gpu_tensor_asks_for_cpu_first():
    with pytest.raises(TypeError, match="cpu"):
        minitorch.ones(2, device="cuda").numpy()
    assert to_numpy(minitorch.ones(2, device="cuda")).tolist() == [1.0, 1.0]


@on_the_gpu
def test_cuda_module_reports_the_gpu():
    assert minitorch.cuda.device_count() >= 1
    assert minitorch.cuda.current_device() == 0
    minitorch.cuda.synchronize()
    assert minitorch.device("cuda") != minitorch.device("cuda:0")
    assert minitorch.zeros(1, device="cuda").device == minitorch.device("cuda:0")


@on_the_gpu
@requires_torch_gpu
def test_mixing_devices_gives_torchs_message():
    check_program(lambda L: L.ones(2) + L.ones(2, device="cuda"))


def _small_network(L):
    return L.nn.Sequential(L.nn.Conv2d(2, 3, 3, padding=1), L.nn.BatchNorm2d(3), L.nn.ReLU(), L.nn.MaxPool2d(2),
                           L.nn.Flatten(), L.nn.Linear(12, 5), L.nn.LogSoftmax(dim=1))


@on_the_gpu
def test_a_module_moved_with_to_cuda_trains_like_torchs():
    torch.manual_seed(0)
    theirs, ours = _small_network(torch), _small_network(minitorch)
    copy_weights_from_torch(ours, theirs)
    parameters = list(ours.parameters())
    assert ours.to("cuda") is ours and list(ours.parameters()) == parameters  # moved in place, as in PyTorch
    assert all(p.is_cuda for p in ours.parameters()) and all(b.is_cuda for b in ours.buffers())
    rng = np.random.default_rng(0)
    inputs, upstream = rng.standard_normal((4, 2, 4, 4)).astype(np.float32), rng.standard_normal((4, 5))
    x, tx = minitorch.tensor(inputs, device="cuda", requires_grad=True), torch.tensor(inputs, requires_grad=True)
    out, expected = ours(x), theirs(tx)
    assert out.is_cuda
    assert_same(out, expected)
    out.backward(minitorch.tensor(upstream.astype(np.float32), device="cuda"))
    expected.backward(torch.tensor(upstream.astype(np.float32)))
    assert_same(x.grad, tx.grad, GRAD_TOLERANCES)
    for (name, mine), reference in zip(ours.named_parameters(), theirs.parameters()):
        assert mine.grad.is_cuda, name
        assert_same(mine.grad, reference.grad, GRAD_TOLERANCES, f"grad of {name}")
    assert_same(ours.state_dict(), theirs.state_dict())  # running statistics updated on the GPU


@on_the_gpu
@pytest.mark.parametrize("name, options", [("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
                                           ("Adam", {"lr": 0.01, "amsgrad": True}),
                                           ("AdamW", {"lr": 0.01, "weight_decay": 0.1}),
                                           ("RMSprop", {"lr": 0.01, "centered": True})])
def test_an_optimizer_steps_gpu_parameters_like_torch(name, options):
    rng = np.random.default_rng(0)
    start = [rng.standard_normal(shape).astype(np.float32) for shape in ((3, 4), (5,))]
    ours = [minitorch.nn.Parameter(minitorch.tensor(a, device="cuda")) for a in start]
    theirs = [torch.nn.Parameter(torch.tensor(a)) for a in start]
    optimizer, torch_optimizer = getattr(minitorch.optim, name)(ours, **options), getattr(torch.optim, name)(theirs, **options)
    for _ in range(3):
        for mine, reference in zip(ours, theirs):
            gradient = rng.standard_normal(mine.shape).astype(np.float32)
            mine.grad, reference.grad = minitorch.tensor(gradient, device="cuda"), torch.tensor(gradient)
        optimizer.step()
        torch_optimizer.step()
    for mine, reference in zip(ours, theirs):
        assert mine.is_cuda
        assert_same(mine.detach(), reference.detach(), helpers.OPTIMIZER_TOLERANCES)
    for state in optimizer.state.values():
        assert all(value.is_cuda for value in state.values() if isinstance(value, minitorch.Tensor) and value.dim())


@on_the_gpu
def test_a_checkpoint_of_gpu_tensors_loads_where_map_location_says(tmp_path):
    values = np.arange(6, dtype=np.float32).reshape(2, 3)
    path = tmp_path / "checkpoint.pt"
    minitorch.save({"weight": minitorch.tensor(values, device="cuda"), "step": 3}, path)
    assert minitorch.load(path)["weight"].is_cuda  # saved on cuda:0, loaded back there
    on_cpu = minitorch.load(path, map_location="cpu")
    assert_same(on_cpu, torch.load(path, map_location="cpu"))  # and PyTorch reads the same file
    assert on_cpu["weight"].device == minitorch.device("cpu")
    remapped = minitorch.load(path, map_location={"cuda:0": "cpu"})
    assert remapped["weight"].device == minitorch.device("cpu")


@on_the_gpu
def test_a_loader_with_pinned_memory_gives_torchs_batches_and_they_move_to_the_gpu():
    values = np.arange(20, dtype=np.float32).reshape(10, 2)
    batches = list(minitorch.utils.data.DataLoader(minitorch.utils.data.TensorDataset(minitorch.tensor(values)),
                                                   batch_size=4, pin_memory=True))
    expected = list(torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(values)), batch_size=4))
    assert_same(batches, expected)
    assert all(batch.cuda(non_blocking=True).is_cuda for (batch,) in batches)


@on_the_gpu
def test_memory_statistics_follow_an_allocation_and_its_release():
    minitorch.cuda.synchronize()
    before = minitorch.cuda.memory_allocated()
    minitorch.cuda.reset_peak_memory_stats()
    block = minitorch.empty(2 ** 20, device="cuda")  # 4 MiB of float32
    assert minitorch.cuda.memory_allocated() - before >= 4 * 2 ** 20
    assert minitorch.cuda.max_memory_allocated() >= minitorch.cuda.memory_allocated()
    assert minitorch.cuda.memory_reserved() >= minitorch.cuda.memory_allocated()
    del block
    assert minitorch.cuda.memory_allocated() == before  # the pool takes the block back at once
    assert minitorch.cuda.max_memory_allocated() >= before + 4 * 2 ** 20  # the peak remembers it
    minitorch.cuda.empty_cache()
    assert minitorch.cuda.memory_reserved() >= minitorch.cuda.memory_allocated()
    minitorch.cuda.reset_peak_memory_stats()
    assert minitorch.cuda.max_memory_allocated() == minitorch.cuda.memory_allocated()


@on_the_gpu
def test_events_time_gpu_work_and_streams_wait_for_them():
    start, end = minitorch.cuda.Event(enable_timing=True), minitorch.cuda.Event(enable_timing=True)
    x = minitorch.randn(512, 512, device="cuda")
    start.record()
    for _ in range(5):
        x = x @ x / 512
    end.record()
    end.synchronize()
    assert end.query() and start.elapsed_time(end) > 0
    side = minitorch.cuda.Stream()
    end.wait(side)
    with minitorch.cuda.stream(side):
        y = x + 1
    side.synchronize()
    assert side.query() and y.is_cuda
    minitorch.cuda.synchronize()
    assert minitorch.cuda.current_stream().query()  # nothing left queued after a synchronize


@on_the_gpu
def test_the_device_context_and_seeds_on_the_gpu():
    with minitorch.cuda.device(0):
        assert minitorch.cuda.current_device() == 0
    with minitorch.cuda.device_of(minitorch.ones(1, device="cuda")):
        assert minitorch.cuda.current_device() == 0
    minitorch.cuda.manual_seed(5)
    assert minitorch.cuda.initial_seed() == 5
    first = minitorch.rand(4, device="cuda")
    minitorch.cuda.manual_seed_all(5)
    assert minitorch.rand(4, device="cuda").tolist() == first.tolist()


@on_the_gpu
@requires_torch_gpu
@pytest.mark.parametrize("call", [lambda L: L.cuda.device_count(), lambda L: L.cuda.current_device(),
                                  lambda L: L.cuda.get_device_name(), lambda L: L.cuda.get_device_capability(),
                                  lambda L: L.cuda.get_device_properties(0).total_memory,
                                  lambda L: L.cuda.set_device("cpu"), lambda L: L.cuda.get_device_properties(99)])
def test_the_cuda_module_describes_the_gpu_as_torch_does(call):
    check_program(call)


# -- without a GPU: what a CPU-only PyTorch build does -------------------------------------------------

NO_GPU_CALLS = {
    "is_available": lambda L: L.cuda.is_available(),
    "device_count": lambda L: L.cuda.device_count(),
    "current_device": lambda L: L.cuda.current_device(),
    "set_device_cpu": lambda L: L.cuda.set_device("cpu"),
    "set_device_without_index": lambda L: L.cuda.set_device("cuda"),
    "set_device_negative": lambda L: L.cuda.set_device(-1),
    "device_context": lambda L: L.cuda.device(0).__enter__(),
    "device_context_cpu": lambda L: L.cuda.device("cpu"),
    "device_context_negative": lambda L: L.cuda.device(-1).__enter__(),
    "device_of_cpu_tensor": lambda L: L.cuda.device_of(L.ones(1)).__enter__(),
    "synchronize": lambda L: L.cuda.synchronize(),
    "manual_seed": lambda L: L.cuda.manual_seed(1),
    "manual_seed_all": lambda L: L.cuda.manual_seed_all(1),
    "seed": lambda L: L.cuda.seed(),
    "seed_all": lambda L: L.cuda.seed_all(),
    "initial_seed": lambda L: L.cuda.initial_seed(),
    "memory_allocated": lambda L: L.cuda.memory_allocated(),
    "max_memory_allocated": lambda L: L.cuda.max_memory_allocated(0),
    "memory_reserved": lambda L: L.cuda.memory_reserved(),
    "empty_cache": lambda L: L.cuda.empty_cache(),
    "get_device_name": lambda L: L.cuda.get_device_name(),
    "get_device_properties": lambda L: L.cuda.get_device_properties(0),
    "get_device_capability": lambda L: L.cuda.get_device_capability(),
    "stream": lambda L: L.cuda.Stream(),
    "current_stream": lambda L: L.cuda.current_stream(),
    "tensor_cuda": lambda L: L.ones(2).cuda(),
    "tensor_to_cuda": lambda L: L.ones(2).to("cuda:0"),
    "creation_on_cuda": lambda L: L.zeros(2, device="cuda"),
    "module_cuda": lambda L: L.nn.Linear(2, 2).cuda(),
    "module_to_cuda": lambda L: L.nn.Linear(2, 2).to("cuda"),
}


@without_any_gpu
@pytest.mark.parametrize("call", NO_GPU_CALLS)
def test_without_a_gpu_the_cuda_api_answers_as_cpu_only_torch(call):
    check_program(NO_GPU_CALLS[call])


@without_any_gpu
def test_without_a_gpu_an_event_cannot_be_made():
    # PyTorch's message names its internal placeholder class; the exception type is what programs catch.
    check_program(lambda L: L.cuda.Event(enable_timing=True), message=False)


@without_any_gpu
@pytest.mark.parametrize("call", [lambda L: L.cuda.set_device(0), lambda L: L.cuda.reset_peak_memory_stats()])
def test_without_a_gpu_calls_that_start_cuda_raise_torchs_error_for_that(call):
    # A CPU-only PyTorch fails inside these with an AttributeError about a missing internal binding; the
    # error it means, and raises wherever it starts CUDA itself, is torch.cuda.init()'s.
    with pytest.raises(AssertionError) as expected:
        torch.cuda.init()
    with pytest.raises(AssertionError) as actual:
        call(minitorch)
    assert str(actual.value).startswith(str(expected.value))


@without_any_gpu
def test_without_a_gpu_loading_onto_cuda_fails_as_in_torch():
    def program(L):
        buffer = io.BytesIO()
        L.save({"weight": L.ones(2)}, buffer)
        buffer.seek(0)
        return L.load(buffer, map_location="cuda")
    check_program(program)


@without_any_gpu
def test_without_a_gpu_a_pinned_memory_loader_warns_and_gives_torchs_batches():
    values = np.arange(12, dtype=np.float32).reshape(6, 2)
    with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no accelerator"):
        batches = list(minitorch.utils.data.DataLoader(
            minitorch.utils.data.TensorDataset(minitorch.tensor(values)), batch_size=4, pin_memory=True))
    with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no accelerator"):
        expected = list(torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(torch.tensor(values)), batch_size=4, pin_memory=True))
    assert_same(batches, expected)


# -- the test device ------------------------------------------------------------------------------------

@pytest.fixture
def reloaded_helpers(monkeypatch):
    """tests.helpers read again under a changed environment, and read again as it was afterwards."""
    yield lambda: importlib.reload(helpers)
    monkeypatch.undo()
    importlib.reload(helpers)


@pytest.mark.parametrize("setting", [None, "cpu"])
def test_the_test_device_is_the_cpu_unless_the_environment_says_otherwise(setting, monkeypatch, reloaded_helpers):
    if setting is None:
        monkeypatch.delenv("MINITORCH_TEST_DEVICE", raising=False)
    else:
        monkeypatch.setenv("MINITORCH_TEST_DEVICE", setting)
    module = reloaded_helpers()
    assert module.TEST_DEVICE == minitorch.device("cpu")
    values = np.array([[0.5, -1.0], [2.0, 3.0]], dtype=np.float32)
    result = module.check_against_torch(lambda x: (x * x).sum(0), lambda x: (x * x).sum(0), values)
    assert result.device == minitorch.device("cpu")  # the CPU run is exactly what it was before the setting


@without_any_gpu
def test_pinning_without_a_gpu_behaves_as_torch():
    check_program(lambda L: L.ones(2).is_pinned())
    check_program(lambda L: L.ones(2).pin_memory())


@requires_gpu
def test_a_zero_dim_cpu_tensor_joins_gpu_tensors_as_in_torch():
    """torch treats a 0-dim CPU tensor as a scalar beside GPU tensors (e.g. a tensor lr with GPU parameters)."""
    product = minitorch.ones(2, device="cuda") * minitorch.tensor(2.0)
    assert product.device.type == "cuda"
    assert_same(product.cpu(), torch.ones(2) * torch.tensor(2.0))
