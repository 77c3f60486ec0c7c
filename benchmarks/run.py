"""Speed and memory of minitorch against PyTorch on the same machine (issue 7).

    python3 benchmarks/run.py --threads 2                   # the five training workloads, a table
    python3 benchmarks/run.py --workload cnn --repeats 7    # one workload (the option repeats)
    python3 benchmarks/run.py --threads 2 --json            # machine-readable, with the machine's details
    python3 benchmarks/run.py --device cuda                 # on a GPU (CuPy for minitorch)

Each workload is built twice, once with ``minitorch`` and once with ``torch``, from the same NumPy data
and weights. The default run is the issue's five training workloads (cnn, lstm, gan, mha, mlp_small);
the finer probes (mlp, small_ops, small_ops_no_grad, adam_step) run when named with ``--workload``.

Time: both libraries run in this one process. After three warm-up calls each, every round times one
sample of each library in turn (interleaved, so drifts in clock speed or load hit both alike); a sample
repeats the step enough times to last about 20 ms. The table gives the median seconds per training step
(forward + backward + optimizer step; per op for small_ops*), the min-max spread over the rounds, and the
ratio minitorch/PyTorch of the medians. On a GPU each sample ends by synchronizing the device.
Interleaving evens out drifts, not a machine whose cores are taken by other work: there PyTorch's
OpenMP barriers wait for a core and its small ops slow by up to 100x, so re-run on a quiet machine.

Memory: the peak memory one training step needs beyond the model, data and optimizer as built. Each
(workload, library) is measured in a fresh subprocess that runs only that library (torch is imported only
in its own), so neither library's allocations or caches affect the other's number. The subprocess first
runs a throwaway copy of the workload once (so one-time costs, such as lazily loaded code, BLAS buffers
and thread pools, are not counted), builds the workload again, returns freed memory to the OS
(``gc.collect`` and glibc's ``malloc_trim``), takes the baseline, runs three training steps, and reports
the peak minus the baseline. So the number covers gradients, optimizer state (created by the first step),
activations kept for backward and temporaries. What is measured is the common ground of the two
libraries:
- CPU: the resident set size (RSS). NumPy reports its allocations to ``tracemalloc``, but PyTorch's CPU
  allocator reports to nothing, so RSS is the one measure both share. On Linux the peak is the kernel's
  high-water mark ``VmHWM``, reset to the baseline by writing 5 to ``/proc/self/clear_refs``; elsewhere
  it is the growth of ``getrusage``'s lifetime maximum, which cannot be reset (a lower bound).
- CUDA: the bytes held by each library's caching allocator, emptied before the baseline: PyTorch's
  ``torch.cuda.max_memory_reserved`` and CuPy's default memory pool ``total_bytes`` (which only grows
  until freed, so it ends at the high-water mark).

Threads: ``--threads N`` sets PyTorch's intra-op threads (``torch.set_num_threads``) and NumPy's BLAS
threads (threadpoolctl when it is installed; the ``*_NUM_THREADS`` variables are also set before NumPy is
imported, which is all there is without threadpoolctl). Without it both libraries use their defaults.

``--device cuda`` without CuPy, a GPU, or a CUDA build of PyTorch prints why on stderr (and, with
``--json``, ``{"skipped": reason}`` on stdout) and exits with status 0, as a skipped test does: there is
nothing to compare on this machine, which is not an error of the benchmark.
"""
from __future__ import annotations

import argparse
import ctypes
import datetime
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time

