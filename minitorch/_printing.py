"""``repr(tensor)`` in PyTorch's layout: ``tensor([1.5000, 2.0000], requires_grad=True)``."""
from __future__ import annotations

import numpy

from minitorch import backend

_PRECISION = 4
_SUMMARY_THRESHOLD = 1000   # more elements than this print with '...' (PyTorch's threshold)
_EDGE_ITEMS = 3
_LINE_WIDTH = 80


def _float_formatter(values: numpy.ndarray):
    """PyTorch's choice: integers print as '1.', small ranges as fixed '%.4f', wide ranges in scientific."""
    finite = values[numpy.isfinite(values)].astype(numpy.float64)
    if finite.size == 0:
        return lambda x: f"{x}".replace("inf", "inf")
    if numpy.all(finite == numpy.round(finite)):
        if numpy.abs(finite).max() > 1e8:
            return lambda x: f"{x:.{_PRECISION}e}"
        return lambda x: f"{x:.0f}." if numpy.isfinite(x) else f"{x}"
    magnitudes = numpy.abs(finite[finite != 0])
    if magnitudes.size and (magnitudes.max() / magnitudes.min() > 1000 or magnitudes.max() > 1e8
                            or magnitudes.min() < 1e-4):
        return lambda x: f"{x:.{_PRECISION}e}"
    return lambda x: f"{x:.{_PRECISION}f}"


def _format_values(array: numpy.ndarray, prefix: str) -> str:
    summarize = array.size > _SUMMARY_THRESHOLD
    options = dict(separator=", ", prefix=prefix, max_line_width=_LINE_WIDTH,
                   threshold=_SUMMARY_THRESHOLD if summarize else array.size + 1, edgeitems=_EDGE_ITEMS)
    if array.dtype.kind == "f":
        formatter = _float_formatter(array)
        width = max((len(formatter(x)) for x in array.reshape(-1)), default=0)
        options["formatter"] = {"float_kind": lambda x: formatter(x).rjust(width)}
    elif array.dtype.kind == "b":
        options["formatter"] = {"bool": lambda x: "True" if x else "False"}
    return numpy.array2string(array, **options)


def tensor_repr(tensor) -> str:
    array = backend.to_device(tensor._data, backend.CPU)
    prefix = "tensor("
    if array.size == 0 and array.ndim == 1:
        body = "[]"
    elif array.size == 0:
        body = "[]"
    else:
        body = _format_values(array, prefix)
    suffixes = []
    if tensor.device.type != "cpu":
        suffixes.append(f"device='{tensor.device}'")
    default = backend.get_default_dtype()
    implicit = (default, backend.int64, backend.bool_)
    if tensor.dtype not in implicit or array.size == 0 and tensor.dtype is not default:
        suffixes.append(f"dtype={tensor.dtype}")
    if array.size == 0 and array.ndim != 1:
        suffixes.append(f"size={tuple(array.shape)}")
    if tensor.grad_fn is not None:
        suffixes.append(f"grad_fn=<{tensor.grad_fn.name()}>")
    elif tensor.requires_grad:
        suffixes.append("requires_grad=True")
    return prefix + ", ".join([body] + suffixes) + ")"
