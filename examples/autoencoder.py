"""Train a convolutional autoencoder (or, with ``--vae``, a variational one) and report its reconstruction error.

The images are scikit-learn's handwritten ``Digits``, upscaled to 16x16 with one channel, so it runs
anywhere with no download. The encoder squeezes each image through two strided convolutions into a
16-number code; the decoder grows it back with two transposed convolutions. The test metric is the
mean squared error of the reconstructions, printed next to the error of always answering the mean
training image (the baseline a model must beat to have learnt anything).

    python3 examples/autoencoder.py                     # minitorch, autoencoder
    python3 examples/autoencoder.py --vae               # the variational autoencoder
    python3 examples/autoencoder.py --framework torch   # the same program on PyTorch
    python3 examples/autoencoder.py --compare           # both, from the same weights, one plot

The VAE's encoder gives a mean and a log-variance per code number; training samples the code as
``mean + exp(log_variance / 2) * noise`` (the reparameterisation trick, so gradients reach the
encoder through the sample) and adds the KL divergence from the unit Gaussian to the loss. Saves
``checkpoint.pt``, ``curves.png`` and ``reconstructions.png`` (originals on the odd rows, their
reconstructions below them) to ``--out``.
"""
import os
import sys

import numpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # common.py and metrics.py, run from anywhere

import common  # noqa: E402
import metrics  # noqa: E402

IMAGE_SIZE = 16
CODE_SIZE = 16


def encoder_trunk(nn):
    """1x16x16 image to 32x4x4 features, flattened to 512 numbers."""
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1), nn.ReLU(),   # 16 x 8 x 8
        nn.Conv2d(16, 32, kernel_size=3, stride=2, padding=1), nn.ReLU(),  # 32 x 4 x 4
        nn.Flatten(),
    )


def decoder(nn):
    """A code of CODE_SIZE numbers to a 1x16x16 image with pixels in (0, 1)."""
    return nn.Sequential(
        nn.Linear(CODE_SIZE, 32 * 4 * 4), nn.ReLU(),
        nn.Unflatten(1, (32, 4, 4)),
        nn.ConvTranspose2d(32, 16, kernel_size=4, stride=2, padding=1), nn.ReLU(),  # 16 x 8 x 8
        nn.ConvTranspose2d(16, 1, kernel_size=4, stride=2, padding=1),              # 1 x 16 x 16
        nn.Sigmoid(),
    )


def build_autoencoder(nn):
    """Encoder (convolutions, then a linear layer to the code) followed by the decoder."""
    return nn.Sequential(
        nn.Sequential(encoder_trunk(nn), nn.Linear(32 * 4 * 4, CODE_SIZE)),
        decoder(nn),
    )


def build_vae(torch):
    """The variational autoencoder: ``forward`` returns the reconstruction, the code's mean and log-variance."""
    nn = torch.nn

    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = encoder_trunk(nn)
            self.mean = nn.Linear(32 * 4 * 4, CODE_SIZE)
            self.log_variance = nn.Linear(32 * 4 * 4, CODE_SIZE)
            self.decoder = decoder(nn)
            # None: the noise comes from torch.randn_like. --compare sets a NumPy generator instead,
            # so that both frameworks draw the same noise (as they see the same batches).
            self.noise = None

        def reparameterize(self, mean, log_variance):
            """A sample of N(mean, exp(log_variance)) that is differentiable in mean and log_variance."""
            std = torch.exp(0.5 * log_variance)
            if self.noise is None:
                noise = torch.randn_like(std)
            else:
                noise = torch.from_numpy(self.noise.standard_normal(tuple(std.shape)).astype(numpy.float32))
                noise = noise.to(std.device)
            return mean + std * noise

        def forward(self, images):
            features = self.encoder(images)
            mean, log_variance = self.mean(features), self.log_variance(features)
            # At evaluation the code is the mean: the most likely code, no sampling noise in the score.
            code = self.reparameterize(mean, log_variance) if self.training else mean
            return self.decoder(code), mean, log_variance

    return VAE()


def vae_loss(torch):
    """Reconstruction (binary cross-entropy) plus the KL divergence from N(0, 1), both summed per image
    and averaged over the batch: the negative evidence lower bound."""
    functional = torch.nn.functional

    def loss_function(outputs, images):
        reconstructions, mean, log_variance = outputs
        reconstruction = functional.binary_cross_entropy(reconstructions, images, reduction="sum")
        # KL(N(mean, var) || N(0, 1)) = -1/2 * sum(1 + log var - mean^2 - var), in closed form
        kl = -0.5 * torch.sum(1 + log_variance - mean.pow(2) - log_variance.exp())
        return (reconstruction + kl) / images.shape[0]

    return loss_function


def load_data(args):
    """Train and test images as float32 NumPy arrays ``[N, 1, 16, 16]`` with pixels in [0, 1]."""
    from minitorch.vision import datasets
    parts = [datasets.Digits(None, train=train, size=IMAGE_SIZE) for train in (True, False)]
    images = [(part.data.numpy()[:, None] / 255).astype(numpy.float32) for part in parts]
    return images[0], images[1]


