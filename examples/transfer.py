"""Transfer learning: ResNet-18's backbone loaded from a checkpoint file, frozen, and a new head trained on Digits.

    python3 examples/transfer.py --weights resnet18.pth             # a file saved by torch.save(model.state_dict())
    python3 examples/transfer.py                                    # no file: a random backbone (runs, learns less)
    python3 examples/transfer.py --weights resnet18.pth --fine-tune # train everything, the backbone at lr / 10

``--weights`` takes what ``torch.save`` or ``minitorch.save`` wrote: a bare state_dict (torchvision's
``resnet18-f37072fd.pth`` once downloaded, for instance), or a checkpoint dict holding it under
``'model'`` or ``'state_dict'`` (this program's own ``checkpoint.pt`` among them). The network is
rebuilt as saved, then its ``fc`` is replaced by a new ``Linear(512, 10)``.

By default only that head trains: the backbone's parameters have ``requires_grad`` off, the optimizer
holds the head's parameters alone, and the backbone's BatchNorm layers stay in eval mode while the
head trains, so their running statistics remain the checkpoint's. ``--fine-tune`` trains the whole
network, the backbone with a smaller learning rate (a second parameter group).

The data is ``Digits`` as ``cnn.py`` prepares it (32x32, 3 channels, normalised to [-1, 1]), or
CIFAR-10 with ``--data cifar10 --root DIR``. Saves ``checkpoint.pt`` and ``curves.png`` to ``--out``.
``--framework torch`` and ``--compare`` need torchvision, for its ``resnet18``.
"""
import os
import sys
from collections.abc import Mapping

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # common.py, metrics.py and cnn.py, run from anywhere

import cnn
import common
import metrics

NUM_CLASSES = 10


def vision_models(torch):
    """The module holding ``resnet18``: ``minitorch.vision.models``, or ``torchvision.models`` for torch."""
    if torch.__name__ == "minitorch":
        from minitorch.vision import models
        return models
    try:
        from torchvision import models
    except ImportError as error:
        raise SystemExit(f"--framework torch and --compare need torchvision for resnet18 ({error}); "
                         "install it with: pip install torchvision") from error
    return models


