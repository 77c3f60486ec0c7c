"""Train one network for two tasks: a shared trunk, a head for the digit's class, a head for its ink.

The data are the 8x8 handwritten ``Digits`` that ship with scikit-learn (no download). Every image
has two targets: its class (0-9, learned with cross-entropy) and its mean ink, the average pixel
brightness, standardized over the training set (a regression target, learned with the squared error).
The trunk (two linear layers) is shared; each head is one linear layer on the trunk's features, and
the loss is ``cross_entropy + weight * mse`` (``--weight``).

    python3 examples/multitask.py                     # minitorch
    python3 examples/multitask.py --framework torch   # the same program on PyTorch
    python3 examples/multitask.py --compare           # both, from the same weights, one plot

Each head is reported next to its baseline: the majority class for the classifier, predicting the
training mean for the regression. Saves ``checkpoint.pt`` and ``curves.png`` to ``--out``.

The model returns both heads' outputs joined into one tensor ``[N, 10 + 1]`` (logits, then ink), and
each target row is ``(class, ink)``: that way the plain training loop and ``predict`` in ``common.py``
serve this program unchanged; ``MultitaskLoss`` and ``split_outputs`` take the two apart.
"""
import os
import sys

import numpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # common.py and metrics.py, run from anywhere

import common
import metrics

NUM_CLASSES = 10


def build_model(torch, hidden: int = 128):
    """A shared MLP trunk with a classification head and a regression head, for 8x8 images."""
    nn = torch.nn

    class MultitaskNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.trunk = nn.Sequential(
                nn.Flatten(),
                nn.Linear(64, hidden), nn.ReLU(),
                nn.Linear(hidden, hidden), nn.ReLU(),
            )
            self.class_head = nn.Linear(hidden, NUM_CLASSES)
            self.ink_head = nn.Linear(hidden, 1)

        def forward(self, images):
            features = self.trunk(images)
            return torch.cat([self.class_head(features), self.ink_head(features)], dim=1)

    return MultitaskNet()


def split_outputs(outputs):
    """The joined outputs (tensor or array) as (class logits ``[N, 10]``, ink ``[N]``)."""
    return outputs[:, :NUM_CLASSES], outputs[:, NUM_CLASSES]


class MultitaskLoss:
    """``cross_entropy(logits, class) + weight * mse(ink prediction, ink)``."""

    def __init__(self, torch, weight: float):
        self.cross_entropy = torch.nn.CrossEntropyLoss()
        self.mse = torch.nn.MSELoss()
        self.weight = weight

    def __call__(self, outputs, targets):
        logits, ink = split_outputs(outputs)
        return self.cross_entropy(logits, targets[:, 0].long()) + self.weight * self.mse(ink, targets[:, 1])


def load_data(args):
    """Train and test images ``[N, 8, 8]`` in [0, 1] and targets ``[N, 2]`` (class, standardized ink)."""
    from minitorch.vision import datasets
    parts = [datasets.Digits(None, train=train) for train in (True, False)]
    images = [(part.data.numpy() / 255).astype(numpy.float32) for part in parts]
    ink = [part.mean(axis=(1, 2)) for part in images]
    # Standardize with the training set's statistics only: predicting the training mean then scores
    # an MSE close to 1 on the test set, the baseline to beat.
    mean, std = ink[0].mean(), ink[0].std()
    targets = [numpy.stack([part.targets.numpy().astype(numpy.float32), (part_ink - mean) / std], axis=1)
               .astype(numpy.float32) for part, part_ink in zip(parts, ink)]
    return images[0], targets[0], images[1], targets[1]


def make_training(torch, args, device):
    """Model, loss and optimizer, with the model's weights drawn from ``args.seed``."""
    torch.manual_seed(args.seed)
    model = build_model(torch).to(device)
    loss_function = MultitaskLoss(torch, args.weight)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    return model, loss_function, optimizer


def epoch_loader(torch, args, train_images, train_targets, epoch: int):
    """The training batches of one epoch, in an order fixed by (seed, epoch)."""
    order = common.batch_order(len(train_images), args.seed, epoch)
    return common.make_loader(torch, train_images, train_targets, args.batch_size, order)


def evaluate(outputs, targets):
    """Test accuracy of the class head and test MSE of the ink head."""
    logits, ink = split_outputs(outputs)
    return metrics.accuracy(targets[:, 0], logits.argmax(axis=1)), metrics.mean_squared_error(targets[:, 1], ink)


