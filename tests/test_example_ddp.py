"""examples/ddp.py (issue 9): trains under mpiexec -n 2, rank 0 reports and saves a checkpoint torch loads."""
import os
import subprocess
import sys

import pytest

from tests.test_distributed import ROOT, find_mpiexec, mpi_missing_reason

DDP = str(ROOT / "examples" / "ddp.py")


@pytest.mark.mpi
@pytest.mark.skipif(mpi_missing_reason() is not None, reason=str(mpi_missing_reason()))
def test_ddp_example_trains_on_two_processes_and_rank_0_saves_the_checkpoint(tmp_path):
    environment = dict(os.environ, PYTHONPATH=str(ROOT))
    completed = subprocess.run([find_mpiexec(), "-n", "2", sys.executable, DDP, "--smoke", "--epochs", "1",
                                "--out", str(tmp_path)], cwd=ROOT, env=environment, capture_output=True, text=True,
                               timeout=600)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    output = completed.stdout
    assert "2 process(es)" in output and output.count("epoch   1/1") == 1, output
    torch = pytest.importorskip("torch")
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import cnn
    finally:
        sys.path.remove(str(ROOT / "examples"))
    cnn.build_model(torch.nn).load_state_dict(checkpoint["model"])  # minitorch's keys are PyTorch's
