"""Packed sequences: a batch of sequences of different lengths, stored without padding (``torch.nn.utils.rnn``).

A ``PackedSequence`` lays the sequences out time step by time step: first the first element of
every sequence, then the second element of every sequence that has one, and so on, longest
sequences first. ``batch_sizes[t]`` says how many sequences are still running at step t, so a
recurrent layer works on a shrinking batch and never computes on padding.

Packing and unpacking are one gather each (``index_select`` with an index made in NumPy from the
lengths), so they are differentiable and cost no Python loop over the sequences. Unpacking
gathers from the data with one extra row holding ``padding_value``, which fills the gaps.
"""
from __future__ import annotations

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]

from collections import namedtuple
from collections.abc import Iterable

import numpy

import minitorch
from minitorch.tensor import Tensor


class PackedSequence(namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """``(data, batch_sizes, sorted_indices, unsorted_indices)``: sequences packed time step by time step.

    Made by ``pack_padded_sequence`` and ``pack_sequence``, not by hand. ``data`` is
    ``(sum(batch_sizes), *)``; ``batch_sizes`` an int64 CPU tensor; ``sorted_indices`` (or None,
    when the batch came sorted by decreasing length) says which sequence of the batch is at
    each position, and ``unsorted_indices`` undoes that order.
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        elif batch_sizes.device.type != "cpu":
            raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence should never be "
                             "created manually. They should be instantiated by functions like pack_sequence and "
                             "pack_padded_sequences in nn.utils.rnn.")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """The data moved or cast like ``Tensor.to``; the indices follow it to its device."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        sorted_indices, unsorted_indices = (None if indices is None else indices.to(data.device)
                                            for indices in (self.sorted_indices, self.unsorted_indices))
        return type(self)(data, self.batch_sizes, sorted_indices, unsorted_indices)

    def cuda(self, *args, **kwargs) -> PackedSequence:
        return self.to(*args, device="cuda", **kwargs) if not args else self.to(*args, **kwargs)

    def cpu(self) -> PackedSequence:
        return self.to("cpu")

    def double(self) -> PackedSequence:
        return self.to(dtype=minitorch.float64)

    def float(self) -> PackedSequence:
        return self.to(dtype=minitorch.float32)

    def half(self) -> PackedSequence:
        return self.to(dtype=minitorch.float16)

    def long(self) -> PackedSequence:
        return self.to(dtype=minitorch.int64)

    def int(self) -> PackedSequence:
        return self.to(dtype=minitorch.int32)

    def short(self) -> PackedSequence:
        return self.to(dtype=minitorch.int16)

    def char(self) -> PackedSequence:
        return self.to(dtype=minitorch.int8)

    def byte(self) -> PackedSequence:
        return self.to(dtype=minitorch.uint8)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The permutation that undoes ``permutation`` (None stays None)."""
    if permutation is None:
        return None
    return minitorch.empty_like(permutation).scatter_(
        0, permutation, minitorch.arange(permutation.numel(), device=permutation.device))


def _lengths_array(lengths) -> numpy.ndarray:
    if isinstance(lengths, Tensor):
        return numpy.asarray(lengths.cpu().tolist(), dtype=numpy.int64).reshape(-1)
    return numpy.asarray(lengths, dtype=numpy.int64).reshape(-1)


def _active(batch_sizes: numpy.ndarray, batch: int) -> numpy.ndarray:
    """(steps, batch) mask: which sequence has an element at which time step (longest first)."""
    return numpy.arange(batch)[None, :] < batch_sizes[:, None]


def _gather(source: Tensor, index: numpy.ndarray) -> Tensor:
    """Rows of ``source`` picked by an index array of any shape: result shape index.shape + row shape."""
    flat = minitorch.tensor(index.reshape(-1), dtype=minitorch.int64, device=source.device)
    return source.index_select(0, flat).reshape(*index.shape, *source.shape[1:])


def _with_padding_row(data: Tensor, padding_value) -> Tensor:
    """``data`` with one more row, of ``padding_value``: what the gathers read for the gaps."""
    padding = minitorch.full((1, *data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    return minitorch.cat([data, padding], 0)


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) of sequences of ``lengths``.

    With ``enforce_sorted`` the lengths must decrease; otherwise the batch is sorted here
    (stably, longest first) and the order kept in ``sorted_indices``.
    """
    lengths = _lengths_array(lengths)
    batch_dim = 0 if batch_first else 1
    sorted_indices = None
    if not enforce_sorted:
        order = numpy.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = minitorch.tensor(order, dtype=minitorch.int64, device=input.device)
        input = input.index_select(batch_dim, sorted_indices)
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    batch = input.shape[batch_dim]
    if len(lengths) != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(lengths)} "
                           f"(batch_size={batch})")
    if lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if numpy.any(lengths[1:] > lengths[:-1]):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You "
                           "can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                           "sidestep this requirement if you do not need ONNX exportability.")
    steps = input.shape[1 - batch_dim]
    if lengths[0] > steps:
        raise RuntimeError(f"a length ({lengths[0]}) exceeds the padded sequence length ({steps})")
    batch_sizes = (lengths[None, :] > numpy.arange(lengths[0])[:, None]).sum(1)
    time, sequence = numpy.nonzero(_active(batch_sizes, batch))  # in packed order: time major
    rows = sequence * steps + time if batch_first else time * batch + sequence
    data = _gather(input.reshape(steps * batch, *input.shape[2:]), rows)
    return PackedSequence(data, minitorch.tensor(batch_sizes, dtype=minitorch.int64), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Undo ``pack_padded_sequence``: the padded batch, and each sequence's length (int64, CPU)."""
    batch_sizes = _lengths_array(sequence.batch_sizes)
    steps = len(batch_sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {steps}")
        steps = total_length
    data = sequence.data
    batch = int(batch_sizes[0])
    active = numpy.zeros((steps, batch), dtype=bool)
    active[:len(batch_sizes)] = _active(batch_sizes, batch)
    rows = numpy.full((steps, batch), data.shape[0], dtype=numpy.int64)  # the padding row by default
    rows[active] = numpy.arange(data.shape[0])
    padded = _gather(_with_padding_row(data, padding_value), rows.T if batch_first else rows)
    lengths = minitorch.tensor(active.sum(0), dtype=minitorch.int64)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(0 if batch_first else 1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.cpu()]
    return padded, lengths


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences ``(L_i, *)`` into ``(max L, B, *)`` (``(B, max L, *)`` with ``batch_first``),
    filling with ``padding_value`` after each sequence (or before it, with ``padding_side="left"``)."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}")
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    lengths = numpy.array([len(sequence) for sequence in sequences], dtype=numpy.int64)
    starts = numpy.concatenate([[0], numpy.cumsum(lengths)[:-1]])
    steps = int(lengths.max())
    time = numpy.arange(steps)[:, None]
    offset = steps - lengths[None, :] if padding_side == "left" else numpy.zeros_like(lengths)[None, :]
    active = (time >= offset) & (time < offset + lengths[None, :])
    data = minitorch.cat(sequences, 0)
    rows = numpy.where(active, starts[None, :] + time - offset, data.shape[0])
    return _gather(_with_padding_row(data, padding_value), rows.T if batch_first else rows)


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor, batch_first: bool = False) -> list[Tensor]:
    """The list of sequences in a padded batch: the inverse of ``pad_sequence``."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [sequence[:length] for sequence, length in zip(padded_sequences, _lengths_array(lengths).tolist())]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences ``(L_i, *)``: ``pad_sequence`` then ``pack_padded_sequence``."""
    lengths = [sequence.shape[0] for sequence in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences in a ``PackedSequence``, in their original order."""
    padded_sequences, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded_sequences, lengths, batch_first=True)
