"""ResNet (He et al., 2015), laid out exactly as torchvision's ``torchvision.models.resnet``.

Every attribute has torchvision's name (``conv1``, ``bn1``, ``layer1.0.downsample.0``, ``fc``,
...), so a ``state_dict`` saved from torchvision loads here and the other way round. A residual
block computes ``relu(F(x) + shortcut(x))``: the identity, or a strided 1x1 convolution and a
norm (``downsample``) where the block changes the shape. ``Bottleneck`` strides in its 3x3
convolution, not its first 1x1 ("ResNet v1.5"), as torchvision does.
"""
from __future__ import annotations

import minitorch
from minitorch import nn
from minitorch.vision.models._utils import load_weights, resolve_weights

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1, dilation: int = 1) -> nn.Conv2d:
    """A 3x3 convolution whose padding keeps the size (at stride 1)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation, groups=groups,
                     bias=False, dilation=dilation)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions (ResNet-18 and -34)."""

    expansion = 1  # output channels = planes * expansion

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample=None, groups: int = 1,
                 base_width: int = 64, dilation: int = 1, norm_layer=None) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return _add_shortcut(self, out, x)


class Bottleneck(nn.Module):
    """1x1 (narrow) -> 3x3 (strided, grouped) -> 1x1 (widen by 4): ResNet-50 and deeper, ResNeXt."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample=None, groups: int = 1,
                 base_width: int = 64, dilation: int = 1, norm_layer=None) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return _add_shortcut(self, out, x)


def _add_shortcut(block, out, x):
    """relu(residual branch + shortcut): the step that makes a block residual."""
    identity = x if block.downsample is None else block.downsample(x)
    out += identity
    return block.relu(out)


class ResNet(nn.Module):
    """A 7x7 stem, four stages of residual blocks (64, 128, 256, 512 planes), global pooling, ``fc``.

    ``layers`` gives each stage's number of blocks. ``groups`` and ``width_per_group`` make
    ResNeXt and wide ResNets; ``replace_stride_with_dilation`` (three booleans, for stages
    2-4) keeps the resolution by dilating instead of striding; ``zero_init_residual`` starts
    each block's last norm at zero, so every block begins as the identity.
    """

    def __init__(self, block, layers, num_classes: int = 1000, zero_init_residual: bool = False, groups: int = 1,
                 width_per_group: int = 64, replace_stride_with_dilation=None, norm_layer=None) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self._norm_layer = norm_layer
        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError("replace_stride_with_dilation should be None "
                             f"or a 3-element tuple, got {replace_stride_with_dilation}")
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2, dilate=replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2, dilate=replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2, dilate=replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(module.weight, 1)
                nn.init.constant_(module.bias, 0)
        # Goyal et al. (2017): a block that starts as the identity trains better (+0.2-0.3% top-1)
        if zero_init_residual:
            for module in self.modules():
                if isinstance(module, Bottleneck):
                    last_norm = module.bn3
                elif isinstance(module, BasicBlock):
                    last_norm = module.bn2
                else:
                    continue
                if last_norm.weight is not None:
                    nn.init.constant_(last_norm.weight, 0)

    def _make_layer(self, block, planes: int, blocks: int, stride: int = 1, dilate: bool = False) -> nn.Sequential:
        """One stage: its first block changes the resolution and width, the others keep them."""
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       norm_layer(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width, previous_dilation,
                        norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups, base_width=self.base_width,
                                dilation=self.dilation, norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = minitorch.flatten(self.avgpool(x), 1)
        return self.fc(x)


def _resnet(arch: str, block, layers, weights, **kwargs) -> ResNet:
    state_dict = resolve_weights(weights, arch, kwargs)
    return load_weights(ResNet(block, layers, **kwargs), state_dict)


def resnet18(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNet-18 (11.7M parameters). ``weights``: None, a checkpoint path or a state_dict;
    ``progress`` is accepted for torchvision's signature (nothing is downloaded)."""
    return _resnet("resnet18", BasicBlock, [2, 2, 2, 2], weights, **kwargs)


def resnet34(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNet-34 (21.8M parameters); arguments as ``resnet18``."""
    return _resnet("resnet34", BasicBlock, [3, 4, 6, 3], weights, **kwargs)


def resnet50(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNet-50 (25.6M parameters, bottleneck blocks); arguments as ``resnet18``."""
    return _resnet("resnet50", Bottleneck, [3, 4, 6, 3], weights, **kwargs)


def resnet101(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNet-101 (44.5M parameters); arguments as ``resnet18``."""
    return _resnet("resnet101", Bottleneck, [3, 4, 23, 3], weights, **kwargs)


def resnet152(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNet-152 (60.2M parameters); arguments as ``resnet18``."""
    return _resnet("resnet152", Bottleneck, [3, 8, 36, 3], weights, **kwargs)
