"""Speed of minitorch against PyTorch on the same machine, in the same process.

Each workload is built twice, once with ``minitorch`` and once with ``torch``,
from the same NumPy data; the two are timed interleaved (after warm-up), and
the table reports the median seconds per call, the min-max spread, and the
ratio minitorch/PyTorch of the medians.

    python3 benchmarks/run.py                       # every workload
    python3 benchmarks/run.py --workload mlp --threads 2 --json
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", action="append", help="run only these (repeatable); default: all")
    parser.add_argument("--threads", type=int, default=None, help="BLAS/intra-op threads for both libraries")
    parser.add_argument("--repeats", type=int, default=20, help="timed rounds per workload")
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    return parser.parse_args()


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None and ARGS.threads:
    # NumPy's BLAS reads these when it is first loaded, so they are set before any import of numpy.
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(ARGS.threads)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

import minitorch  # noqa: E402


# -- workloads: each takes a library (minitorch or torch) and returns a zero-argument step --

def small_ops(lib):
    """Per-op overhead: a dozen ops with autograd on 4x4 tensors, then backward."""
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.standard_normal((4, 4)).astype(np.float32), requires_grad=True)
    b = lib.tensor(rng.standard_normal((4, 4)).astype(np.float32), requires_grad=True)

    def step():
        c = (a * b + a).exp() - b
        d = (c @ b.t()).relu().sum(dim=1)
        e = (d.reshape(2, 2) / 3.0).tanh().mean()
        e.backward()
        a.grad = None
        b.grad = None
    return step, 10  # ops per step, to report time per op


def small_ops_no_grad(lib):
    """Per-op overhead without autograd: the same ops under no_grad."""
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.standard_normal((4, 4)).astype(np.float32))
    b = lib.tensor(rng.standard_normal((4, 4)).astype(np.float32))

    def step():
        with lib.no_grad():
            c = (a * b + a).exp() - b
            d = (c @ b.t()).relu().sum(dim=1)
            (d.reshape(2, 2) / 3.0).tanh().mean()
    return step, 10


def mlp(lib):
    """One training step of a 2-layer MLP (batch 64, 256 -> 512 -> 10), MSE loss, plain SGD written out."""
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((64, 256)).astype(np.float32))
    y = lib.tensor(rng.standard_normal((64, 10)).astype(np.float32))
    parameters = [lib.tensor(a.astype(np.float32), requires_grad=True) for a in (
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


def _copy_weights(model, lib, seed=0):
    """Deterministic weights from NumPy, identical in both libraries (load_state_dict)."""
    rng = np.random.default_rng(seed)
    state = {key: lib.tensor((rng.standard_normal(tuple(value.shape)) * 0.05).astype(np.float32))
             if value.is_floating_point() else value for key, value in model.state_dict().items()}
    model.load_state_dict(state)


def cnn(lib):
    """The CIFAR-10 CNN: batch 64 of 3x32x32, two conv(3x3, pad 1)+ReLU+maxpool(2) blocks,
    Linear(4096, 128)+ReLU+Linear(128, 10), cross-entropy, SGD with momentum 0.9."""
    nn = lib.nn
    model = nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(4096, 128), nn.ReLU(), nn.Linear(128, 10))
    _copy_weights(model, lib)
    rng = np.random.default_rng(1)
    images = lib.tensor(rng.standard_normal((64, 3, 32, 32)).astype(np.float32))
    labels = lib.tensor(rng.integers(0, 10, 64))
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_function = nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss_function(model(images), labels).backward()
        optimizer.step()
    return step, 1


def lstm(lib):
    """A 2-layer LSTM classifier: batch 64, sequence 28, input 28, hidden 128 (batch_first),
    Linear(128, 10) on the last step, cross-entropy, plain SGD."""
    nn = lib.nn
    recurrent = nn.LSTM(28, 128, num_layers=2, batch_first=True)
    head = nn.Linear(128, 10)
    _copy_weights(recurrent, lib)
    _copy_weights(head, lib, seed=1)
    rng = np.random.default_rng(2)
    sequences = lib.tensor(rng.standard_normal((64, 28, 28)).astype(np.float32))
    labels = lib.tensor(rng.integers(0, 10, 64))
    optimizer = lib.optim.SGD(list(recurrent.parameters()) + list(head.parameters()), lr=0.01)
    loss_function = nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        output, _ = recurrent(sequences)
        loss_function(head(output[:, -1]), labels).backward()
        optimizer.step()
    return step, 1


def adam_step(lib):
    """The optimizer alone: one Adam step over ResNet-18-sized parameters (62 tensors, 11.7M floats)."""
    rng = np.random.default_rng(3)
    shapes = [(64, 3, 7, 7)] + [(64, 64, 3, 3)] * 4 + [(128, 64, 3, 3), (128, 128, 3, 3)] * 2 + \
             [(256, 128, 3, 3), (256, 256, 3, 3)] * 2 + [(512, 256, 3, 3), (512, 512, 3, 3)] * 2 + \
             [(512, 512, 3, 3)] * 2 + [(1000, 512)] + [(64,)] * 10 + [(128,)] * 10 + [(256,)] * 10 + \
             [(512,)] * 12 + [(1000,)]
    parameters = [lib.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True) for shape in shapes]
    for parameter in parameters:
        parameter.grad = lib.tensor(rng.standard_normal(tuple(parameter.shape)).astype(np.float32))
    optimizer = lib.optim.Adam(parameters, lr=1e-3, weight_decay=1e-4)
    return optimizer.step, 1


WORKLOADS = {"small_ops": small_ops, "small_ops_no_grad": small_ops_no_grad, "mlp": mlp, "cnn": cnn,
             "lstm": lstm, "adam_step": adam_step}


def measure(workload, libraries, repeats, warmup=3, sample_seconds=0.02):
    """Median, min and max seconds per unit of work for each library, timed interleaved."""
    steps = {}
    for name, lib in libraries.items():
        step, units = workload(lib)
        start = time.perf_counter()
        for _ in range(warmup):
            step()
        # Enough calls per sample that a sample lasts about sample_seconds (tiny steps are noisy).
        calls = max(1, int(sample_seconds / ((time.perf_counter() - start) / warmup)))
        steps[name] = (step, units, calls)
    # Each round times one sample per library, alternating, so drifts (frequency, other load) hit both.
    samples = {name: [] for name in libraries}
    for _ in range(repeats):
        for name, (step, units, calls) in steps.items():
            start = time.perf_counter()
            for _ in range(calls):
                step()
            samples[name].append((time.perf_counter() - start) / calls / units)
    return {name: {"median": statistics.median(times), "min": min(times), "max": max(times)}
            for name, times in samples.items()}


def main():
    import torch
    if ARGS.threads:
        torch.set_num_threads(ARGS.threads)
    libraries = {"minitorch": minitorch, "torch": torch}
    names = ARGS.workload or list(WORKLOADS)
    results = {}
    for name in names:
        results[name] = measure(WORKLOADS[name], libraries, ARGS.repeats)
        results[name]["ratio"] = results[name]["minitorch"]["median"] / results[name]["torch"]["median"]
    if ARGS.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'workload':<20}{'minitorch median':>18}{'(min-max)':>22}{'torch median':>15}{'(min-max)':>22}"
          f"{'ratio':>8}")
    for name, result in results.items():
        ours, theirs = result["minitorch"], result["torch"]
        print(f"{name:<20}{ours['median'] * 1e6:>15.1f} us{_spread(ours):>22}"
              f"{theirs['median'] * 1e6:>12.1f} us{_spread(theirs):>22}{result['ratio']:>8.2f}")
    print("times are per op for small_ops*, per training step for the others; ratio = minitorch / torch (medians)")


def _spread(result):
    return f"({result['min'] * 1e6:.1f}-{result['max'] * 1e6:.1f} us)"


if __name__ == "__main__":
    main()
