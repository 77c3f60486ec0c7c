"""``repr(tensor)`` in PyTorch's layout: ``tensor([1.5000, 2.0000], requires_grad=True)``.

The algorithm is PyTorch's (``torch/_tensor_str.py``), so output matches
character for character: one formatter looks at every value that will be
shown and picks a mode and a width for all of them, then rows are laid out
recursively, wrapped at the line width, with '...' standing for the middle
of tensors over the summary threshold.

Float modes: all values whole -> ``1.`` (int mode); a wide range of
magnitudes -> ``1.0000e+03`` (scientific); otherwise fixed ``%.4f``.
"""
from __future__ import annotations

import dataclasses
import math

import numpy

from minitorch import backend


@dataclasses.dataclass
class PrintOptions:
    """``torch.set_printoptions``'s settings."""
    precision: int = 4        # digits after the point
    threshold: int = 1000     # more elements than this print summarised, with '...'
    edgeitems: int = 3        # elements kept at each end of a summarised dimension
    linewidth: int = 80       # characters per line before wrapping
    sci_mode: bool | None = None  # force scientific notation on (True) or off (False)


PRINT_OPTS = PrintOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None) -> None:
    """Change how tensors print (``torch.set_printoptions``); ``profile`` is 'default', 'short' or 'full'."""
    profiles = {"default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
                "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
                "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80)}
    for name, value in profiles.get(profile, {}).items():
        setattr(PRINT_OPTS, name, value)
    for name, value in dict(precision=precision, threshold=threshold, edgeitems=edgeitems,
                            linewidth=linewidth).items():
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


class _Formatter:
    """One width and one notation for every element shown, so that columns line up."""

    def __init__(self, values: numpy.ndarray):
        self.floating = values.dtype.kind in backend.FLOATING_KINDS
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        if not self.floating:
            for value in values.reshape(-1).tolist():
                self.max_width = max(self.max_width, len(str(value)))
            return
        flat = values.reshape(-1).astype(numpy.float64)
        shown = flat[numpy.isfinite(flat) & (flat != 0)]  # nan, inf and 0 do not choose the notation
        if shown.size == 0:
            return
        magnitudes = numpy.abs(shown)
        smallest, largest = magnitudes.min(), magnitudes.max()
        self.int_mode = bool(numpy.all(shown == numpy.ceil(shown)))
        if PRINT_OPTS.sci_mode is not None:
            self.sci_mode = PRINT_OPTS.sci_mode
        else:  # scientific when the magnitudes span more than three decades, or are very large or small
            with numpy.errstate(over="ignore"):  # a ratio past float64's range is just 'wide'
                self.sci_mode = bool(largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4)
        if self.sci_mode:
            texts = [f"{value:.{PRINT_OPTS.precision}e}" for value in shown.tolist()]
        elif self.int_mode:
            texts = [f"{value:.0f}." for value in shown.tolist()]
        else:
            texts = [f"{value:.{PRINT_OPTS.precision}f}" for value in shown.tolist()]
        self.max_width = max(len(text) for text in texts)

    def width(self) -> int:
        return self.max_width

    def format(self, value) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{PRINT_OPTS.precision}f}"
        return text.rjust(self.max_width)


def _summarized(array: numpy.ndarray) -> numpy.ndarray:
    """Only the elements that a summarised print shows: ``edgeitems`` at both ends of each dimension."""
    edge = PRINT_OPTS.edgeitems
    for axis, size in enumerate(array.shape):
        if size > 2 * edge:
            keep = numpy.r_[0:edge, size - edge:size]
            array = numpy.take(array, keep, axis=axis)
    return array


def _vector_str(array: numpy.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    edge = PRINT_OPTS.edgeitems
    element_length = formatter.width() + 2  # the element, a comma and a space
    per_line = max(1, int(math.floor((PRINT_OPTS.linewidth - indent) / element_length)))
    if summarize and len(array) > 2 * edge:
        data = ([formatter.format(value) for value in array[:edge].tolist()] + [" ..."]
                + [formatter.format(value) for value in array[-edge:].tolist()])
    else:
        data = [formatter.format(value) for value in array.tolist()]
    lines = [", ".join(data[start:start + per_line]) for start in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str(array: numpy.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    """Nested brackets, a dimension per level: rows of a matrix on their own lines, blank lines between blocks."""
    if array.ndim == 0:
        return formatter.format(array.item())
    if array.ndim == 1:
        return _vector_str(array, indent, summarize, formatter)
    edge = PRINT_OPTS.edgeitems
    if summarize and len(array) > 2 * edge:
        slices = ([_tensor_str(row, indent + 1, summarize, formatter) for row in array[:edge]] + ["..."]
                  + [_tensor_str(row, indent + 1, summarize, formatter) for row in array[-edge:]])
    else:
        slices = [_tensor_str(row, indent + 1, summarize, formatter) for row in array]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _add_suffixes(text: str, suffixes: list, indent: int) -> str:
    """Append ', dtype=...' and friends, moving one to a new line when it would pass the line width."""
    parts = [text]
    last_line_length = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_length + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_length = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_length += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(tensor) -> str:
    array = backend.to_device(tensor._data, backend.CPU)
    if array.dtype == numpy.float16:
        array = array.astype(numpy.float32)  # PyTorch formats half through float
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    if tensor.device.type != "cpu":
        suffixes.append(f"device='{tensor.device}'")
    if array.size == 0:
        body = "[]"
        if array.ndim != 1:  # the shape cannot be read off '[]', so it is printed
            suffixes.append(f"size={tuple(array.shape)}")
        if tensor.dtype is not backend.get_default_dtype():
            suffixes.append(f"dtype={tensor.dtype}")
    else:
        # The values show that a tensor is the default float, int64 or bool; any other dtype is printed.
        if tensor.dtype not in (backend.get_default_dtype(), backend.int64, backend.bool_):
            suffixes.append(f"dtype={tensor.dtype}")
        summarize = array.size > PRINT_OPTS.threshold
        formatter = _Formatter(_summarized(array) if summarize else array)
        body = _tensor_str(array, indent, summarize, formatter)
    if tensor.grad_fn is not None:
        suffixes.append(f"grad_fn=<{tensor.grad_fn.name()}>")
    elif tensor.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
