"""examples/transfer.py (issue 8): resnet18's backbone from a file PyTorch saved, frozen or fine-tuned, new head.

The backbone file is written by real PyTorch: the torch twin of torchvision's resnet18 (from
tests/test_vision_models.py, since torchvision cannot be installed beside this torch), seeded,
saved with ``torch.save(model.state_dict())``. The trained checkpoint is read back with ``torch.load``.
"""
import importlib.util
import re

import pytest
import torch

from tests.example_programs import example, import_example, run_program
from tests.test_vision_models import TorchBasicBlock, TorchResNet

TRANSFER = example("transfer")
HAS_TORCHVISION = importlib.util.find_spec("torchvision") is not None
SMOKE = ["--smoke", "--epochs", "1", "--batch-size", "16", "--device", "cpu"]  # 2 batches of 16 per pass


def run_transfer(arguments, expect_success=True):
    """Run the program in a fresh interpreter; returns the completed process."""
    completed = run_program([TRANSFER, *arguments])
    assert (completed.returncode == 0) == expect_success, completed.stdout + completed.stderr
    return completed


def torch_resnet18():
    torch.manual_seed(0)
    return TorchResNet(TorchBasicBlock, [2, 2, 2, 2])


@pytest.fixture(scope="module")
def backbone_file(tmp_path_factory):
    """A resnet18 state_dict saved by PyTorch (1000-class head, as torchvision's files have)."""
    path = tmp_path_factory.mktemp("backbone") / "resnet18.pth"
    torch.save(torch_resnet18().state_dict(), path)
    return path


def load_torch(path):
    return torch.load(path, weights_only=True)


def backbone_entries(state_dict):
    return {name: value for name, value in state_dict.items() if not name.startswith("fc.")}


def assert_backbone_is(state_dict, expected):
    """Every backbone parameter and BatchNorm buffer (running statistics, batch count) equals ``expected``'s."""
    expected = backbone_entries(expected)
    assert backbone_entries(state_dict).keys() == expected.keys()
    for name, value in expected.items():
        assert torch.equal(state_dict[name], value), name


def initial_head(backbone_path):
    """The new head's weight before training, drawn by the program's own ``make_training`` from seed 0."""
    import minitorch
    common, transfer = import_example("common"), import_example("transfer")
    args = common.parse_args(transfer.build_parser(), ["--weights", str(backbone_path)])
    *_, network = transfer.make_training(minitorch, args, "cpu")
    return torch.from_numpy(network.fc.weight.detach().numpy().copy())


def test_frozen_backbone_keeps_the_files_weights_and_statistics_and_resumes(tmp_path, backbone_file):
    output = run_transfer([*SMOKE, "--weights", str(backbone_file), "--out", str(tmp_path)]).stdout
    assert f"backbone weights loaded from {backbone_file}" in output and "the head only: 5,130 parameters" in output
    assert "epoch   1/1" in output and "macro avg" in output and "confusion matrix" in output
    checkpoint = load_torch(tmp_path / "checkpoint.pt")
    assert checkpoint["epoch"] == 1 and len(checkpoint["history"]["accuracy"]) == 1
    saved = load_torch(backbone_file)
    assert_backbone_is(checkpoint["model"], saved)  # BatchNorm in eval mode: running statistics untouched too
    assert checkpoint["model"]["fc.weight"].shape == (10, 512)
    assert not torch.equal(checkpoint["model"]["fc.weight"], initial_head(backbone_file))  # the head trained
    if importlib.util.find_spec("matplotlib") is not None:
        assert (tmp_path / "curves.png").stat().st_size > 0

    resumed = run_transfer([*SMOKE, "--epochs", "2", "--out", str(tmp_path),
                            "--resume", str(tmp_path / "checkpoint.pt")]).stdout
    assert "after epoch 1" in resumed and "epoch   2/2" in resumed and "epoch   1/" not in resumed
    assert_backbone_is(load_torch(tmp_path / "checkpoint.pt")["model"], saved)


