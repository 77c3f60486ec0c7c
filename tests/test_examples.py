"""The README's main example runs from a fresh interpreter and learns its task."""
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_quickstart_learns_the_spirals():
    environment = dict(os.environ, PYTHONPATH=str(ROOT))  # the checkout's minitorch, installed or not
    completed = subprocess.run([sys.executable, str(ROOT / "examples" / "quickstart.py")], cwd=ROOT, env=environment,
                               capture_output=True, text=True, timeout=300, check=True)
    accuracy = float(re.findall(r"accuracy (\d\.\d+)", completed.stdout)[-1])
    assert accuracy >= 0.95, completed.stdout


def test_checkpoint_resume_gives_the_uninterrupted_loss_trajectory(tmp_path):
    """Train 5 epochs straight (checkpoint after epoch 2) versus resume from that checkpoint in a run
    seeded differently: model, Adam state, StepLR and RNG state restored, the losses are identical."""
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import checkpoint_resume
    finally:
        sys.path.remove(str(ROOT / "examples"))
    path = tmp_path / "checkpoint.pt"
    straight = checkpoint_resume.train(5, path, checkpoint_epoch=2)
    resumed = checkpoint_resume.train(5, path, checkpoint_epoch=2, resume=True, seed=99)
    assert resumed == straight[3:]
    restarted_without_loading = checkpoint_resume.train(5, seed=99)
    assert restarted_without_loading[3:] != resumed  # the check can fail: the checkpoint is what carries the run


# examples/cnn.py, the README's main command (issue 8), and the shared machinery in examples/common.py.

CNN = str(ROOT / "examples" / "cnn.py")


def run_example(arguments, timeout=300, blocked_modules=()):
    """Run an example program in a fresh interpreter; ``blocked_modules`` import as if not installed."""
    environment = dict(os.environ, PYTHONPATH=str(ROOT))
    block = "".join(f"sys.modules[{name!r}] = None; " for name in blocked_modules)
    launcher = f"import runpy, sys; {block}sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
    completed = subprocess.run([sys.executable, "-c", launcher, *arguments], cwd=ROOT, env=environment,
                               capture_output=True, text=True, timeout=timeout)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def test_cnn_smoke_writes_a_checkpoint_torch_loads_and_a_plot(tmp_path):
    torch = pytest.importorskip("torch")
    output = run_example([CNN, "--smoke", "--epochs", "1", "--device", "cpu", "--out", str(tmp_path)])
    assert "epoch   1/1" in output and "macro avg" in output
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert checkpoint["epoch"] == 1 and len(checkpoint["history"]["accuracy"]) == 1
    model = _torch_cnn(torch)
    model.load_state_dict(checkpoint["model"])  # minitorch's keys and shapes are PyTorch's
    if importlib.util.find_spec("matplotlib") is not None:
        assert (tmp_path / "curves.png").stat().st_size > 0
    resumed = run_example([CNN, "--smoke", "--epochs", "2", "--device", "cpu", "--out", str(tmp_path),
                           "--resume", str(tmp_path / "checkpoint.pt")])
    assert "after epoch 1" in resumed and "epoch   2/2" in resumed and "epoch   1/" not in resumed


def _torch_cnn(torch):
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import cnn
    finally:
        sys.path.remove(str(ROOT / "examples"))
    return cnn.build_model(torch.nn)


def test_cnn_smoke_runs_without_tqdm_and_matplotlib(tmp_path):
    output = run_example([CNN, "--smoke", "--device", "cpu", "--out", str(tmp_path)],
                         blocked_modules=("tqdm", "matplotlib"))
    assert "skipping the plot" in output and (tmp_path / "checkpoint.pt").exists()
    assert not (tmp_path / "curves.png").exists()


def test_cnn_compare_agrees_with_torch(tmp_path):
    pytest.importorskip("torch")
    output = run_example([CNN, "--compare", "--smoke", "--device", "cpu", "--out", str(tmp_path)])
    difference = float(re.search(r"max relative difference of the first-epoch losses: (\S+)", output).group(1))
    assert difference < 1e-4, output


def test_cnn_runs_on_torch(tmp_path):
    pytest.importorskip("torch")
    output = run_example([CNN, "--framework", "torch", "--smoke", "--device", "cpu", "--out", str(tmp_path)])
    assert "torch on cpu" in output and (tmp_path / "checkpoint.pt").exists()


def test_cnn_reaches_97_percent_on_defaults(tmp_path):
    """The README's claim: the main command reaches >= 97% test accuracy (about 40 s on 2 cores)."""
    output = run_example([CNN, "--device", "cpu", "--out", str(tmp_path)], timeout=240)
    accuracy = float(re.findall(r"test accuracy (\d\.\d+)  training time", output)[-1])
    assert accuracy >= 0.97, output
