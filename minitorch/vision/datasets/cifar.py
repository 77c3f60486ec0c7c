"""CIFAR-10 and CIFAR-100, read from the "python version" batches (``torchvision.datasets.cifar``).

``root/cifar-10-batches-py/`` holds ``data_batch_1`` .. ``data_batch_5``,
``test_batch`` and ``batches.meta``; ``root/cifar-100-python/`` holds
``train``, ``test`` and ``meta``. Each is a pickled dict written by Python 2:

    data          uint8 array [N, 3072]: each row a 32x32 image, its red plane, then green, then blue
    labels        N ints (CIFAR-100: ``fine_labels`` and ``coarse_labels``)
    filenames     N names
    label_names   in batches.meta (CIFAR-100's meta: ``fine_label_names``, ``coarse_label_names``)

They are read with ``encoding='latin1'`` (Python 2's byte strings become
``str``, as NumPy expects for the array bytes), and with an unpickler that
resolves only the globals NumPy needs to rebuild an array, and a few plain
builtin types: a pickle can run any function it names, so a tampered file
must not be able to name anything else.
"""
from __future__ import annotations

import builtins
import codecs
import os
import pickle

import numpy

from minitorch.vision.datasets.utils import check_integrity, download_resources, pil_image
from minitorch.vision.datasets.vision import VisionDataset

__all__ = ["CIFAR10", "CIFAR100"]


# What a pickled NumPy array names to rebuild itself. NumPy 1 wrote its core module as ``numpy.core``,
# NumPy 2 as ``numpy._core``: files from either load, whichever NumPy is installed.
try:
    from numpy._core import multiarray as _multiarray, numeric as _numeric
except ImportError:  # NumPy 1
    from numpy.core import multiarray as _multiarray, numeric as _numeric

_SAFE_GLOBALS = {
    "numpy.ndarray": numpy.ndarray,
    "numpy.dtype": numpy.dtype,
    **{f"{core}.{name}": function
       for core in ("numpy.core", "numpy._core")
       for name, function in (("multiarray._reconstruct", _multiarray._reconstruct),
                              ("multiarray.scalar", _multiarray.scalar),
                              ("numeric._frombuffer", _numeric._frombuffer))},
    # Plain types only: nothing that evaluates, imports or reaches attributes, nor bytes and bytearray,
    # which given a bare number would allocate that many bytes.
    **{f"builtins.{name}": getattr(builtins, name)
       for name in ("bool", "complex", "dict", "float", "frozenset", "int", "list", "set", "slice", "str", "tuple")},
    "_codecs.encode": codecs.encode,  # how protocol 2 spells a bytes object written by Python 3
}


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles plain data and NumPy arrays, and refuses any other global with ``UnpicklingError``."""

    def find_class(self, module, name):
        full_name = f"{'builtins' if module == '__builtin__' else module}.{name}"  # Python 2's name for builtins
        if full_name not in _SAFE_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load the global {full_name}: a CIFAR batch holds only "
                                         "NumPy arrays, numbers, strings, lists and dicts")
        return _SAFE_GLOBALS[full_name]


def _load_batch(path) -> dict:
    """One batch file's dict, through the restricted unpickler."""
    with open(path, "rb") as file:
        try:
            return _ArrayUnpickler(file, encoding="latin1").load()
        except pickle.UnpicklingError as error:
            raise pickle.UnpicklingError(f"{path}: {error}") from error


class CIFAR10(VisionDataset):
    """`CIFAR-10 <https://www.cs.toronto.edu/~kriz/cifar.html>`_: 32x32 colour images in 10 classes,
    50,000 to train on (five batches) and 10,000 to test on.

    Args:
        root: the folder holding ``cifar-10-batches-py/`` (or where ``download`` puts it).
        train: the five training batches if True, else the test batch.
        transform: applied to each PIL image (mode ``'RGB'``), e.g. ``transforms.ToTensor()``.
        target_transform: applied to each label (an int).
        download: fetch and unpack the archive unless the batches are there with the right checksums
            (an archive already in ``root`` is unpacked without the network).

    Attributes: ``data`` (a uint8 NumPy array ``[N, 32, 32, 3]``, height-width-channel as PIL wants it),
    ``targets`` (a list of ints), ``classes`` (from the meta file) and ``class_to_idx``.
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [
        ["test_batch", "40351d587109b95175f43aff81a1287e"],
    ]
    meta = {"filename": "batches.meta", "key": "label_names", "md5": "5ff9c542aee3614f3951f8cda6e48888"}

    def __init__(self, root, train: bool = True, transform=None, target_transform=None,
                 download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_integrity():
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to download it")

        batches = [_load_batch(os.path.join(self.root, self.base_folder, name))
                   for name, _ in (self.train_list if self.train else self.test_list)]
        self.data = numpy.vstack([batch["data"] for batch in batches]).reshape(-1, 3, 32, 32)
        self.data = self.data.transpose((0, 2, 3, 1))  # planes to height-width-channel, as PIL wants
        # CIFAR-100's batches name their labels fine_labels (and coarse_labels, which torchvision leaves out).
        self.targets = [label for batch in batches
                        for label in (batch["labels"] if "labels" in batch else batch["fine_labels"])]
        self._load_meta()

    def _load_meta(self) -> None:
        path = os.path.join(self.root, self.base_folder, self.meta["filename"])
        if not check_integrity(path, self.meta["md5"]):
            raise RuntimeError("Dataset metadata file not found or corrupted. You can use download=True to "
                               "download it")
        self.classes = _load_batch(path)[self.meta["key"]]
        self.class_to_idx = {name: index for index, name in enumerate(self.classes)}

    def __getitem__(self, index: int):
        """``(image, target)``: a PIL image (mode ``'RGB'``) and the class index, each transformed where set."""
        return self._transform_sample(pil_image().fromarray(self.data[index]), self.targets[index])

    def __len__(self) -> int:
        return len(self.data)

    def _check_integrity(self) -> bool:
        return all(check_integrity(os.path.join(self.root, self.base_folder, name), md5)
                   for name, md5 in self.train_list + self.test_list)

    def download(self) -> None:
        """Download the archive (unless it is already in ``root``) and unpack it there."""
        if self._check_integrity():
            print("Files already downloaded and verified")
            return
        download_resources([([self.url], self.filename, self.tgz_md5)], self.root)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"


class CIFAR100(CIFAR10):
    """`CIFAR-100 <https://www.cs.toronto.edu/~kriz/cifar.html>`_: as CIFAR-10 with 100 classes, in
    ``root/cifar-100-python/{train,test,meta}``. ``targets`` are the fine labels and ``classes`` their names
    (``fine_label_names``), as in torchvision."""

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [
        ["train", "16019d7e3df5f24257cddd939b257f8d"],
    ]
    test_list = [
        ["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"],
    ]
    meta = {"filename": "meta", "key": "fine_label_names", "md5": "7973b15100ade9c7d40fb424638fde48"}
