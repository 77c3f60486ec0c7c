"""What every example program shares: flags, the framework switch, the training loop, checkpoints, plots.

Each program (``cnn.py``, ...) defines its data and model and calls these helpers, so that its own
file reads like the PyTorch script a user would write. ``--framework torch`` runs the same program on
real PyTorch: every helper takes the framework module (``minitorch`` or ``torch``) as an argument and
only uses the API the two share.

Batches are drawn with NumPy, from a generator seeded with ``(seed, epoch)``: both frameworks see the
same batches in the same order, and a resumed run sees the batches the uninterrupted run would have.

tqdm (progress bars) and matplotlib (plots) are optional: without them the loop prints plain lines
and the plots are skipped with a message.
"""
from __future__ import annotations

import argparse
import importlib
import os
import time

import numpy

import metrics  # examples/metrics.py: the programs run with examples/ on the path

SMOKE_BATCHES = 2  # per epoch, under --smoke
SMOKE_EPOCHS = 2


def make_parser(description: str, *, epochs: int, batch_size: int, lr: float, out: str) -> argparse.ArgumentParser:
    """An argument parser with the flags every program has; a program adds its own to it."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--device", choices=("cpu", "cuda"), default=None,
                        help="where to train (default: cuda when available)")
    parser.add_argument("--epochs", type=int, default=epochs, help="default: %(default)s")
    parser.add_argument("--batch-size", type=int, default=batch_size, help="default: %(default)s")
    parser.add_argument("--lr", type=float, default=lr, help="learning rate (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="default: %(default)s")
    parser.add_argument("--out", default=out, help="folder for the checkpoint and the plots (default: %(default)s)")
    parser.add_argument("--framework", choices=("minitorch", "torch"), default="minitorch",
                        help="default: %(default)s")
    parser.add_argument("--compare", action="store_true",
                        help="train one epoch with minitorch and with torch from the same weights on the same batches")
    parser.add_argument("--resume", metavar="PATH", help="continue from a checkpoint saved by this program")
    parser.add_argument("--smoke", action="store_true", help="2 batches per epoch, at most 2 epochs (for tests)")
    return parser


def parse_args(parser: argparse.ArgumentParser, argv=None) -> argparse.Namespace:
    """Parse the flags; ``--smoke`` also caps the run at 2 epochs."""
    args = parser.parse_args(argv)
    if args.smoke:
        args.epochs = min(args.epochs, SMOKE_EPOCHS)
    return args


def load_framework(name: str):
    """The ``minitorch`` module or the real ``torch`` (which must be installed for ``--framework torch``)."""
    if name not in ("minitorch", "torch"):
        raise ValueError(f"unknown framework {name!r}: expected 'minitorch' or 'torch'")
    try:
        return importlib.import_module(name)
    except ImportError as error:
        raise SystemExit(f"--framework {name} needs {name} installed ({error})") from error


def pick_device(framework, requested: str | None) -> str:
    """The requested device, or cuda when the framework sees a GPU, else cpu."""
    if requested is not None:
        return requested
    return "cuda" if framework.cuda.is_available() else "cpu"


def batch_order(num_samples: int, seed: int, epoch: int) -> numpy.ndarray:
    """The shuffled sample order of one epoch: the same for both frameworks and for a resumed run."""
    return numpy.random.default_rng([seed, epoch]).permutation(num_samples)


def make_loader(framework, inputs: numpy.ndarray, targets: numpy.ndarray, batch_size: int, order=None):
    """A ``DataLoader`` over NumPy arrays; ``order`` (a list of indices) fixes the batches, else in order."""
    data = framework.utils.data
    dataset = data.TensorDataset(framework.from_numpy(inputs), framework.from_numpy(targets))
    sampler = None if order is None else [int(index) for index in order]
    return data.DataLoader(dataset, batch_size=batch_size, sampler=sampler)


def progress(iterable, total: int, description: str):
    """A tqdm progress bar when tqdm is installed, else the iterable itself."""
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc=description, leave=False, dynamic_ncols=True)


def train_epoch(model, loader, loss_function, optimizer, device: str, *, description: str = "train",
                max_batches: int | None = None) -> list[float]:
    """One pass over ``loader``: the loop every PyTorch user writes. Returns the loss of each step."""
    model.train()
    total = len(loader) if max_batches is None else min(len(loader), max_batches)
    bar = progress(loader, total, description)
    losses = []
    for step, (inputs, targets) in enumerate(bar):
        if step == total:
            break
        inputs, targets = inputs.to(device), targets.to(device)
        loss = loss_function(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        running = sum(losses[-20:]) / len(losses[-20:])
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{running:.4f}")
        elif (step + 1) % max(1, total // 4) == 0:
            print(f"  {description} [{step + 1}/{total}] loss {running:.4f}", flush=True)
    if hasattr(bar, "close"):
        bar.close()
    return losses


def predict(framework, model, loader, device: str, max_batches: int | None = None, pick=None):
    """The model's outputs on every batch of ``loader`` and the targets, as two NumPy arrays.
    ``pick(output)`` selects the prediction when the forward returns more (a VAE's tuple)."""
    model.eval()
    outputs, targets = [], []
    with framework.no_grad():
        for step, (batch_inputs, batch_targets) in enumerate(loader):
            if max_batches is not None and step == max_batches:
                break
            output = model(batch_inputs.to(device))
            outputs.append((output if pick is None else pick(output)).cpu().numpy())
            targets.append(batch_targets.numpy())
    return numpy.concatenate(outputs), numpy.concatenate(targets)


def epoch_summary(epoch: int, epochs: int, train_loss: float, metric_name: str, metric: float, seconds: float) -> str:
    """The one line printed after each epoch."""
    return (f"epoch {epoch:3d}/{epochs}  train loss {train_loss:.4f}  test {metric_name} {metric:.4f}  "
            f"{seconds:.1f} s")


def fit(model, loss_function, optimizer, device: str, epochs, start_epoch: int, history: dict, epoch_loader,
        evaluate, max_batches=None, scheduler=None) -> None:
    """Train epochs ``start_epoch`` .. ``epochs - 1`` (``epoch_loader(epoch)`` gives each epoch's batches),
    stepping ``scheduler`` after each. ``evaluate()`` returns the test metrics as a dict, the headline
    metric first; the train loss and each metric are appended to ``history``, with a one-line summary
    per epoch."""
    for epoch in range(start_epoch, epochs):
        with Timer() as timer:
            losses = train_epoch(model, epoch_loader(epoch), loss_function, optimizer, device,
                                 description=f"epoch {epoch + 1}", max_batches=max_batches)
            if scheduler is not None:
                scheduler.step()
            scores = evaluate()
        history["train_loss"].append(sum(losses) / len(losses))
        for name, value in scores.items():
            history[name].append(value)
        headline = next(iter(scores))
        print(epoch_summary(epoch + 1, epochs, history["train_loss"][-1], headline, scores[headline], timer.seconds),
              flush=True)


def fit_classifier(torch, model, loss_function, optimizer, device: str, epochs, start_epoch: int, history: dict,
                   epoch_loader, test_loader, max_batches=None, scheduler=None) -> None:
    """``fit`` with the test accuracy of ``model`` on ``test_loader`` as the metric."""
    def evaluate():
        outputs, targets = predict(torch, model, test_loader, device, max_batches)
        return {"accuracy": metrics.accuracy(targets, outputs.argmax(axis=1))}

    fit(model, loss_function, optimizer, device, epochs, start_epoch, history, epoch_loader, evaluate,
        max_batches, scheduler)


class Timer:
    """``with Timer() as timer: ...`` then ``timer.seconds``."""

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exception):
        self.seconds = time.perf_counter() - self.start