def make_training(torch, args, device):
    """Model, loss and optimizer, with the model's weights drawn from ``args.seed``."""
    torch.manual_seed(args.seed)
    if args.vae:
        model, loss_function = build_vae(torch), vae_loss(torch)
    else:
        model, loss_function = build_autoencoder(torch.nn), torch.nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    return model.to(device), loss_function, optimizer


def epoch_loader(torch, args, train_images, epoch: int):
    """The training batches of one epoch, in an order fixed by (seed, epoch); each image is its own target."""
    order = common.batch_order(len(train_images), args.seed, epoch)
    return common.make_loader(torch, train_images, train_images, args.batch_size, order)


def reconstruct(torch, model, loader, device: str, max_batches=None):
    """Reconstructions of every batch of ``loader`` and the originals (each image is its own target),
    as NumPy arrays; of the VAE's outputs, the first."""
    return common.predict(torch, model, loader, device, max_batches,
                          pick=lambda output: output[0] if isinstance(output, tuple) else output)


def save_reconstructions(path: str, originals: numpy.ndarray, reconstructions: numpy.ndarray, columns: int = 8):
    """A PNG grid: a row of originals, the row of their reconstructions under it, twice.

    Drawn with minitorch.vision.utils whatever the framework: the images arrive as NumPy arrays.
    """
    import minitorch
    from minitorch.vision.utils import save_image
    count = min(2 * columns, len(originals))
    rows = []
    for start in range(0, count, columns):
        rows += [originals[start:start + columns], reconstructions[start:start + columns]]
    grid = numpy.concatenate(rows).astype(numpy.float32)
    try:
        save_image(minitorch.from_numpy(grid), path, nrow=columns, padding=1, pad_value=1.0)
    except ImportError as error:  # Pillow missing
        print(f"{error}: skipping {path}")
        return False
    return True


def train(args):
    torch = common.load_framework(args.framework)
    device = common.pick_device(torch, args.device)
    train_images, test_images = load_data(args)
    test_loader = common.make_loader(torch, test_images, test_images, 360)
    max_batches = common.SMOKE_BATCHES if args.smoke else None

    # The baseline: answer every test image with the mean training image.
    mean_image = train_images.mean(axis=0, keepdims=True)
    baseline = metrics.mean_squared_error(test_images, numpy.broadcast_to(mean_image, test_images.shape))

    model, loss_function, optimizer = make_training(torch, args, device)
    start_epoch, history = 0, {"train_loss": [], "mse": []}
    if args.resume:
        start_epoch, history = common.load_checkpoint(torch, args.resume, model, optimizer)
        print(f"resumed from {args.resume} after epoch {start_epoch}")
    kind = "variational autoencoder" if args.vae else "autoencoder"
    print(f"{args.framework} on {device}: {kind}, {len(train_images)} training images, {len(test_images)} test images")

    def evaluate():
        reconstructions, originals = reconstruct(torch, model, test_loader, device, max_batches)
        return {"mse": metrics.mean_squared_error(originals, reconstructions)}

    with common.Timer() as total:
        common.fit(model, loss_function, optimizer, device, args.epochs, start_epoch, history,
                   lambda epoch: epoch_loader(torch, args, train_images, epoch), evaluate, max_batches)

    reconstructions, originals = reconstruct(torch, model, test_loader, device, max_batches)
    mse = metrics.mean_squared_error(originals, reconstructions)
    print(f"test reconstruction mse {mse:.5f}  mean-image baseline {baseline:.5f}  "
          f"ratio {mse / baseline:.3f}  training time {total.seconds:.1f} s")

    common.save_run(torch, args.out, model, optimizer, args.epochs, history, "mse")
    image_path = os.path.join(args.out, "reconstructions.png")
    if save_reconstructions(image_path, originals, reconstructions):
        print(f"saved {image_path}")


def first_epoch_losses(args, train_images):
    """For ``--compare``: one epoch's per-step losses on a framework, from given (or freshly drawn) weights."""
    def make_training_with_shared_noise(torch, args, device):
        model, loss_function, optimizer = make_training(torch, args, device)
        if args.vae:
            model.noise = numpy.random.default_rng([args.seed, 2])  # the same noise for both frameworks
        return model, loss_function, optimizer

    return common.first_epoch_losses(
        args, make_training_with_shared_noise, lambda torch: epoch_loader(torch, args, train_images, epoch=0))


def main(argv=None):
    parser = common.make_parser(__doc__.splitlines()[0], epochs=10, batch_size=32, lr=2e-3,
                                out="runs/autoencoder")
    parser.add_argument("--vae", action="store_true", help="train the variational autoencoder")
    args = common.parse_args(parser, argv)
    if args.compare:
        train_images, _ = load_data(args)
        common.compare(args, first_epoch_losses(args, train_images))
    else:
        train(args)


if __name__ == "__main__":
    main()
