"""The ``weights=`` argument every model builder takes, resolved without the network.

torchvision's builders take a weights enum (``ResNet18_Weights.IMAGENET1K_V1``) and download
the file it names. minitorch never downloads: ``weights`` is None (random initialisation), a
state_dict, or the path of a checkpoint holding one. PyTorch's own torchvision files are
plain state_dicts saved by ``torch.save``, so once downloaded they load with
``minitorch.load(path, weights_only=True)``. An enum's name (``"IMAGENET1K_V1"``,
``"DEFAULT"``) raises an error that says which file to fetch and how to pass it.
"""
from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping

import minitorch

# Where torchvision's IMAGENET1K_V1 weights live, for the error message of an enum name.
_IMAGENET1K_V1_URLS = {
    "resnet18": "https://download.pytorch.org/models/resnet18-f37072fd.pth",
    "resnet34": "https://download.pytorch.org/models/resnet34-b627a593.pth",
    "resnet50": "https://download.pytorch.org/models/resnet50-0676ba61.pth",
    "vgg11": "https://download.pytorch.org/models/vgg11-8a719046.pth",
    "vgg11_bn": "https://download.pytorch.org/models/vgg11_bn-6002323d.pth",
    "vgg16": "https://download.pytorch.org/models/vgg16-397923af.pth",
    "vgg16_bn": "https://download.pytorch.org/models/vgg16_bn-6c64b313.pth",
    "mobilenet_v2": "https://download.pytorch.org/models/mobilenet_v2-b0353104.pth",
}

# "IMAGENET1K_V1", "DEFAULT", "ResNet18_Weights.IMAGENET1K_V2": how torchvision's enum members read.
_ENUM_NAME = re.compile(r"(\w+_Weights\.)?[A-Z][A-Z0-9_]*")


def _enum_error(name: str, arch: str) -> ValueError:
    url = _IMAGENET1K_V1_URLS.get(arch)
    where = (f"the IMAGENET1K_V1 file is {url}" if url else
             "torchvision's documentation lists each weights file's URL")
    return ValueError(
        f"weights={name!r} names one of torchvision's pretrained weights, which minitorch does not download "
        f"(it never uses the network). Download the file yourself ({where}) and pass its path: "
        f"{arch}(weights='/path/to/file.pth').")


def resolve_weights(weights, arch: str, kwargs: dict):
    """``weights`` as a state_dict to load, or None for a randomly initialised model.

    Takes torchvision's legacy ``pretrained`` flag out of ``kwargs`` as torchvision does
    (``pretrained=True`` means the default weights). Raises for enum names before any
    model is built.
    """
    if "pretrained" in kwargs:
        warnings.warn("The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, "
                      "please use 'weights' instead.", stacklevel=3)
        if kwargs.pop("pretrained"):
            weights = "DEFAULT"
    if weights is None or isinstance(weights, Mapping):
        return weights
    if isinstance(weights, str) and _ENUM_NAME.fullmatch(weights) and not os.path.exists(weights):
        raise _enum_error(weights, arch)
    if isinstance(weights, (str, os.PathLike)):
        return minitorch.load(weights, weights_only=True)
    if hasattr(weights, "url") and hasattr(weights, "name"):  # a torchvision WeightsEnum member
        raise _enum_error(str(weights.name), arch)
    raise TypeError(f"weights must be None, a checkpoint path or a state_dict, got {type(weights).__name__}")


def load_weights(model, state_dict):
    """Load ``state_dict`` (from ``resolve_weights``) into ``model``, strictly; returns the model."""
    if state_dict is not None:
        model.load_state_dict(state_dict)
    return model
