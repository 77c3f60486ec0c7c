"""Train the CIFAR-10 CNN (two conv+pool blocks, two linear layers) and report its test accuracy.

By default it learns the handwritten ``Digits`` that ship with scikit-learn, upscaled to CIFAR's
32x32 and repeated over 3 channels, so it runs anywhere with no download; ``--data cifar10 --root DIR``
trains on the real CIFAR-10 files (the python version, ``cifar-10-batches-py``) in DIR.

    python3 examples/cnn.py                       # minitorch, about 40 s on 2 CPU cores
    python3 examples/cnn.py --framework torch     # the same program on PyTorch
    python3 examples/cnn.py --compare             # both, from the same weights, one plot

Training shifts each image by a few pixels at random (drawn with NumPy, so both frameworks see the
same images), Adam with a cosine learning-rate schedule. Saves ``checkpoint.pt`` and ``curves.png``
to ``--out``.
"""
import os
import sys

import numpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # common.py and metrics.py, run from anywhere

import common  # noqa: E402
import metrics  # noqa: E402


def build_model(nn):
    """The CNN of the CIFAR-10 tutorial (issue 7's cnn workload), for 3x32x32 images and 10 classes."""
    return nn.Sequential(
        nn.Conv2d(3, 32, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 8 * 8, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )


def load_data(args):
    """Train and test images as float32 NumPy arrays ``[N, 3, 32, 32]`` in [0, 1], labels, class names."""
    from minitorch.vision import datasets
    if args.data == "cifar10":
        if args.root is None:
            raise SystemExit("--data cifar10 needs --root DIR (the folder holding cifar-10-batches-py)")
        parts = [datasets.CIFAR10(args.root, train=train) for train in (True, False)]
        images = [numpy.asarray(part.data).transpose(0, 3, 1, 2) for part in parts]  # HWC to CHW
        labels = [numpy.asarray(part.targets) for part in parts]
    else:
        parts = [datasets.Digits(args.root, train=train, size=32) for train in (True, False)]
        # Grey to 3 equal channels, so the CIFAR model reads them unchanged.
        images = [numpy.repeat(part.data.numpy()[:, None], 3, axis=1) for part in parts]
        labels = [part.targets.numpy() for part in parts]
    images = [(part / 255).astype(numpy.float32) for part in images]
    return images[0], labels[0].astype(numpy.int64), images[1], labels[1].astype(numpy.int64), parts[0].classes


def random_shift(images: numpy.ndarray, max_shift: int, generator: numpy.random.Generator) -> numpy.ndarray:
    """Each image moved by up to ``max_shift`` pixels in each direction, the border filled with 0."""
    if max_shift == 0:
        return images
    count, _, height, width = images.shape
    padded = numpy.pad(images, ((0, 0), (0, 0), (max_shift, max_shift), (max_shift, max_shift)))
    rows, columns = generator.integers(0, 2 * max_shift + 1, size=(2, count))
    return numpy.stack([padded[i, :, row:row + height, column:column + width]
                        for i, (row, column) in enumerate(zip(rows, columns))])


def normalize(images: numpy.ndarray) -> numpy.ndarray:
    """[0, 1] to [-1, 1], as ``transforms.Normalize((0.5,) * 3, (0.5,) * 3)`` does."""
    return (images - 0.5) / 0.5


def epoch_loader(torch, args, train_images, train_labels, epoch: int):
    """The training batches of one epoch: shifted images, in an order fixed by (seed, epoch)."""
    generator = numpy.random.default_rng([args.seed, epoch, 1])
    shifted = normalize(random_shift(train_images, args.shift, generator))
    order = common.batch_order(len(train_images), args.seed, epoch)
    return common.make_loader(torch, shifted, train_labels, args.batch_size, order)


def make_training(torch, args, device):
    """Model, loss, optimizer and scheduler, with the model's weights drawn from ``args.seed``."""
    torch.manual_seed(args.seed)
    model = build_model(torch.nn).to(device)
    loss_function = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    return model, loss_function, optimizer, scheduler


def train(args):
    torch = common.load_framework(args.framework)
    device = common.pick_device(torch, args.device)
    train_images, train_labels, test_images, test_labels, classes = load_data(args)
    test_loader = common.make_loader(torch, normalize(test_images), test_labels, 500)
    max_batches = common.SMOKE_BATCHES if args.smoke else None

    model, loss_function, optimizer, scheduler = make_training(torch, args, device)
    start_epoch, history = 0, {"train_loss": [], "accuracy": []}
    if args.resume:
        start_epoch, history = common.load_checkpoint(torch, args.resume, model, optimizer, scheduler=scheduler)
        print(f"resumed from {args.resume} after epoch {start_epoch}")
    print(f"{args.framework} on {device}: {len(train_images)} training images, {len(test_images)} test images")

    with common.Timer() as total:
        common.fit_classifier(torch, model, loss_function, optimizer, device, args.epochs, start_epoch, history,
                              lambda epoch: epoch_loader(torch, args, train_images, train_labels, epoch),
                              test_loader, max_batches, scheduler=scheduler)

    outputs, targets = common.predict(torch, model, test_loader, device, max_batches)
    common.print_classifier_report(targets, outputs.argmax(axis=1), classes, num_classes=10)
    print(f"test accuracy {metrics.accuracy(targets, outputs.argmax(axis=1)):.4f}  "
          f"training time {total.seconds:.1f} s")

    common.save_run(torch, args.out, model, optimizer, args.epochs, history, "accuracy", scheduler=scheduler)


def first_epoch_losses(args, train_images, train_labels):
    """For ``--compare``: one epoch's per-step losses on a framework, from given (or freshly drawn) weights."""
    return common.first_epoch_losses(
        args, make_training, lambda torch: epoch_loader(torch, args, train_images, train_labels, epoch=0))


def main(argv=None):
    parser = common.make_parser(__doc__.splitlines()[0], epochs=30, batch_size=64, lr=2e-3, out="runs/cnn")
    parser.add_argument("--data", choices=("digits", "cifar10"), default="digits", help="default: %(default)s")
    parser.add_argument("--root", default=None, help="folder of the dataset files (cifar10)")
    parser.add_argument("--shift", type=int, default=4,
                        help="largest random shift in pixels, 0 for none (default: %(default)s)")
    args = common.parse_args(parser, argv)
    if args.compare:
        train_images, train_labels, *_ = load_data(args)
        common.compare(args, first_epoch_losses(args, train_images, train_labels))
    else:
        train(args)


if __name__ == "__main__":
    main()