def read_state_dict(torch, path: str) -> Mapping:
    """The weights in ``path``: a bare state_dict, or the one under a checkpoint's 'model' or 'state_dict'."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(checkpoint, Mapping):
        raise SystemExit(f"--weights {path}: expected a state_dict, got {type(checkpoint).__name__}")
    for entry in ("model", "state_dict"):
        if isinstance(checkpoint.get(entry), Mapping):
            return checkpoint[entry]
    return checkpoint


def build_model(torch, weights_path: str | None):
    """resnet18 with the weights in ``weights_path`` (random when None) and a new, untrained ``fc``."""
    models = vision_models(torch)
    if weights_path is None:
        model = models.resnet18()
    else:
        state_dict = read_state_dict(torch, weights_path)
        # Rebuild the network as it was saved, its head included (1000 classes for ImageNet's), to load strictly.
        saved_classes = state_dict["fc.weight"].shape[0] if "fc.weight" in state_dict else 1000
        model = models.resnet18(num_classes=saved_classes)
        try:
            model.load_state_dict(state_dict)
        except RuntimeError as error:
            raise SystemExit(f"--weights {weights_path} does not hold resnet18's weights: {error}") from error
    model.fc = torch.nn.Linear(model.fc.in_features, NUM_CLASSES)
    return model


def head_only(torch, model):
    """``model`` wrapped for training its head alone: ``train()`` leaves every layer but ``fc`` in eval
    mode, so the frozen BatchNorm layers normalise with, and keep, the checkpoint's statistics."""

    class HeadOnly(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.network = model

        def train(self, mode: bool = True):
            super().train(mode)
            self.network.eval()
            self.network.fc.train(mode)
            return self

        def forward(self, inputs):
            return self.network(inputs)

    return HeadOnly()


def make_training(torch, args, device):
    """The model to train (the head-only wrapper unless ``--fine-tune``), the loss, the optimizer over the
    trainable parameters, and the network itself (what the checkpoints hold); the head drawn from ``args.seed``."""
    torch.manual_seed(args.seed)
    network = build_model(torch, args.weights).to(device)
    head = list(network.fc.parameters())
    if args.fine_tune:
        backbone = [parameter for name, parameter in network.named_parameters() if not name.startswith("fc.")]
        optimizer = torch.optim.Adam([{"params": backbone, "lr": args.lr * args.backbone_lr_scale},
                                      {"params": head}], lr=args.lr)
        model = network
    else:
        network.requires_grad_(False)
        network.fc.requires_grad_(True)
        optimizer = torch.optim.Adam([parameter for parameter in network.parameters() if parameter.requires_grad],
                                     lr=args.lr)
        model = head_only(torch, network)
    return model, torch.nn.CrossEntropyLoss(), optimizer, network


def train(args):
    torch = common.load_framework(args.framework)
    device = common.pick_device(torch, args.device)
    model, loss_function, optimizer, network = make_training(torch, args, device)  # a bad --weights stops here
    if args.resume:
        start_epoch, history = common.load_checkpoint(torch, args.resume, network, optimizer)
        print(f"resumed from {args.resume} after epoch {start_epoch}")
    else:
        start_epoch, history = 0, {"train_loss": [], "accuracy": []}
        print(f"backbone weights loaded from {args.weights}" if args.weights else
              "no --weights given: the backbone is random (its features are not pretrained)")
    trainable = sum(parameter.numel() for parameter in network.parameters() if parameter.requires_grad)
    print(f"training {'the whole network' if args.fine_tune else 'the head only'}: {trainable:,} parameters")

    train_images, train_labels, test_images, test_labels, classes = cnn.load_data(args)
    test_loader = common.make_loader(torch, cnn.normalize(test_images), test_labels, args.batch_size)
    max_batches = common.SMOKE_BATCHES if args.smoke else None
    print(f"{args.framework} on {device}: {len(train_images)} training images, {len(test_images)} test images")

    with common.Timer() as total:
        common.fit_classifier(torch, model, loss_function, optimizer, device, args.epochs, start_epoch, history,
                              lambda epoch: cnn.epoch_loader(torch, args, train_images, train_labels, epoch),
                              test_loader, max_batches)

    outputs, targets = common.predict(torch, model, test_loader, device, max_batches)
    predictions = outputs.argmax(axis=1)
    common.print_classifier_report(targets, predictions, classes, num_classes=NUM_CLASSES)
    print(f"test accuracy {metrics.accuracy(targets, predictions):.4f}  training time {total.seconds:.1f} s")

    common.save_run(torch, args.out, network, optimizer, args.epochs, history, "accuracy")


def build_parser():
    parser = common.make_parser(__doc__.splitlines()[0], epochs=8, batch_size=128, lr=3e-2, out="runs/transfer")
    parser.add_argument("--weights", metavar="PATH", default=None,
                        help="resnet18 checkpoint for the backbone (default: none, a random backbone)")
    parser.add_argument("--fine-tune", action="store_true", help="train the backbone too, not just the new head")
    parser.add_argument("--backbone-lr-scale", type=float, default=0.1,
                        help="the backbone's learning rate over --lr, with --fine-tune (default: %(default)s)")
    parser.add_argument("--data", choices=("digits", "cifar10"), default="digits", help="default: %(default)s")
    parser.add_argument("--root", default=None, help="folder of the dataset files (cifar10)")
    parser.add_argument("--shift", type=int, default=0,
                        help="largest random shift of a training image in pixels (default: %(default)s)")
    return parser


def main(argv=None):
    args = common.parse_args(build_parser(), argv)
    if args.compare:
        vision_models(common.load_framework("torch"))  # fail before any training when torchvision is missing
        train_images, train_labels, *_ = cnn.load_data(args)
        common.compare(args, common.first_epoch_losses(
            args, make_training, lambda torch: cnn.epoch_loader(torch, args, train_images, train_labels, epoch=0)))
    else:
        train(args)


if __name__ == "__main__":
    main()
