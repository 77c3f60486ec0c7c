"""A checkpoint is data: ``minitorch.load`` never runs code from a file, never crashes or returns half an
object on a damaged one, and ``minitorch.save`` never destroys the previous checkpoint when it fails.

Security: pickles whose reduce calls os.system, subprocess, eval, exec or importlib are refused, both as a
plain pickle file and as ``data.pkl`` inside an otherwise valid PyTorch zip, with the global named and
no side effect (the marker file the payload would create stays absent), as ``torch.load(weights_only=True)``
refuses them. Damage: truncated, bit-flipped and non-checkpoint files raise. Faults: a save that fails
while pickling, while writing (a file-size limit, the way a full disk fails) or at fsync, or whose process
is killed with SIGKILL in the middle, leaves the previous checkpoint loadable and no temporary file behind
(SIGKILL allows no clean-up: there the temporary file may stay, but never in the target's place).
"""
import importlib
import io
import os
import pickle
import pickletools
import re
import signal
import struct
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest
import safetensors.torch
import torch
from hypothesis import given, strategies as st

import minitorch
from minitorch import safetensors as minitorch_safetensors
from minitorch.serialization import UnpicklingError
from tests.helpers import assert_same, from_torch_structure

EXACT = {np.dtype(code): (0, 0) for code in "efd"}


class Call:
    """Pickles as ``function(*arguments)``: the shape of every code-execution payload."""

    def __init__(self, function, *arguments):
        self.function, self.arguments = function, arguments

    def __reduce__(self):
        return self.function, self.arguments


def marker_code(marker):
    return f"open({str(marker)!r}, 'w').close()"


# (what the payload calls, how it is called so that it would create ``marker``)
PAYLOADS = {
    "os_system": (os.system, lambda marker, module: (f"touch {marker}",)),
    "subprocess_popen": (subprocess.Popen, lambda marker, module: (["touch", str(marker)],)),
    "subprocess_check_output": (subprocess.check_output, lambda marker, module: (["touch", str(marker)],)),
    "eval": (eval, lambda marker, module: (marker_code(marker),)),
    "builtins_exec": (exec, lambda marker, module: (marker_code(marker),)),
    "importlib_import_module": (importlib.import_module, lambda marker, module: (module,)),
}


