"""minitorch.vision.models and minitorch.vision.utils against torchvision.

torchvision cannot be installed beside this torch build, so each architecture's twin is
written below with ``torch.nn``, module for module as torchvision's source builds it
(torchvision/models/resnet.py, vgg.py, mobilenetv2.py). The twin gives the state_dict layout,
the outputs and gradients (on the same weights), and the initialisation; torchvision's own
documented numbers (parameter counts, key names) are hard-coded. ``make_grid`` is checked
against a NumPy transcription of torchvision's loop; ``save_image`` through Pillow.
"""
from __future__ import annotations

import copy
import functools
import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn as tnn

import minitorch
from minitorch.vision import models
from minitorch.vision import utils as vision_utils
from tests.helpers import (
    assert_same,
    assert_same_state_dict,
    check_module_against_torch,
    to_numpy,
)

# -- torch twins of torchvision's architectures --------------------------------------------------------

class TorchBasicBlock(tnn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1,
                 norm_layer=tnn.BatchNorm2d):
        super().__init__()
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        self.conv1 = tnn.Conv2d(inplanes, planes, 3, stride, padding=1, bias=False)
        self.bn1 = norm_layer(planes)
        self.relu = tnn.ReLU(inplace=True)
        self.conv2 = tnn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class TorchBottleneck(tnn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1,
                 norm_layer=tnn.BatchNorm2d):
        super().__init__()
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = tnn.Conv2d(inplanes, width, 1, bias=False)
        self.bn1 = norm_layer(width)
        self.conv2 = tnn.Conv2d(width, width, 3, stride, padding=dilation, groups=groups, dilation=dilation,
                                bias=False)
        self.bn2 = norm_layer(width)
        self.conv3 = tnn.Conv2d(width, planes * 4, 1, bias=False)
        self.bn3 = norm_layer(planes * 4)
        self.relu = tnn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x))))))
        out = self.bn3(self.conv3(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class TorchResNet(tnn.Module):
    def __init__(self, block, layers, num_classes=1000, zero_init_residual=False, groups=1, width_per_group=64,
                 replace_stride_with_dilation=None):
        super().__init__()
        dilate = replace_stride_with_dilation or [False, False, False]
        if len(dilate) != 3:
            raise ValueError(f"replace_stride_with_dilation should be None or a 3-element tuple, got {dilate}")
        self.inplanes, self.dilation, self.groups, self.base_width = 64, 1, groups, width_per_group
        self.conv1 = tnn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = tnn.BatchNorm2d(64)
        self.relu = tnn.ReLU(inplace=True)
        self.maxpool = tnn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], 2, dilate[0])
        self.layer3 = self._make_layer(block, 256, layers[2], 2, dilate[1])
        self.layer4 = self._make_layer(block, 512, layers[3], 2, dilate[2])
        self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
        self.fc = tnn.Linear(512 * block.expansion, num_classes)
        for module in self.modules():
            if isinstance(module, tnn.Conv2d):
                tnn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, tnn.BatchNorm2d):
                tnn.init.constant_(module.weight, 1)
                tnn.init.constant_(module.bias, 0)
        if zero_init_residual:
            for module in self.modules():
                if isinstance(module, TorchBottleneck):
                    tnn.init.constant_(module.bn3.weight, 0)
                elif isinstance(module, TorchBasicBlock):
                    tnn.init.constant_(module.bn2.weight, 0)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        downsample, previous_dilation = None, self.dilation
        if dilate:
            self.dilation, stride = self.dilation * stride, 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = tnn.Sequential(tnn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                                        tnn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width, previous_dilation)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes, groups=self.groups, base_width=self.base_width,
                         dilation=self.dilation) for _ in range(1, blocks)]
        return tnn.Sequential(*layers)

    def forward(self, x):
        x = self.layer4(self.layer3(self.layer2(self.layer1(self.maxpool(self.relu(self.bn1(self.conv1(x))))))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


VGG11_CONFIGURATION = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]


def torch_vgg_features(configuration, batch_norm):
    layers, in_channels = [], 3
    for value in configuration:
        if value == "M":
            layers.append(tnn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [tnn.Conv2d(in_channels, value, kernel_size=3, padding=1)]
            layers += [tnn.BatchNorm2d(value), tnn.ReLU(True)] if batch_norm else [tnn.ReLU(True)]
            in_channels = value
    return tnn.Sequential(*layers)


class TorchVGG(tnn.Module):
    def __init__(self, features, num_classes=1000, dropout=0.5):
        super().__init__()
        self.features = features
        self.avgpool = tnn.AdaptiveAvgPool2d((7, 7))
        self.classifier = tnn.Sequential(tnn.Linear(512 * 7 * 7, 4096), tnn.ReLU(True), tnn.Dropout(dropout),
                                         tnn.Linear(4096, 4096), tnn.ReLU(True), tnn.Dropout(dropout),
                                         tnn.Linear(4096, num_classes))
        for module in self.modules():
            if isinstance(module, tnn.Conv2d):
                tnn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                tnn.init.constant_(module.bias, 0)
            elif isinstance(module, tnn.Linear):
                tnn.init.normal_(module.weight, 0, 0.01)
                tnn.init.constant_(module.bias, 0)

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def torch_conv_norm_relu6(in_channels, out_channels, kernel_size=3, stride=1, groups=1):
    """torchvision.ops.Conv2dNormActivation as MobileNetV2 uses it."""
    return tnn.Sequential(tnn.Conv2d(in_channels, out_channels, kernel_size, stride, (kernel_size - 1) // 2,
                                     groups=groups, bias=False),
                          tnn.BatchNorm2d(out_channels), tnn.ReLU6(inplace=True))


class TorchInvertedResidual(tnn.Module):
    def __init__(self, inp, oup, stride, expand_ratio):
        super().__init__()
        if stride not in [1, 2]:
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        hidden = round(inp * expand_ratio)
        self.use_res_connect = stride == 1 and inp == oup
        layers = [torch_conv_norm_relu6(inp, hidden, kernel_size=1)] if expand_ratio != 1 else []
        layers += [torch_conv_norm_relu6(hidden, hidden, stride=stride, groups=hidden),
                   tnn.Conv2d(hidden, oup, 1, 1, 0, bias=False), tnn.BatchNorm2d(oup)]
        self.conv = tnn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


def torch_make_divisible(v, divisor):
    rounded = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * v else rounded


class TorchMobileNetV2(tnn.Module):
    SETTING = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
               (6, 320, 1, 1))

    def __init__(self, num_classes=1000, width_mult=1.0, dropout=0.2):
        super().__init__()
        input_channel = torch_make_divisible(32 * width_mult, 8)
        last_channel = torch_make_divisible(1280 * max(1.0, width_mult), 8)
        features = [torch_conv_norm_relu6(3, input_channel, stride=2)]
        for t, c, n, s in self.SETTING:
            output_channel = torch_make_divisible(c * width_mult, 8)
            for index in range(n):
                features.append(TorchInvertedResidual(input_channel, output_channel, s if index == 0 else 1, t))
                input_channel = output_channel
        features.append(torch_conv_norm_relu6(input_channel, last_channel, kernel_size=1))
        self.features = tnn.Sequential(*features)
        self.classifier = tnn.Sequential(tnn.Dropout(p=dropout), tnn.Linear(last_channel, num_classes))
        for module in self.modules():
            if isinstance(module, tnn.Conv2d):
                tnn.init.kaiming_normal_(module.weight, mode="fan_out")
            elif isinstance(module, tnn.Linear):
                tnn.init.normal_(module.weight, 0, 0.01)
                tnn.init.zeros_(module.bias)

    def forward(self, x):
        x = tnn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


class TorchLeNet(tnn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = tnn.Sequential(tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
                                       tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2))
        self.classifier = tnn.Sequential(tnn.Linear(400, 120), tnn.ReLU(), tnn.Linear(120, 84), tnn.ReLU(),
                                         tnn.Linear(84, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


# name: (minitorch builder, torch twin builder); each takes the same keyword arguments
ARCHITECTURES = {
    "resnet18": (models.resnet18, lambda **kw: TorchResNet(TorchBasicBlock, [2, 2, 2, 2], **kw)),
    "resnet34": (models.resnet34, lambda **kw: TorchResNet(TorchBasicBlock, [3, 4, 6, 3], **kw)),
    "resnet50": (models.resnet50, lambda **kw: TorchResNet(TorchBottleneck, [3, 4, 6, 3], **kw)),
    "vgg11": (models.vgg11, lambda **kw: TorchVGG(torch_vgg_features(VGG11_CONFIGURATION, False), **kw)),
    "mobilenet_v2": (models.mobilenet_v2, TorchMobileNetV2),
    "lenet": (models.lenet, TorchLeNet),
}

# torchvision's documented sizes (the "num_params" of each model's IMAGENET1K_V1 weights)
DOCUMENTED_PARAMETER_COUNTS = {"resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032,
                               "vgg11": 132_863_336, "mobilenet_v2": 3_504_872, "lenet": 61_706}


@functools.cache
def default_pair(name):
    """The model and its twin at default arguments, built once: VGG-11 alone takes seconds."""
    torch.manual_seed(0)
    minitorch.manual_seed(0)
    ours, theirs = ARCHITECTURES[name]
    return ours(), theirs()


# -- state_dict layout and sizes -----------------------------------------------------------------------

@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_state_dict_keys_shapes_and_dtypes_equal_torchvisions(name):
    assert_same_state_dict(*default_pair(name))


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_parameter_count_equals_torchvisions_documented_number(name):
    ours, theirs = default_pair(name)
    count = sum(parameter.numel() for parameter in ours.parameters())
    assert count == DOCUMENTED_PARAMETER_COUNTS[name] == sum(parameter.numel() for parameter in theirs.parameters())


def test_resnet18_state_dict_has_torchvisions_key_names():
    state_dict = default_pair("resnet18")[0].state_dict()
    keys = list(state_dict)
    # 62 parameters, and 20 batch norms with running_mean, running_var and num_batches_tracked each
    assert len(keys) == 62 + 20 * 3
    assert len(list(default_pair("resnet18")[0].parameters())) == 62
    assert keys[:7] == ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                        "bn1.num_batches_tracked", "layer1.0.conv1.weight"]
    assert keys[-3:] == ["layer4.1.bn2.num_batches_tracked", "fc.weight", "fc.bias"]
    assert {"layer2.0.downsample.0.weight", "layer2.0.downsample.1.running_var", "layer4.0.downsample.1.bias",
            "layer3.1.conv2.weight"} <= set(keys)
    assert "layer1.0.downsample.0.weight" not in keys  # layer1 keeps the shape: no downsample
    assert tuple(state_dict["fc.weight"].shape) == (1000, 512)


@pytest.mark.parametrize("name, expected", [
    ("vgg11", ["features.0.weight", "features.0.bias", "features.3.weight", "features.18.bias",
               "classifier.0.weight", "classifier.3.weight", "classifier.6.bias"]),
    ("mobilenet_v2", ["features.0.0.weight", "features.0.1.running_mean", "features.1.conv.0.0.weight",
                      "features.1.conv.1.weight", "features.1.conv.2.bias", "features.2.conv.0.0.weight",
                      "features.2.conv.3.num_batches_tracked", "features.18.0.weight", "classifier.1.weight"]),
])
def test_state_dict_has_torchvisions_documented_key_names(name, expected):
    assert set(expected) <= set(default_pair(name)[0].state_dict())


def test_vgg_bn_features_have_torchvisions_layout():
    from minitorch.vision.models.vgg import cfgs, make_layers
    assert_same_state_dict(make_layers(cfgs["A"], batch_norm=True), torch_vgg_features(VGG11_CONFIGURATION, True))
    assert [len(models.vgg.cfgs[key]) for key in "ABDE"] == [13, 15, 18, 21]


# -- outputs and gradients on the same weights ---------------------------------------------------------

# name, builder options, input shape, modes, dtype: small inputs keep each model to about a second.
# Train mode (batch statistics) needs a few values per channel at the last stage: a batch norm over
# just two values amplifies rounding about 100-fold per block, hence 64x64 inputs where it is checked.
# VGG-11's 133M weights stay in float32: float64 copies of them alone take seconds.
FORWARD_CASES = [
    ("resnet18", {}, (2, 3, 64, 64), ("eval", "train"), np.float64),
    ("resnet50", {"num_classes": 10}, (2, 3, 32, 32), ("eval",), np.float64),  # Bottleneck training: next line
    ("resnext_dilated", {"groups": 2, "width_per_group": 32, "replace_stride_with_dilation": [False, True, True],
                         "num_classes": 7}, (2, 3, 32, 32), ("eval", "train"), np.float64),
    ("vgg11", {}, (2, 3, 32, 32), ("eval",), np.float32),  # no batch norm (vgg11_bn's features: below)
    ("mobilenet_v2", {"width_mult": 0.5, "num_classes": 10}, (2, 3, 64, 64), ("eval", "train"), np.float64),
    ("lenet", {}, (3, 1, 28, 28), ("eval",), np.float64),
]
PARITY_RUNS = [pytest.param(name, options, shape, mode == "train", dtype, id=f"{name}-{mode}")
               for name, options, shape, modes, dtype in FORWARD_CASES for mode in modes]
SMALL_ARCHITECTURES = {
    **ARCHITECTURES,
    "resnext_dilated": (lambda **kw: models.ResNet(models.Bottleneck, [1, 1, 1, 1], **kw),
                        lambda **kw: TorchResNet(TorchBottleneck, [1, 1, 1, 1], **kw)),
}


def _twins(name, options, training, dtype):
    """The model and its twin in ``dtype`` with the same weights, in the wanted mode (dropout always off,
    as its random masks differ between the libraries). Only the first and last weights require
    grad: a couple of parameter gradients are checked, and VGG's 100M-weight gradients would cost
    seconds. At default options the models built once (``default_pair``) are copied."""
    if options:
        torch.manual_seed(1)
        ours, theirs = SMALL_ARCHITECTURES[name]
        pair = ours(**options), theirs(**options)
    else:
        pair = tuple(copy.deepcopy(model) for model in default_pair(name))
    pair = tuple(model.double() if dtype == np.float64 else model for model in pair)
    for model in pair:
        model.train(training)
        parameters = list(model.parameters())
        for index, parameter in enumerate(parameters):
            parameter.requires_grad_(index in (0, len(parameters) - 2))
    for module in pair[0].modules():
        if isinstance(module, minitorch.nn.Dropout):
            module.eval()
    for module in pair[1].modules():
        if isinstance(module, tnn.Dropout):
            module.eval()
    return pair


@pytest.mark.parametrize("name, options, shape, training, dtype", PARITY_RUNS)
def test_outputs_and_gradients_match_torch_on_the_same_weights(name, options, shape, training, dtype):
    ours, theirs = _twins(name, options, training, dtype)
    image = np.random.default_rng(2).standard_normal(shape).astype(dtype)
    check_module_against_torch(ours, theirs, image)
    assert_same_buffers(ours, theirs)


def assert_same_buffers(ours, theirs):
    """In train mode the batch norms updated their running statistics from the batch; in eval they kept them."""
    assert_same(dict(ours.named_buffers()), dict(theirs.named_buffers()), what="buffers after the forward")


def test_vgg11_bn_features_match_torch_in_train_mode():
    """The batch-norm variant of VGG's features (the classifier is vgg11's, checked above)."""
    from minitorch.vision.models.vgg import cfgs, make_layers
    torch.manual_seed(3)
    ours, theirs = make_layers(cfgs["A"], batch_norm=True).double(), torch_vgg_features(VGG11_CONFIGURATION, True)
    check_module_against_torch(ours, theirs.double(), np.random.default_rng(4).standard_normal((2, 3, 32, 32)))
    assert_same_buffers(ours, theirs)


# -- weights= ------------------------------------------------------------------------------------------

WEIGHTS_CASES = [case[:3] for case in FORWARD_CASES if case[0] in ("resnet18", "lenet")]


@pytest.mark.parametrize("name, options, shape", WEIGHTS_CASES, ids=[case[0] for case in WEIGHTS_CASES])
def test_weights_path_loads_a_torch_saved_state_dict(name, options, shape, tmp_path):
    """A file written by ``torch.save(model.state_dict())`` (the format of torchvision's downloads)."""
    torch.manual_seed(5)
    builder, twin_builder = ARCHITECTURES[name]
    twin = twin_builder(**options).eval()
    path = tmp_path / f"{name}.pth"
    torch.save(twin.state_dict(), path)
    image = np.random.default_rng(6).standard_normal(shape).astype(np.float32)
    expected = twin(torch.tensor(image))
    for weights in (str(path), path):
        ours = builder(weights=weights, progress=False, **options).eval()
        assert_same(ours(minitorch.tensor(image)), expected, what=f"output with weights={weights!r}")


def test_weights_state_dict_is_loaded_as_given():
    twin = TorchLeNet(num_classes=4)
    state_dict = {key: minitorch.tensor(to_numpy(value)) for key, value in twin.state_dict().items()}
    ours = models.lenet(weights=state_dict, num_classes=4)
    assert_same(dict(ours.state_dict()), dict(twin.state_dict()))


@pytest.mark.parametrize("builder", [models.resnet18, models.vgg11, models.mobilenet_v2])
@pytest.mark.parametrize("weights", ["IMAGENET1K_V1", "DEFAULT", "ResNet18_Weights.IMAGENET1K_V1"])
def test_weights_enum_name_raises_an_error_saying_to_download_the_file(builder, weights):
    with pytest.raises(ValueError, match="does not download.*pass its path"):
        builder(weights=weights)


def test_legacy_pretrained_true_raises_the_download_error_after_torchvisions_warning():
    with pytest.warns(UserWarning, match="'pretrained' is deprecated"), pytest.raises(ValueError, match="download"):
        models.resnet18(pretrained=True)


def test_weights_of_another_type_raise_type_error():
    with pytest.raises(TypeError, match="weights must be None, a checkpoint path or a state_dict"):
        models.lenet(weights=3)


# -- initialisation ------------------------------------------------------------------------------------

SAMPLE_SIZE = 1_000_000  # the first values of each weight: VGG's 100M-value layers need no more


def _spread(tensor):
    values = to_numpy(tensor).reshape(-1)[:SAMPLE_SIZE]
    return values.mean(dtype=np.float64), values.std(dtype=np.float64), values.size


@pytest.mark.parametrize("name", ["resnet50", "vgg11", "mobilenet_v2"])
def test_initialisation_has_torchvisions_distributions(name):
    """Convolutions: kaiming normal over fan_out, std sqrt(2 / fan_out); VGG's and MobileNet's linear
    layers: N(0, 0.01²) with zero bias; norms: weight 1, bias 0. Both libraries draw from those
    distributions; the deterministic entries are equal outright."""
    ours, theirs = default_pair(name)
    theirs_state = theirs.state_dict()
    for key, value in ours.state_dict().items():
        reference = theirs_state[key]
        if key.endswith("weight") and value.dim() == 4:
            expected_std = math.sqrt(2.0 / (value.shape[0] * value.shape[2] * value.shape[3]))
        elif key.endswith("weight") and value.dim() == 2 and name != "resnet50":
            expected_std = 0.01
        else:
            if not (name == "resnet50" and key.startswith("fc.")):  # fc keeps Linear's own uniform init
                assert_same(value, reference, what=key)
            continue
        for mean, std, size in (_spread(value), _spread(reference)):
            # six standard errors of the mean and the std of `size` normal draws
            assert abs(mean) < 6 * expected_std / math.sqrt(size), key
            assert abs(std / expected_std - 1) < 6 / math.sqrt(2 * size), key


def test_zero_init_residual_zeroes_each_blocks_last_norm_as_torchvision():
    for builder, twin_block, layers in ((models.resnet18, TorchBasicBlock, [2, 2, 2, 2]),
                                        (models.resnet50, TorchBottleneck, [3, 4, 6, 3])):
        ours, theirs = builder(zero_init_residual=True), TorchResNet(twin_block, layers, zero_init_residual=True)
        theirs_state = theirs.state_dict()
        norms = {key: value for key, value in ours.state_dict().items() if ".bn" in key or "downsample.1" in key}
        assert_same(norms, {key: theirs_state[key] for key in norms})


# -- architecture options and errors (torchvision's messages) --------------------------------------------

@pytest.mark.parametrize("build, build_twin", [
    (lambda: models.resnet18(replace_stride_with_dilation=[False, True]),
     lambda: TorchResNet(TorchBasicBlock, [2, 2, 2, 2], replace_stride_with_dilation=[False, True])),
    (lambda: models.resnet18(replace_stride_with_dilation=[False, False, True]),
     lambda: TorchResNet(TorchBasicBlock, [2, 2, 2, 2], replace_stride_with_dilation=[False, False, True])),
    (lambda: models.BasicBlock(64, 64, groups=2), lambda: TorchBasicBlock(64, 64, groups=2)),
    (lambda: models.InvertedResidual(8, 8, 3, 6), lambda: TorchInvertedResidual(8, 8, 3, 6)),
])
def test_invalid_architecture_options_raise_torchvisions_errors(build, build_twin):
    with pytest.raises(Exception) as expected:
        build_twin()
    with pytest.raises(type(expected.value)) as actual:
        build()
    assert str(actual.value) == str(expected.value)


def test_mobilenet_v2_rejects_an_empty_setting():
    with pytest.raises(ValueError, match="inverted_residual_setting should be non-empty or a 4-element list"):
        models.MobileNetV2(inverted_residual_setting=[])


@pytest.mark.parametrize("width_mult", [0.35, 0.75, 1.4])
def test_mobilenet_v2_width_mult_gives_torchvisions_channel_counts(width_mult):
    assert_same_state_dict(models.mobilenet_v2(width_mult=width_mult), TorchMobileNetV2(width_mult=width_mult))


# -- make_grid and save_image ----------------------------------------------------------------------------

def reference_make_grid(images, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
                        pad_value=0.0):
    """torchvision.utils.make_grid transcribed into NumPy, loop and all (images already stacked)."""
    images = np.array(images)
    if images.ndim == 2:
        images = images[None]
    if images.ndim == 3:
        if images.shape[0] == 1:
            images = np.concatenate([images] * 3, 0)
        images = images[None]
    if images.shape[1] == 1:
        images = np.concatenate([images] * 3, 1)
    if normalize:
        def norm_range(image):
            low, high = value_range if value_range is not None else (float(image.min()), float(image.max()))
            np.clip(image, low, high, out=image)
            image -= low
            image /= max(high - low, 1e-5)
        for image in (images if scale_each else [images]):
            norm_range(image)
    if images.shape[0] == 1:
        return images[0]
    count, channels, height, width = images.shape
    columns = min(nrow, count)
    rows = math.ceil(count / columns)
    grid = np.full((channels, (height + padding) * rows + padding, (width + padding) * columns + padding),
                   pad_value, dtype=images.dtype)
    for k in range(count):
        top, left = (k // columns) * (height + padding) + padding, (k % columns) * (width + padding) + padding
        grid[:, top:top + height, left:left + width] = images[k]
    return grid


@st.composite
def grid_cases(draw):
    layout = draw(st.sampled_from(["batch", "list", "image", "plane"]))
    count = draw(st.integers(1, 7))
    channels = draw(st.sampled_from([1, 3]))
    shape = {"batch": (count, channels), "list": (count, channels), "image": (channels,), "plane": ()}[layout]
    shape += (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    images = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).standard_normal(shape).astype(np.float32)
    options = draw(st.fixed_dictionaries({}, optional={
        "nrow": st.integers(1, 5), "padding": st.integers(0, 3), "normalize": st.booleans(),
        "value_range": st.sampled_from([(-1.0, 1.0), (0, 1), (-0.3, 0.7)]), "scale_each": st.booleans(),
        "pad_value": st.sampled_from([0.0, 1.0, 0.25])}))
    return layout, images, options


def _as_minitorch(layout, images):
    return [minitorch.tensor(image) for image in images] if layout == "list" else minitorch.tensor(images)


@given(grid_cases())
def test_make_grid_matches_torchvisions_layout_and_normalization(case):
    layout, images, options = case
    grid = vision_utils.make_grid(_as_minitorch(layout, images), **options)
    expected = reference_make_grid(images, **options)
    assert grid.dtype == minitorch.float32
    np.testing.assert_array_equal(to_numpy(grid), expected)


@given(case=grid_cases())
def test_save_image_writes_the_grid_as_rounded_8_bit_pixels(case, tmp_path_factory):
    from PIL import Image
    layout, images, options = case
    options["normalize"] = True  # save_image expects values in [0, 1]
    path = tmp_path_factory.mktemp("images") / "grid.png"
    vision_utils.save_image(_as_minitorch(layout, images), str(path), **options)
    grid = reference_make_grid(images, **options)
    expected = np.clip(grid * np.float32(255) + np.float32(0.5), 0, 255).astype(np.uint8).transpose(1, 2, 0)
    with Image.open(path) as image:
        assert image.format == "PNG"
        np.testing.assert_array_equal(np.asarray(image), expected)


def test_save_image_to_a_file_object_needs_the_format(tmp_path):
    import io

    from PIL import Image
    buffer = io.BytesIO()
    batch = minitorch.tensor(np.random.default_rng(7).uniform(size=(3, 3, 4, 5)).astype(np.float32))
    vision_utils.save_image(batch, buffer, format="PNG", nrow=2, padding=1)
    buffer.seek(0)
    with Image.open(buffer) as image:
        assert image.size == (2 * 6 + 1, 2 * 5 + 1)  # (width, height): 2 columns and 2 rows of padded cells


@pytest.mark.parametrize("argument, message", [
    ("not a tensor", "tensor or list of tensors expected, got <class 'str'>"),
    ([np.zeros((3, 2, 2))], "tensor or list of tensors expected, got a list containing <class 'numpy.ndarray'>"),
])
def test_make_grid_rejects_what_is_not_a_tensor_as_torchvision(argument, message):
    with pytest.raises(TypeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        vision_utils.make_grid(argument)


def test_make_grid_rejects_a_value_range_that_is_not_a_tuple():
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        vision_utils.make_grid(minitorch.zeros(2, 3, 2, 2), normalize=True, value_range=[0, 1])

