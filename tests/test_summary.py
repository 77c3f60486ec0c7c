"""minitorch.utils.summary: parameter counts and output shapes of each layer, checked by hand and against
PyTorch's twin of the model (examples/cnn.py's CNN built with both libraries)."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

import minitorch

CNN_PATH = Path(__file__).resolve().parent.parent / "examples" / "cnn.py"
# The CNN's layers that hold parameters, counted by hand: weights plus biases.
CNN_PARAMETERS = {
    "0": 3 * 32 * 3 * 3 + 32,        # Conv2d(3, 32, 3): 896
    "3": 32 * 64 * 3 * 3 + 64,       # Conv2d(32, 64, 3): 18,496
    "7": 64 * 8 * 8 * 128 + 128,     # Linear(4096, 128): 524,416
    "9": 128 * 10 + 10,              # Linear(128, 10): 1,290
}


def cnn_twins():
    """examples/cnn.py's model in minitorch and in PyTorch."""
    spec = importlib.util.spec_from_file_location("cnn_example", CNN_PATH)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    return example.build_model(minitorch.nn), example.build_model(torch.nn)


def torch_output_shapes(torch_model, input_size):
    """Each submodule's output shape when PyTorch runs the model, from forward hooks."""
    shapes = {}
    handles = [module.register_forward_hook(lambda module, args, output, name=name: shapes.__setitem__(
        name, list(output.shape))) for name, module in torch_model.named_modules()]
    torch_model(torch.zeros(input_size))
    for handle in handles:
        handle.remove()
    return shapes


def test_cnn_parameter_counts_are_the_hand_computed_ones_and_torchs():
    model, torch_model = cnn_twins()
    result = minitorch.utils.summary(model, input_size=(1, 3, 32, 32))
    counted = {layer.name: layer.num_params for layer in result.layers if layer.num_params}
    assert counted == CNN_PARAMETERS
    torch_total = sum(parameter.numel() for parameter in torch_model.parameters())
    assert result.total_params == result.trainable_params == sum(CNN_PARAMETERS.values()) == torch_total == 545_098
    assert result.non_trainable_params == 0
    table = str(result)
    assert "Total params: 545,098" in table and "├─Linear: 1-8" in table and "524,416" in table


@pytest.mark.parametrize("batch", [1, 4])
def test_cnn_output_shapes_are_the_shapes_of_torchs_layers(batch):
    model, torch_model = cnn_twins()
    result = minitorch.utils.summary(model, input_size=(batch, 3, 32, 32))
    expected = torch_output_shapes(torch_model, (batch, 3, 32, 32))
    assert [(layer.name, layer.output_shape) for layer in result.layers] == [
        (name, expected[name]) for name, _ in torch_model.named_modules()]
    assert [layer.class_name for layer in result.layers] == [
        type(module).__name__ for _, module in torch_model.named_modules()]


def test_frozen_parameters_count_as_non_trainable():
    model, torch_model = cnn_twins()
    for parameters in (model[0].parameters(), torch_model[0].parameters()):
        for parameter in parameters:
            parameter.requires_grad_(False)
    result = minitorch.utils.summary(model, input_size=(1, 3, 32, 32))
    assert result.trainable_params == sum(parameter.numel() for parameter in torch_model.parameters()
                                          if parameter.requires_grad)
    assert result.non_trainable_params == CNN_PARAMETERS["0"]
    assert "Non-trainable params: 896" in str(result)


def test_memory_estimates_are_the_bytes_of_torchs_tensors():
    model, torch_model = cnn_twins()
    result = minitorch.utils.summary(model, input_size=(2, 3, 32, 32))
    torch_outputs = torch_output_shapes(torch_model, (2, 3, 32, 32))
    leaf_names = [name for name, module in torch_model.named_modules() if not list(module.children())]
    assert result.params_bytes == sum(parameter.nbytes for parameter in torch_model.parameters())
    assert result.input_bytes == torch.zeros(2, 3, 32, 32).nbytes
    assert result.forward_backward_bytes == 2 * 4 * sum(int(np.prod(torch_outputs[name])) for name in leaf_names)
    assert f"Params size (MB): {result.params_bytes / 1e6:.2f}" in str(result)


def test_depth_folds_deeper_layers_into_their_ancestors_row():
    def nested(nn):
        return nn.Sequential(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)), nn.Linear(2, 1))
    minitorch.manual_seed(0)
    model, torch_model = nested(minitorch.nn), nested(torch.nn)
    result = minitorch.utils.summary(model, input_size=(5, 3), depth=1)
    assert [(layer.name, layer.num_params) for layer in result.layers] == [
        ("", 0), ("0", sum(parameter.numel() for parameter in torch_model[0].parameters())), ("1", 3)]
    full = minitorch.utils.summary(model, input_size=(5, 3))
    assert [layer.name for layer in full.layers] == [name for name, _ in torch_model.named_modules()]
    assert "│    └─Linear: 2-3" in str(full)


def test_input_data_and_batch_dim_give_the_same_rows_as_input_size():
    model, _ = cnn_twins()
    expected = minitorch.utils.summary(model, input_size=(1, 3, 32, 32)).layers
    assert minitorch.utils.summary(model, input_size=(3, 32, 32), batch_dim=0).layers == expected
    assert minitorch.utils.summary(model, input_data=minitorch.ones(1, 3, 32, 32)).layers == expected


def test_summary_removes_its_hooks_and_restores_training_mode():
    model, _ = cnn_twins()
    model.train()
    model[1].eval()
    minitorch.utils.summary(model, input_size=(1, 3, 32, 32))
    assert all(not module._forward_hooks and not module._forward_pre_hooks for module in model.modules())
    assert [module.training for module in model.modules()] == [True, True, False] + [True] * 8