@pytest.fixture
def payload_setup(tmp_path, monkeypatch, request):
    """A marker path, and an importable module that creates it on import (for the importlib payload)."""
    marker = tmp_path / "payload_ran"
    module = "payload_module_" + re.sub(r"\W", "_", request.node.name)
    (tmp_path / f"{module}.py").write_text(marker_code(marker) + "\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return marker, module


def payload_pickle(case, marker, module):
    function, arguments = PAYLOADS[case]
    # Wrapped in an ordinary checkpoint dict: the refusal must come mid-stream, after allowed opcodes.
    # fix_imports=False: the globals keep their Python 3 names (not Python 2's "__builtin__", "commands").
    return pickle.dumps({"epoch": 3, "state": Call(function, *arguments(marker, module))}, protocol=2,
                        fix_imports=False)


def rezip(source, target, replace=(), extra=()):
    """Copy a checkpoint zip member by member, replacing some members' bytes and adding others."""
    replace = dict(replace)
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as copy:
        for info in archive.infolist():
            copy.writestr(info.filename, replace.get(info.filename, archive.read(info.filename)))
        for name, data in extra:
            copy.writestr(zipfile.ZipInfo(name), data)


def torch_checkpoint(path):
    """A small real checkpoint written by PyTorch: a state_dict with buffers, numbers, strings, flags."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    model(torch.randn(4, 3))  # moves the running statistics
    checkpoint = {"model": model.state_dict(), "step": 5, "names": ["a", "b"], "mask": torch.tensor([True, False]),
                  "half": torch.randn(3, dtype=torch.float16)}
    torch.save(checkpoint, path)
    return path


def checkpoint_of(kind, folder):
    """A checkpoint file written by ``kind``: PyTorch, or minitorch in its zip or safetensors format."""
    source = torch_checkpoint(folder / "source.pt")
    if kind == "torch":
        return source
    content = from_torch_structure(torch.load(source, weights_only=True))
    if kind == "minitorch":
        minitorch.save(content, folder / "written.pt")
        return folder / "written.pt"
    minitorch.save(content["model"], folder / "written.safetensors")
    return folder / "written.safetensors"


# -- code in a checkpoint is refused -------------------------------------------------------------

@pytest.mark.parametrize("case", PAYLOADS)
def test_payloads_run_when_unpickled_without_an_allow_list(payload_setup, case):
    """The control: each payload is live, so its refusal below is what keeps the marker away."""
    marker, module = payload_setup
    result = pickle.loads(payload_pickle(case, marker, module))["state"]
    if isinstance(result, subprocess.Popen):
        result.wait()
    sys.modules.pop(module, None)
    assert marker.exists()


@pytest.mark.parametrize("container", ["plain_pickle_file", "data_pkl_in_a_torch_zip"])
@pytest.mark.parametrize("case", PAYLOADS)
def test_code_execution_payload_is_refused_with_no_side_effect(tmp_path, payload_setup, case, container):
    marker, module = payload_setup
    payload = payload_pickle(case, marker, module)
    path = tmp_path / "evil.pt"
    if container == "plain_pickle_file":
        path.write_bytes(payload)
    else:
        good = torch_checkpoint(tmp_path / "good.pt")
        rezip(good, tmp_path / "copy.pt")
        for load in (torch.load, minitorch.load):  # a copy loads: only the pickle makes the difference
            assert load(tmp_path / "copy.pt", weights_only=True)["step"] == 5
        rezip(good, path, replace=[("good/data.pkl", payload)])
    messages = {}
    for load in (torch.load, minitorch.load):
        with pytest.raises(pickle.UnpicklingError) as caught:
            load(path, weights_only=True)
        assert not marker.exists(), f"{load.__module__}.load ran the payload"
        messages[load] = str(caught.value)
    assert isinstance(caught.value, UnpicklingError)
    # The global as the pickle spells it; PyTorch names it too, though it leaves out "builtins.".
    refused = next(".".join(argument.split()) for opcode, argument, _ in pickletools.genops(payload)
                   if opcode.name == "GLOBAL")
    assert refused.endswith("." + PAYLOADS[case][0].__name__)
    assert f"GLOBAL {refused.removeprefix('builtins.')}" in messages[torch.load]
    assert f"GLOBAL {refused} was not an allowed global" in messages[minitorch.load]
    assert "weights_only" in messages[minitorch.load]  # the way out, with its warning, as PyTorch words it
    assert module not in sys.modules


# (member name, whether PyTorch refuses it too: it checks only that members share the first one's folder)
TRAVERSALS = [("../evil", True), ("/tmp/evil_absolute", True), ("good/../../evil_nested", False)]


@pytest.mark.parametrize("member, torch_refuses", TRAVERSALS, ids=[row[0] for row in TRAVERSALS])
def test_zip_with_a_path_traversal_member_is_refused_and_writes_nothing(tmp_path, member, torch_refuses):
    folder = tmp_path / "inside"
    folder.mkdir()
    good = torch_checkpoint(folder / "good.pt")
    path = folder / "evil.pt"
    rezip(good, path, extra=[(member, b"overwritten")])
    before = sorted(os.listdir(folder)), sorted(os.listdir(tmp_path)), os.path.exists("/tmp/evil_absolute")
    with pytest.raises(RuntimeError) as caught:  # PyTorch's type for the members it refuses
        minitorch.load(path, weights_only=True)
    assert member in str(caught.value)
    if torch_refuses:
        with pytest.raises(RuntimeError, match="not in a subdirectory"):
            torch.load(path, weights_only=True)
    assert (sorted(os.listdir(folder)), sorted(os.listdir(tmp_path)), os.path.exists("/tmp/evil_absolute")) == before


# -- damaged and foreign files raise ---------------------------------------------------------------

NOT_CHECKPOINTS = {
    "empty": b"",
    "text": b"epoch=3\nloss=0.25\n",
    "png_header": b"\x89PNG\r\n\x1a\n" + bytes(range(64)),
    "random_bytes": np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes(),
    "json": b'{"weight": [1, 2, 3]}',
}


def zip_without_a_pickle():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes/readme.txt", "not a checkpoint")
    return buffer.getvalue()


NOT_CHECKPOINTS["zip_without_data_pkl"] = zip_without_a_pickle()


@pytest.mark.parametrize("case", NOT_CHECKPOINTS)
def test_a_file_that_is_no_checkpoint_raises_in_both_libraries(tmp_path, case):
    path = tmp_path / "file.pt"
    path.write_bytes(NOT_CHECKPOINTS[case])
    for load in (torch.load, minitorch.load):
        with pytest.raises(Exception):
            load(path, weights_only=True)


def cut_points(size, count=60):
    """Offsets spread over the file, plus every one of the last 64 bytes (where the zip directory ends)."""
    return sorted(set(np.linspace(0, size - 1, count).astype(int).tolist()) | set(range(max(size - 64, 0), size)))


@pytest.mark.parametrize("kind", ["torch", "minitorch", "safetensors"])
def test_every_truncated_checkpoint_raises(tmp_path, kind):
    data = checkpoint_of(kind, tmp_path).read_bytes()
    minitorch.load(io.BytesIO(data), weights_only=True)  # whole, it loads
    for cut in cut_points(len(data)):
        with pytest.raises(Exception):
            minitorch.load(io.BytesIO(data[:cut]), weights_only=True)
        if kind != "safetensors":  # and PyTorch agrees
            with pytest.raises(Exception):
                torch.load(io.BytesIO(data[:cut]), weights_only=True)


def raw_storage_ranges(data: bytes):
    """[start, stop) of each storage's raw bytes (the ``data/<key>`` members) inside a checkpoint zip."""
    ranges = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if "/data/" in info.filename and not info.filename.endswith("/"):
                name_length, extra_length = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
                start = info.header_offset + 30 + name_length + extra_length
                ranges.append((start, start + info.compress_size))
    return ranges


def skeleton(value):
    """A loaded object with each tensor replaced by its shape and dtype name (either library)."""
    if isinstance(value, (torch.Tensor, minitorch.Tensor)):
        return "tensor", tuple(value.shape), str(value.dtype).split(".")[-1]
    if isinstance(value, dict):
        return {key: skeleton(inner) for key, inner in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(skeleton(inner) for inner in value)
    return value


@pytest.mark.parametrize("kind", ["torch", "minitorch"])
@given(flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), min_size=1, max_size=3))
def test_bit_flipped_checkpoint_raises_unless_only_tensor_bytes_changed(tmp_path_factory, kind, flips):
    """What a load of a flipped file may return:
    - an error (always fine);
    - the original object exactly, when the flips hit bytes no reader needs (zip padding, the
      serialization id, ...);
    - the original structure with different values, only when a flip hit a storage's raw bytes: a reader
      that skips the zip CRC-32 (PyTorch does) cannot notice those.
    Never a different structure: a flipped key, shape or dtype in the pickle must raise (PyTorch, which
    skips the CRC, loads a flipped key as a new key; minitorch must not), and never a crash.
    (safetensors has no checksum at all; its flips are compared with the reference in test_safetensors.)"""
    folder = tmp_path_factory.mktemp("flip")
    original = checkpoint_of(kind, folder).read_bytes()
    expected = torch.load(io.BytesIO(original), weights_only=True)
    data = bytearray(original)
    positions = [position % len(data) for position, _ in flips]
    for position, (_, mask) in zip(positions, flips):
        data[position] ^= mask
    try:
        loaded = minitorch.load(io.BytesIO(bytes(data)), weights_only=True)
    except Exception:
        return
    in_raw_bytes = any(start <= position < stop for position in positions
                       for start, stop in raw_storage_ranges(original))
    if in_raw_bytes:
        assert skeleton(loaded) == skeleton(expected)
    else:
        assert_same(loaded, expected, EXACT)


