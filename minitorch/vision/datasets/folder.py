"""Datasets made from a folder per class (``torchvision.datasets.folder``)::

    root/cat/001.png
    root/cat/nested/002.png
    root/dog/xyz.jpg

The classes are the sub-folders of ``root``, sorted by name, and numbered in
that order; the samples are the valid files anywhere under each class folder,
visited in sorted order (folders, then the files in each). ``ImageFolder``
reads images with Pillow (an optional dependency, imported when the first
image is loaded) and converts them to RGB.
"""
from __future__ import annotations

import os

from minitorch.vision.datasets.utils import pil_image
from minitorch.vision.datasets.vision import VisionDataset

__all__ = ["DatasetFolder", "ImageFolder", "IMG_EXTENSIONS", "default_loader", "find_classes",
           "has_file_allowed_extension", "is_image_file", "make_dataset", "pil_loader"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def has_file_allowed_extension(filename: str, extensions) -> bool:
    """Whether ``filename`` ends with one of ``extensions`` (a string or a tuple), ignoring case."""
    return filename.lower().endswith(extensions if isinstance(extensions, str) else tuple(extensions))


def is_image_file(filename: str) -> bool:
    return has_file_allowed_extension(filename, IMG_EXTENSIONS)


def find_classes(directory) -> tuple:
    """``(classes, class_to_idx)``: the sub-folders of ``directory`` sorted by name, and their indices."""
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
    return classes, {name: index for index, name in enumerate(classes)}


def make_dataset(directory, class_to_idx=None, extensions=None, is_valid_file=None,
                 allow_empty: bool = False) -> list:
    """The ``(path, class index)`` pairs of the files under each class folder of ``directory``.

    A file is kept when its name ends with one of ``extensions`` or, instead, when
    ``is_valid_file(path)`` says so (exactly one of the two must be given). A class folder with no
    kept file raises ``FileNotFoundError`` unless ``allow_empty``.
    """
    directory = os.path.expanduser(directory)
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    elif not class_to_idx:
        raise ValueError("'class_to_index' must have at least one entry to collect any samples.")
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("Both extensions and is_valid_file cannot be None or not None at the same time")
    if extensions is not None:
        def is_valid_file(path: str) -> bool:
            return has_file_allowed_extension(path, extensions)

    instances, found_classes = [], set()
    for target_class in sorted(class_to_idx):
        target_dir = os.path.join(directory, target_class)
        if not os.path.isdir(target_dir):
            continue
        for folder, _, filenames in sorted(os.walk(target_dir, followlinks=True)):
            for filename in sorted(filenames):
                path = os.path.join(folder, filename)
                if is_valid_file(path):
                    instances.append((path, class_to_idx[target_class]))
                    found_classes.add(target_class)

    empty_classes = set(class_to_idx) - found_classes
    if empty_classes and not allow_empty:
        message = f"Found no valid file for the classes {', '.join(sorted(empty_classes))}. "
        if extensions is not None:
            listed = extensions if isinstance(extensions, str) else ", ".join(extensions)
            message += f"Supported extensions are: {listed}"
        raise FileNotFoundError(message)
    return instances


class DatasetFolder(VisionDataset):
    """Samples read by ``loader(path)`` from a folder per class (see the module docstring).

    Args:
        root: the folder holding one sub-folder per class.
        loader: reads one sample given its path.
        extensions: the file name endings to keep; or give ``is_valid_file`` instead.
        transform, target_transform: applied to each sample and each class index.
        is_valid_file: ``path -> bool``, which files to keep (instead of ``extensions``).
        allow_empty: let a class folder hold no valid file instead of raising ``FileNotFoundError``.

    Attributes: ``classes``, ``class_to_idx``, ``samples`` (``(path, class index)`` pairs) and ``targets``.
    Subclasses change how classes and samples are found by overriding ``find_classes`` and
    ``make_dataset``.
    """

    def __init__(self, root, loader, extensions=None, transform=None, target_transform=None,
                 is_valid_file=None, allow_empty: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        classes, class_to_idx = self.find_classes(self.root)
        samples = self.make_dataset(self.root, class_to_idx=class_to_idx, extensions=extensions,
                                    is_valid_file=is_valid_file, allow_empty=allow_empty)
        self.loader = loader
        self.extensions = extensions
        self.classes = classes
        self.class_to_idx = class_to_idx
        self.samples = samples
        self.targets = [target for _, target in samples]

    @staticmethod
    def make_dataset(directory, class_to_idx, extensions=None, is_valid_file=None,
                     allow_empty: bool = False) -> list:
        if class_to_idx is None:
            # The module-level make_dataset would find the classes itself, but an overridden
            # find_classes may find them differently, so they must be passed.
            raise ValueError("The class_to_idx parameter cannot be None.")
        return make_dataset(directory, class_to_idx, extensions=extensions, is_valid_file=is_valid_file,
                            allow_empty=allow_empty)

    def find_classes(self, directory) -> tuple:
        return find_classes(directory)

    def __getitem__(self, index: int):
        """``(sample, target)``: the loaded file and its class index, each transformed where set."""
        path, target = self.samples[index]
        return self._transform_sample(self.loader(path), target)

    def __len__(self) -> int:
        return len(self.samples)


def pil_loader(path):
    """The image at ``path`` as an RGB PIL image, read now (the file is closed on return)."""
    with open(path, "rb") as file:
        return pil_image().open(file).convert("RGB")


def default_loader(path):
    return pil_loader(path)


class ImageFolder(DatasetFolder):
    """Images in a folder per class, loaded as RGB PIL images; files count as images by their
    extension (``IMG_EXTENSIONS``) unless ``is_valid_file`` is given. ``imgs`` is ``samples``."""

    def __init__(self, root, transform=None, target_transform=None, loader=default_loader, is_valid_file=None,
                 allow_empty: bool = False) -> None:
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None, transform=transform,
                         target_transform=target_transform, is_valid_file=is_valid_file,
                         allow_empty=allow_empty)
        self.imgs = self.samples