# The five training workloads, run by default; the finer probes run when named.
DEFAULT_WORKLOADS = ("cnn", "lstm", "gan", "mha", "mlp_small")
PROBES = ("mlp", "small_ops", "small_ops_no_grad", "adam_step")
MEMORY_STEPS = 3  # training steps the memory probe runs after its baseline


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", action="append", choices=DEFAULT_WORKLOADS + PROBES,
                        help="run only these (repeatable); default: " + ", ".join(DEFAULT_WORKLOADS))
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where both libraries compute")
    parser.add_argument("--threads", type=int, default=None, help="BLAS/intra-op threads for both libraries")
    parser.add_argument("--repeats", type=int, default=20, help="timed rounds per workload")
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    parser.add_argument("--no-memory", action="store_true", help="time only (skip the memory subprocesses)")
    # The memory probe: this script run again in a fresh process, for one workload and one library.
    parser.add_argument("--memory-probe", choices=DEFAULT_WORKLOADS + PROBES, help=argparse.SUPPRESS)
    parser.add_argument("--library", choices=("minitorch", "torch"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None and ARGS.threads:
    # NumPy's BLAS reads these when it is first loaded, so they are set before any import of numpy.
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(ARGS.threads)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

import minitorch  # noqa: E402


# -- workloads: each takes a library (minitorch or torch) and a device, and returns a zero-argument step
#    and the number of units of work (ops, or training steps) one call does --

def small_ops(lib, device):
    """Per-op overhead: a dozen ops with autograd on 4x4 tensors, then backward."""
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.standard_normal((4, 4)).astype(np.float32), device=device, requires_grad=True)
    b = lib.tensor(rng.standard_normal((4, 4)).astype(np.float32), device=device, requires_grad=True)

    def step():
        c = (a * b + a).exp() - b
        d = (c @ b.t()).relu().sum(dim=1)
        e = (d.reshape(2, 2) / 3.0).tanh().mean()
        e.backward()
        a.grad = None
        b.grad = None
    return step, 10  # ops per step, to report time per op


def small_ops_no_grad(lib, device):
    """Per-op overhead without autograd: the same ops under no_grad."""
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.standard_normal((4, 4)).astype(np.float32), device=device)
    b = lib.tensor(rng.standard_normal((4, 4)).astype(np.float32), device=device)

    def step():
        with lib.no_grad():
            c = (a * b + a).exp() - b
            d = (c @ b.t()).relu().sum(dim=1)
            (d.reshape(2, 2) / 3.0).tanh().mean()
    return step, 10


def mlp(lib, device):
    """One training step of a 2-layer MLP (batch 64, 256 -> 512 -> 10), MSE loss, plain SGD written out."""
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((64, 256)).astype(np.float32), device=device)
    y = lib.tensor(rng.standard_normal((64, 10)).astype(np.float32), device=device)
    parameters = [lib.tensor(a.astype(np.float32), device=device, requires_grad=True) for a in (
        rng.standard_normal((256, 512)) * 0.05, np.zeros(512), rng.standard_normal((512, 10)) * 0.05, np.zeros(10))]
    w1, b1, w2, b2 = parameters

    def step():
        loss = (((x @ w1 + b1).relu() @ w2 + b2 - y) ** 2).mean()
        loss.backward()
        with lib.no_grad():
            for p in parameters:
                p -= 0.01 * p.grad
                p.grad = None
    return step, 1


def _copy_weights(model, lib, device, seed=0):
    """Deterministic weights from NumPy, identical in both libraries (load_state_dict), then the model
    moved to ``device`` (before its optimizer is built, as a training script does)."""
    rng = np.random.default_rng(seed)
    state = {key: lib.tensor((rng.standard_normal(tuple(value.shape)) * 0.05).astype(np.float32))
             if value.is_floating_point() else value for key, value in model.state_dict().items()}
    model.load_state_dict(state)
    model.to(device)


def training_step(model, inputs, targets, loss_function, optimizer):
    """The step of a supervised workload: forward, loss, backward, optimizer step."""
    def step():
        optimizer.zero_grad()
        loss_function(model(inputs), targets).backward()
        optimizer.step()
    return step


