"""The program tests/test_distributed.py starts under ``mpiexec -n 2``: each rank runs every collective
and a few data-parallel trainings, and saves what it got to ``OUT/rank{R}.npz``; the test compares those
with NumPy reductions and with single-process PyTorch training.

    mpiexec -n 2 python3 tests/distributed_worker.py all OUT
    mpiexec -n 2 python3 tests/distributed_worker.py die OUT       # rank 1 dies after one collective
    mpiexec -n 2 python3 tests/distributed_worker.py hang OUT      # rank 1 stalls: rank 0 times out

The inputs are functions of (rank, dtype), so the test can rebuild what every rank held.
"""
import datetime
import os
import sys
import time

import numpy as np

import minitorch
import minitorch.distributed as dist
from minitorch import nn

DTYPES = ("float32", "float64", "float16", "int32", "int64")
SHAPE = (2, 3)
SAMPLES, FEATURES, CLASSES, BATCH_SIZE, EPOCHS, LR = 16, 4, 3, 4, 2, 0.1


def rank_data(rank: int, dtype: str, shape=SHAPE, salt: int = 0) -> np.ndarray:
    """What rank ``rank`` holds: small numbers (exact in every dtype, products included)."""
    generator = np.random.default_rng([rank, DTYPES.index(dtype), salt])
    return generator.integers(1, 4, size=shape).astype(dtype)


def dataset_arrays():
    generator = np.random.default_rng(7)
    inputs = generator.standard_normal((SAMPLES, FEATURES)).astype(np.float32)
    targets = generator.integers(0, CLASSES, SAMPLES)
    return inputs, targets


def build_model(nn_module, batch_norm: bool):
    """Linear + ReLU + Linear, with a BatchNorm1d (running statistics: buffers) when asked."""
    middle = [nn_module.BatchNorm1d(8)] if batch_norm else []
    return nn_module.Sequential(nn_module.Linear(FEATURES, 8), *middle, nn_module.ReLU(),
                                nn_module.Linear(8, CLASSES))


def build_branching_model(nn_module):
    """A trunk and three heads: ``forward(x, rank)`` uses head ``a`` on every rank, head ``b`` on rank 1
    only, and never ``unused`` (what ``find_unused_parameters`` is for)."""
    class Branching(nn_module.Module):
        def __init__(self):
            super().__init__()
            self.trunk = nn_module.Linear(FEATURES, 8)
            self.a, self.b, self.unused = (nn_module.Linear(8, CLASSES) for _ in range(3))

        def forward(self, x, rank):
            features = self.trunk(x).relu()
            return self.a(features) + self.b(features) if rank == 1 else self.a(features)

    return Branching()


def as_tensor(array):
    return minitorch.from_numpy(np.array(array))


def run_collectives(rank: int, size: int, results: dict) -> None:
    for dtype in DTYPES:
        def mine(salt=0, shape=SHAPE):
            return as_tensor(rank_data(rank, dtype, shape, salt))
        ops = {"sum": dist.ReduceOp.SUM, "product": dist.ReduceOp.PRODUCT, "min": dist.ReduceOp.MIN,
               "max": dist.ReduceOp.MAX}
        if dtype.startswith("float"):
            ops["avg"] = dist.ReduceOp.AVG
        for name, op in ops.items():
            tensor = mine()
            dist.all_reduce(tensor, op)
            results[f"all_reduce_{name}/{dtype}"] = tensor.numpy()
        tensor = mine()
        dist.all_reduce(tensor.t(), async_op=True).wait()  # a non-contiguous view, through a copy
        results[f"all_reduce_transposed/{dtype}"] = tensor.numpy()
        tensor = mine()
        dist.broadcast(tensor, src=1)
        results[f"broadcast/{dtype}"] = tensor.numpy()
        gathered = [minitorch.zeros(SHAPE, dtype=tensor.dtype) for _ in range(size)]
        dist.all_gather(gathered, mine())
        results[f"all_gather/{dtype}"] = np.stack([part.numpy() for part in gathered])
        output = minitorch.zeros((size * SHAPE[0], SHAPE[1]), dtype=tensor.dtype)
        dist.all_gather_into_tensor(output, mine())
        results[f"all_gather_into_tensor/{dtype}"] = output.numpy()
        output = minitorch.zeros(SHAPE, dtype=tensor.dtype)
        dist.reduce_scatter(output, [mine(salt=1 + part) for part in range(size)])
        results[f"reduce_scatter/{dtype}"] = output.numpy()
        output = minitorch.zeros(SHAPE, dtype=tensor.dtype)
        dist.reduce_scatter_tensor(output, mine(salt=5, shape=(size * SHAPE[0], SHAPE[1])), op=dist.ReduceOp.MAX)
        results[f"reduce_scatter_tensor_max/{dtype}"] = output.numpy()
        tensor = mine()
        dist.reduce(tensor, dst=0)
        results[f"reduce/{dtype}"] = tensor.numpy()
        gathered = [minitorch.zeros(SHAPE, dtype=tensor.dtype) for _ in range(size)] if rank == 0 else None
        dist.gather(mine(), gathered, dst=0)
        if rank == 0:
            results[f"gather/{dtype}"] = np.stack([part.numpy() for part in gathered])
        tensor = minitorch.zeros(SHAPE, dtype=tensor.dtype)
        dist.scatter(tensor, [mine(salt=10 + part) for part in range(size)] if rank == 1 else None, src=1)
        results[f"scatter/{dtype}"] = tensor.numpy()
        tensor = mine() if rank == 0 else minitorch.zeros(SHAPE, dtype=tensor.dtype)
        if rank == 0:
            dist.send(tensor, dst=1)
        else:
            results[f"recv_source/{dtype}"] = np.array(dist.recv(tensor, src=0))
        results[f"send_recv/{dtype}"] = tensor.numpy()
    dist.barrier()
    results["rank"], results["world_size"] = np.array(dist.get_rank()), np.array(dist.get_world_size())
    results["backend"] = np.array(dist.get_backend())