# -- a failed save leaves the previous checkpoint --------------------------------------------------

class ExplodingState:
    """Raises when pickled, after the tensors before it in the checkpoint were written."""

    def __reduce_ex__(self, protocol):
        raise RuntimeError("cannot pickle this state")


def previous_checkpoint(folder, writer):
    """The checkpoint a failed save must leave untouched, and its content."""
    content = {"weight": minitorch.arange(12, dtype=minitorch.float32).reshape(3, 4), "bias": minitorch.ones(4)}
    path = folder / ("model.safetensors" if writer == "safetensors" else "model.pt")
    WRITERS[writer](content, path)
    return path, content


WRITERS = {
    "torch_zip": lambda content, path: minitorch.save(content, path),
    "safetensors": lambda content, path: minitorch_safetensors.save_file(content, path),
}
LOADERS = {"torch_zip": lambda path: minitorch.load(path, weights_only=True),
           "safetensors": minitorch_safetensors.load_file}
REFERENCE_LOADERS = {"torch_zip": lambda path: torch.load(path, weights_only=True),
                     "safetensors": safetensors.torch.load_file}


def sort(tensors):
    return dict(sorted(tensors.items()))


def assert_previous_checkpoint_intact(path, content, writer, temporary_allowed=False):
    """``path`` still holds ``content``, for minitorch and for PyTorch's own reader."""
    if not temporary_allowed:
        assert os.listdir(path.parent) == [path.name], "a temporary file was left behind"
    expected = sort(REFERENCE_LOADERS[writer](path))
    assert_same(sort(content), expected, EXACT)
    assert_same(sort(LOADERS[writer](path)), expected, EXACT)


