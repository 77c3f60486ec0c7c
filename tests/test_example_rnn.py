"""examples/rnn.py (issue 8): the recurrent classifier runs with each cell, saves its outputs, matches PyTorch."""
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RNN = str(ROOT / "examples" / "rnn.py")


def run_example(arguments):
    """Run the program in a fresh interpreter with the checkout's minitorch; returns its stdout."""
    environment = dict(os.environ, PYTHONPATH=str(ROOT))
    completed = subprocess.run([sys.executable, *arguments], cwd=ROOT, env=environment,
                               capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def _torch_model(torch, cell):
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import rnn
    finally:
        sys.path.remove(str(ROOT / "examples"))
    return rnn.build_model(torch.nn, cell)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_rnn_smoke_writes_a_checkpoint_and_a_plot(tmp_path, cell):
    output = run_example([RNN, "--smoke", "--cell", cell, "--epochs", "1", "--device", "cpu", "--out", str(tmp_path)])
    assert "epoch   1/1" in output and "macro avg" in output and "confusion matrix" in output
    assert (tmp_path / "checkpoint.pt").stat().st_size > 0
    if importlib.util.find_spec("matplotlib") is not None:
        assert (tmp_path / "curves.png").stat().st_size > 0
    torch = pytest.importorskip("torch")
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert checkpoint["epoch"] == 1 and len(checkpoint["history"]["accuracy"]) == 1
    _torch_model(torch, cell).load_state_dict(checkpoint["model"])  # minitorch's keys and shapes are PyTorch's


def test_rnn_smoke_resumes_from_its_checkpoint(tmp_path):
    run_example([RNN, "--smoke", "--epochs", "1", "--device", "cpu", "--out", str(tmp_path)])
    resumed = run_example([RNN, "--smoke", "--epochs", "2", "--device", "cpu", "--out", str(tmp_path),
                           "--resume", str(tmp_path / "checkpoint.pt")])
    assert "after epoch 1" in resumed and "epoch   2/2" in resumed and "epoch   1/" not in resumed


def test_rnn_runs_on_torch(tmp_path):
    pytest.importorskip("torch")
    output = run_example([RNN, "--framework", "torch", "--smoke", "--device", "cpu", "--out", str(tmp_path)])
    assert "torch on cpu" in output and (tmp_path / "checkpoint.pt").exists()


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_rnn_compare_agrees_with_torch(tmp_path, cell):
    pytest.importorskip("torch")
    output = run_example([RNN, "--compare", "--smoke", "--cell", cell, "--device", "cpu", "--out", str(tmp_path)])
    difference = float(re.search(r"max relative difference of the first-epoch losses: (\S+)", output).group(1))
    assert difference < 1e-4, output
