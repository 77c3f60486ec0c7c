"""minitorch.distributed and nn.parallel: two MPI processes (tests/distributed_worker.py under mpiexec)
checked against NumPy reductions and against single-process PyTorch training; errors and DataParallel
on one process against torch."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed

import minitorch
import minitorch.distributed
from tests import distributed_worker as worker
from tests.helpers import assert_same, check_program, copy_weights_from_torch

ROOT = Path(__file__).resolve().parents[1]
WORLD_SIZE = 2


def find_mpiexec():
    """The mpiexec the mpich wheel put beside this Python (a virtual environment's bin), else on PATH."""
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


def mpi_missing_reason():
    if not minitorch.distributed.is_mpi_available():
        return "mpi4py is not installed (pip install mpi4py mpich)"
    if find_mpiexec() is None:
        return "no mpiexec beside the Python or on PATH (pip install mpich)"
    return None


needs_mpi = [pytest.mark.mpi, pytest.mark.skipif(mpi_missing_reason() is not None, reason=str(mpi_missing_reason()))]


def launch(mode, out):
    """Run the worker on 2 processes; returns the completed process (hang guard: 120 s)."""
    environment = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([find_mpiexec(), "-n", str(WORLD_SIZE), sys.executable, str(ROOT / "tests" /
                           "distributed_worker.py"), mode, str(out)], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    """Every rank's saved results from one launch of all the checks."""
    if mpi_missing_reason() is not None:
        pytest.skip(mpi_missing_reason())
    out = tmp_path_factory.mktemp("distributed")
    completed = launch("all", out)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return [dict(np.load(out / f"rank{rank}.npz")) for rank in range(WORLD_SIZE)]


def held(dtype, salt=0, shape=worker.SHAPE):
    """What each rank held, stacked on a first axis of length WORLD_SIZE."""
    return np.stack([worker.rank_data(rank, dtype, shape, salt) for rank in range(WORLD_SIZE)])


def expected_collectives(dtype):
    """(name, rank) -> the NumPy result every rank (or one rank) must hold."""
    data = held(dtype)
    blocks = np.stack([held(dtype, salt=1 + part) for part in range(WORLD_SIZE)], axis=1)  # [rank, part, ...]
    stacked_blocks = held(dtype, salt=5, shape=(WORLD_SIZE * worker.SHAPE[0], worker.SHAPE[1]))
    stacked_blocks = stacked_blocks.reshape(WORLD_SIZE, WORLD_SIZE, *worker.SHAPE)
    scattered = np.stack([worker.rank_data(1, dtype, worker.SHAPE, 10 + part) for part in range(WORLD_SIZE)])
    everyone = {"all_reduce_sum": data.sum(0), "all_reduce_product": data.prod(0), "all_reduce_min": data.min(0),
                "all_reduce_max": data.max(0), "all_reduce_transposed": data.sum(0), "broadcast": data[1],
                "all_gather": data, "all_gather_into_tensor": data.reshape(-1, worker.SHAPE[1]),
                "send_recv": data[0]}
    if dtype.startswith("float"):
        everyone["all_reduce_avg"] = data.mean(0)
    expected = {(name, rank): value for name, value in everyone.items() for rank in range(WORLD_SIZE)}
    for rank in range(WORLD_SIZE):
        expected["reduce_scatter", rank] = blocks[:, rank].sum(0)
        expected["reduce_scatter_tensor_max", rank] = stacked_blocks[:, rank].max(0)
        expected["scatter", rank] = scattered[rank]
    expected["reduce", 0], expected["reduce", 1] = data.sum(0), data[1]  # only the destination reduces
    expected["gather", 0] = data
    return expected


@pytest.mark.parametrize("dtype", worker.DTYPES)
@pytest.mark.mpi
def test_collectives_match_numpy_reductions_of_every_ranks_data(ranks, dtype):
    for (name, rank), value in expected_collectives(dtype).items():
        actual = ranks[rank][f"{name}/{dtype}"]
        assert actual.dtype == np.dtype(dtype), (name, rank, actual.dtype)  # (NumPy's int32 sums are int64)
        np.testing.assert_array_equal(actual, value.astype(dtype), err_msg=f"{name} on rank {rank}")
    assert int(ranks[1][f"recv_source/{dtype}"]) == 0


@pytest.mark.mpi
def test_process_group_reports_rank_world_size_and_backend(ranks):
    for rank, results in enumerate(ranks):
        assert (int(results["rank"]), int(results["world_size"]), str(results["backend"])) == (rank, 2, "gloo")


def assert_same_weights(saved, expected, what):
    """A weight a rank saved against torch's, within float32 tolerance."""
    assert_same(minitorch.from_numpy(saved), expected.detach(), what=what)


def torch_model(results, prefix, batch_norm):
    """The worker's model in torch, with the weights DDP started from (rank 0's, broadcast)."""
    model = worker.build_model(torch.nn, batch_norm)
    model.load_state_dict({name.split("/", 2)[2]: torch.from_numpy(value) for name, value in results.items()
                           if name.startswith(f"{prefix}/initial/")})
    return model


def torch_training(ranks, prefix, batch_norm):
    """Single-process training on the two ranks' batches of each step. Without BatchNorm, one batch:
    their concatenation. With it, each rank's batch normalizes with its own statistics, so the loss is
    the mean of the two ranks' losses, and the running statistics are rank 0's (DDP broadcasts them
    from rank 0 before each forward)."""
    model = torch_model(ranks[0], prefix, batch_norm)
    optimizer = torch.optim.SGD(model.parameters(), lr=worker.LR, momentum=0.9)
    inputs, targets = (torch.from_numpy(array) for array in worker.dataset_arrays())
    rank_indices = [torch.from_numpy(results[f"{prefix}/indices"]) for results in ranks]
    for step in range(len(rank_indices[0])):
        optimizer.zero_grad()
        if batch_norm:
            losses = []
            for rank, indices in enumerate(rank_indices):
                losses.append(torch.nn.functional.cross_entropy(model(inputs[indices[step]]), targets[indices[step]]))
                if rank == 0:
                    rank0_buffers = [buffer.clone() for buffer in model.buffers()]
            (sum(losses) / WORLD_SIZE).backward()
            with torch.no_grad():  # (after backward, which needs the buffers as they were)
                for buffer, kept in zip(model.buffers(), rank0_buffers):
                    buffer.copy_(kept)
        else:
            index = torch.cat([indices[step] for indices in rank_indices])
            torch.nn.functional.cross_entropy(model(inputs[index]), targets[index]).backward()
        optimizer.step()
    return model


@pytest.mark.parametrize("batch_norm", [False, True], ids=["mlp", "batch_norm"])
@pytest.mark.mpi
def test_ddp_training_equals_single_process_training_on_the_concatenated_batches(ranks, batch_norm):
    prefix = "ddp_bn" if batch_norm else "ddp"
    model = torch_training(ranks, prefix, batch_norm)
    expected = model.state_dict()
    for rank, results in enumerate(ranks):
        for name, value in expected.items():
            if name in dict(model.named_buffers()) and rank != 0:
                continue  # rank 1's last forward updated its own running statistics
            assert_same_weights(results[f"{prefix}/final/{name}"], value, f"{name} on rank {rank}")
        assert list(results[f"{prefix}/state_dict_keys"]) == [f"module.{name}" for name in expected]


@pytest.mark.mpi
def test_ddp_starts_every_rank_from_rank_0s_weights(ranks):
    for name in [key for key in ranks[0] if key.startswith("ddp_bn/initial/")]:
        np.testing.assert_array_equal(ranks[1][name], ranks[0][name], err_msg=name)


@pytest.mark.mpi
def test_distributed_sampler_gives_each_rank_a_disjoint_share_of_every_epoch(ranks):
    indices = [results["ddp/indices"] for results in ranks]
    steps_per_epoch = worker.SAMPLES // (worker.BATCH_SIZE * WORLD_SIZE)
    for epoch in range(worker.EPOCHS):
        steps = slice(epoch * steps_per_epoch, (epoch + 1) * steps_per_epoch)
        together = np.concatenate([rank_indices[steps].ravel() for rank_indices in indices])
        assert sorted(together.tolist()) == list(range(worker.SAMPLES))
    assert not np.array_equal(indices[0][:steps_per_epoch], indices[0][steps_per_epoch:])  # set_epoch reshuffles


@pytest.mark.mpi
def test_no_sync_accumulates_locally_then_averages_the_sum(ranks):
    model = torch_model(ranks[0], "no_sync", batch_norm=False)
    inputs, targets = (torch.from_numpy(array) for array in worker.dataset_arrays())
    optimizer = torch.optim.SGD(model.parameters(), lr=worker.LR)
    for part in range(2):
        index = torch.cat([torch.arange(4 * rank + 8 * part, 4 * rank + 8 * part + 4) for rank in range(WORLD_SIZE)])
        torch.nn.functional.cross_entropy(model(inputs[index]), targets[index]).backward()
    optimizer.step()
    for rank, results in enumerate(ranks):
        for name, value in model.state_dict().items():
            assert_same_weights(results[f"no_sync/final/{name}"], value, f"{name} on rank {rank}")
    assert not np.allclose(ranks[0]["no_sync/local_grad"], ranks[1]["no_sync/local_grad"])  # not averaged


@pytest.mark.mpi
def test_find_unused_parameters_averages_what_some_rank_used_and_leaves_the_rest_alone(ranks):
    """Head b is used on rank 1 only: its gradient is half of rank 1's, as torch averages with zeros;
    no rank uses ``unused``: its gradient stays None."""
    model = worker.build_branching_model(torch.nn)
    model.load_state_dict({name.split("/", 2)[2]: torch.from_numpy(value) for name, value in ranks[0].items()
                           if name.startswith("unused/initial/")})
    inputs, targets = (torch.from_numpy(array) for array in worker.dataset_arrays())
    losses = [torch.nn.functional.cross_entropy(model(inputs[4 * rank:4 * rank + 4], rank),
                                                targets[4 * rank:4 * rank + 4]) for rank in range(WORLD_SIZE)]
    (sum(losses) / WORLD_SIZE).backward()
    for rank, results in enumerate(ranks):
        for name, parameter in model.named_parameters():
            saved = results[f"unused/grad/{name}"]
            if parameter.grad is None:
                assert saved.ndim == 0 and np.isnan(saved), f"{name} on rank {rank} got a gradient"
            else:
                assert_same_weights(saved, parameter.grad, f"grad of {name} on rank {rank}")


@pytest.mark.mpi
def test_a_rank_that_dies_makes_mpiexec_fail_instead_of_hanging(tmp_path):
    if mpi_missing_reason() is not None:
        pytest.skip(mpi_missing_reason())
    completed = launch("die", tmp_path)
    assert completed.returncode != 0
    assert not (tmp_path / "rank0.npz").exists()  # rank 0 never finished its second collective


@pytest.mark.mpi
def test_a_rank_that_stalls_makes_the_others_raise_after_the_timeout(tmp_path):
    if mpi_missing_reason() is not None:
        pytest.skip(mpi_missing_reason())
    completed = launch("hang", tmp_path)
    assert completed.returncode != 0
    message = str(np.load(tmp_path / "rank0.npz")["error"])
    assert message.startswith("DistBackendError: Timed out after 2.0 seconds"), message


COLLECTIVES_BEFORE_INIT = {
    "all_reduce": lambda dist, lib: dist.all_reduce(lib.ones(2)),
    "broadcast": lambda dist, lib: dist.broadcast(lib.ones(2), 0),
    "all_gather": lambda dist, lib: dist.all_gather([lib.ones(2)], lib.ones(2)),
    "reduce_scatter": lambda dist, lib: dist.reduce_scatter(lib.ones(2), [lib.ones(2)]),
    "barrier": lambda dist, lib: dist.barrier(),
    "get_rank": lambda dist, lib: dist.get_rank(),
    "get_world_size": lambda dist, lib: dist.get_world_size(),
    "get_backend": lambda dist, lib: dist.get_backend(),
    "ddp": lambda dist, lib: lib.nn.parallel.DistributedDataParallel(lib.nn.Linear(2, 2)),
}


@pytest.mark.parametrize("call", COLLECTIVES_BEFORE_INIT.values(), ids=COLLECTIVES_BEFORE_INIT)
def test_using_the_process_group_before_init_raises_torchs_error(call):
    check_program(lambda lib: call(lib.distributed, lib))


def test_backend_names_and_availability_match_torch():
    assert check_program(lambda lib: str(lib.distributed.Backend("MPI"))) == "mpi"
    assert not minitorch.distributed.is_initialized()
    assert minitorch.distributed.is_available() and repr(minitorch.distributed.ReduceOp.SUM) == \
        repr(torch.distributed.ReduceOp.SUM)


@pytest.mark.parametrize("batch", [1, 5])
def test_data_parallel_without_gpus_is_the_module_itself_as_in_torch(batch):
    torch_module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh())
    module = minitorch.nn.Sequential(minitorch.nn.Linear(3, 4), minitorch.nn.Tanh())
    copy_weights_from_torch(module, torch_module)
    torch_parallel, parallel = torch.nn.DataParallel(torch_module), minitorch.nn.DataParallel(module)
    inputs = np.random.default_rng(batch).standard_normal((batch, 3)).astype(np.float32)
    assert_same(parallel(minitorch.from_numpy(inputs)), torch_parallel(torch.from_numpy(inputs)))
    assert list(parallel.state_dict()) == list(torch_parallel.state_dict())
    assert parallel.module is module and parallel.device_ids == torch_parallel.device_ids == []