def test_save_that_fails_while_pickling_leaves_the_previous_checkpoint(tmp_path):
    path, content = previous_checkpoint(tmp_path, "torch_zip")
    big = {"weight": minitorch.zeros(100_000), "state": ExplodingState()}
    with pytest.raises(RuntimeError, match="cannot pickle this state"):
        minitorch.save(big, path)
    assert_previous_checkpoint_intact(path, content, "torch_zip")


@pytest.mark.parametrize("writer", WRITERS)
def test_save_that_fails_at_fsync_leaves_the_previous_checkpoint(tmp_path, monkeypatch, writer):
    path, content = previous_checkpoint(tmp_path, writer)

    def failing_fsync(descriptor):
        raise OSError(5, "Input/output error")
    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="Input/output error"):
        WRITERS[writer]({"weight": minitorch.ones(1000)}, path)
    monkeypatch.undo()
    assert_previous_checkpoint_intact(path, content, writer)


REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(minitorch.__file__)))
CHILD_PRELUDE = """
import os, sys
sys.path.insert(0, {root!r})
import minitorch
from minitorch import safetensors
path, writer = sys.argv[1], sys.argv[2]
content = {{"weight": minitorch.ones({numel}), "bias": minitorch.zeros(3)}}
def save():
    if writer == "safetensors":
        safetensors.save_file(content, path)
    else:
        minitorch.save(content, path)
"""

# A file-size limit makes write() fail with EFBIG partway through, as a full disk fails with ENOSPC.
WRITE_LIMIT_CHILD = """
import resource, signal
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, resource.RLIM_INFINITY))
try:
    save()
except OSError as error:
    print("save failed:", error)
else:
    print("save succeeded")
"""


@pytest.mark.parametrize("writer", WRITERS)
def test_save_that_fails_while_writing_leaves_the_previous_checkpoint(tmp_path, writer):
    path, content = previous_checkpoint(tmp_path, writer)
    script = textwrap.dedent(CHILD_PRELUDE.format(root=REPOSITORY, numel=1_000_000)) + WRITE_LIMIT_CHILD
    result = subprocess.run([sys.executable, "-c", script, str(path), writer], capture_output=True, text=True)
    assert result.stdout.startswith("save failed:"), result.stdout + result.stderr
    assert_previous_checkpoint_intact(path, content, writer)


# The child saves ~40 MB; the parent kills it once the temporary file holds a megabyte. So that the kill
# always lands before the save completes (no race, no timing), the child's fsync, which comes after the
# last byte and before the rename, first says so and then waits for the parent's signal.
KILLED_CHILD = """
import os
def wait_to_be_killed(descriptor):
    print("at fsync", flush=True)
    sys.stdin.read()
os.fsync = wait_to_be_killed
save()
"""


@pytest.mark.parametrize("writer", WRITERS)
def test_save_killed_with_sigkill_leaves_the_previous_checkpoint(tmp_path, writer):
    path, content = previous_checkpoint(tmp_path, writer)
    script = textwrap.dedent(CHILD_PRELUDE.format(root=REPOSITORY, numel=10_000_000)) + KILLED_CHILD
    child = subprocess.Popen([sys.executable, "-c", script, str(path), writer], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.set_blocking(child.stdout.fileno(), False)
    while True:  # until the temporary file holds a megabyte, or the child waits at fsync
        temporary = [name for name in os.listdir(tmp_path) if name != path.name]
        if temporary and os.path.getsize(tmp_path / temporary[0]) > 2**20 or child.stdout.read():
            break
        assert child.poll() is None, child.stderr.read().decode()
        time.sleep(0.001)
    child.send_signal(signal.SIGKILL)
    assert child.wait() == -signal.SIGKILL
    assert temporary or [name for name in os.listdir(tmp_path) if name != path.name], "killed before any write"
    assert_previous_checkpoint_intact(path, content, writer, temporary_allowed=True)