def baselines(train_targets, test_targets):
    """What a model that ignores the image scores: the majority training class, and the training mean ink."""
    labels = train_targets[:, 0].astype(numpy.int64)
    majority = numpy.bincount(labels, minlength=NUM_CLASSES).argmax()
    majority_accuracy = metrics.accuracy(test_targets[:, 0], numpy.full(len(test_targets), majority))
    mean_mse = metrics.mean_squared_error(test_targets[:, 1], numpy.full(len(test_targets), train_targets[:, 1].mean()))
    return majority_accuracy, mean_mse


def train(args):
    torch = common.load_framework(args.framework)
    device = common.pick_device(torch, args.device)
    train_images, train_targets, test_images, test_targets = load_data(args)
    test_loader = common.make_loader(torch, test_images, test_targets, 500)
    max_batches = common.SMOKE_BATCHES if args.smoke else None

    model, loss_function, optimizer = make_training(torch, args, device)
    start_epoch, history = 0, {"train_loss": [], "accuracy": [], "ink_mse": []}
    if args.resume:
        start_epoch, history = common.load_checkpoint(torch, args.resume, model, optimizer)
        print(f"resumed from {args.resume} after epoch {start_epoch}")
    print(f"{args.framework} on {device}: {len(train_images)} training images, {len(test_images)} test images, "
          f"loss = cross_entropy + {args.weight} * mse")

    with common.Timer() as total:
        for epoch in range(start_epoch, args.epochs):
            with common.Timer() as timer:
                loader = epoch_loader(torch, args, train_images, train_targets, epoch)
                losses = common.train_epoch(model, loader, loss_function, optimizer, device,
                                            description=f"epoch {epoch + 1}", max_batches=max_batches)
                outputs, targets = common.predict(torch, model, test_loader, device, max_batches)
                accuracy, ink_mse = evaluate(outputs, targets)
            history["train_loss"].append(sum(losses) / len(losses))
            history["accuracy"].append(accuracy)
            history["ink_mse"].append(ink_mse)
            print(common.epoch_summary(epoch + 1, args.epochs, history["train_loss"][-1], "accuracy", accuracy,
                                       timer.seconds) + f"  test ink mse {ink_mse:.4f}", flush=True)

    outputs, targets = common.predict(torch, model, test_loader, device, max_batches)
    accuracy, ink_mse = evaluate(outputs, targets)
    majority_accuracy, mean_mse = baselines(train_targets, targets)
    predictions = split_outputs(outputs)[0].argmax(axis=1)
    common.print_classifier_report(targets[:, 0].astype(numpy.int64), predictions, num_classes=NUM_CLASSES)
    print(f"class head: test accuracy {accuracy:.4f}  (baseline, the majority class: {majority_accuracy:.4f})")
    print(f"ink head:   test mse {ink_mse:.4f}  (baseline, the training mean: {mean_mse:.4f})")
    print(f"training time {total.seconds:.1f} s")

    common.save_run(torch, args.out, model, optimizer, args.epochs, history)
    plot_path = os.path.join(args.out, "curves.png")
    if history["train_loss"] and plot_curves(plot_path, history):
        print(f"saved {plot_path}")


def plot_curves(path: str, history: dict) -> bool:
    """Train loss, test accuracy and test ink MSE per epoch, side by side (``common.plot_history`` draws
    one metric; this program has two). False if matplotlib is missing."""
    pyplot = common._pyplot()
    if pyplot is None:
        return False
    figure, axes = pyplot.subplots(1, 3, figsize=(14, 4))
    epochs = range(1, len(history["train_loss"]) + 1)
    for axis, (name, label, color) in zip(axes, (("train_loss", "train loss (weighted sum)", "tab:blue"),
                                                 ("accuracy", "test accuracy (class head)", "tab:green"),
                                                 ("ink_mse", "test MSE (ink head)", "tab:red"))):
        axis.plot(epochs, history[name], marker="o", color=color)
        axis.set(xlabel="epoch", ylabel=label, title=label)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    return True


def first_epoch_losses(args, train_images, train_targets):
    """For ``--compare``: one epoch's per-step losses on a framework, from given (or freshly drawn) weights."""
    return common.first_epoch_losses(
        args, make_training, lambda torch: epoch_loader(torch, args, train_images, train_targets, epoch=0))


def main(argv=None):
    parser = common.make_parser(__doc__.splitlines()[0], epochs=30, batch_size=64, lr=3e-3, out="runs/multitask")
    parser.add_argument("--weight", type=float, default=1.0,
                        help="weight of the ink head's MSE in the summed loss (default: %(default)s)")
    args = common.parse_args(parser, argv)
    if args.compare:
        train_images, train_targets, *_ = load_data(args)
        common.compare(args, first_epoch_losses(args, train_images, train_targets))
    else:
        train(args)


if __name__ == "__main__":
    main()
