"""examples/multitask.py (shared trunk, two heads) and examples/custom_dataset.py (a Dataset over a CSV)
run from a fresh interpreter, write their outputs, and agree with PyTorch under --compare (issue 8)."""
import importlib.util
import re

import pytest

from tests.example_programs import example, import_example, run_example

MULTITASK = example("multitask")
CUSTOM_DATASET = example("custom_dataset")
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


def compare_difference(output: str) -> float:
    return float(re.search(r"max relative difference of the first-epoch losses: (\S+)", output).group(1))


def test_multitask_smoke_reports_both_heads_and_resumes(tmp_path):
    output = run_example([MULTITASK, "--smoke", "--epochs", "1", "--device", "cpu", "--out", str(tmp_path)])
    assert "epoch   1/1" in output and "macro avg" in output
    assert re.search(r"class head: test accuracy \d\.\d+  \(baseline, the majority class: \d\.\d+\)", output)
    assert re.search(r"ink head:   test mse \d+\.\d+  \(baseline, the training mean: \d+\.\d+\)", output)
    assert (tmp_path / "checkpoint.pt").stat().st_size > 0
    if HAS_MATPLOTLIB:
        assert (tmp_path / "curves.png").stat().st_size > 0
    resumed = run_example([MULTITASK, "--smoke", "--epochs", "2", "--device", "cpu", "--out", str(tmp_path),
                           "--resume", str(tmp_path / "checkpoint.pt"), "--weight", "0.5"])
    assert "after epoch 1" in resumed and "epoch   2/2" in resumed and "epoch   1/" not in resumed
    assert "cross_entropy + 0.5 * mse" in resumed


def test_multitask_checkpoint_loads_into_the_torch_model(tmp_path):
    torch = pytest.importorskip("torch")
    run_example([MULTITASK, "--smoke", "--epochs", "1", "--device", "cpu", "--out", str(tmp_path)])
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert checkpoint["epoch"] == 1 and set(checkpoint["history"]) == {"train_loss", "accuracy", "ink_mse"}
    multitask = import_example("multitask")
    model = multitask.build_model(torch)
    model.load_state_dict(checkpoint["model"])  # minitorch's keys and shapes are PyTorch's
    assert model(torch.zeros(3, 8, 8)).shape == (3, 11)


def test_multitask_compare_agrees_with_torch(tmp_path):
    pytest.importorskip("torch")
    output = run_example([MULTITASK, "--compare", "--smoke", "--device", "cpu", "--out", str(tmp_path)])
    assert compare_difference(output) < 1e-4, output
    if HAS_MATPLOTLIB:
        assert (tmp_path / "compare.png").stat().st_size > 0


def test_multitask_runs_on_torch(tmp_path):
    pytest.importorskip("torch")
    output = run_example([MULTITASK, "--framework", "torch", "--smoke", "--device", "cpu", "--out", str(tmp_path)])
    assert "torch on cpu" in output and (tmp_path / "checkpoint.pt").exists()


def test_custom_dataset_smoke_writes_the_csv_checkpoint_and_plot(tmp_path):
    output = run_example([CUSTOM_DATASET, "--smoke", "--device", "cpu", "--out", str(tmp_path)])
    assert "480 training points, 120 test points" in output and "test accuracy" in output
    lines = (tmp_path / "points.csv").read_text().splitlines()
    assert lines[0] == "x,y,label" and len(lines) == 601
    assert (tmp_path / "checkpoint.pt").stat().st_size > 0
    if HAS_MATPLOTLIB:
        assert (tmp_path / "curves.png").stat().st_size > 0


def test_custom_dataset_reads_back_what_was_written(tmp_path):
    custom_dataset = import_example("custom_dataset")
    path = tmp_path / "points.csv"
    custom_dataset.write_points_csv(str(path), 10, seed=1)
    dataset = custom_dataset.PointsCSV(str(path))
    assert len(dataset) == 10
    features, label = dataset[3]
    x, y, written_label = path.read_text().splitlines()[4].split(",")
    assert features.tolist() == pytest.approx([float(x), float(y)]) and label == int(written_label)


def test_custom_dataset_compare_agrees_with_torch(tmp_path):
    pytest.importorskip("torch")
    output = run_example([CUSTOM_DATASET, "--compare", "--smoke", "--device", "cpu", "--out", str(tmp_path)])
    assert compare_difference(output) < 1e-4, output
