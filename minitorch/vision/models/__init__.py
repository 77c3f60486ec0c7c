"""``minitorch.vision.models``: reference architectures with torchvision's exact layouts, so that
torchvision's state_dicts (its pretrained checkpoints among them) load unchanged.

``weights=`` takes None, a state_dict, or a checkpoint path; nothing is downloaded.
"""
from minitorch.vision.models.lenet import LeNet, lenet  # noqa: F401
from minitorch.vision.models.mobilenetv2 import (  # noqa: F401
    InvertedResidual,
    MobileNetV2,
    mobilenet_v2,
)
from minitorch.vision.models.resnet import (  # noqa: F401
    BasicBlock,
    Bottleneck,
    ResNet,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
)
from minitorch.vision.models.vgg import (  # noqa: F401
    VGG,
    vgg11,
    vgg11_bn,
    vgg13,
    vgg13_bn,
    vgg16,
    vgg16_bn,
    vgg19,
    vgg19_bn,
)