def save_checkpoint(framework, path: str, model, optimizer, epoch: int, history: dict, **extra) -> None:
    """Model, optimizer, epoch and metric history in one file (``torch.load(weights_only=True)`` reads it)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch,
                  "history": history}
    checkpoint.update({name: value.state_dict() for name, value in extra.items()})
    framework.save(checkpoint, path)


def save_run(framework, out: str, model, optimizer, epochs: int, history: dict, metric_name: str | None = None,
             **extra) -> None:
    """The end of every program: ``checkpoint.pt`` in ``out`` and, given ``metric_name``, ``curves.png``
    (train loss and that metric per epoch)."""
    os.makedirs(out, exist_ok=True)
    checkpoint_path = os.path.join(out, "checkpoint.pt")
    save_checkpoint(framework, checkpoint_path, model, optimizer, epochs, history, **extra)
    print(f"saved {checkpoint_path}")
    plot_path = os.path.join(out, "curves.png")
    if metric_name is not None and history["train_loss"] and plot_history(plot_path, history, metric_name):
        print(f"saved {plot_path}")


def print_classifier_report(targets, predictions, class_names=None, num_classes: int | None = None) -> None:
    """Per-class precision/recall/F1 and the confusion matrix of a classifier's test predictions."""
    print(metrics.classification_report(targets, predictions, class_names, num_classes=num_classes))
    print("confusion matrix (rows: true class, columns: predicted):")
    print(metrics.confusion_matrix(targets, predictions, num_classes=num_classes))


def load_checkpoint(framework, path: str, model, optimizer, **extra) -> tuple[int, dict]:
    """Restore what ``save_checkpoint`` wrote; returns the epochs done and the history so far."""
    checkpoint = framework.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    for name, value in extra.items():
        value.load_state_dict(checkpoint[name])
    return checkpoint["epoch"], checkpoint["history"]


