"""``minitorch.autograd.trace()``: watch the engine run a backward pass, node by node.

PyTorch's engine runs in C++ and cannot be watched; this one can::

    with minitorch.autograd.trace() as records:
        loss.backward()
    print(records)        # one row per node, in the order the engine ran them

While a trace is active the engine (``engine.py``) asks it to wrap the three
ways it runs a node (a function's backward, a leaf reached at once, a leaf
taken from the queue); each wrapped call appends one ``TraceRecord``. The
engine looks for a trace once per backward, so tracing costs nothing when off.

Each row holds the gradients that flowed into the node (their shapes and
norms), the norms of the gradients it returned, and the seconds its backward
took. The first node that returned a NaN or inf is marked; with anomaly mode
on (``detect_anomaly``), the error anomaly mode raises at the first NaN gets a
note naming that node's row.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy

from minitorch import backend
from minitorch.autograd import anomaly_mode, engine


@dataclass
class TraceRecord:
    """One node the engine ran. Shapes and norms are None for an output that got no gradient."""

    order: int                  # 0 for the first node run
    name: str                   # the node's ``name()``, e.g. "MulBackward"
    grad_shapes: tuple          # shapes of the gradients flowing into the node, one per output
    grad_norms: tuple           # their 2-norms
    output_norms: tuple = ()    # 2-norms of the gradients it returned, one per input (none for a leaf)
    seconds: float = 0.0
    nonfinite: bool = False     # the first node whose returned gradients hold NaN or inf
    error: str | None = None    # the exception its backward raised, if any


class TraceRecords(list):
    """The rows of a trace, in execution order; ``str()`` (so ``print``) gives them as a table."""

    @property
    def first_nonfinite(self) -> TraceRecord | None:
        return next((record for record in self if record.nonfinite), None)

    def table(self) -> str:
        header = ("#", "node", "grad shapes", "grad norms", "returned norms", "ms", "")
        rows = [header] + [(str(record.order), record.name, _join(record.grad_shapes, _shape),
                            _join(record.grad_norms, _number), _join(record.output_norms, _number),
                            f"{record.seconds * 1e3:.3f}", _remark(record))
                           for record in self]
        widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
        lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
        lines.insert(1, "-" * len(lines[0]))
        return "\n".join(lines)

    def __str__(self):
        return self.table()


class trace:
    """Context manager recording every node a ``backward()`` or ``autograd.grad()`` runs inside it.

    ``with trace() as records:`` gives a ``TraceRecords`` list; ``print_table=True``
    prints it when the block ends (also when it ends with an error).
    """

    def __init__(self, print_table: bool = False):
        self.print_table = print_table
        self.records = TraceRecords()

    def __enter__(self) -> TraceRecords:
        self._previous = engine._tracer
        engine._tracer = self
        return self.records

    def __exit__(self, exc_type, error, traceback):
        engine._tracer = self._previous
        first = self.records.first_nonfinite
        if error is not None and first is not None and hasattr(error, "add_note"):  # (Python 3.11+)
            error.add_note(f"autograd.trace: node {first.order} ({first.name}) is the first whose returned "
                           "gradient holds NaN or inf (marked in the trace table)")
        if self.print_table:
            print(self.records.table())
        return False

    def wrap(self, run):
        """``run(node, grad_outputs, create_graph)``, recording one row per call (the engine's hook)."""
        records = self.records

        def traced(node, grad_outputs, create_graph):
            record = TraceRecord(len(records), node.name(), tuple(_shape_of(grad) for grad in grad_outputs),
                                 tuple(_norm(grad) for grad in grad_outputs))
            records.append(record)  # before running: a hook's own backward inside comes after it
            start = time.perf_counter()
            try:
                grad_inputs = run(node, grad_outputs, create_graph)
            except Exception as error:
                record.seconds = time.perf_counter() - start
                record.error = f"{type(error).__name__}: {error}"
                # Anomaly mode raised at a NaN this node returned (its gradients never reach us).
                record.nonfinite = (records.first_nonfinite is None and anomaly_mode.is_anomaly_enabled()
                                    and "returned nan values" in str(error))
                raise
            record.seconds = time.perf_counter() - start
            if grad_inputs is not None:  # (a leaf returns nothing: its gradient went into .grad)
                record.output_norms = tuple(_norm(grad) for grad in grad_inputs)
                record.nonfinite = records.first_nonfinite is None and not all(
                    norm is None or math.isfinite(norm) for norm in record.output_norms)
            return grad_inputs

        return traced


def _shape_of(grad):
    return None if grad is None else tuple(grad._data.shape)


def _norm(grad) -> float | None:
    """The 2-norm, in float64 (a float16 gradient's sum of squares would overflow to inf)."""
    if grad is None:
        return None
    data = grad._data
    xp = backend.array_module(data)
    if data.dtype.kind != "c":
        data = data.astype(numpy.float64)
    return float(xp.linalg.norm(data.reshape(-1)))


def _join(values, show) -> str:
    return ", ".join("-" if value is None else show(value) for value in values)


def _shape(shape) -> str:
    return str(list(shape))


def _number(value) -> str:
    return f"{value:.4g}"


def _remark(record) -> str:
    if record.nonfinite:
        return "<- first NaN/inf"
    return record.error or ""