def save_state(results: dict, prefix: str, model) -> None:
    for name, value in model.state_dict().items():
        results[f"{prefix}/{name}"] = value.numpy().copy()


def run_training(rank: int, results: dict, batch_norm: bool) -> None:
    """Two epochs of SGD on this rank's DistributedSampler share; saves the weights before and after."""
    prefix = "ddp_bn" if batch_norm else "ddp"
    minitorch.manual_seed(100 + rank)  # different weights on each rank: DDP must make them equal
    model = nn.parallel.DistributedDataParallel(build_model(nn, batch_norm), bucket_cap_mb=0.0001)
    save_state(results, f"{prefix}/initial", model.module)
    inputs, targets = dataset_arrays()
    dataset = minitorch.utils.data.TensorDataset(as_tensor(inputs), as_tensor(targets),
                                                 minitorch.arange(SAMPLES))
    sampler = minitorch.utils.data.distributed.DistributedSampler(dataset, shuffle=True, seed=3)
    loader = minitorch.utils.data.DataLoader(dataset, batch_size=BATCH_SIZE, sampler=sampler)
    optimizer = minitorch.optim.SGD(model.parameters(), lr=LR, momentum=0.9)
    indices = []
    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        for batch_inputs, batch_targets, batch_indices in loader:
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(batch_inputs), batch_targets).backward()
            optimizer.step()
            indices.append(batch_indices.numpy())
    results[f"{prefix}/indices"] = np.stack(indices)
    save_state(results, f"{prefix}/final", model.module)
    results[f"{prefix}/state_dict_keys"] = np.array(list(model.state_dict()))


def run_no_sync(rank: int, results: dict) -> None:
    """Two micro-batches: the first backward under no_sync (kept local), the second averaged, one step."""
    minitorch.manual_seed(200 + rank)
    model = nn.parallel.DistributedDataParallel(build_model(nn, False))
    save_state(results, "no_sync/initial", model.module)
    inputs, targets = dataset_arrays()
    optimizer = minitorch.optim.SGD(model.parameters(), lr=LR)
    micro_batches = [np.arange(4 * rank + 8 * part, 4 * rank + 8 * part + 4) for part in range(2)]
    with model.no_sync():
        nn.functional.cross_entropy(model(as_tensor(inputs[micro_batches[0]])),
                                    as_tensor(targets[micro_batches[0]])).backward()
    results["no_sync/local_grad"] = model.module[0].weight.grad.numpy().copy()
    nn.functional.cross_entropy(model(as_tensor(inputs[micro_batches[1]])),
                                as_tensor(targets[micro_batches[1]])).backward()
    optimizer.step()
    save_state(results, "no_sync/final", model.module)


def run_unused_parameters(rank: int, results: dict) -> None:
    """One backward through a model whose forward leaves some parameters unused on some ranks."""
    minitorch.manual_seed(300 + rank)
    model = nn.parallel.DistributedDataParallel(build_branching_model(nn), find_unused_parameters=True)
    save_state(results, "unused/initial", model.module)
    inputs, targets = dataset_arrays()
    rows = np.arange(4 * rank, 4 * rank + 4)
    nn.functional.cross_entropy(model(as_tensor(inputs[rows]), rank), as_tensor(targets[rows])).backward()
    for name, parameter in model.module.named_parameters():
        results[f"unused/grad/{name}"] = np.array(np.nan) if parameter.grad is None else parameter.grad.numpy()


def main(mode: str, out: str) -> None:
    dist.init_process_group("gloo" if mode == "all" else "mpi", timeout=datetime.timedelta(seconds=2))
    rank, size = dist.get_rank(), dist.get_world_size()
    results = {}
    if mode == "all":
        run_collectives(rank, size, results)
        run_training(rank, results, batch_norm=False)
        run_training(rank, results, batch_norm=True)
        run_no_sync(rank, results)
        run_unused_parameters(rank, results)
    elif mode == "die":
        dist.all_reduce(minitorch.ones(3))
        if rank == 1:
            os._exit(3)  # no goodbye: the others are left inside the next collective
        dist.all_reduce(minitorch.ones(3))
    elif mode == "hang":
        if rank == 1:
            time.sleep(60)  # mpiexec ends this process when rank 0 exits with an error
        try:
            dist.all_reduce(minitorch.ones(3))
        except dist.DistBackendError as error:
            results["error"] = np.array(f"{type(error).__name__}: {error}")
            np.savez(os.path.join(out, f"rank{rank}.npz"), **results)
            sys.stdout.flush()
            os._exit(4)
    np.savez(os.path.join(out, f"rank{rank}.npz"), **results)
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