def cnn(lib, device):
    """The CIFAR-10 CNN: batch 64 of 3x32x32, two conv(3x3, pad 1)+ReLU+maxpool(2) blocks,
    Linear(4096, 128)+ReLU+Linear(128, 10), cross-entropy, SGD with momentum 0.9."""
    nn = lib.nn
    model = nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(4096, 128), nn.ReLU(), nn.Linear(128, 10))
    _copy_weights(model, lib, device)
    rng = np.random.default_rng(1)
    images = lib.tensor(rng.standard_normal((64, 3, 32, 32)).astype(np.float32), device=device)
    labels = lib.tensor(rng.integers(0, 10, 64), device=device)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return training_step(model, images, labels, nn.CrossEntropyLoss(), optimizer), 1


def lstm(lib, device):
    """A 2-layer LSTM classifier: batch 64, sequence 28, input 28, hidden 128 (batch_first),
    Linear(128, 10) on the last step, cross-entropy, Adam."""
    nn = lib.nn
    recurrent = nn.LSTM(28, 128, num_layers=2, batch_first=True)
    head = nn.Linear(128, 10)
    _copy_weights(recurrent, lib, device)
    _copy_weights(head, lib, device, seed=1)
    rng = np.random.default_rng(2)
    sequences = lib.tensor(rng.standard_normal((64, 28, 28)).astype(np.float32), device=device)
    labels = lib.tensor(rng.integers(0, 10, 64), device=device)
    optimizer = lib.optim.Adam(list(recurrent.parameters()) + list(head.parameters()), lr=1e-3)
    loss_function = nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        output, _ = recurrent(sequences)
        loss_function(head(output[:, -1]), labels).backward()
        optimizer.step()
    return step, 1


def gan(lib, device):
    """A DCGAN on 1x28x28, batch 64: one discriminator step (real and fake) and one generator step,
    BCE-with-logits, Adam for both."""
    nn = lib.nn
    generator = nn.Sequential(
        nn.Linear(100, 128 * 7 * 7), nn.Unflatten(1, (128, 7, 7)), nn.BatchNorm2d(128), nn.ReLU(),
        nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())
    discriminator = nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(6272, 1))
    _copy_weights(generator, lib, device)
    _copy_weights(discriminator, lib, device, seed=1)
    rng = np.random.default_rng(4)
    real = lib.tensor(rng.uniform(-1, 1, (64, 1, 28, 28)).astype(np.float32), device=device)
    noise = lib.tensor(rng.standard_normal((64, 100)).astype(np.float32), device=device)
    ones, zeros = lib.ones(64, 1, device=device), lib.zeros(64, 1, device=device)
    generator_optimizer = lib.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    discriminator_optimizer = lib.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    loss_function = nn.BCEWithLogitsLoss()

    def step():
        fake = generator(noise)
        discriminator_optimizer.zero_grad()
        discriminator_loss = (loss_function(discriminator(real), ones)
                              + loss_function(discriminator(fake.detach()), zeros))
        discriminator_loss.backward()
        discriminator_optimizer.step()
        generator_optimizer.zero_grad()
        loss_function(discriminator(fake), ones).backward()
        generator_optimizer.step()
    return step, 1


def mha(lib, device):
    """Self-attention block: batch 32, sequence 64, embedding 128, MultiheadAttention (4 heads,
    batch_first) + residual + LayerNorm + Linear, MSE, Adam."""
    nn = lib.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.attention = nn.MultiheadAttention(128, 4, batch_first=True)
            self.norm = nn.LayerNorm(128)
            self.linear = nn.Linear(128, 128)

        def forward(self, x):
            attended, _ = self.attention(x, x, x, need_weights=False)
            return self.linear(self.norm(x + attended))

    model = Block()
    _copy_weights(model, lib, device)
    rng = np.random.default_rng(5)
    inputs = lib.tensor(rng.standard_normal((32, 64, 128)).astype(np.float32), device=device)
    targets = lib.tensor(rng.standard_normal((32, 64, 128)).astype(np.float32), device=device)
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
    return training_step(model, inputs, targets, nn.MSELoss(), optimizer), 1


