"""Getting dataset files onto disk: download, checksum, unpack (``torchvision.datasets.utils``).

A dataset class lists its files with their MD5 checksums and the URLs they
come from. ``download=True`` first looks on disk: a file already there (with
the right checksum) is used as it is, with no network access at all. Only a
missing file is fetched; when no URL answers, the error lists every file and
the folder to put it in, so a machine without network can be fed by hand.

Archives (tar, zip, and single files compressed with gzip, bzip2 or xz) are
unpacked only after every member has been checked to land inside the target
folder: an archive cannot write elsewhere through ``..``, an absolute path
or a link.
"""
from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import os
import pathlib
import shutil
import tarfile
import urllib.error
import urllib.request
import zipfile

from minitorch.vision._pil import pillow

__all__ = [
    "calculate_md5", "check_md5", "check_integrity", "download_url", "extract_archive",
    "download_and_extract_archive", "download_resources", "verify_str_arg",
]

USER_AGENT = "minitorch/vision"


def pil_image():
    """Pillow's ``PIL.Image`` module, imported when first needed (Pillow is optional)."""
    return pillow().Image


# -- checksums ------------------------------------------------------------------------------------------

def calculate_md5(fpath, chunk_size: int = 1024 * 1024) -> str:
    """The file's MD5 as hex, read in chunks so a large archive never sits in memory whole."""
    # MD5 detects corrupt downloads here, not attacks: usedforsecurity=False keeps it working on FIPS systems.
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as file:
        while chunk := file.read(chunk_size):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath, md5: str, **kwargs) -> bool:
    return md5 == calculate_md5(fpath, **kwargs)


def check_integrity(fpath, md5: str | None = None) -> bool:
    """The file exists and, when ``md5`` is given, has that checksum."""
    if not os.path.isfile(fpath):
        return False
    return md5 is None or check_md5(fpath, md5)


# -- downloading ----------------------------------------------------------------------------------------

def _urlretrieve(url: str, fpath: str, max_redirect_hops: int, chunk_size: int = 1024 * 32) -> None:
    """Stream ``url`` into ``fpath``. The bytes go to a ``.part`` file renamed at the end, so an
    interrupted download never leaves a file that looks complete."""
    redirects = urllib.request.HTTPRedirectHandler()
    redirects.max_redirections = max_redirect_hops
    opener = urllib.request.build_opener(redirects)
    partial = fpath + ".part"
    with opener.open(urllib.request.Request(url, headers={"User-Agent": USER_AGENT})) as response, \
            open(partial, "wb") as file:
        shutil.copyfileobj(response, file, chunk_size)
    os.replace(partial, fpath)


def download_url(url: str, root, filename: str | None = None, md5: str | None = None,
                 max_redirect_hops: int = 3) -> None:
    """Download ``url`` to ``root/filename`` (the URL's last part by default) unless a file with
    checksum ``md5`` is already there; a download whose checksum is wrong raises ``RuntimeError``.
    An unreachable server raises ``urllib.error.URLError``."""
    root = os.path.expanduser(root)
    filename = filename or os.path.basename(url)
    fpath = os.path.join(root, filename)
    os.makedirs(root, exist_ok=True)

    if check_integrity(fpath, md5):
        print("Using downloaded and verified file: " + fpath)
        return

    print("Downloading " + url + " to " + fpath)
    _urlretrieve(url, fpath, max_redirect_hops)
    if not check_integrity(fpath, md5):
        raise RuntimeError("File not found or corrupted.")


def download_and_extract_archive(url: str, download_root, extract_root=None, filename: str | None = None,
                                 md5: str | None = None, remove_finished: bool = False) -> None:
    """``download_url`` then ``extract_archive`` into ``extract_root`` (``download_root`` by default)."""
    download_root = os.path.expanduser(download_root)
    extract_root = download_root if extract_root is None else extract_root
    filename = filename or os.path.basename(url)
    download_url(url, download_root, filename, md5)
    archive = os.path.join(download_root, filename)
    print(f"Extracting {archive} to {extract_root}")
    extract_archive(archive, extract_root, remove_finished)


def download_resources(resources, download_root, extract_root=None) -> None:
    """Download and extract each ``(urls, filename, md5)`` of ``resources``, trying its URLs (the
    mirrors) in order. When none answers, raise a ``RuntimeError`` that lists every file with the
    folder to place it in: files found there are then used without any network access."""
    download_root = os.path.expanduser(download_root)
    for urls, filename, md5 in resources:
        failures = []
        for url in urls:
            try:
                download_and_extract_archive(url, download_root, extract_root, filename, md5)
                break
            except urllib.error.URLError as error:  # this mirror is unreachable: try the next one
                failures.append(f"  {url}: {error}")
        else:
            wanted = "\n".join(f"  {name} (md5 {checksum}) from {' or '.join(sources)}"
                               for sources, name, checksum in resources)
            raise RuntimeError(
                f"Error downloading {filename}:\n" + "\n".join(failures) + "\n"
                f"Without network access, download these files on another machine and place them in "
                f"{download_root}:\n{wanted}\n"
                "Then run again with download=True: files already there are checked and used without the network.")


# -- unpacking ------------------------------------------------------------------------------------------

