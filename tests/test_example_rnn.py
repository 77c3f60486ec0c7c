"""examples/rnn.py (issue 8): the recurrent classifier runs with each cell, saves its outputs, matches PyTorch."""
import importlib.util
import re

import pytest

from tests.example_programs import example, import_example, run_example

RNN = example("rnn")


def _torch_model(torch, cell):
    rnn = import_example("rnn")
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
