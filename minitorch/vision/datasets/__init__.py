"""``minitorch.vision.datasets``: image datasets in their real file formats (``torchvision.datasets``).

One file per family: ``vision`` (the base class), ``mnist`` (IDX files), ``cifar``
(pickled batches), ``folder`` (a folder per class), ``fakedata`` (random images),
``digits`` (scikit-learn's bundled digits, which need no download), and ``utils``
(download, checksum and unpacking). Reading files never needs the network.
"""
from minitorch.vision.datasets.cifar import CIFAR10, CIFAR100
from minitorch.vision.datasets.digits import Digits
from minitorch.vision.datasets.fakedata import FakeData
from minitorch.vision.datasets.folder import DatasetFolder, ImageFolder
from minitorch.vision.datasets.mnist import EMNIST, KMNIST, MNIST, FashionMNIST
from minitorch.vision.datasets.vision import VisionDataset

__all__ = [
    "CIFAR10",
    "CIFAR100",
    "DatasetFolder",
    "Digits",
    "EMNIST",
    "FakeData",
    "FashionMNIST",
    "ImageFolder",
    "KMNIST",
    "MNIST",
    "VisionDataset",
]
