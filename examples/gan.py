"""Train a DCGAN (deep convolutional generative adversarial network) to draw handwritten digits.

The images are scikit-learn's handwritten ``Digits``, upscaled to 16x16 (or 28x28 with ``--size 28``)
with pixels scaled to [-1, 1], so it runs anywhere with no download. Two networks play against each
other: the generator grows a random latent vector into an image with transposed convolutions, the
discriminator reads an image with strided convolutions and answers one logit, "real or fake?".

    python3 examples/gan.py                       # minitorch, 16x16 digits
    python3 examples/gan.py --size 28             # MNIST-sized digits
    python3 examples/gan.py --framework torch     # the same program on PyTorch
    python3 examples/gan.py --compare             # both, from the same weights, one plot

Each step first trains the discriminator on a real batch (label 1) and on a generated batch (label 0,
detached so that this step leaves the generator alone), then trains the generator to make the
discriminator answer 1 on its images. The layers follow the DCGAN paper (Radford et al., 2015):
BatchNorm and ReLU in the generator, Tanh on its output, LeakyReLU(0.2) in the discriminator, weights
drawn from N(0, 0.02), Adam with lr 2e-4 and betas (0.5, 0.999).

The noise is drawn with NumPy from generators seeded with ``(seed, epoch)``, as the batch order is:
both frameworks (``--compare``) and a resumed run draw the same noise. Saves ``samples_epochNNN.png``
(the generator's images for one fixed batch of noise, after each epoch), ``checkpoint.pt`` (both
networks and both optimizers; the generator is the checkpoint's "model") and ``curves.png`` to
``--out``.
"""
import math
import os
import sys

import numpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # common.py and metrics.py, run from anywhere

import common  # noqa: E402

LATENT_SIZE = 32
FEATURES = 32       # channels of the generator's last hidden layer and of the discriminator's first
SAMPLE_COUNT = 64   # images in each samples_epochNNN.png, an 8x8 grid


