"""``minitorch.vision.utils``: a batch of images laid out as one grid image (``make_grid``), and
written to a file (``save_image``), with torchvision's exact layout and rounding.

The grid has ``nrow`` images per row, each surrounded by ``padding`` pixels of ``pad_value``:
image k sits at row ``k // nrow``, column ``k % nrow``, its top-left corner at
``(row * (H + padding) + padding, column * (W + padding) + padding)``. Cells past the last
image stay ``pad_value``. Pillow (the ``vision`` extra) is needed only to write files.
"""
from __future__ import annotations

import math

import minitorch
from minitorch.tensor import Tensor
from minitorch.vision._pil import pillow

__all__ = ["make_grid", "save_image"]


def _normalized(tensor: Tensor, value_range, scale_each: bool) -> Tensor:
    """Images shifted and scaled to [0, 1]: by ``value_range`` (values outside are clamped), else by
    the batch's (or, with ``scale_each``, each image's) minimum and maximum.

    torchvision takes those bounds as Python floats, so the spread ``high - low`` is computed in
    double precision and only then cast to the images' dtype; float64 bounds here do the same.
    """
    if value_range is not None:
        low, high = (minitorch.tensor(float(bound), dtype=minitorch.float64) for bound in value_range)
        tensor = tensor.clamp(float(value_range[0]), float(value_range[1]))
    else:
        # each image's bounds (n, 1, 1, 1), or the batch's (a scalar); no clamp needed: nothing lies outside
        dims = (1, 2, 3) if scale_each else ()
        low = tensor.amin(dim=dims, keepdim=scale_each).double()
        high = tensor.amax(dim=dims, keepdim=scale_each).double()
    spread = (high - low).clamp(min=1e-5)
    return (tensor - low.to(tensor.dtype)) / spread.to(tensor.dtype)


def make_grid(tensor, nrow: int = 8, padding: int = 2, normalize: bool = False, value_range=None,
              scale_each: bool = False, pad_value: float = 0.0) -> Tensor:
    """One (C, H', W') image holding a (B, C, H, W) batch (or a list of (C, H, W) images) in a grid.

    A single image (2-D, 3-D, or a batch of one) comes back without padding. Single-channel
    images become three-channel. ``normalize`` maps values to [0, 1] (see ``_normalized``).
    """
    if not isinstance(tensor, Tensor):
        if isinstance(tensor, list):
            for item in tensor:
                if not isinstance(item, Tensor):
                    raise TypeError(f"tensor or list of tensors expected, got a list containing {type(item)}")
        else:
            raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    with minitorch.no_grad():
        if isinstance(tensor, list):
            tensor = minitorch.stack(tensor, dim=0)
        if tensor.dim() == 2:  # a single H x W image
            tensor = tensor.unsqueeze(0)
        if tensor.dim() == 3:  # a single C x H x W image
            if tensor.size(0) == 1:
                tensor = minitorch.cat((tensor, tensor, tensor), 0)
            tensor = tensor.unsqueeze(0)
        if tensor.dim() == 4 and tensor.size(1) == 1:  # single-channel images shown as grey RGB
            tensor = minitorch.cat((tensor, tensor, tensor), 1)
        if normalize is True:
            if value_range is not None and not isinstance(value_range, tuple):
                raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")
            tensor = _normalized(tensor, value_range, scale_each)
        if tensor.size(0) == 1:
            return tensor.squeeze(0)
        return _tile(tensor, nrow, padding, pad_value)


def _tile(tensor: Tensor, nrow: int, padding: int, pad_value: float) -> Tensor:
    """The grid in whole-array steps: each image padded on its top and left into a cell, the cells
    arranged rows x columns, then one last strip of padding on the bottom and the right."""
    count, channels, height, width = tensor.shape
    columns = min(nrow, count)
    rows = math.ceil(count / columns)
    cell_height, cell_width = height + padding, width + padding
    cells = tensor.new_full((rows * columns, channels, cell_height, cell_width), pad_value)
    cells[:count, :, padding:, padding:] = tensor
    tiled = cells.reshape(rows, columns, channels, cell_height, cell_width).permute(2, 0, 3, 1, 4)
    grid = tensor.new_full((channels, rows * cell_height + padding, columns * cell_width + padding), pad_value)
    grid[:, :rows * cell_height, :columns * cell_width] = tiled.reshape(channels, rows * cell_height,
                                                                        columns * cell_width)
    return grid


def save_image(tensor, fp, format: str | None = None, **kwargs) -> None:
    """Write ``make_grid(tensor, **kwargs)`` (values in [0, 1]) to ``fp``, a path or a binary file, as
    8-bit pixels; ``format`` ("PNG", ...) is needed for a file object, else taken from the name.

    Values are rounded to the nearest of 0..255 as torchvision does: ``x * 255 + 0.5``, clamped,
    then truncated.
    """
    grid = make_grid(tensor, **kwargs)
    with minitorch.no_grad():
        pixels = grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to("cpu", minitorch.uint8).numpy()
    pillow().Image.fromarray(pixels).save(fp, format=format)