def mlp_small(lib, device):
    """A tiny MLP, where per-op Python overhead dominates: batch 8, Linear(32,32)-ReLU-Linear(32,32)-
    ReLU-Linear(32,1), MSE, SGD."""
    nn = lib.nn
    model = nn.Sequential(nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))
    _copy_weights(model, lib, device)
    rng = np.random.default_rng(6)
    inputs = lib.tensor(rng.standard_normal((8, 32)).astype(np.float32), device=device)
    targets = lib.tensor(rng.standard_normal((8, 1)).astype(np.float32), device=device)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01)
    return training_step(model, inputs, targets, nn.MSELoss(), optimizer), 1


def adam_step(lib, device):
    """The optimizer alone: one Adam step over ResNet-18-sized parameters (62 tensors, 11.7M floats)."""
    rng = np.random.default_rng(3)
    shapes = [(64, 3, 7, 7)] + [(64, 64, 3, 3)] * 4 + [(128, 64, 3, 3), (128, 128, 3, 3)] * 2 + \
             [(256, 128, 3, 3), (256, 256, 3, 3)] * 2 + [(512, 256, 3, 3), (512, 512, 3, 3)] * 2 + \
             [(512, 512, 3, 3)] * 2 + [(1000, 512)] + [(64,)] * 10 + [(128,)] * 10 + [(256,)] * 10 + \
             [(512,)] * 12 + [(1000,)]
    parameters = [lib.tensor(rng.standard_normal(shape).astype(np.float32), device=device, requires_grad=True)
                  for shape in shapes]
    for parameter in parameters:
        parameter.grad = lib.tensor(rng.standard_normal(tuple(parameter.shape)).astype(np.float32), device=device)
    optimizer = lib.optim.Adam(parameters, lr=1e-3, weight_decay=1e-4)
    return optimizer.step, 1


WORKLOADS = {"cnn": cnn, "lstm": lstm, "gan": gan, "mha": mha, "mlp_small": mlp_small,
             "mlp": mlp, "small_ops": small_ops, "small_ops_no_grad": small_ops_no_grad, "adam_step": adam_step}


def limit_threads(threads, torch=None):
    """Both libraries on ``threads`` threads: PyTorch's intra-op pool and the BLAS NumPy is linked to."""
    if not threads:
        return
    if torch is not None:
        torch.set_num_threads(threads)
    try:
        import threadpoolctl
    except ImportError:  # the environment variables set before numpy's import are all there is
        return
    threadpoolctl.threadpool_limits(limits=threads)


def wait_for(lib, device):
    """Block until the queued GPU work is done (GPU calls return before the work is)."""
    if device == "cuda":
        lib.cuda.synchronize()


def cuda_missing():
    """Why the two libraries can't both run on a GPU here, or None when they can."""
    if minitorch.backend.cupy is None:
        return "CuPy is not installed (minitorch's GPU backend: pip install -e '.[cuda]')"
    if not minitorch.cuda.is_available():
        return "CuPy finds no CUDA device or driver"
    import torch
    if not torch.cuda.is_available():
        return f"this PyTorch ({torch.__version__}) has no CUDA support or sees no GPU"
    return None


# -- time --

def measure(workload, libraries, device, repeats, warmup=3, sample_seconds=0.02):
    """Median, min and max seconds per unit of work for each library, timed interleaved."""
    steps = {}
    for name, lib in libraries.items():
        step, units = workload(lib, device)
        start = time.perf_counter()
        for _ in range(warmup):
            step()
        wait_for(lib, device)
        # Enough calls per sample that a sample lasts about sample_seconds (tiny steps are noisy).
        calls = max(1, int(sample_seconds / ((time.perf_counter() - start) / warmup)))
        steps[name] = (lib, step, units, calls)
    # Each round times one sample per library, alternating, so drifts (frequency, other load) hit both.
    samples = {name: [] for name in libraries}
    for _ in range(repeats):
        for name, (lib, step, units, calls) in steps.items():
            start = time.perf_counter()
            for _ in range(calls):
                step()
            wait_for(lib, device)
            samples[name].append((time.perf_counter() - start) / calls / units)
    return {name: {"median": statistics.median(times), "min": min(times), "max": max(times)}
            for name, times in samples.items()}