def build_generator(nn, size: int = 16):
    """A latent vector ``[N, LATENT_SIZE, 1, 1]`` to a 1 x size x size image with pixels in (-1, 1).

    The shapes in the comments are those of 16x16 images."""
    return nn.Sequential(
        # size // 4 is 4 for 16x16 images and 7 for 28x28: each of the next two layers doubles it.
        nn.ConvTranspose2d(LATENT_SIZE, 2 * FEATURES, kernel_size=size // 4, stride=1, padding=0, bias=False),
        nn.BatchNorm2d(2 * FEATURES), nn.ReLU(),                                                   # 64 x 4 x 4
        nn.ConvTranspose2d(2 * FEATURES, FEATURES, kernel_size=4, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(FEATURES), nn.ReLU(),                                                       # 32 x 8 x 8
        nn.ConvTranspose2d(FEATURES, 1, kernel_size=4, stride=2, padding=1, bias=False),           # 1 x 16 x 16
        nn.Tanh(),
    )


def build_discriminator(nn, size: int = 16):
    """A 1 x size x size image to one logit per image, ``[N, 1, 1, 1]``: positive means "real".

    The shapes in the comments are those of 16x16 images."""
    return nn.Sequential(
        nn.Conv2d(1, FEATURES, kernel_size=4, stride=2, padding=1, bias=False),
        nn.LeakyReLU(0.2),                                                                         # 32 x 8 x 8
        nn.Conv2d(FEATURES, 2 * FEATURES, kernel_size=4, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(2 * FEATURES), nn.LeakyReLU(0.2),                                           # 64 x 4 x 4
        nn.Conv2d(2 * FEATURES, 1, kernel_size=size // 4, stride=1, padding=0, bias=False),        # 1 x 1 x 1
    )


def dcgan_weights_init(nn):
    """The DCGAN initialisation, for ``model.apply``: convolution weights from N(0, 0.02), BatchNorm
    scales from N(1, 0.02) and shifts at 0."""
    def weights_init(module):
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(module.weight, 0.0, 0.02)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.normal_(module.weight, 1.0, 0.02)
            nn.init.zeros_(module.bias)
    return weights_init


def load_data(args):
    """The training images as a float32 NumPy array ``[N, 1, size, size]`` in [-1, 1], and their labels."""
    from minitorch.vision import datasets
    digits = datasets.Digits(None, train=True, size=args.size)
    images = (digits.data.numpy()[:, None] / 255 - 0.5) / 0.5  # as transforms.Normalize((0.5,), (0.5,))
    return images.astype(numpy.float32), digits.targets.numpy()


def make_training(torch, args, device):
    """Generator, discriminator, loss and the two optimizers, with the weights drawn from ``args.seed``."""
    torch.manual_seed(args.seed)
    generator = build_generator(torch.nn, args.size).to(device)
    discriminator = build_discriminator(torch.nn, args.size).to(device)
    generator.apply(dcgan_weights_init(torch.nn))
    discriminator.apply(dcgan_weights_init(torch.nn))
    loss_function = torch.nn.BCEWithLogitsLoss()
    generator_optimizer = torch.optim.Adam(generator.parameters(), lr=args.lr, betas=(0.5, 0.999))
    discriminator_optimizer = torch.optim.Adam(discriminator.parameters(), lr=args.lr, betas=(0.5, 0.999))
    return generator, discriminator, loss_function, generator_optimizer, discriminator_optimizer


def noise_batch(torch, source: numpy.random.Generator, count: int, device: str):
    """``count`` latent vectors from N(0, 1), drawn with NumPy so that both frameworks get the same."""
    noise = source.standard_normal((count, LATENT_SIZE, 1, 1)).astype(numpy.float32)
    return torch.from_numpy(noise).to(device)


def train_epoch(torch, args, training, images, labels, epoch: int, device: str, description: str) -> dict:
    """One pass over the shuffled images: the DCGAN loop. Returns, per step, the two losses and the
    discriminator's mean probability of "real" on real images (D(x)) and on generated ones (D(G(z)))."""
    generator, discriminator, loss_function, generator_optimizer, discriminator_optimizer = training
    loader = common.make_loader(torch, images, labels, args.batch_size,
                                common.batch_order(len(images), args.seed, epoch))
    noise_source = numpy.random.default_rng([args.seed, epoch, 1])
    total = min(len(loader), common.SMOKE_BATCHES) if args.smoke else len(loader)
    bar = common.progress(loader, total, description)
    steps = {"discriminator_loss": [], "generator_loss": [], "real_score": [], "fake_score": []}
    generator.train()
    discriminator.train()
    for step, (real, _) in enumerate(bar):
        if step == total:
            break
        real = real.to(device)
        real_labels = torch.ones(real.shape[0], device=device)
        fake_labels = torch.zeros(real.shape[0], device=device)

        # The discriminator: real images should score 1, generated ones 0.
        discriminator_optimizer.zero_grad()
        real_output = discriminator(real).view(-1)
        real_loss = loss_function(real_output, real_labels)
        fake = generator(noise_batch(torch, noise_source, real.shape[0], device))
        fake_output = discriminator(fake.detach()).view(-1)  # detach: this loss must not reach the generator
        fake_loss = loss_function(fake_output, fake_labels)
        discriminator_loss = real_loss + fake_loss
        discriminator_loss.backward()
        discriminator_optimizer.step()

        # The generator: its images should make the (just updated) discriminator answer "real".
        generator_optimizer.zero_grad()
        generator_loss = loss_function(discriminator(fake).view(-1), real_labels)
        generator_loss.backward()
        generator_optimizer.step()

        steps["discriminator_loss"].append(discriminator_loss.item())
        steps["generator_loss"].append(generator_loss.item())
        steps["real_score"].append(torch.sigmoid(real_output).mean().item())
        steps["fake_score"].append(torch.sigmoid(fake_output).mean().item())
        if not (math.isfinite(steps["discriminator_loss"][-1]) and math.isfinite(steps["generator_loss"][-1])):
            raise FloatingPointError(f"{description}, step {step + 1}: the losses are no longer finite "
                                     f"(D {steps['discriminator_loss'][-1]}, G {steps['generator_loss'][-1]})")
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(D=f"{numpy.mean(steps['discriminator_loss'][-20:]):.3f}",
                            G=f"{numpy.mean(steps['generator_loss'][-20:]):.3f}")
    if hasattr(bar, "close"):
        bar.close()
    return steps


def generate(torch, generator, noise) -> numpy.ndarray:
    """The generator's images for ``noise`` as NumPy, in evaluation mode (BatchNorm's running statistics)."""
    generator.eval()
    with torch.no_grad():
        return generator(noise).cpu().numpy()


def save_samples(path: str, images: numpy.ndarray) -> bool:
    """A PNG grid of images with pixels in [-1, 1]; drawn with minitorch.vision.utils whatever the framework."""
    import minitorch
    from minitorch.vision.utils import save_image
    try:
        save_image(minitorch.from_numpy((images + 1) / 2), path, nrow=8, padding=1, pad_value=0.5)
    except ImportError as error:  # Pillow missing
        print(f"{error}: skipping {path}")
        return False
    return True


def plot_losses(path: str, history: dict) -> bool:
    """The discriminator's and the generator's mean loss per epoch in one figure. False if matplotlib is missing."""
    curves = {"discriminator": history["discriminator_loss"], "generator": history["generator_loss"]}
    return common.plot_curves(path, curves, "epoch", "mean loss", "DCGAN training losses", styles=("o-", "o-"))


def train(args):
    torch = common.load_framework(args.framework)
    device = common.pick_device(torch, args.device)
    images, labels = load_data(args)
    training = make_training(torch, args, device)
    generator, discriminator, _, generator_optimizer, discriminator_optimizer = training
    fixed_noise = noise_batch(torch, numpy.random.default_rng([args.seed, 2]), SAMPLE_COUNT, device)
    start_epoch, history = 0, {"discriminator_loss": [], "generator_loss": [], "real_score": [], "fake_score": []}
    if args.resume:
        start_epoch, history = common.load_checkpoint(
            torch, args.resume, generator, generator_optimizer,
            discriminator=discriminator, discriminator_optimizer=discriminator_optimizer)
        print(f"resumed from {args.resume} after epoch {start_epoch}")
    print(f"{args.framework} on {device}: DCGAN, {len(images)} training images of {args.size}x{args.size}")
    os.makedirs(args.out, exist_ok=True)

    with common.Timer() as total:
        for epoch in range(start_epoch, args.epochs):
            with common.Timer() as timer:
                steps = train_epoch(torch, args, training, images, labels, epoch, device, f"epoch {epoch + 1}")
            for name, values in steps.items():
                history[name].append(sum(values) / len(values))
            print(f"epoch {epoch + 1:3d}/{args.epochs}  D loss {history['discriminator_loss'][-1]:.4f}  "
                  f"G loss {history['generator_loss'][-1]:.4f}  D(x) {history['real_score'][-1]:.3f}  "
                  f"D(G(z)) {history['fake_score'][-1]:.3f}  {timer.seconds:.1f} s", flush=True)
            save_samples(os.path.join(args.out, f"samples_epoch{epoch + 1:03d}.png"),
                         generate(torch, generator, fixed_noise))
    print(f"training time {total.seconds:.1f} s")

    checkpoint_path = os.path.join(args.out, "checkpoint.pt")
    common.save_checkpoint(torch, checkpoint_path, generator, generator_optimizer, args.epochs, history,
                           discriminator=discriminator, discriminator_optimizer=discriminator_optimizer)
    print(f"saved {checkpoint_path}")
    plot_path = os.path.join(args.out, "curves.png")
    if history["discriminator_loss"] and plot_losses(plot_path, history):
        print(f"saved {plot_path}")


def first_epoch_losses(args, images, labels):
    """For ``--compare``: one epoch on a framework from given (or freshly drawn) weights of both networks.

    The losses ``common.compare`` checks are the discriminator's per-step losses followed by the
    generator's: the plot shows the first, then the second.
    """
    def run(torch, initial_weights):
        device = common.pick_device(torch, args.device)
        training = make_training(torch, args, device)
        networks = {"generator": training[0], "discriminator": training[1]}
        if initial_weights is None:
            initial_weights = {name: common.state_dict_as_numpy(network) for name, network in networks.items()}
        else:
            for name, network in networks.items():
                common.load_numpy_state_dict(torch, network, initial_weights[name])
        steps = train_epoch(torch, args, training, images, labels, 0, device, torch.__name__)
        return steps["discriminator_loss"] + steps["generator_loss"], initial_weights
    return run


def main(argv=None):
    parser = common.make_parser(__doc__.splitlines()[0], epochs=80, batch_size=64, lr=2e-4, out="runs/gan")
    parser.add_argument("--size", type=int, choices=(16, 28), default=16,
                        help="side of the images in pixels (default: %(default)s)")
    args = common.parse_args(parser, argv)
    if args.compare:
        common.compare(args, first_epoch_losses(args, *load_data(args)))
    else:
        train(args)


if __name__ == "__main__":
    main()
