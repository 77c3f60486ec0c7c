"""minitorch.vision.datasets reads the real file formats.

torchvision cannot be installed beside this torch build, so the oracles are the
formats themselves: each test writes small files in the documented layout (IDX
headers, CIFAR's Python 2 pickles, a folder per class of PNGs), reads them
with a reference reader written here from that documentation (NumPy's
``frombuffer`` on the IDX header, ``pickle.load(encoding='bytes')`` as the
CIFAR page shows), and checks the dataset gives identical arrays, labels and
classes. Resizing is checked against ``torch.nn.functional.interpolate``.
No test touches the network: downloads are served by a fake ``urllib``.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import os
import pathlib
import pickle
import socket
import struct
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from PIL import Image
from sklearn.datasets import load_digits

import minitorch
from minitorch.vision import datasets
from minitorch.vision.datasets import utils as dataset_utils
from minitorch.vision.datasets.mnist import read_sn3_pascalvincent_tensor

MNIST_CLASSES = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
                 "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

# -- the IDX format ---------------------------------------------------------------------------------------

IDX_TYPES = {8: ">u1", 9: ">i1", 11: ">i2", 12: ">i4", 13: ">f4", 14: ">f8"}


def idx_bytes(array: np.ndarray, type_code: int = 8) -> bytes:
    """``array`` as an IDX file: 0x0000, the type code, the number of dimensions, one big-endian uint32
    per dimension, then the values big-endian in C order."""
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(IDX_TYPES[type_code]).tobytes()


def reference_read_idx(raw: bytes) -> np.ndarray:
    type_code, ndim = raw[2], raw[3]
    shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, IDX_TYPES[type_code], offset=4 + 4 * ndim).reshape(shape)


def read_file(path) -> bytes:
    """A file's bytes, uncompressed when its name ends in .gz."""
    with (gzip.open if os.fspath(path).endswith(".gz") else open)(path, "rb") as file:
        return file.read()


def write_file(path, content: bytes, gzipped: bool = False) -> str:
    path = os.fspath(path) + (".gz" if gzipped else "")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with (gzip.open if gzipped else open)(path, "wb") as file:
        file.write(content)
    return path


def write_mnist(root, folder="MNIST", prefixes=("train", "t10k"), count=5, gzipped=False, seed=0):
    """A handful of images and labels per split, as MNIST's raw files; returns {prefix: (images, labels)}."""
    rng = np.random.default_rng(seed)
    written = {}
    for prefix in prefixes:
        images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, count, dtype=np.uint8)
        raw = os.path.join(root, folder, "raw")
        image_file = write_file(os.path.join(raw, f"{prefix}-images-idx3-ubyte"), idx_bytes(images), gzipped)
        label_file = write_file(os.path.join(raw, f"{prefix}-labels-idx1-ubyte"), idx_bytes(labels), gzipped)
        written[prefix] = tuple(reference_read_idx(read_file(path))
                                for path in (image_file, label_file))
    return written


@given(type_code=st.sampled_from(sorted(IDX_TYPES)),
       shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       gzipped=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_idx_reader_matches_the_documented_layout_for_every_type(type_code, shape, gzipped, seed):
    dtype = np.dtype(IDX_TYPES[type_code])
    values = np.random.default_rng(seed).normal(0, 1000, shape)
    if dtype.kind in "iu":  # keep integers in the type's range
        values = np.clip(values, np.iinfo(dtype).min, np.iinfo(dtype).max)
    with tempfile.TemporaryDirectory() as folder:
        path = write_file(os.path.join(folder, "values-idx"), idx_bytes(values, type_code), gzipped)
        expected = reference_read_idx(read_file(path))
        result = read_sn3_pascalvincent_tensor(path)
    assert result.numpy().dtype == expected.dtype.newbyteorder("=")
    np.testing.assert_array_equal(result.numpy(), expected)


@pytest.mark.parametrize("dataset_class, classes", [
    (datasets.MNIST, MNIST_CLASSES),
    (datasets.FashionMNIST, ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                             "Bag", "Ankle boot"]),
    (datasets.KMNIST, ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]),
])
@pytest.mark.parametrize("gzipped", [False, True], ids=["raw", "gzipped"])
@pytest.mark.parametrize("train", [True, False], ids=["train", "test"])
def test_mnist_family_reads_idx_files_in_torchvision_layout(tmp_path, dataset_class, classes, gzipped, train):
    written = write_mnist(tmp_path, dataset_class.__name__, gzipped=gzipped)
    images, labels = written["train" if train else "t10k"]
    dataset = dataset_class(str(tmp_path), train=train)

    assert dataset.data.dtype == minitorch.uint8 and dataset.targets.dtype == minitorch.int64
    np.testing.assert_array_equal(dataset.data.numpy(), images)
    np.testing.assert_array_equal(dataset.targets.numpy(), labels.astype(np.int64))
    assert len(dataset) == len(images)
    assert dataset.classes == classes and dataset.class_to_idx == {name: i for i, name in enumerate(classes)}
    for index in range(len(dataset)):
        image, target = dataset[index]
        assert isinstance(image, Image.Image) and image.mode == "L" and image.size == (28, 28)
        np.testing.assert_array_equal(np.asarray(image), images[index])
        assert type(target) is int and target == labels[index]


