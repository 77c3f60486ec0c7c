"""LeNet-5 (LeCun et al., 1998) for 28x28 single-channel images such as MNIST: the smallest
convolutional classifier worth training, with no torchvision counterpart.

The modern variant: ReLU and max pooling where the paper used tanh-like squashing and
subsampling. The first convolution pads by 2, so a 28x28 image plays the paper's 32x32 one.
"""
from __future__ import annotations

import minitorch
from minitorch import nn
from minitorch.vision.models._utils import load_weights, resolve_weights

__all__ = ["LeNet", "lenet"]


class LeNet(nn.Module):
    """Two convolution-pool stages (6 and 16 channels, 28x28 -> 14x14 -> 5x5), then three linear layers."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Linear(16 * 5 * 5, 120), nn.ReLU(inplace=True),
            nn.Linear(120, 84), nn.ReLU(inplace=True),
            nn.Linear(84, num_classes),
        )

    def forward(self, x):
        return self.classifier(minitorch.flatten(self.features(x), 1))


def lenet(*, weights=None, progress: bool = True, **kwargs) -> LeNet:
    """LeNet-5 (61,706 parameters for 10 classes); ``weights`` as for the other builders."""
    state_dict = resolve_weights(weights, "lenet", kwargs)
    return load_weights(LeNet(**kwargs), state_dict)
