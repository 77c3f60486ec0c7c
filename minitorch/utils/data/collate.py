"""Collation: how a list of samples becomes one batch (``torch.utils.data._utils.collate``).

``default_collate`` stacks tensors, NumPy arrays and numbers along a new first
dimension and recurses into containers, keeping their shape: a list of
``(image, label)`` tuples becomes ``[images, labels]``, a list of dicts one
dict of batches. Strings stay lists. The rule for each element type lives in
``default_collate_fn_map``, which users extend for their own types.
``default_convert`` is the unbatched twin: it only turns NumPy data into tensors.
"""
from __future__ import annotations

import collections.abc
import copy
import re

import numpy

import minitorch

__all__ = [
    "collate", "collate_float_fn", "collate_int_fn", "collate_numpy_array_fn", "collate_numpy_scalar_fn",
    "collate_str_fn", "collate_tensor_fn", "default_collate", "default_collate_fn_map", "default_convert",
]

# NumPy dtype codes of strings, bytes and Python objects: arrays of these cannot become tensors.
np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = ("default_collate: batch must contain tensors, numpy arrays, numbers, "
                                  "dicts or lists; found {}")


def _rebuild_mapping(template, items: dict):
    """A mapping of ``template``'s type holding ``items``; a plain dict when that type cannot be built."""
    try:
        if isinstance(template, collections.abc.MutableMapping):
            clone = copy.copy(template)  # keeps a subclass's attributes (an OrderedDict's order, a defaultdict's factory)
            clone.update(items)
            return clone
        return type(template)(items)
    except TypeError:
        return items


def _rebuild_sequence(template, values: list):
    """A sequence of ``template``'s type holding ``values``; a plain list when that type cannot be built."""
    try:
        if isinstance(template, collections.abc.MutableSequence):
            clone = copy.copy(template)
            for index, value in enumerate(values):
                clone[index] = value
            return clone
        return type(template)(values)
    except TypeError:
        return values


def _is_namedtuple(value) -> bool:
    return isinstance(value, tuple) and hasattr(value, "_fields")


def default_convert(data):
    """NumPy arrays and scalars inside ``data`` (through mappings, namedtuples and sequences)
    as tensors; everything else unchanged. A tuple comes back as a list, as in PyTorch."""
    data_type = type(data)
    if isinstance(data, minitorch.Tensor):
        return data
    if data_type.__module__ == "numpy" and data_type.__name__ not in ("str_", "string_"):
        if isinstance(data, numpy.ndarray) and np_str_obj_array_pattern.search(data.dtype.str):
            return data
        return minitorch.as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {key: default_convert(data[key]) for key in data})
    if _is_namedtuple(data):
        return data_type(*(default_convert(item) for item in data))
    if isinstance(data, tuple):
        return [default_convert(item) for item in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(item) for item in data])
    return data


def collate(batch, *, collate_fn_map: dict | None = None):
    """Collate ``batch`` with the rule in ``collate_fn_map`` for its elements' type (an exact
    match first, then the first key the element is an instance of), else recurse into
    mappings, namedtuples and sequences, field by field."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type, collate_fn in collate_fn_map.items():
            if isinstance(elem, collate_type):
                return collate_fn(batch, collate_fn_map=collate_fn_map)

    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(elem, {key: collate([sample[key] for sample in batch], collate_fn_map=collate_fn_map)
                                       for key in elem})
    if _is_namedtuple(elem):
        return elem_type(*(collate(field, collate_fn_map=collate_fn_map) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [collate(field, collate_fn_map=collate_fn_map) for field in zip(*batch)]
        return fields if isinstance(elem, tuple) else _rebuild_sequence(elem, fields)
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    return minitorch.stack(batch, 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    dtype = batch[0].dtype
    if np_str_obj_array_pattern.search(dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(dtype))
    return collate([minitorch.as_tensor(array) for array in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    return minitorch.as_tensor(batch)  # the scalars' own NumPy dtype


def collate_float_fn(batch, *, collate_fn_map=None):
    return minitorch.tensor(batch, dtype=minitorch.float64)  # a Python float is a double


def collate_int_fn(batch, *, collate_fn_map=None):
    return minitorch.tensor(batch)  # int64; bool for a batch of bools (bool is a subclass of int)


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


# Insertion order matters: NumPy scalars are checked before float, since numpy.float64 is a float too.
default_collate_fn_map: dict = {
    minitorch.Tensor: collate_tensor_fn,
    numpy.ndarray: collate_numpy_array_fn,
    (numpy.bool_, numpy.number, numpy.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """Samples to a batch: tensors, NumPy arrays and numbers stacked along a new first dimension
    (a Python float as float64, an int as int64, a bool as bool); strings and bytes kept as a
    list; mappings, namedtuples and sequences collated field by field (a tuple becomes a list).

    >>> default_collate([(0, 1.5), (2, 3.5)])
    [tensor([0, 2]), tensor([1.5000, 3.5000], dtype=minitorch.float64)]
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)