def test_emnist_reads_its_split_files(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    raw = tmp_path / "EMNIST" / "raw"
    write_file(raw / "emnist-letters-test-images-idx3-ubyte", idx_bytes(images))
    write_file(raw / "emnist-letters-test-labels-idx1-ubyte", idx_bytes(np.array([1, 26], np.uint8)))
    dataset = datasets.EMNIST(tmp_path, split="letters", train=False)
    np.testing.assert_array_equal(dataset.data.numpy(), images)
    assert dataset.targets.tolist() == [1, 26]
    assert dataset.classes == ["N/A"] + list("abcdefghijklmnopqrstuvwxyz")
    with pytest.raises(ValueError, match=r"^Unknown value 'cursive' for argument split\. Valid values are "
                                         r"\{'byclass', 'bymerge', 'balanced', 'letters', 'digits', 'mnist'\}\.$"):
        datasets.EMNIST(tmp_path, split="cursive")


class Scale:
    """A transform with a two-line repr, to check how the dataset's repr indents it."""

    def __call__(self, image):
        return np.asarray(image).astype(np.float32) / 255

    def __repr__(self):
        return "Scale(\n  by=1/255\n)"


class AddHundred:
    def __call__(self, label):
        return label + 100

    def __repr__(self):
        return "AddHundred()"


def test_mnist_applies_transforms_and_prints_torchvisions_repr(tmp_path):
    images, labels = write_mnist(tmp_path)["train"]
    dataset = datasets.MNIST(str(tmp_path), transform=Scale(), target_transform=AddHundred())
    image, target = dataset[2]
    np.testing.assert_array_equal(image, images[2].astype(np.float32) / 255)
    assert target == labels[2] + 100
    # torchvision's text: the transforms' repr is one body entry, so only its first line is indented,
    # and a transform's own later lines line up after its heading.
    assert repr(dataset) == "\n".join([
        "Dataset MNIST", "    Number of datapoints: 5", f"    Root location: {tmp_path}", "    Split: Train",
        "    StandardTransform", "Transform: Scale(", "             by=1/255", "           )",
        "Target transform: AddHundred()"])


def test_mnist_reads_a_reassigned_transform(tmp_path):
    images, _ = write_mnist(tmp_path)["train"]
    dataset = datasets.MNIST(tmp_path)
    dataset.transform = Scale()  # a common pattern: one dataset object, its transform swapped later
    np.testing.assert_array_equal(dataset[0][0], images[0].astype(np.float32) / 255)


@pytest.mark.parametrize("content, message", [
    (b"<html>Not Found</html>", r"is not an IDX file: its magic number is '3c68746d'"),
    (bytes([0, 0, 7, 3]) + bytes(12), r"is not an IDX file"),            # unknown type code
    (bytes([0, 0, 8, 3, 0, 0, 0, 2]), r"is truncated"),                   # the header stops early
    (idx_bytes(np.zeros((2, 28, 28), np.uint8))[:-1], r"holds 1567 bytes of data, but its header says \(2, 28, 28\)"),
])
def test_mnist_refuses_a_file_that_is_not_idx(tmp_path, content, message):
    write_mnist(tmp_path)
    write_file(tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte", content)
    with pytest.raises(ValueError, match=message):
        datasets.MNIST(tmp_path)


@pytest.mark.parametrize("array, type_code, error, message", [
    (np.zeros((2, 28, 28), np.float32), 13, TypeError, "x should be of dtype torch.uint8 instead of "),
    (np.zeros((2, 784), np.uint8), 8, ValueError, "x should have 3 dimension instead of 2"),
])
def test_mnist_checks_the_image_files_dtype_and_dimensions(tmp_path, array, type_code, error, message):
    write_mnist(tmp_path)
    write_file(tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte", idx_bytes(array, type_code))
    with pytest.raises(error, match=message):
        datasets.MNIST(tmp_path)


def test_mnist_without_files_says_to_download(tmp_path):
    with pytest.raises(RuntimeError, match=r"^Dataset not found\. You can use download=True to download it$"):
        datasets.MNIST(tmp_path)


# -- downloads, with urllib replaced ----------------------------------------------------------------------

@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to reach the network fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("the network was used")
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def serve(monkeypatch, files: dict):
    """urllib answers each URL of ``files`` with its bytes and any other with URLError; returns the
    list of URLs asked for."""
    asked = []

    def open_url(self, request, *args, **kwargs):
        url = request.full_url if isinstance(request, urllib.request.Request) else request
        asked.append(url)
        if url not in files:
            raise urllib.error.URLError("[Errno 101] Network is unreachable")
        return io.BytesIO(files[url])
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", open_url)
    return asked


def md5(path) -> str:
    """The checksum of the file as stored (compressed or not)."""
    return hashlib.md5(pathlib.Path(path).read_bytes()).hexdigest()


@pytest.mark.parametrize("gzipped", [False, True], ids=["raw", "gzipped"])
def test_mnist_download_uses_files_already_there_without_network(tmp_path, no_network, gzipped):
    images, _ = write_mnist(tmp_path, gzipped=gzipped)["t10k"]
    dataset = datasets.MNIST(tmp_path, train=False, download=True)
    np.testing.assert_array_equal(dataset.data.numpy(), images)


def test_mnist_download_unreachable_lists_the_files_to_place(tmp_path, monkeypatch):
    asked = serve(monkeypatch, {})
    with pytest.raises(RuntimeError) as error:
        datasets.MNIST(tmp_path, download=True)
    message = str(error.value)
    assert message.startswith("Error downloading train-images-idx3-ubyte.gz")
    assert asked == [mirror + "train-images-idx3-ubyte.gz" for mirror in datasets.MNIST.mirrors]  # each mirror
    assert str(tmp_path / "MNIST" / "raw") in message
    for filename, checksum in datasets.MNIST.resources:
        assert f"{filename} (md5 {checksum})" in message


def test_mnist_download_falls_back_to_the_next_mirror_and_checks_md5(tmp_path, monkeypatch):
    source = tmp_path / "source"
    write_mnist(source, gzipped=True)
    files = {name: (source / "MNIST" / "raw" / name).read_bytes() for name, _ in datasets.MNIST.resources}
    monkeypatch.setattr(datasets.MNIST, "resources", [(name, hashlib.md5(data).hexdigest())
                                                      for name, data in files.items()])
    second_mirror = datasets.MNIST.mirrors[1]
    asked = serve(monkeypatch, {second_mirror + name: data for name, data in files.items()})

    dataset = datasets.MNIST(tmp_path / "root", download=True)
    assert asked[:2] == [mirror + "train-images-idx3-ubyte.gz" for mirror in datasets.MNIST.mirrors]
    raw = tmp_path / "root" / "MNIST" / "raw"
    assert (raw / "train-images-idx3-ubyte").read_bytes() == gzip.decompress(files["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(dataset.data.numpy(),
                                  reference_read_idx(gzip.decompress(files["train-images-idx3-ubyte.gz"])))


def test_download_url_rejects_a_corrupt_download(tmp_path, monkeypatch):
    serve(monkeypatch, {"https://example.org/file.bin": b"not what was promised"})
    with pytest.raises(RuntimeError, match=r"^File not found or corrupted\.$"):
        dataset_utils.download_url("https://example.org/file.bin", tmp_path, md5="0" * 32)


def test_check_integrity_and_md5_match_hashlib(tmp_path):
    path = write_file(tmp_path / "blob", bytes(range(256)) * 5000)
    expected = md5(path)
    assert dataset_utils.calculate_md5(path, chunk_size=1000) == expected
    assert dataset_utils.check_integrity(path) and dataset_utils.check_integrity(path, expected)
    assert not dataset_utils.check_integrity(path, "0" * 32)
    assert not dataset_utils.check_integrity(tmp_path / "missing")


# -- CIFAR: Python 2 pickles --------------------------------------------------------------------------------

class Python2Pickler(pickle._Pickler):
    """Writes pickles as the CIFAR files were written: Python 2 strings (BINSTRING, which Python 3 reads
    back as bytes or, with encoding='latin1', as str) and NumPy 1's module name ``numpy.core``."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_python2_string(self, value):
        value = value.encode("latin1") if isinstance(value, str) else value
        opcode = pickle.SHORT_BINSTRING + bytes([len(value)]) if len(value) < 256 else \
            pickle.BINSTRING + struct.pack("<i", len(value))
        self.write(opcode + value)
        self.memoize(value)

    def save_numpy1_global(self, value, name=None):
        module = value.__module__.replace("numpy._core", "numpy.core")
        self.write(pickle.GLOBAL + f"{module}\n{value.__qualname__}\n".encode())
        self.memoize(value)

    dispatch[bytes] = dispatch[str] = save_python2_string
    dispatch[type] = dispatch[type(len)] = save_numpy1_global


def write_pickle(path, value) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as file:
        Python2Pickler(file, protocol=2).dump(value)


def reference_read_batch(path) -> dict:
    """As the CIFAR page says to read a batch."""
    with open(path, "rb") as file:
        return pickle.load(file, encoding="bytes")


def cifar_batch(rng, count, label_keys=(b"labels",), classes=10):
    return {b"batch_label": b"a small batch", b"data": rng.integers(0, 256, (count, 3072), dtype=np.uint8),
            **{key: [int(label) for label in rng.integers(0, classes, count)] for key in label_keys},
            b"filenames": [f"image_{index}.png".encode() for index in range(count)]}


def write_cifar10(root, monkeypatch, seed=0) -> str:
    """The CIFAR-10 folder with 2 images per batch; the class's checksums are set to those files'."""
    rng = np.random.default_rng(seed)
    folder = os.path.join(root, "cifar-10-batches-py")
    for name in [f"data_batch_{index}" for index in range(1, 6)] + ["test_batch"]:
        write_pickle(os.path.join(folder, name), cifar_batch(rng, 2))
    write_pickle(os.path.join(folder, "batches.meta"),
                 {b"num_cases_per_batch": 2, b"label_names": [name.encode() for name in CIFAR10_CLASSES],
                  b"num_vis": 3072})
    checksums(monkeypatch, datasets.CIFAR10, folder)
    return folder


def checksums(monkeypatch, dataset_class, folder):
    """Point the class's md5 lists at the small files written in ``folder``."""
    for attribute in ("train_list", "test_list"):
        monkeypatch.setattr(dataset_class, attribute, [[name, md5(os.path.join(folder, name))]
                                                       for name, _ in getattr(dataset_class, attribute)])
    meta = dict(dataset_class.meta, md5=md5(os.path.join(folder, dataset_class.meta["filename"])))
    monkeypatch.setattr(dataset_class, "meta", meta)


def expected_cifar(folder, names, label_key=b"labels"):
    batches = [reference_read_batch(os.path.join(folder, name)) for name in names]
    images = np.vstack([batch[b"data"] for batch in batches]).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return images, [label for batch in batches for label in batch[label_key]]


@pytest.mark.parametrize("train", [True, False], ids=["train", "test"])
def test_cifar10_reads_the_python_batches(tmp_path, monkeypatch, train):
    folder = write_cifar10(tmp_path, monkeypatch)
    names = [f"data_batch_{index}" for index in range(1, 6)] if train else ["test_batch"]
    images, labels = expected_cifar(folder, names)
    dataset = datasets.CIFAR10(str(tmp_path), train=train)

    assert dataset.data.dtype == np.uint8 and dataset.data.shape == (len(labels), 32, 32, 3)
    np.testing.assert_array_equal(dataset.data, images)
    assert dataset.targets == labels and len(dataset) == len(labels)
    assert dataset.classes == CIFAR10_CLASSES
    assert dataset.class_to_idx == {name: index for index, name in enumerate(CIFAR10_CLASSES)}
    image, target = dataset[1]
    assert image.mode == "RGB" and image.size == (32, 32) and target == labels[1]
    np.testing.assert_array_equal(np.asarray(image), images[1])
    assert repr(dataset) == (f"Dataset CIFAR10\n    Number of datapoints: {len(labels)}\n"
                             f"    Root location: {tmp_path}\n    Split: {'Train' if train else 'Test'}")


def test_cifar100_uses_fine_labels_and_their_names(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    folder = os.path.join(tmp_path, "cifar-100-python")
    for name in ("train", "test"):
        write_pickle(os.path.join(folder, name), cifar_batch(rng, 3, (b"fine_labels", b"coarse_labels"), 100))
    fine_names = [f"fine{index}".encode() for index in range(100)]
    write_pickle(os.path.join(folder, "meta"), {b"fine_label_names": fine_names,
                                                b"coarse_label_names": [f"coarse{i}".encode() for i in range(20)]})
    checksums(monkeypatch, datasets.CIFAR100, folder)

    dataset = datasets.CIFAR100(tmp_path, train=False, transform=lambda image: np.asarray(image)[0, 0])
    images, labels = expected_cifar(folder, ["test"], b"fine_labels")
    np.testing.assert_array_equal(dataset.data, images)
    assert dataset.targets == labels
    assert dataset.classes == [name.decode() for name in fine_names]
    np.testing.assert_array_equal(dataset[2][0], images[2, 0, 0])


class Payload:
    """Unpickling this runs ``function(*arguments)``: what a tampered batch file would do."""

    def __init__(self, function, *arguments):
        self.function, self.arguments = function, arguments

    def __reduce__(self):
        return self.function, self.arguments


@pytest.mark.parametrize("payload_of", [
    lambda marker: Payload(os.mkdir, marker),
    lambda marker: Payload(exec, f"open({marker!r}, 'w').close()"),
    lambda marker: Payload(getattr, Payload(__import__, "os"), "system"),
], ids=["os.mkdir", "builtins.exec", "getattr(__import__)"])
def test_cifar_refuses_a_pickle_that_would_run_code(tmp_path, monkeypatch, payload_of):
    folder = write_cifar10(tmp_path, monkeypatch)
    marker = str(tmp_path / "the-payload-ran")
    with open(os.path.join(folder, "test_batch"), "wb") as file:
        pickle.dump({"data": payload_of(marker), "labels": []}, file, protocol=2)
    checksums(monkeypatch, datasets.CIFAR10, folder)
    with pytest.raises(pickle.UnpicklingError, match=r"test_batch: refusing to load the global"):
        datasets.CIFAR10(tmp_path, train=False)
    assert not os.path.exists(marker)


def test_cifar_checks_the_batches_checksums(tmp_path, monkeypatch):
    folder = write_cifar10(tmp_path, monkeypatch)
    with open(os.path.join(folder, "data_batch_3"), "ab") as file:
        file.write(b"\0")
    with pytest.raises(RuntimeError, match=r"^Dataset not found or corrupted\. You can use download=True"):
        datasets.CIFAR10(tmp_path)


def test_cifar_download_unpacks_an_archive_already_there_without_network(tmp_path, monkeypatch, no_network):
    source = tmp_path / "source"
    folder = write_cifar10(source, monkeypatch)
    root = tmp_path / "root"
    root.mkdir()
    archive = root / datasets.CIFAR10.filename
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-py")
    monkeypatch.setattr(datasets.CIFAR10, "tgz_md5", md5(archive))

    dataset = datasets.CIFAR10(root, train=False, download=True)
    np.testing.assert_array_equal(dataset.data, expected_cifar(folder, ["test_batch"])[0])


def test_cifar_download_unreachable_lists_the_archive_to_place(tmp_path, monkeypatch):
    serve(monkeypatch, {})
    with pytest.raises(RuntimeError) as error:
        datasets.CIFAR10(tmp_path, download=True)
    message = str(error.value)
    assert message.startswith("Error downloading cifar-10-python.tar.gz")
    assert f"place them in {tmp_path}" in message
    assert "cifar-10-python.tar.gz (md5 c58f30108f718f92721af3b95e74349a) from " \
           "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz" in message


# -- archives ---------------------------------------------------------------------------------------------

def tar_with(path, members):
    """A tar.gz of ``(name, content or ('symlink'|'hardlink', target))`` members."""
    with tarfile.open(path, "w:gz") as tar:
        for name, content in members:
            info = tarfile.TarInfo(name)
            if isinstance(content, tuple):
                info.type = tarfile.SYMTYPE if content[0] == "symlink" else tarfile.LNKTYPE
                info.linkname = content[1]
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))


def zip_with(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members:
            archive.writestr(zipfile.ZipInfo(name), content)


@pytest.mark.parametrize("write, archive_name, escaping", [
    (tar_with, "a.tar.gz", ("../escaped.txt", b"x")),
    (tar_with, "a.tgz", ("inner/../../escaped.txt", b"x")),
    (tar_with, "a.tar.gz", ("{absolute}", b"x")),
    (tar_with, "a.tar.gz", ("link", ("symlink", "../"))),
    (tar_with, "a.tar.gz", ("link", ("symlink", "{absolute}"))),
    (tar_with, "a.tar.gz", ("link", ("hardlink", "../escaped.txt"))),
    (zip_with, "a.zip", ("../escaped.txt", b"x")),
    (zip_with, "a.zip", ("{absolute}", b"x")),
], ids=["tar-dotdot", "tar-nested-dotdot", "tar-absolute", "tar-symlink-out", "tar-absolute-symlink",
        "tar-hardlink-out", "zip-dotdot", "zip-absolute"])
def test_extract_archive_refuses_members_escaping_the_folder(tmp_path, write, archive_name, escaping):
    target = tmp_path / "deep" / "target"
    target.mkdir(parents=True)
    absolute = str(tmp_path / "deep" / "escaped.txt")
    name, content = escaping
    if isinstance(content, tuple):
        content = (content[0], content[1].format(absolute=absolute))
    archive = tmp_path / archive_name
    write(archive, [("first.txt", b"harmless"), (name.format(absolute=absolute), content)])
    with pytest.raises(RuntimeError, match="would be written outside"):
        dataset_utils.extract_archive(archive, target)
    assert os.listdir(target) == []  # refused before anything was written
    assert not os.path.exists(absolute)


@pytest.mark.parametrize("archive_name", ["a.tar", "a.tar.gz", "a.tgz", "a.tar.bz2", "a.tar.xz", "a.zip"])
def test_extract_archive_unpacks_tar_and_zip(tmp_path, archive_name):
    members = [("top.txt", b"one"), ("inner/deeper.bin", bytes(range(256)))]
    archive = tmp_path / archive_name
    if archive_name.endswith(".zip"):
        zip_with(archive, members)
    else:
        mode = {".tar": "w", ".gz": "w:gz", ".tgz": "w:gz", ".bz2": "w:bz2", ".xz": "w:xz"}[archive.suffix]
        with tarfile.open(archive, mode) as tar:
            for name, content in members:
                info = tarfile.TarInfo(name)
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    assert dataset_utils.extract_archive(archive, tmp_path / "out") == str(tmp_path / "out")
    for name, content in members:
        assert (tmp_path / "out" / name).read_bytes() == content


@pytest.mark.parametrize("suffix, compress", [(".gz", gzip.compress), (".bz2", __import__("bz2").compress),
                                              (".xz", __import__("lzma").compress)])
def test_extract_archive_uncompresses_a_single_file(tmp_path, suffix, compress):
    (tmp_path / f"values-idx1-ubyte{suffix}").write_bytes(compress(b"content"))
    assert dataset_utils.extract_archive(tmp_path / f"values-idx1-ubyte{suffix}") == \
        str(tmp_path / "values-idx1-ubyte")
    assert (tmp_path / "values-idx1-ubyte").read_bytes() == b"content"


# -- image folders ------------------------------------------------------------------------------------------

def write_png(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(array).save(path)


@pytest.fixture
def image_folder(tmp_path):
    """root/{A_cat, b_dog, c_empty}: names that sort differently by case and by number, a nested folder,
    an upper-case extension, a grey PNG, and files that are not images."""
    rng = np.random.default_rng(0)
    root = tmp_path / "images"
    arrays = {}
    for relative, channels in [("A_cat/2.png", 3), ("A_cat/10.png", 3), ("A_cat/sub/1.PNG", 1),
                               ("b_dog/a.png", 3)]:
        array = rng.integers(0, 256, (5, 4, channels) if channels == 3 else (5, 4), dtype=np.uint8)
        write_png(root / relative, array)
        arrays[str(root / relative)] = array
    (root / "A_cat" / "notes.txt").write_text("not an image")
    (root / "c_empty").mkdir()
    (root / "c_empty" / "readme.md").write_text("no images here")
    (root / "loose.png").write_bytes(b"a file at the root is not a class")
    return root, arrays


def test_image_folder_classes_and_samples_follow_torchvisions_sorting(image_folder):
    root, arrays = image_folder
    dataset = datasets.ImageFolder(root, allow_empty=True)
    # Classes: sub-folders sorted by name (upper case first); samples: sorted walk, sorted names ("10" < "2").
    assert dataset.classes == ["A_cat", "b_dog", "c_empty"]
    assert dataset.class_to_idx == {"A_cat": 0, "b_dog": 1, "c_empty": 2}
    expected = [(str(root / "A_cat" / "10.png"), 0), (str(root / "A_cat" / "2.png"), 0),
                (str(root / "A_cat" / "sub" / "1.PNG"), 0), (str(root / "b_dog" / "a.png"), 1)]
    assert dataset.samples == expected and dataset.imgs == expected
    assert dataset.targets == [0, 0, 0, 1] and len(dataset) == 4
    for index, (path, target) in enumerate(expected):
        image, label = dataset[index]
        assert image.mode == "RGB" and label == target
        np.testing.assert_array_equal(np.asarray(image), np.asarray(Image.fromarray(arrays[path]).convert("RGB")))


def test_image_folder_with_an_empty_class_raises_torchvisions_error(image_folder):
    root, _ = image_folder
    with pytest.raises(FileNotFoundError, match=r"^Found no valid file for the classes c_empty\. Supported "
                                                r"extensions are: \.jpg, \.jpeg, \.png, \.ppm, \.bmp, \.pgm, "
                                                r"\.tif, \.tiff, \.webp$"):
        datasets.ImageFolder(root)


def test_image_folder_without_class_folders_raises(tmp_path):
    (tmp_path / "image.png").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match=r"^Couldn't find any class folder in "):
        datasets.ImageFolder(tmp_path)


def test_dataset_folder_with_is_valid_file_and_a_custom_loader(image_folder):
    root, _ = image_folder
    dataset = datasets.DatasetFolder(root, loader=lambda path: os.path.basename(path),
                                     is_valid_file=lambda path: path.endswith((".txt", ".md")),
                                     transform=str.upper, target_transform=lambda target: -target,
                                     allow_empty=True)
    assert dataset.samples == [(str(root / "A_cat" / "notes.txt"), 0), (str(root / "c_empty" / "readme.md"), 2)]
    assert [dataset[index] for index in range(len(dataset))] == [("NOTES.TXT", 0), ("README.MD", -2)]
    with pytest.raises(FileNotFoundError, match=r"^Found no valid file for the classes b_dog\. $"):
        datasets.DatasetFolder(root, loader=open, is_valid_file=lambda path: path.endswith(".md") or "A_cat" in path)
    with pytest.raises(ValueError, match=r"^Both extensions and is_valid_file cannot be None or not None"):
        datasets.DatasetFolder(root, loader=open, extensions=(".png",), is_valid_file=bool)


# -- FakeData ---------------------------------------------------------------------------------------------

@given(size=st.integers(1, 4), channels=st.sampled_from([1, 3]), height=st.integers(1, 6), width=st.integers(1, 6),
       num_classes=st.integers(1, 5), offset=st.integers(0, 100))
def test_fakedata_is_reproducible_per_index_and_shaped(size, channels, height, width, num_classes, offset):
    minitorch.manual_seed(0)
    dataset = datasets.FakeData(size, (channels, height, width), num_classes, random_offset=offset)
    state = minitorch.get_rng_state()
    samples = [dataset[index] for index in reversed(range(size))][::-1]
    # The global generator is left alone.
    np.testing.assert_array_equal(minitorch.get_rng_state().numpy(), state.numpy())
    shifted = datasets.FakeData(size + 1, (channels, height, width), num_classes, random_offset=offset - 1)
    for index, (image, target) in enumerate(samples):
        assert image.mode == ("L" if channels == 1 else "RGB") and image.size == (width, height)
        assert type(target) is int and 0 <= target < num_classes
        again, same_target = dataset[index]
        np.testing.assert_array_equal(np.asarray(again), np.asarray(image))
        np.testing.assert_array_equal(np.asarray(shifted[index + 1][0]), np.asarray(image))
        assert same_target == target
    assert len(dataset) == size
    with pytest.raises(IndexError, match="^FakeData index out of range$"):
        dataset[size]


# -- Digits ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sklearn_digits():
    digits = load_digits()
    return digits.images, digits.target


def torch_resized(images, size, mode):
    """The documented recipe before rounding: scale 0..16 to 0..255, resize with torch's interpolate."""
    scaled = torch.from_numpy(images * 255 / 16)[:, None]
    if size != 8:
        scaled = torch.nn.functional.interpolate(scaled, size=(size, size), mode=mode)
    return scaled[:, 0].numpy()


def assert_rounds_to(actual, values):
    """``actual`` is ``values`` rounded half to even. Bilinear weights such as 2/7 are inexact, so a value
    meant to be exactly k + 0.5 may come out an ulp either side in another library: there either integer
    is right, and only there may the two differ."""
    expected = np.clip(np.rint(values), 0, 255).astype(np.uint8)
    differ = actual != expected
    on_a_tie = np.abs(values - np.floor(values) - 0.5) < 1e-9
    assert not np.any(differ & ~on_a_tie), np.argwhere(differ & ~on_a_tie)[:5]
    np.testing.assert_allclose(np.abs(actual[differ] - values[differ]), 0.5, atol=1e-9)


@pytest.mark.parametrize("size, mode", [(8, "bilinear"), (28, "bilinear"), (28, "nearest"), (16, "nearest")])
def test_digits_splits_scales_and_resizes_sklearns_images(sklearn_digits, size, mode):
    images, labels = sklearn_digits
    train = datasets.Digits(train=True, size=size, interpolation=mode)
    test = datasets.Digits(train=False, size=size, interpolation=mode)
    assert len(train) == 1437 and len(test) == 360 and len(train) + len(test) == 1797
    for dataset, part in ((train, slice(0, 1437)), (test, slice(1437, 1797))):
        assert dataset.data.dtype == minitorch.uint8 and dataset.targets.dtype == minitorch.int64
        assert_rounds_to(dataset.data.numpy(), torch_resized(images[part], size, mode))
        np.testing.assert_array_equal(dataset.targets.numpy(), labels[part])
        assert sorted(set(dataset.targets.tolist())) == list(range(10))  # every class in both parts
    assert train.data.numpy().min() == 0 and train.data.numpy().max() == 255
    image, target = test[5]
    assert image.mode == "L" and image.size == (size, size) and target == labels[1437 + 5]
    np.testing.assert_array_equal(np.asarray(image), test.data[5].numpy())


def test_digits_behaves_as_mnist(sklearn_digits):
    dataset = datasets.Digits("unused-root", train=False, size=28, transform=Scale(), download=True)
    assert dataset.classes == MNIST_CLASSES and dataset.class_to_idx["3 - three"] == 3
    image, _ = dataset[0]
    assert image.dtype == np.float32 and image.shape == (28, 28) and 0 <= image.min() and image.max() <= 1
    assert repr(dataset).splitlines()[:5] == ["Dataset Digits", "    Number of datapoints: 360",
                                              "    Root location: unused-root", "    Split: Test", "    Size: 28x28"]


@pytest.mark.parametrize("module, make", [
    ("sklearn.datasets", lambda: datasets.Digits()),
    ("PIL", lambda: datasets.FakeData(1)[0]),
])
def test_a_missing_optional_dependency_names_the_vision_extra(monkeypatch, module, make):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` raise ImportError
    if module == "PIL":
        monkeypatch.setitem(sys.modules, "PIL.Image", None)
    with pytest.raises(ImportError, match=r"vision"):
        make()


# -- the base class ----------------------------------------------------------------------------------------

def test_vision_dataset_refuses_both_kinds_of_transforms():
    with pytest.raises(ValueError, match=r"^Only transforms or transform/target_transform can be passed as "
                                         r"argument$"):
        datasets.VisionDataset("root", transforms=lambda x, y: (x, y), transform=abs)
