"""``Digits``: real handwritten digits that need no download (minitorch's own dataset).

scikit-learn ships 1,797 grey 8x8 images of handwritten digits (UCI's "Optical
Recognition of Handwritten Digits", values 0 to 16) and reads them with
``sklearn.datasets.load_digits``. ``Digits`` serves them in MNIST's shape, so
that examples and tests train on real data anywhere:

- values scaled to uint8 0..255 (``value * 255 / 16``, rounded half to even), so ``ToTensor`` gives [0, 1];
- optionally upscaled to ``size x size`` (28 for MNIST's size) with ``nn.functional.interpolate``
  (``'bilinear'``, align_corners=False, or ``'nearest'``) on the scaled values, before rounding;
- a fixed split: the first 1,437 images train, the last 360 test (scikit-learn's
  ``train_test_split(test_size=0.2, shuffle=False)``). The file cycles through the ten digits,
  so both parts hold every class;
- ``data`` (uint8 tensor ``[N, size, size]``), ``targets`` (int64 tensor), ``classes`` as MNIST's,
  and ``dataset[i]`` is ``(PIL image 'L', int)``: it is an ``MNIST`` whose files are scikit-learn's.
"""
from __future__ import annotations

import numpy

import minitorch
from minitorch.nn import functional as F
from minitorch.vision.datasets.mnist import MNIST
from minitorch.vision.datasets.utils import verify_str_arg

__all__ = ["Digits"]


def _load_digits():
    """scikit-learn's digits: images float64 ``[1797, 8, 8]`` in 0..16, and their labels."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:
        raise ImportError("Digits reads the handwritten digits bundled with scikit-learn: install the `vision` "
                          "extra (pip install 'minitorch[vision]') or scikit-learn itself") from error
    digits = load_digits()
    return digits.images, digits.target


class Digits(MNIST):
    """scikit-learn's 1,797 handwritten 8x8 digits as an MNIST-like dataset (see the module docstring).

    Args:
        root: unused (the images come with scikit-learn); accepted so MNIST's calls work unchanged.
        train: the first 1,437 images if True, else the last 360.
        transform, target_transform: as MNIST's.
        download: unused, as nothing is downloaded.
        size: the side of the images: 8 as stored, or larger (28 for MNIST's size) to upscale.
        interpolation: how to upscale: ``'bilinear'`` or ``'nearest'``.
    """

    mirrors: list = []
    resources: list = []
    train_size = 1437

    def __init__(self, root=None, train: bool = True, transform=None, target_transform=None,
                 download: bool = False, size: int = 8, interpolation: str = "bilinear") -> None:
        self.size = size
        self.interpolation = verify_str_arg(interpolation, "interpolation", ("bilinear", "nearest"))
        super().__init__(root, train=train, transform=transform, target_transform=target_transform,
                         download=download)

    def _check_exists(self) -> bool:
        return True  # the images are part of scikit-learn

    def download(self) -> None:
        """Nothing to download."""

    def _load_data(self):
        images, labels = _load_digits()
        part = slice(None, self.train_size) if self.train else slice(self.train_size, None)
        images = images[part] * (255 / 16)
        if self.size != images.shape[-1]:
            upscaled = F.interpolate(minitorch.from_numpy(images[:, None]), size=(self.size, self.size),
                                     mode=self.interpolation)
            images = upscaled.numpy()[:, 0]
        images = numpy.clip(numpy.rint(images), 0, 255).astype(numpy.uint8)
        return minitorch.from_numpy(images), minitorch.from_numpy(labels[part].astype(numpy.int64))

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}\nSize: {self.size}x{self.size}"
