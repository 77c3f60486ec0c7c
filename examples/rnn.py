"""Train a 2-layer LSTM that reads each digit image row by row, and report its test accuracy.

Each of scikit-learn's 8x8 handwritten ``Digits`` is a sequence of 8 steps (the rows, top to bottom)
of 8 features (the pixels of a row), fed ``batch_first`` as ``[batch, 8, 8]``. The recurrent layers'
output at the last step goes through a linear layer to the 10 class scores. ``--cell gru`` or
``--cell rnn`` swaps the LSTM for a GRU or a plain tanh RNN; everything else stays the same.

    python3 examples/rnn.py                       # minitorch, LSTM: about 97% in about 25 s on 2 CPU cores
    python3 examples/rnn.py --cell gru            # the same with a GRU
    python3 examples/rnn.py --framework torch     # the same program on PyTorch
    python3 examples/rnn.py --compare             # both, from the same weights, one plot

Adam with a cosine learning-rate schedule and gradient-norm clipping (recurrent networks' usual
guard against exploding gradients). Saves ``checkpoint.pt`` and ``curves.png`` to ``--out``.
"""
import argparse
import os
import sys

import numpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # common.py and metrics.py, run from anywhere

import common  # noqa: E402
import metrics  # noqa: E402

CELLS = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}  # --cell to the nn class name


def build_model(nn, cell: str = "lstm", hidden_size: int = 256, num_layers: int = 2, dropout: float = 0.0):
    """A recurrent classifier for sequences of 8 rows of 8 pixels and 10 classes.

    The class is defined here, around the framework's ``nn``, so the same code builds a minitorch
    model and a PyTorch one with the same parameter names (``recurrent.weight_ih_l0``, ...).
    """
    recurrent_class = getattr(nn, CELLS[cell])

    class RowClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.recurrent = recurrent_class(input_size=8, hidden_size=hidden_size, num_layers=num_layers,
                                             batch_first=True, dropout=dropout)
            self.dropout = nn.Dropout(dropout)
            self.classifier = nn.Linear(hidden_size, 10)

        def forward(self, images):
            # images: [batch, 8 rows, 8 pixels]; outputs: [batch, 8 steps, hidden_size]
            outputs, _ = self.recurrent(images)  # the LSTM's second output is (h_n, c_n), the others' h_n
            return self.classifier(self.dropout(outputs[:, -1]))  # what the top layer holds after reading the last row

    return RowClassifier()


def load_data(args):
    """Train and test images as float32 NumPy arrays ``[N, 8, 8]`` (rows of pixels), labels, class names."""
    from minitorch.vision import datasets
    parts = [datasets.Digits(train=train, size=8) for train in (True, False)]
    images = [normalize(part.data.numpy() / 255).astype(numpy.float32) for part in parts]
    labels = [part.targets.numpy().astype(numpy.int64) for part in parts]
    return images[0], labels[0], images[1], labels[1], parts[0].classes


def normalize(images: numpy.ndarray) -> numpy.ndarray:
    """[0, 1] to [-1, 1], as ``transforms.Normalize((0.5,), (0.5,))`` does."""
    return (images - 0.5) / 0.5


def random_shift(images: numpy.ndarray, max_shift: int, generator: numpy.random.Generator) -> numpy.ndarray:
    """Each image moved by up to ``max_shift`` pixels in each direction, the border filled with -1 (blank)."""
    if max_shift == 0:
        return images
    count, height, width = images.shape
    padded = numpy.pad(images, ((0, 0), (max_shift, max_shift), (max_shift, max_shift)), constant_values=-1)
    rows, columns = generator.integers(0, 2 * max_shift + 1, size=(2, count))
    return numpy.stack([padded[i, row:row + height, column:column + width]
                        for i, (row, column) in enumerate(zip(rows, columns))])


def epoch_loader(torch, args, train_images, train_labels, epoch: int):
    """The training batches of one epoch: shifted images, in an order fixed by (seed, epoch)."""
    generator = numpy.random.default_rng([args.seed, epoch, 1])
    shifted = random_shift(train_images, args.shift, generator)
    order = common.batch_order(len(train_images), args.seed, epoch)
    return common.make_loader(torch, shifted, train_labels, args.batch_size, order)