# -- memory (see the module docstring for the method) --

class ResidentMemory:
    """Peak resident set size of this process above a baseline (CPU)."""

    def start(self):
        gc.collect()
        try:  # glibc keeps freed memory in its arenas; hand it back so that reusing it counts as growth
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):
            pass
        try:  # Linux: reset the high-water mark VmHWM to the current RSS
            with open("/proc/self/clear_refs", "w") as clear_refs:
                clear_refs.write("5")
            self.resettable = True
        except OSError:
            self.resettable = False
            return self._lifetime_maximum()
        return self._proc_status("VmRSS")

    def peak(self):
        return self._proc_status("VmHWM") if self.resettable else self._lifetime_maximum()

    @staticmethod
    def _proc_status(field):
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024  # reported in kB
        raise OSError(f"no {field} in /proc/self/status")

    @staticmethod
    def _lifetime_maximum():
        import resource  # POSIX only, hence imported here
        maximum = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return maximum if sys.platform == "darwin" else maximum * 1024  # bytes on macOS, kB elsewhere


class TorchCudaMemory:
    """Peak bytes held by PyTorch's CUDA caching allocator above a baseline."""

    def __init__(self, torch):
        self.torch = torch

    def start(self):
        gc.collect()
        self.torch.cuda.synchronize()
        self.torch.cuda.empty_cache()
        self.torch.cuda.reset_peak_memory_stats()
        return self.torch.cuda.memory_reserved()

    def peak(self):
        self.torch.cuda.synchronize()
        return self.torch.cuda.max_memory_reserved()


class CupyPoolMemory:
    """Peak bytes held by CuPy's default memory pool (minitorch's GPU allocator) above a baseline."""

    def __init__(self):
        self.pool = minitorch.backend.cupy.get_default_memory_pool()

    def start(self):
        gc.collect()
        minitorch.cuda.synchronize()
        self.pool.free_all_blocks()
        return self.pool.total_bytes()

    def peak(self):
        minitorch.cuda.synchronize()
        return self.pool.total_bytes()  # the pool keeps what it took, so this is its high-water mark


def peak_memory(name, lib, device, steps=MEMORY_STEPS):
    """Bytes of memory ``steps`` training steps of workload ``name`` take beyond the built workload, measured
    in this process: run it in a fresh one (``memory_in_subprocess``) so that nothing else is counted."""
    workload = WORKLOADS[name]
    step, _ = workload(lib, device)  # a throwaway copy pays the one-time costs
    step()
    wait_for(lib, device)
    del step
    step, _ = workload(lib, device)
    if device == "cpu":
        meter = ResidentMemory()
    else:
        meter = TorchCudaMemory(lib) if lib.__name__ == "torch" else CupyPoolMemory()
    baseline = meter.start()
    for _ in range(steps):
        step()
    return max(0, meter.peak() - baseline)


def memory_in_subprocess(name, library, device, threads):
    """``peak_memory`` of one workload and one library, measured in a fresh Python process."""
    command = [sys.executable, os.path.abspath(__file__), "--memory-probe", name, "--library", library,
               "--device", device] + (["--threads", str(threads)] if threads else [])
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"memory probe {name}/{library} failed:\n{completed.stderr}")
    return json.loads(completed.stdout)["peak_memory_bytes"]


def run_memory_probe(args):
    """The subprocess's side: import only the library measured, print its peak as JSON."""
    if args.library == "torch":
        import torch as lib
        limit_threads(args.threads, torch=lib)
    else:
        lib = minitorch
        limit_threads(args.threads)
    print(json.dumps({"peak_memory_bytes": peak_memory(args.memory_probe, lib, args.device)}))


# -- the report --

