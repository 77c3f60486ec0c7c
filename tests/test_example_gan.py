"""examples/gan.py (issue 8): the DCGAN runs, writes its samples, checkpoint and curves, resumes, and matches PyTorch."""
import importlib.util
import re

import numpy
import pytest
import torch

import minitorch

from tests.helpers import check_against_torch
from tests.example_programs import example, import_example, run_example

GAN = example("gan")


def run_gan(arguments, blocked_modules=()):
    """The program's standard output, run on the CPU in a fresh interpreter."""
    return run_example([GAN, *arguments, "--device", "cpu"], blocked_modules=blocked_modules)


def check_outputs(folder, epochs):
    assert (folder / "checkpoint.pt").stat().st_size > 0
    if importlib.util.find_spec("matplotlib") is not None:
        assert (folder / "curves.png").stat().st_size > 0
    if importlib.util.find_spec("PIL") is not None:
        assert sorted(path.name for path in folder.glob("samples_epoch*.png")) == [
            f"samples_epoch{epoch:03d}.png" for epoch in range(1, epochs + 1)]


@pytest.mark.parametrize("size", [16, 28])
def test_smoke_writes_outputs_and_the_saved_generator_draws_the_same_images_in_torch(tmp_path, size):
    output = run_gan(["--smoke", "--size", str(size), "--out", str(tmp_path)])
    assert "epoch   2/2" in output and "D(G(z))" in output, output
    check_outputs(tmp_path, epochs=2)
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert checkpoint["epoch"] == 2 and len(checkpoint["history"]["generator_loss"]) == 2
    assert {"optimizer", "discriminator_optimizer"} <= set(checkpoint)
    gan = import_example("gan")
    # minitorch's keys and shapes are PyTorch's: the trained networks load into the torch twins ...
    torch_generator = gan.build_generator(torch.nn, size)
    torch_generator.load_state_dict(checkpoint["model"])
    gan.build_discriminator(torch.nn, size).load_state_dict(checkpoint["discriminator"])
    # ... and the generator draws the same images there as in minitorch.
    generator = gan.build_generator(minitorch.nn, size)
    generator.load_state_dict(minitorch.load(tmp_path / "checkpoint.pt", weights_only=True)["model"])
    noise = numpy.random.default_rng(0).standard_normal((3, gan.LATENT_SIZE, 1, 1)).astype(numpy.float32)
    images = check_against_torch(generator.eval(), torch_generator.eval(), noise, requires_grad=False,
                                 backward=False)
    assert tuple(images.shape) == (3, 1, size, size)


def test_resume_continues_after_the_saved_epoch(tmp_path):
    run_gan(["--smoke", "--epochs", "1", "--out", str(tmp_path)])
    resumed = run_gan(["--smoke", "--epochs", "2", "--out", str(tmp_path), "--resume", str(tmp_path / "checkpoint.pt")])
    assert "after epoch 1" in resumed and "epoch   2/2" in resumed and "epoch   1/" not in resumed
    check_outputs(tmp_path, epochs=2)


def test_runs_without_pillow_matplotlib_and_tqdm(tmp_path):
    output = run_gan(["--smoke", "--epochs", "1", "--out", str(tmp_path)], blocked_modules=("PIL", "matplotlib", "tqdm"))
    assert "skipping" in output and "epoch   1/1" in output, output
    assert (tmp_path / "checkpoint.pt").stat().st_size > 0
    assert not list(tmp_path.glob("*.png"))


def test_compare_agrees_with_torch(tmp_path):
    output = run_gan(["--compare", "--smoke", "--out", str(tmp_path)])
    difference = float(re.search(r"max relative difference of the first-epoch losses: (\S+)", output).group(1))
    assert difference < 1e-4, output


def test_runs_on_torch(tmp_path):
    output = run_gan(["--framework", "torch", "--smoke", "--out", str(tmp_path)])
    assert "torch on cpu" in output
    check_outputs(tmp_path, epochs=2)
