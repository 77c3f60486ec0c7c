"""``VisionDataset``: the base class of every image dataset (``torchvision.datasets.VisionDataset``).

It holds what all of them share: the ``root`` folder the files live in, and
the transforms applied to each sample, given either as one ``transforms``
callable on ``(image, target)`` or as separate ``transform`` (the image) and
``target_transform`` (the label), which are then wrapped in a
``StandardTransform``. Its ``repr`` prints torchvision's text.
"""
from __future__ import annotations

import os

from minitorch.utils.data import Dataset

__all__ = ["VisionDataset", "StandardTransform"]


def _transform_repr_lines(transform, head: str) -> list:
    """A transform's repr under a heading, its later lines indented to line up after the heading."""
    lines = repr(transform).splitlines()
    return [f"{head}{lines[0]}"] + [f"{' ' * len(head)}{line}" for line in lines[1:]]


class VisionDataset(Dataset):
    """A dataset of images read from ``root``, with optional transforms on each sample."""

    _repr_indent = 4

    def __init__(self, root=None, transforms=None, transform=None, target_transform=None) -> None:
        if isinstance(root, str):
            root = os.path.expanduser(root)
        self.root = root

        has_transforms = transforms is not None
        has_separate_transform = transform is not None or target_transform is not None
        if has_transforms and has_separate_transform:
            raise ValueError("Only transforms or transform/target_transform can be passed as argument")

        # transform and target_transform stay attributes: datasets apply them one at a time.
        self.transform = transform
        self.target_transform = target_transform
        if has_separate_transform:
            transforms = StandardTransform(transform, target_transform)
        self.transforms = transforms

    def __getitem__(self, index: int):
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def _transform_sample(self, sample, target):
        """``(transform(sample), target_transform(target))``, each where set. It reads the attributes at
        call time, so a dataset whose ``transform`` is reassigned after construction uses the new one."""
        return StandardTransform(self.transform, self.target_transform)(sample, target)

    def __repr__(self) -> str:
        head = "Dataset " + self.__class__.__name__
        body = [f"Number of datapoints: {self.__len__()}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if getattr(self, "transforms", None) is not None:
            # One entry, so only its first line is indented: torchvision prints it this way.
            body += [repr(self.transforms)]
        lines = [head] + [" " * self._repr_indent + line for line in body]
        return "\n".join(lines)

    def _format_transform_repr(self, transform, head: str) -> list:
        return _transform_repr_lines(transform, head)

    def extra_repr(self) -> str:
        return ""


class StandardTransform:
    """Applies ``transform`` to the input and ``target_transform`` to the target."""

    def __init__(self, transform=None, target_transform=None) -> None:
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, input, target):
        if self.transform is not None:
            input = self.transform(input)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return input, target

    def __repr__(self) -> str:
        body = [self.__class__.__name__]
        if self.transform is not None:
            body += _transform_repr_lines(self.transform, "Transform: ")
        if self.target_transform is not None:
            body += _transform_repr_lines(self.target_transform, "Target transform: ")
        return "\n".join(body)
