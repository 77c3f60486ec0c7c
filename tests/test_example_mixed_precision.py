"""examples/mixed_precision.py runs under autocast + GradScaler, prints its dtype and accuracy, and saves."""
import re

import pytest

from tests.example_programs import example, run_example


EXAMPLE = example("mixed_precision")


def test_mixed_precision_smoke_trains_and_saves_a_checkpoint_torch_loads(tmp_path):
    torch = pytest.importorskip("torch")
    output = run_example([EXAMPLE, "--smoke", "--epochs", "1", "--device", "cpu", "--out", str(tmp_path)])
    assert "autocast dtype: float16 on cpu" in output
    accuracy = float(re.findall(r"final accuracy (\d\.\d+)", output)[-1])
    assert 0.0 <= accuracy <= 1.0
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert checkpoint["scaler"]["scale"] == 2.0 ** 16 and checkpoint["epoch"] == 1