class ClippedOptimizer:
    """Wraps an optimizer so that each ``step()`` first clips the gradients' global norm.

    ``common.train_epoch`` is the plain loop (``zero_grad``, ``backward``, ``step``); clipping belongs
    between ``backward`` and ``step``, so it rides in on the optimizer. ``state_dict`` and
    ``load_state_dict`` pass through, so checkpoints hold the inner optimizer's state unchanged.
    """

    def __init__(self, torch, optimizer, parameters, max_norm: float):
        self.torch, self.optimizer, self.parameters, self.max_norm = torch, optimizer, list(parameters), max_norm

    def zero_grad(self):
        self.optimizer.zero_grad()

    def step(self):
        if self.max_norm > 0:
            self.torch.nn.utils.clip_grad_norm_(self.parameters, self.max_norm)
        self.optimizer.step()

    def state_dict(self):
        return self.optimizer.state_dict()

    def load_state_dict(self, state):
        self.optimizer.load_state_dict(state)


def make_training(torch, args, device):
    """Model, loss, optimizer and scheduler, with the model's weights drawn from ``args.seed``."""
    torch.manual_seed(args.seed)
    model = build_model(torch.nn, args.cell, args.hidden_size, dropout=args.dropout).to(device)
    loss_function = torch.nn.CrossEntropyLoss()
    adam = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(adam, T_max=args.epochs)
    optimizer = ClippedOptimizer(torch, adam, model.parameters(), args.clip)
    return model, loss_function, optimizer, scheduler


def train(args):
    torch = common.load_framework(args.framework)
    device = common.pick_device(torch, args.device)
    train_images, train_labels, test_images, test_labels, classes = load_data(args)
    test_loader = common.make_loader(torch, test_images, test_labels, 500)
    max_batches = common.SMOKE_BATCHES if args.smoke else None

    model, loss_function, optimizer, scheduler = make_training(torch, args, device)
    start_epoch, history = 0, {"train_loss": [], "accuracy": []}
    if args.resume:
        start_epoch, history = common.load_checkpoint(torch, args.resume, model, optimizer, scheduler=scheduler)
        print(f"resumed from {args.resume} after epoch {start_epoch}")
    print(f"{args.framework} on {device}: {args.cell.upper()} reading {len(train_images)} training images "
          f"row by row, {len(test_images)} test images")

    with common.Timer() as total:
        common.fit_classifier(torch, model, loss_function, optimizer, device, args.epochs, start_epoch, history,
                              lambda epoch: epoch_loader(torch, args, train_images, train_labels, epoch),
                              test_loader, max_batches, scheduler=scheduler)

    outputs, targets = common.predict(torch, model, test_loader, device, max_batches)
    predictions = outputs.argmax(axis=1)
    common.print_classifier_report(targets, predictions, classes, num_classes=10)
    print(f"test accuracy {metrics.accuracy(targets, predictions):.4f}  training time {total.seconds:.1f} s")

    common.save_run(torch, args.out, model, optimizer, args.epochs, history, "accuracy", scheduler=scheduler)


def first_epoch_losses(args, train_images, train_labels):
    """For ``--compare``: one epoch's per-step losses on a framework, from given (or freshly drawn) weights.

    Dropout is switched off: the two frameworks draw their masks from different generators, so with
    it the curves would differ by more than float32 noise even though both compute the same thing.
    """
    args = argparse.Namespace(**{**vars(args), "dropout": 0.0})
    return common.first_epoch_losses(
        args, make_training, lambda torch: epoch_loader(torch, args, train_images, train_labels, epoch=0))


def main(argv=None):
    parser = common.make_parser(__doc__.splitlines()[0], epochs=30, batch_size=32, lr=3e-3, out="runs/rnn")
    parser.add_argument("--cell", choices=tuple(CELLS), default="lstm", help="recurrent layer (default: %(default)s)")
    parser.add_argument("--hidden-size", type=int, default=256, help="default: %(default)s")
    parser.add_argument("--dropout", type=float, default=0.2,
                        help="dropout between the recurrent layers and before the classifier (default: %(default)s)")
    parser.add_argument("--shift", type=int, default=1,
                        help="largest random shift in pixels, 0 for none (default: %(default)s)")
    parser.add_argument("--clip", type=float, default=1.0,
                        help="largest gradient norm, 0 for no clipping (default: %(default)s)")
    args = common.parse_args(parser, argv)
    if args.compare:
        train_images, train_labels, *_ = load_data(args)
        common.compare(args, first_epoch_losses(args, train_images, train_labels))
    else:
        train(args)


if __name__ == "__main__":
    main()
