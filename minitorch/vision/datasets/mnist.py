"""MNIST and its drop-in relatives, read from IDX files (``torchvision.datasets.mnist``).

The files sit where torchvision puts them: ``root/<ClassName>/raw/``, named
``train-images-idx3-ubyte`` and ``train-labels-idx1-ubyte`` (``t10k-`` for
the test split), uncompressed as ``download`` leaves them or still gzipped
(``.gz``) as the mirrors serve them.

An IDX file is a header, then the values in C order, big-endian::

    magic:  0x00 0x00 <type code> <number of dimensions>
    sizes:  one big-endian uint32 per dimension
    data:   the values (type code 8 = uint8, 9 = int8, 11 = int16, 12 = int32, 13 = float32, 14 = float64)

An image file is uint8 ``[N, 28, 28]``; a label file is uint8 ``[N]``.
"""
from __future__ import annotations

import gzip
import os
import shutil
import string

import numpy

import minitorch
from minitorch.vision.datasets.utils import download_resources, extract_archive, pil_image, verify_str_arg
from minitorch.vision.datasets.vision import VisionDataset

__all__ = ["MNIST", "FashionMNIST", "KMNIST", "EMNIST", "read_sn3_pascalvincent_tensor", "read_image_file",
           "read_label_file"]

# The IDX type codes (the magic number's third byte), as big-endian NumPy dtypes.
SN3_PASCALVINCENT_TYPEMAP = {
    8: numpy.dtype("u1"), 9: numpy.dtype("i1"), 11: numpy.dtype(">i2"),
    12: numpy.dtype(">i4"), 13: numpy.dtype(">f4"), 14: numpy.dtype(">f8"),
}


def _read_maybe_gzipped(path) -> bytes:
    """The bytes of ``path``, or of ``path.gz`` uncompressed when only that is there."""
    path = os.fspath(path)
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path += ".gz"
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as file:
        return file.read()


