"""``minitorch.distributed``: process groups and collectives for multi-process training (``torch.distributed``).

    mpiexec -n 2 python3 train.py        # two processes on this machine

and in ``train.py``: ``dist.init_process_group("mpi")``, then ``dist.all_reduce(tensor)``
or ``nn.parallel.DistributedDataParallel(model)``. Backends: ``mpi`` (NumPy arrays,
through mpi4py; ``gloo`` is another name for it here) and ``nccl`` (CuPy arrays
between GPUs). ``python3 -m minitorch.distributed.run --nproc-per-node 2 train.py``
is a torchrun-like way to say the same.
"""
from minitorch.distributed.distributed_c10d import *  # noqa: F401,F403
from minitorch.distributed.distributed_c10d import ProcessGroup, default_pg_timeout  # noqa: F401