def state_dict_as_numpy(model) -> dict:
    """The model's weights as NumPy arrays: the bridge between the two frameworks."""
    return {name: value.detach().cpu().numpy().copy() for name, value in model.state_dict().items()}


def load_numpy_state_dict(framework, model, arrays: dict) -> None:
    """Load weights given as NumPy arrays (from ``state_dict_as_numpy``) into a model of either framework."""
    model.load_state_dict({name: framework.from_numpy(array.copy()) for name, array in arrays.items()})


def _pyplot():
    """matplotlib's pyplot drawing to files (Agg), or None with a message when matplotlib is missing."""
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed: skipping the plot (pip install matplotlib)")
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot
    return pyplot


def plot_history(path: str, history: dict, metric_name: str) -> bool:
    """Train loss and the test metric per epoch, side by side, saved as a PNG. False if skipped."""
    pyplot = _pyplot()
    if pyplot is None:
        return False
    figure, (loss_axes, metric_axes) = pyplot.subplots(1, 2, figsize=(10, 4))
    epochs = range(1, len(history["train_loss"]) + 1)
    loss_axes.plot(epochs, history["train_loss"], marker="o")
    loss_axes.set(xlabel="epoch", ylabel="train loss", title="training loss")
    metric_axes.plot(epochs, history[metric_name], marker="o", color="tab:green")
    metric_axes.set(xlabel="epoch", ylabel=f"test {metric_name}", title=f"test {metric_name}")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    return True


def plot_curves(path: str, curves: dict, xlabel: str, ylabel: str, title: str, styles=("-", "--")) -> bool:
    """Named curves (name -> values over steps or epochs, from 1) in one figure, saved as a PNG.
    False if skipped."""
    pyplot = _pyplot()
    if pyplot is None:
        return False
    figure, axes = pyplot.subplots(figsize=(7, 4))
    for (name, values), style in zip(curves.items(), styles):
        axes.plot(range(1, len(values) + 1), values, style, label=name)
    axes.set(xlabel=xlabel, ylabel=ylabel, title=title)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    return True


def plot_comparison(path: str, losses: dict) -> bool:
    """The per-step losses of each framework in one figure, saved as a PNG. False if skipped."""
    return plot_curves(path, losses, "step", "training loss", "first epoch: minitorch vs PyTorch")


def max_relative_difference(first, second) -> float:
    """max |a - b| / max(|b|, tiny), over two sequences of numbers."""
    first, second = numpy.asarray(first, dtype=numpy.float64), numpy.asarray(second, dtype=numpy.float64)
    return float((numpy.abs(first - second) / numpy.maximum(numpy.abs(second), 1e-12)).max())


def first_epoch_losses(args, make_training, first_epoch_loader):
    """What ``compare`` calls: ``run(framework, initial_weights)`` trains one epoch from
    ``initial_weights`` (or from fresh weights when None, returned for the other framework's run)
    and returns its per-step losses. ``make_training(framework, args, device)`` gives the model,
    the loss function and the optimizer first; ``first_epoch_loader(framework)`` the epoch's batches."""
    def run(torch, initial_weights):
        device = pick_device(torch, args.device)
        model, loss_function, optimizer, *_ = make_training(torch, args, device)
        if initial_weights is None:
            initial_weights = state_dict_as_numpy(model)
        else:
            load_numpy_state_dict(torch, model, initial_weights)
        losses = train_epoch(model, first_epoch_loader(torch), loss_function, optimizer, device,
                             description=torch.__name__, max_batches=SMOKE_BATCHES if args.smoke else None)
        return losses, initial_weights
    return run


def compare(args, first_epoch_losses) -> float:
    """``--compare``: one epoch on each framework from the same initial weights, both curves in one plot.

    ``first_epoch_losses(framework, initial_weights)`` trains one epoch and returns its per-step losses;
    ``initial_weights`` is None for the first call (minitorch, which draws them) and that call returns
    ``(losses, weights)``, the weights as NumPy arrays drawn before training.
    """
    minitorch_losses, weights = first_epoch_losses(load_framework("minitorch"), None)
    torch_losses, _ = first_epoch_losses(load_framework("torch"), weights)
    difference = max_relative_difference(minitorch_losses, torch_losses)
    os.makedirs(args.out, exist_ok=True)
    plot_path = os.path.join(args.out, "compare.png")
    if plot_comparison(plot_path, {"minitorch": minitorch_losses, "torch": torch_losses}):
        print(f"saved {plot_path}")
    print(f"minitorch final loss {minitorch_losses[-1]:.6f}  torch final loss {torch_losses[-1]:.6f}")
    print(f"max relative difference of the first-epoch losses: {difference:.3e}")
    return difference
