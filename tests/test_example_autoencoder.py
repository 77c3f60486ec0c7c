"""examples/autoencoder.py (issue 8): the autoencoder and the VAE run, write their outputs, and match PyTorch."""
import importlib.util
import re

import pytest

from tests.example_programs import example, import_example, run_example

AUTOENCODER = example("autoencoder")


def check_outputs(output, folder):
    assert "test reconstruction mse" in output and "mean-image baseline" in output, output
    assert (folder / "checkpoint.pt").stat().st_size > 0
    if importlib.util.find_spec("matplotlib") is not None:
        assert (folder / "curves.png").stat().st_size > 0
    if importlib.util.find_spec("PIL") is not None:
        assert (folder / "reconstructions.png").stat().st_size > 0


@pytest.mark.parametrize("variant", [[], ["--vae"]], ids=["autoencoder", "vae"])
def test_smoke_writes_checkpoint_plot_and_reconstructions(tmp_path, variant):
    output = run_example([AUTOENCODER, "--smoke", *variant, "--device", "cpu", "--out", str(tmp_path)])
    assert "epoch   2/2" in output
    check_outputs(output, tmp_path)


def test_resume_continues_after_the_saved_epoch(tmp_path):
    run_example([AUTOENCODER, "--smoke", "--epochs", "1", "--device", "cpu", "--out", str(tmp_path)])
    resumed = run_example([AUTOENCODER, "--smoke", "--epochs", "2", "--device", "cpu", "--out", str(tmp_path),
                           "--resume", str(tmp_path / "checkpoint.pt")])
    assert "after epoch 1" in resumed and "epoch   2/2" in resumed and "epoch   1/" not in resumed


def test_checkpoint_loads_into_the_torch_model(tmp_path):
    torch = pytest.importorskip("torch")
    run_example([AUTOENCODER, "--smoke", "--epochs", "1", "--device", "cpu", "--out", str(tmp_path)])
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    autoencoder = import_example("autoencoder")
    model = autoencoder.build_autoencoder(torch.nn)
    model.load_state_dict(checkpoint["model"])  # minitorch's keys and shapes are PyTorch's
    assert len(checkpoint["history"]["mse"]) == 1


@pytest.mark.parametrize("variant", [[], ["--vae"]], ids=["autoencoder", "vae"])
def test_compare_agrees_with_torch(tmp_path, variant):
    pytest.importorskip("torch")
    output = run_example([AUTOENCODER, "--compare", "--smoke", *variant, "--device", "cpu", "--out", str(tmp_path)])
    difference = float(re.search(r"max relative difference of the first-epoch losses: (\S+)", output).group(1))
    assert difference < 1e-4, output


def test_runs_on_torch(tmp_path):
    pytest.importorskip("torch")
    output = run_example([AUTOENCODER, "--framework", "torch", "--smoke", "--vae", "--device", "cpu",
                          "--out", str(tmp_path)])
    assert "torch on cpu" in output
    check_outputs(output, tmp_path)