def read_sn3_pascalvincent_tensor(path, strict: bool = True) -> minitorch.Tensor:
    """The array stored in the IDX file ``path`` (gzipped or not), as a tensor in native byte order.

    A file that is not IDX (a bad magic number, an unknown type code, or fewer bytes than the header
    promises) raises ``ValueError`` naming the file. With ``strict``, bytes beyond the array are an
    error too; without it (as torchvision reads MNIST) they are ignored.
    """
    raw = _read_maybe_gzipped(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in SN3_PASCALVINCENT_TYPEMAP or raw[3] == 0:
        raise ValueError(f"{path} is not an IDX file: its magic number is {raw[:4].hex()!r}, expected "
                         f"00 00, a type code in {sorted(SN3_PASCALVINCENT_TYPEMAP)} and a number of dimensions")
    dtype, ndim = SN3_PASCALVINCENT_TYPEMAP[raw[2]], raw[3]
    header_size = 4 * (ndim + 1)
    if len(raw) < header_size:
        raise ValueError(f"{path} is truncated: its header ends after {len(raw)} bytes")
    shape = tuple(int(size) for size in numpy.frombuffer(raw, ">u4", count=ndim, offset=4))
    expected = int(numpy.prod(shape)) * dtype.itemsize
    found = len(raw) - header_size
    if found < expected or (strict and found != expected):
        raise ValueError(f"{path} holds {found} bytes of data, but its header says {shape} values of "
                         f"{dtype.itemsize} bytes ({expected} bytes)")
    array = numpy.frombuffer(raw, dtype, count=int(numpy.prod(shape)), offset=header_size)
    return minitorch.from_numpy(array.astype(dtype.newbyteorder("="), copy=True).reshape(shape))


def _read_idx(path, ndim: int) -> minitorch.Tensor:
    """An IDX file that must hold uint8 values in ``ndim`` dimensions (torchvision's checks and messages)."""
    x = read_sn3_pascalvincent_tensor(path, strict=False)
    if x.dtype != minitorch.uint8:
        raise TypeError(f"x should be of dtype torch.uint8 instead of {x.dtype}")
    if x.ndim != ndim:
        raise ValueError(f"x should have {ndim} dimension instead of {x.ndim}")
    return x


def read_label_file(path) -> minitorch.Tensor:
    """Labels ``[N]`` as int64."""
    return _read_idx(path, 1).long()


def read_image_file(path) -> minitorch.Tensor:
    """Images ``[N, H, W]`` as uint8."""
    return _read_idx(path, 3)


class MNIST(VisionDataset):
    """`MNIST <http://yann.lecun.com/exdb/mnist/>`_: 28x28 grey handwritten digits, 60,000 to train on and
    10,000 to test on.

    Args:
        root: the folder holding ``MNIST/raw/`` (the class's name: ``FashionMNIST/raw/`` for that one).
        train: the training files (``train-*``) if True, else the test files (``t10k-*``).
        transform: applied to each PIL image (mode ``'L'``), e.g. ``transforms.ToTensor()``.
        target_transform: applied to each label (an int).
        download: fetch missing files from the mirrors (files already there are used as they are).

    Attributes: ``data`` (uint8 tensor ``[N, 28, 28]``), ``targets`` (int64 tensor ``[N]``),
    ``classes`` and ``class_to_idx``.
    """

    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root, train: bool = True, transform=None, target_transform=None,
                 download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_exists():
            raise RuntimeError("Dataset not found. You can use download=True to download it")
        self.data, self.targets = self._load_data()

    @property
    def _split_prefix(self) -> str:
        return "train" if self.train else "t10k"

    @property
    def images_file(self) -> str:
        return os.path.join(self.raw_folder, f"{self._split_prefix}-images-idx3-ubyte")

    @property
    def labels_file(self) -> str:
        return os.path.join(self.raw_folder, f"{self._split_prefix}-labels-idx1-ubyte")

    def _load_data(self):
        return read_image_file(self.images_file), read_label_file(self.labels_file)

    def __getitem__(self, index: int):
        """``(image, target)``: a PIL image (mode ``'L'``) and the class index, each transformed where set."""
        # A 2-D uint8 array makes a mode 'L' image (Pillow deprecates passing mode= here).
        image = pil_image().fromarray(self.data[index].numpy())
        return self._transform_sample(image, int(self.targets[index]))

    def __len__(self) -> int:
        return len(self.data)

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def class_to_idx(self) -> dict:
        return {name: index for index, name in enumerate(self.classes)}

    def _check_exists(self) -> bool:
        return all(os.path.isfile(path) or os.path.isfile(path + ".gz")
                   for path in (self.images_file, self.labels_file))

    def _download_resources(self) -> list:
        """``(urls, filename, md5)`` of each file to fetch into ``raw_folder``."""
        return [([mirror + filename for mirror in self.mirrors], filename, md5) for filename, md5 in self.resources]

    def download(self) -> None:
        """Download the files that are missing (each tried on every mirror) and uncompress them."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        download_resources(self._download_resources(), self.raw_folder)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"


class FashionMNIST(MNIST):
    """`Fashion-MNIST <https://github.com/zalandoresearch/fashion-mnist>`_: 28x28 grey pictures of clothes in
    10 classes, in MNIST's files and folder layout (``root/FashionMNIST/raw/``)."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]


class KMNIST(MNIST):
    """`Kuzushiji-MNIST <https://github.com/rois-codh/kmnist>`_: 28x28 cursive Japanese characters in
    10 classes, in MNIST's files and folder layout (``root/KMNIST/raw/``)."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


class EMNIST(MNIST):
    """`EMNIST <https://www.nist.gov/itl/products-and-services/emnist-dataset>`_: handwritten digits and
    letters in six splits (``byclass``, ``bymerge``, ``balanced``, ``letters``, ``digits``, ``mnist``), in
    ``root/EMNIST/raw/emnist-<split>-<train|test>-{images-idx3,labels-idx1}-ubyte``. Its one download is a
    zip of every split's gzipped files.
    """

    url = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
    md5 = "58c8d27c78d21e728a6bc7b3cc06412e"
    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    # Letters whose capital and small forms look alike are one class in the merged splits.
    _merged_classes = {"c", "i", "j", "k", "l", "m", "o", "p", "s", "u", "v", "w", "x", "y", "z"}
    _all_classes = set(string.digits + string.ascii_letters)
    classes_split_dict = {
        "byclass": sorted(_all_classes),
        "bymerge": sorted(_all_classes - _merged_classes),
        "balanced": sorted(_all_classes - _merged_classes),
        "letters": ["N/A"] + list(string.ascii_lowercase),
        "digits": list(string.digits),
        "mnist": list(string.digits),
    }

    def __init__(self, root, split: str, **kwargs) -> None:
        self.split = verify_str_arg(split, "split", self.splits)
        super().__init__(root, **kwargs)
        self.classes = self.classes_split_dict[self.split]

    @property
    def _split_prefix(self) -> str:
        return f"emnist-{self.split}-{'train' if self.train else 'test'}"

    def download(self) -> None:
        """Download the zip (unless it is already in ``raw_folder``), then uncompress its files there."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        download_resources([([self.url], os.path.basename(self.url), self.md5)], self.raw_folder)
        gzip_folder = os.path.join(self.raw_folder, "gzip")
        for name in os.listdir(gzip_folder):
            if name.endswith(".gz"):
                extract_archive(os.path.join(gzip_folder, name), self.raw_folder)
        shutil.rmtree(gzip_folder)