# What one unit of work is, where it is not a training step.
UNITS = {"small_ops": "op", "small_ops_no_grad": "op", "adam_step": "optimizer step"}


def blas_pools():
    """The BLAS libraries loaded in this process and their thread counts (None without threadpoolctl)."""
    try:
        import threadpoolctl
    except ImportError:
        return None
    return [f"{pool['internal_api']} ({pool['num_threads']} threads)"
            for pool in threadpoolctl.threadpool_info() if pool["user_api"] == "blas"]


def machine_info(torch, device):
    info = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "cores": os.cpu_count(),
            "threads": torch.get_num_threads(), "blas": blas_pools(), "device": device,
            "platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__}
    if device == "cuda":
        info["gpu"] = torch.cuda.get_device_name()
        info["cupy"] = minitorch.backend.cupy.__version__
    return info


def ratio(ours, theirs):
    return ours / theirs if ours is not None and theirs else None


def benchmark(names, device, threads, repeats, memory=True):
    """The report: machine details, and per workload each library's times and peak memory, and the ratios."""
    import torch
    limit_threads(threads, torch)
    libraries = {"minitorch": minitorch, "torch": torch}
    results = {}
    for name in names:
        result = measure(WORKLOADS[name], libraries, device, repeats)
        for library in libraries:
            result[library]["peak_memory_bytes"] = (memory_in_subprocess(name, library, device, threads)
                                                    if memory else None)
        ours, theirs = result["minitorch"], result["torch"]
        result["ratio"] = ours["median"] / theirs["median"]
        result["memory_ratio"] = ratio(ours["peak_memory_bytes"], theirs["peak_memory_bytes"])
        result["per"] = UNITS.get(name, "training step")
        results[name] = result
    return {"machine": machine_info(torch, device), "workloads": results}


def print_table(report):
    machine = report["machine"]
    print(f"minitorch / PyTorch on {machine['device']}, {machine['threads']} threads, {machine['cores']} cores, "
          f"{machine['date']}; numpy {machine['numpy']}, torch {machine['torch']}")
    print(f"{'workload':<18}{'minitorch (min-max)':>30}{'torch (min-max)':>30}{'ratio':>7}"
          f"{'peak memory: minitorch':>24}{'torch':>11}{'ratio':>7}")
    for name, result in report["workloads"].items():
        ours, theirs = result["minitorch"], result["torch"]
        print(f"{name:<18}{_times(ours):>30}{_times(theirs):>30}{result['ratio']:>7.2f}"
              f"{_size(ours['peak_memory_bytes']):>24}{_size(theirs['peak_memory_bytes']):>11}"
              f"{_format(result['memory_ratio'], '.2f'):>7}")
    print("times: median per training step (per op for small_ops*, per optimizer step for adam_step) and the "
          "min-max over the rounds;\npeak memory: growth above the built workload during three steps, each "
          "library in a fresh process; ratios: minitorch / torch")


def _times(result):
    scale, unit = (1e3, "ms") if result["median"] >= 1e-3 else (1e6, "us")
    return (f"{result['median'] * scale:.1f} {unit} "
            f"({result['min'] * scale:.1f}-{result['max'] * scale:.1f})")


def _size(size):
    if size is None:
        return "-"
    return f"{size / 2 ** 20:.1f} MiB" if size >= 2 ** 20 else f"{size / 2 ** 10:.0f} KiB"


def _format(value, spec):
    return "-" if value is None else format(value, spec)


def main(args):
    if args.memory_probe:
        run_memory_probe(args)
        return
    if args.device == "cuda" and (reason := cuda_missing()) is not None:
        print(f"skipped: --device cuda needs a GPU for both libraries, and here {reason}", file=sys.stderr)
        if args.json:
            print(json.dumps({"skipped": reason}))
        return
    report = benchmark(args.workload or DEFAULT_WORKLOADS, args.device, args.threads, args.repeats,
                       memory=not args.no_memory)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)


if __name__ == "__main__":
    main(ARGS)
