"""Your own data on disk: a ``Dataset`` subclass over a CSV file, ``random_split`` and ``DataLoader``.

The pattern every project with its own files follows, shown end to end on a file this program
writes itself: 600 points of three classes (three Gaussian clouds in the plane) saved as
``points.csv`` in ``--out``. Then, as with any dataset on disk:

1. ``PointsCSV(path)``, a ``minitorch.utils.data.Dataset`` subclass: ``__init__`` reads the file,
   ``__len__`` counts the samples, ``__getitem__`` returns one ``(features, label)`` pair;
2. ``random_split(dataset, [0.8, 0.2], generator=...)`` into training and test sets;
3. ``DataLoader(train_set, batch_size=..., num_workers=2)``: two worker processes call
   ``__getitem__`` and the loader collates their samples into batches;
4. a small MLP trained for a few epochs with the usual loop.

    python3 examples/custom_dataset.py
    python3 examples/custom_dataset.py --framework torch   # torch's DataLoader over the same Dataset

``__getitem__`` returns NumPy arrays and Python ints, which both frameworks' ``default_collate`` turn
into tensors, so the one ``Dataset`` serves minitorch's and PyTorch's ``DataLoader`` alike. Saves
``points.csv``, ``checkpoint.pt`` and ``curves.png`` to ``--out``.
"""
import csv
import os
import sys

import numpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # common.py and metrics.py, run from anywhere

import common
import metrics

import minitorch
from minitorch.utils.data import Dataset, random_split

NUM_CLASSES = 3


def write_points_csv(path: str, count: int, seed: int) -> None:
    """``count`` points ``x, y, label``: three Gaussian clouds centred on a circle of radius 2."""
    generator = numpy.random.default_rng(seed)
    labels = generator.integers(0, NUM_CLASSES, size=count)
    angles = 2 * numpy.pi * labels / NUM_CLASSES
    centres = 2 * numpy.stack([numpy.cos(angles), numpy.sin(angles)], axis=1)
    points = centres + generator.normal(scale=0.7, size=(count, 2))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["x", "y", "label"])
        for (x, y), label in zip(points, labels):
            writer.writerow([f"{x:.6f}", f"{y:.6f}", int(label)])


class PointsCSV(Dataset):
    """The rows of a CSV file with columns ``x, y, label``: sample ``i`` is ``(array [x, y], label)``.

    A file this small is read whole in ``__init__``; for data that do not fit in memory, keep only the
    file names (or byte offsets) here and open each file in ``__getitem__``.
    """

    def __init__(self, path: str, transform=None):
        with open(path, newline="") as file:
            rows = list(csv.DictReader(file))
        self.features = numpy.array([[float(row["x"]), float(row["y"])] for row in rows], dtype=numpy.float32)
        self.labels = [int(row["label"]) for row in rows]
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        features = self.features[index]
        if self.transform is not None:
            features = self.transform(features)
        return features, self.labels[index]


def build_model(nn):
    """A small MLP from 2 coordinates to 3 class scores."""
    return nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, NUM_CLASSES))


def load_data(args):
    """Write ``points.csv`` to ``--out``, read it back through ``PointsCSV``, split it 80/20."""
    path = os.path.join(args.out, "points.csv")
    write_points_csv(path, args.samples, args.seed)
    print(f"wrote {path}")
    dataset = PointsCSV(path)
    # The split is drawn once, with minitorch, so that both frameworks (and --compare) see the same sets.
    train_set, test_set = random_split(dataset, [0.8, 0.2], generator=minitorch.Generator().manual_seed(args.seed))
    return train_set, test_set


def make_loader(torch, subset, batch_size: int, order=None):
    """The framework's ``DataLoader`` over a subset, two worker processes reading the samples.

    ``order`` (indices into the subset) fixes the batches, so both frameworks draw the same ones;
    without it the loader reads in order. A program with one framework would write ``shuffle=True``.
    """
    sampler = None if order is None else [int(index) for index in order]
    return torch.utils.data.DataLoader(subset, batch_size=batch_size, sampler=sampler, num_workers=2)


def make_training(torch, args, device):
    """Model, loss and optimizer, with the model's weights drawn from ``args.seed``."""
    torch.manual_seed(args.seed)
    model = build_model(torch.nn).to(device)
    return model, torch.nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=args.lr)


def train(args):
    torch = common.load_framework(args.framework)
    device = common.pick_device(torch, args.device)
    train_set, test_set = load_data(args)
    test_loader = make_loader(torch, test_set, 256)
    max_batches = common.SMOKE_BATCHES if args.smoke else None

    model, loss_function, optimizer = make_training(torch, args, device)
    start_epoch, history = 0, {"train_loss": [], "accuracy": []}
    if args.resume:
        start_epoch, history = common.load_checkpoint(torch, args.resume, model, optimizer)
        print(f"resumed from {args.resume} after epoch {start_epoch}")
    print(f"{args.framework} on {device}: {len(train_set)} training points, {len(test_set)} test points")

    with common.Timer() as total:
        common.fit_classifier(torch, model, loss_function, optimizer, device, args.epochs, start_epoch, history,
                              lambda epoch: make_loader(torch, train_set, args.batch_size,
                                                        common.batch_order(len(train_set), args.seed, epoch)),
                              test_loader, max_batches)

    outputs, targets = common.predict(torch, model, test_loader, device, max_batches)
    predictions = outputs.argmax(axis=1)
    common.print_classifier_report(targets, predictions, num_classes=NUM_CLASSES)
    print(f"test accuracy {metrics.accuracy(targets, predictions):.4f}  training time {total.seconds:.1f} s")

    common.save_run(torch, args.out, model, optimizer, args.epochs, history, "accuracy")


def first_epoch_losses(args, train_set):
    """For ``--compare``: one epoch's per-step losses on a framework, from given (or freshly drawn) weights."""
    return common.first_epoch_losses(
        args, make_training, lambda torch: make_loader(torch, train_set, args.batch_size,
                                                          common.batch_order(len(train_set), args.seed, 0)))


def main(argv=None):
    parser = common.make_parser(__doc__.splitlines()[0], epochs=5, batch_size=32, lr=1e-2, out="runs/custom_dataset")
    parser.add_argument("--samples", type=int, default=600, help="points written to the CSV (default: %(default)s)")
    args = common.parse_args(parser, argv)
    if args.compare:
        train_set, _ = load_data(args)
        common.compare(args, first_epoch_losses(args, train_set))
    else:
        train(args)


if __name__ == "__main__":
    main()
