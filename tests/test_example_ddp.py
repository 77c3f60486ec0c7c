"""examples/ddp.py (issue 9): trains under mpiexec -n 2, rank 0 reports and saves a checkpoint torch loads."""
import pytest

from tests.test_distributed import find_mpiexec, mpi_missing_reason
from tests.example_programs import example, import_example, run_example

DDP = example("ddp")


@pytest.mark.mpi
@pytest.mark.skipif(mpi_missing_reason() is not None, reason=str(mpi_missing_reason()))
def test_ddp_example_trains_on_two_processes_and_rank_0_saves_the_checkpoint(tmp_path):
    output = run_example([DDP, "--smoke", "--epochs", "1", "--out", str(tmp_path)],
                         launcher=(find_mpiexec(), "-n", "2"))
    assert "2 process(es)" in output and output.count("epoch   1/1") == 1, output
    torch = pytest.importorskip("torch")
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    cnn = import_example("cnn")
    cnn.build_model(torch.nn).load_state_dict(checkpoint["model"])  # minitorch's keys are PyTorch's
