"""examples/transformer.py (issue 8): a TransformerEncoder sorting digit sequences."""
import importlib.util
import re

import numpy
import pytest

from tests.example_programs import example, import_example, run_example

TRANSFORMER = example("transformer")


def test_the_targets_are_the_sorted_sequences():
    transformer = import_example("transformer")
    inputs, targets = transformer.make_sequences(50, 8, 10, numpy.random.default_rng(0))
    assert inputs.shape == targets.shape == (50, 8) and inputs.dtype == numpy.int64
    assert (targets == numpy.sort(inputs, axis=1)).all() and (numpy.diff(targets, axis=1) >= 0).all()


def test_sequence_metrics_count_whole_sequences():
    transformer = import_example("transformer")
    targets = numpy.array([[0, 1, 2], [3, 4, 5]])
    logits = numpy.eye(6)[numpy.array([[0, 1, 2], [3, 4, 0]])]  # second sequence wrong in one place
    token_accuracy, sequence_accuracy = transformer.sequence_metrics(targets, logits)
    assert token_accuracy == pytest.approx(5 / 6) and sequence_accuracy == 0.5


def test_sinusoidal_table_matches_the_formula():
    transformer = import_example("transformer")
    table = transformer.sinusoidal_table(8, 6)
    assert table.shape == (8, 6)
    assert table[3, 0] == pytest.approx(numpy.sin(3.0)) and table[3, 1] == pytest.approx(numpy.cos(3.0))
    assert table[5, 4] == pytest.approx(numpy.sin(5 / 10000 ** (4 / 6)))


@pytest.mark.parametrize("positions", ["learned", "sinusoidal"])
def test_smoke_writes_a_checkpoint_and_a_plot_and_resumes(tmp_path, positions):
    output = run_example([TRANSFORMER, "--smoke", "--epochs", "1", "--device", "cpu", "--positions", positions,
                          "--out", str(tmp_path)])
    assert "epoch   1/1" in output and "test sequence accuracy" in output
    assert (tmp_path / "checkpoint.pt").stat().st_size > 0
    if importlib.util.find_spec("matplotlib") is not None:
        assert (tmp_path / "curves.png").stat().st_size > 0
    resumed = run_example([TRANSFORMER, "--smoke", "--epochs", "2", "--device", "cpu", "--positions", positions,
                           "--out", str(tmp_path), "--resume", str(tmp_path / "checkpoint.pt")])
    assert "after epoch 1" in resumed and "epoch   2/2" in resumed and "epoch   1/" not in resumed


def test_checkpoint_loads_into_the_torch_model(tmp_path):
    torch = pytest.importorskip("torch")
    run_example([TRANSFORMER, "--smoke", "--epochs", "1", "--device", "cpu", "--out", str(tmp_path)])
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert checkpoint["epoch"] == 1 and len(checkpoint["history"]["sequence accuracy"]) == 1
    transformer = import_example("transformer")
    args = transformer.make_parser().parse_args([])
    model = transformer.build_model(torch, args)
    model.load_state_dict(checkpoint["model"])  # minitorch's keys and shapes are PyTorch's


def test_runs_on_torch(tmp_path):
    pytest.importorskip("torch")
    output = run_example([TRANSFORMER, "--framework", "torch", "--smoke", "--device", "cpu", "--out", str(tmp_path)])
    assert "torch on cpu" in output and (tmp_path / "checkpoint.pt").exists()


def test_compare_agrees_with_torch(tmp_path):
    pytest.importorskip("torch")
    output = run_example([TRANSFORMER, "--compare", "--smoke", "--device", "cpu", "--dropout", "0.1",
                          "--out", str(tmp_path)])  # --compare turns the dropout off
    difference = float(re.search(r"max relative difference of the first-epoch losses: (\S+)", output).group(1))
    assert difference < 1e-4, output