def test_without_weights_says_the_backbone_is_random(tmp_path):
    output = run_transfer([*SMOKE, "--out", str(tmp_path)]).stdout
    assert "the backbone is random" in output and (tmp_path / "checkpoint.pt").exists()


def test_fine_tune_changes_the_backbone_from_a_wrapped_checkpoint(tmp_path, backbone_file):
    wrapped = tmp_path / "wrapped.pth"
    torch.save({"state_dict": load_torch(backbone_file), "epoch": 90}, wrapped)  # a training script's checkpoint
    output = run_transfer([*SMOKE, "--fine-tune", "--weights", str(wrapped), "--out", str(tmp_path)]).stdout
    assert "the whole network: 11,181,642 parameters" in output
    trained, saved = load_torch(tmp_path / "checkpoint.pt")["model"], load_torch(backbone_file)
    for name in ("conv1.weight", "layer4.1.conv2.weight", "bn1.running_mean"):
        assert not torch.equal(trained[name], saved[name]), name
    assert [group["lr"] for group in load_torch(tmp_path / "checkpoint.pt")["optimizer"]["param_groups"]] == \
        pytest.approx([3e-3, 3e-2])  # the backbone at lr * 0.1


def renamed_first_convolution(state_dict):
    state_dict["stem.weight"] = state_dict.pop("conv1.weight")
    return state_dict


def grey_first_convolution(state_dict):
    state_dict["conv1.weight"] = state_dict["conv1.weight"][:, :1].clone()
    return state_dict


@pytest.mark.parametrize("corrupt", [renamed_first_convolution, grey_first_convolution])
def test_mismatched_weights_exit_with_the_mismatch_named_as_pytorch_names_it(tmp_path, corrupt):
    state_dict = corrupt(torch_resnet18().state_dict())
    torch.save(state_dict, tmp_path / "bad.pth")
    with pytest.raises(RuntimeError) as torch_error:
        torch_resnet18().load_state_dict(state_dict)
    torch_problems = str(torch_error.value).split("\n\t")[1:]  # after "Error(s) in loading state_dict for ..."
    stderr = run_transfer([*SMOKE, "--weights", str(tmp_path / "bad.pth"), "--out", str(tmp_path)],
                          expect_success=False).stderr
    assert f"--weights {tmp_path / 'bad.pth'} does not hold resnet18's weights" in stderr
    for problem in torch_problems:
        assert problem.replace("torch.Size", "minitorch.Size") in stderr, (problem, stderr)
    assert not (tmp_path / "checkpoint.pt").exists()


@pytest.mark.skipif(HAS_TORCHVISION, reason="checks the message shown when torchvision is missing")
@pytest.mark.parametrize("flag", [["--framework", "torch"], ["--compare"]])
def test_torch_runs_without_torchvision_exit_with_a_clear_message(tmp_path, flag):
    stderr = run_transfer([*SMOKE, *flag, "--out", str(tmp_path)], expect_success=False).stderr
    assert "need torchvision for resnet18" in stderr and "pip install torchvision" in stderr


@pytest.mark.skipif(not HAS_TORCHVISION, reason="--framework torch needs torchvision's resnet18")
def test_runs_on_torch(tmp_path, backbone_file):
    output = run_transfer([*SMOKE, "--framework", "torch", "--weights", str(backbone_file),
                           "--out", str(tmp_path)]).stdout
    assert "torch on cpu" in output
    assert_backbone_is(load_torch(tmp_path / "checkpoint.pt")["model"], load_torch(backbone_file))


@pytest.mark.skipif(not HAS_TORCHVISION, reason="--compare needs torchvision's resnet18")
def test_compare_agrees_with_torch(tmp_path, backbone_file):
    output = run_transfer([*SMOKE, "--compare", "--weights", str(backbone_file), "--out", str(tmp_path)]).stdout
    difference = float(re.search(r"max relative difference of the first-epoch losses: (\S+)", output).group(1))
    assert difference < 1e-4, output