_COMPRESSED_FILE_OPENERS = {".bz2": bz2.open, ".gz": gzip.open, ".xz": lzma.open}
_ARCHIVE_TYPES = (".tar", ".zip")
_FILE_TYPE_ALIASES = {".tbz": (".tar", ".bz2"), ".tbz2": (".tar", ".bz2"), ".tgz": (".tar", ".gz")}


def _detect_file_type(file) -> tuple:
    """``(suffix, archive type, compression)`` from the file name: ``a.tar.gz`` gives
    ``('.tar.gz', '.tar', '.gz')``, ``a.gz`` gives ``('.gz', None, '.gz')``."""
    suffixes = pathlib.Path(file).suffixes
    if not suffixes:
        raise RuntimeError(f"File '{file}' has no suffixes that could be used to detect the archive type "
                           "and compression.")
    suffix = suffixes[-1]
    if suffix in _FILE_TYPE_ALIASES:
        return (suffix, *_FILE_TYPE_ALIASES[suffix])
    if suffix in _ARCHIVE_TYPES:
        return suffix, suffix, None
    if suffix in _COMPRESSED_FILE_OPENERS:
        if len(suffixes) > 1 and suffixes[-2] in _ARCHIVE_TYPES:
            return suffixes[-2] + suffix, suffixes[-2], suffix
        return suffix, None, suffix
    known = sorted(set(_FILE_TYPE_ALIASES) | set(_ARCHIVE_TYPES) | set(_COMPRESSED_FILE_OPENERS))
    raise RuntimeError(f"Unknown compression or archive type: '{suffix}'.\nKnown suffixes are: '{known}'.")


def _refuse_escapes(archive, to_path, members) -> None:
    """Raise before anything is written if a member, given as ``(name, link target or None)`` with
    both paths relative to ``to_path``, would land outside it: through ``..``, an absolute path, or a
    link pointing out."""
    root = os.path.realpath(to_path)
    for name, link in members:
        paths = [name] if link is None else [name, link]
        if any(os.path.commonpath([root, os.path.realpath(os.path.join(root, path))]) != root for path in paths):
            raise RuntimeError(f"Refusing to extract {archive}: its member {name!r} would be written "
                               f"outside {to_path}")


def _link_target(member: tarfile.TarInfo):
    """Where a link member points, relative to the archive's root (None for other members): a hard
    link names its target from the root, a symbolic link from the folder it sits in."""
    if member.islnk():
        return member.linkname
    if member.issym():
        return os.path.join(os.path.dirname(member.name), member.linkname)
    return None


def _extract_tar(from_path, to_path, compression) -> None:
    with tarfile.open(from_path, f"r:{compression[1:]}" if compression else "r") as tar:
        members = tar.getmembers()
        _refuse_escapes(from_path, to_path, [(member.name, _link_target(member)) for member in members])
        # Pythons that have it also apply tarfile's "data" filter (no device files, sane permissions).
        options = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(to_path, members, **options)


def _extract_zip(from_path, to_path, compression) -> None:
    # zipfile reads each member's compression from the archive itself: `compression` is not needed.
    with zipfile.ZipFile(from_path) as archive:
        _refuse_escapes(from_path, to_path, [(name, None) for name in archive.namelist()])
        archive.extractall(to_path)


_ARCHIVE_EXTRACTORS = {".tar": _extract_tar, ".zip": _extract_zip}


def _decompress(from_path, to_path, compression: str, remove_finished: bool = False) -> str:
    """Uncompress a single compressed file (``a.gz`` to ``a``)."""
    with _COMPRESSED_FILE_OPENERS[compression](from_path, "rb") as source, open(to_path, "wb") as target:
        shutil.copyfileobj(source, target)
    if remove_finished:
        os.remove(from_path)
    return to_path


def extract_archive(from_path, to_path=None, remove_finished: bool = False) -> str:
    """Unpack ``from_path`` into the folder ``to_path`` (the archive's own folder by default); the
    type comes from the file name. A compressed single file is uncompressed there. Returns ``to_path``."""
    from_path = os.fspath(from_path)
    to_path = os.path.dirname(from_path) if to_path is None else os.fspath(to_path)
    suffix, archive_type, compression = _detect_file_type(from_path)
    if not archive_type:  # then _detect_file_type found a compression
        return _decompress(from_path, os.path.join(to_path, os.path.basename(from_path).replace(suffix, "")),
                           compression, remove_finished)
    _ARCHIVE_EXTRACTORS[archive_type](from_path, to_path, compression)
    if remove_finished:
        os.remove(from_path)
    return to_path


# -- arguments ------------------------------------------------------------------------------------------

def verify_str_arg(value, arg: str | None = None, valid_values=None, custom_msg: str | None = None):
    """``value`` if it is a string among ``valid_values``, else ``ValueError`` with torchvision's message."""
    if not isinstance(value, str):
        where = "" if arg is None else f" for argument {arg}"
        raise ValueError(f"Expected type str{where}, but got type {type(value)}.")
    if valid_values is None or value in valid_values:
        return value
    listed = "'" + "', '".join(str(item) for item in valid_values) + "'"
    raise ValueError(custom_msg or f"Unknown value '{value}' for argument {arg}. Valid values are {{{listed}}}.")
