"""VGG (Simonyan and Zisserman, 2014), laid out exactly as torchvision's ``torchvision.models.vgg``.

``features`` is one ``Sequential`` of 3x3 convolutions (each followed by a ReLU, or a batch
norm and a ReLU in the ``_bn`` variants) and 2x2 max pools, read from a configuration list;
``avgpool`` brings any input size to 7x7; ``classifier`` is three linear layers with dropout.
The indices inside ``features`` and ``classifier`` are torchvision's, so its state_dicts load.
"""
from __future__ import annotations

import minitorch
from minitorch import nn
from minitorch.vision.models._utils import load_weights, resolve_weights

__all__ = [
    "VGG",
    "cfgs",
    "make_layers",
    "vgg11",
    "vgg11_bn",
    "vgg13",
    "vgg13_bn",
    "vgg16",
    "vgg16_bn",
    "vgg19",
    "vgg19_bn",
]


class VGG(nn.Module):
    def __init__(self, features: nn.Module, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            for module in self.modules():
                if isinstance(module, nn.Conv2d):
                    nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                    if module.bias is not None:
                        nn.init.constant_(module.bias, 0)
                elif isinstance(module, nn.BatchNorm2d):
                    nn.init.constant_(module.weight, 1)
                    nn.init.constant_(module.bias, 0)
                elif isinstance(module, nn.Linear):
                    nn.init.normal_(module.weight, 0, 0.01)
                    nn.init.constant_(module.bias, 0)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(minitorch.flatten(x, 1))


def make_layers(cfg, batch_norm: bool = False) -> nn.Sequential:
    """``features`` from a configuration: a number is a 3x3 convolution to that many channels, "M" a max pool."""
    layers = []
    in_channels = 3
    for value in cfg:
        if value == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, value, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(value))
        layers.append(nn.ReLU(inplace=True))
        in_channels = value
    return nn.Sequential(*layers)


# The paper's configurations: A = 11 weight layers, B = 13, D = 16, E = 19.
cfgs = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


def _vgg(arch: str, cfg: str, batch_norm: bool, weights, **kwargs) -> VGG:
    state_dict = resolve_weights(weights, arch, kwargs)
    if state_dict is not None:
        kwargs["init_weights"] = False  # the checkpoint overwrites every weight anyway
    return load_weights(VGG(make_layers(cfgs[cfg], batch_norm=batch_norm), **kwargs), state_dict)


def vgg11(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-11 (configuration "A", 132.9M parameters). ``weights``: None, a checkpoint path or a
    state_dict; ``progress`` is accepted for torchvision's signature (nothing is downloaded)."""
    return _vgg("vgg11", "A", False, weights, **kwargs)


def vgg11_bn(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-11 with batch normalization; arguments as ``vgg11``."""
    return _vgg("vgg11_bn", "A", True, weights, **kwargs)


def vgg13(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-13 (configuration "B"); arguments as ``vgg11``."""
    return _vgg("vgg13", "B", False, weights, **kwargs)


def vgg13_bn(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-13 with batch normalization; arguments as ``vgg11``."""
    return _vgg("vgg13_bn", "B", True, weights, **kwargs)


def vgg16(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-16 (configuration "D", 138.4M parameters); arguments as ``vgg11``."""
    return _vgg("vgg16", "D", False, weights, **kwargs)


def vgg16_bn(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-16 with batch normalization; arguments as ``vgg11``."""
    return _vgg("vgg16_bn", "D", True, weights, **kwargs)


def vgg19(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-19 (configuration "E"); arguments as ``vgg11``."""
    return _vgg("vgg19", "E", False, weights, **kwargs)


def vgg19_bn(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-19 with batch normalization; arguments as ``vgg11``."""
    return _vgg("vgg19_bn", "E", True, weights, **kwargs)
