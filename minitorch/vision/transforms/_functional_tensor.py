"""The tensor backend of the image transforms (torchvision's ``transforms/_functional_tensor.py``).

Images are minitorch Tensors of shape ``[..., C, H, W]``; any leading dimensions are a batch,
transformed at once. Colour, flip, crop, pad and normalize are written with minitorch Tensor
ops, in torchvision's order of float operations, so they give its exact values and dtypes.
Resampling (``resize``, ``rotate``) works on the arrays underneath with NumPy (or CuPy):

- ``resize`` is PyTorch's ``interpolate`` (``align_corners=False``) written as one weights
  matrix per axis, ``output = rows @ image @ columns.T``: nearest, bilinear and bicubic, with
  or without the antialiasing filter PyTorch copied from Pillow.
- ``rotate`` builds torchvision's affine sampling grid and samples it as ``grid_sample``
  (``padding_mode='zeros'``, ``align_corners=False``) does.

``functional.py`` dispatches here for tensors and to ``_functional_pil.py`` for PIL images.
"""
from __future__ import annotations

import math

import numpy

import minitorch
from minitorch import backend
from minitorch.nn import functional as nn_functional


def _assert_image_tensor(img) -> None:
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")


def get_dimensions(img) -> list:
    _assert_image_tensor(img)
    channels = 1 if img.ndim == 2 else img.shape[-3]
    height, width = img.shape[-2:]
    return [channels, height, width]


def get_image_size(img) -> list:
    _assert_image_tensor(img)
    return [img.shape[-1], img.shape[-2]]


def get_image_num_channels(img) -> int:
    _assert_image_tensor(img)
    return 1 if img.ndim == 2 else img.shape[-3]


# The value that means "full intensity" in each dtype; floats use 1.0.
_MAX_VALUES = {minitorch.uint8: 255, minitorch.int8: 127, minitorch.int16: 32767,
               minitorch.int32: 2147483647, minitorch.int64: 9223372036854775807}


def _max_value(dtype) -> int:
    return _MAX_VALUES.get(dtype, 1)


def _assert_channels(img, permitted) -> None:
    channels = get_dimensions(img)[0]
    if channels not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, but found {channels}")


def convert_image_dtype(image, dtype=minitorch.float32):
    """``image`` in ``dtype``, its values rescaled so that full intensity stays full intensity."""
    if image.dtype == dtype:
        return image
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)
        if (image.dtype == minitorch.float32 and dtype in (minitorch.int32, minitorch.int64)) or (
                image.dtype == minitorch.float64 and dtype == minitorch.int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed safely.")
        # max + 1 - eps spreads [0, 1] evenly over the integers: only 1.0 itself maps to max
        eps = 1e-3
        return image.mul(float(_max_value(dtype)) + 1.0 - eps).to(dtype)
    input_max = float(_max_value(image.dtype))
    if dtype.is_floating_point:
        return image.to(dtype) / input_max
    output_max = float(_max_value(dtype))
    if input_max > output_max:
        factor = int((input_max + 1) // (output_max + 1))
        return minitorch.div(image, factor, rounding_mode="floor").to(dtype)
    factor = int((output_max + 1) // (input_max + 1))
    return image.to(dtype) * factor


def vflip(img):
    _assert_image_tensor(img)
    return img.flip(-2)


def hflip(img):
    _assert_image_tensor(img)
    return img.flip(-1)


def crop(img, top: int, left: int, height: int, width: int):
    """A view of the box; a box reaching outside the image is padded with zeros."""
    _assert_image_tensor(img)
    _, image_height, image_width = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > image_width or bottom > image_height:
        padding_ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                        max(right - max(image_width, left), 0), max(bottom - max(image_height, top), 0)]
        return pad(img[..., max(top, 0):bottom, max(left, 0):right], padding_ltrb, fill=0)
    return img[..., top:bottom, left:right]


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """Luma ``0.2989 R + 0.587 G + 0.114 B`` (torchvision's weights, after TensorFlow's)."""
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if img.shape[-3] == 3:
        red, green, blue = img.unbind(dim=-3)
        luma = (0.2989 * red + 0.587 * green + 0.114 * blue).to(img.dtype).unsqueeze(dim=-3)
    else:
        luma = img.clone()
    return luma.expand(img.shape) if num_output_channels == 3 else luma


def _blend(img1, img2, ratio: float):
    """``ratio * img1 + (1 - ratio) * img2``, clamped to the dtype's range, in ``img1``'s dtype."""
    ratio = float(ratio)
    bound = _max_value(img1.dtype)
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, bound).to(img1.dtype)


def adjust_brightness(img, brightness_factor: float):
    """A blend with black."""
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    return _blend(img, minitorch.zeros_like(img), brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    """A blend with the mean grey level of each image."""
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [3, 1])
    dtype = img.dtype if img.is_floating_point() else minitorch.float32
    grey = rgb_to_grayscale(img) if get_dimensions(img)[0] == 3 else img
    mean = grey.to(dtype).mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    """A blend with the image's own grey version."""
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:  # as PIL: a grey image has no saturation to change
        return img
    return _blend(img, rgb_to_grayscale(img), saturation_factor)


def adjust_hue(img, hue_factor: float):
    """The hue turned by ``hue_factor`` of a full circle: RGB -> HSV, ``h = (h + factor) mod 1``, -> RGB."""
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if not isinstance(img, minitorch.Tensor):
        raise TypeError("Input img should be Tensor image")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:
        return img
    original_dtype = img.dtype
    hue, saturation, value = _rgb2hsv(convert_image_dtype(img, minitorch.float32)).unbind(dim=-3)
    hue = (hue + hue_factor) % 1.0
    turned = _hsv2rgb(minitorch.stack((hue, saturation, value), dim=-3))
    return convert_image_dtype(turned, original_dtype)


def _rgb2hsv(img):
    """Pillow's RGB -> HSV (``Convert.c``), all in [0, 1]; grey pixels (max == min) get h = s = 0."""
    red, green, blue = img.unbind(dim=-3)
    maxc = minitorch.max(img, dim=-3).values
    minc = minitorch.min(img, dim=-3).values
    grey = maxc == minc
    chroma = maxc - minc
    ones = minitorch.ones_like(maxc)
    # where max == min the divisors are replaced by 1: the quotients are then unused, and no NaN appears
    saturation = chroma / minitorch.where(grey, ones, maxc)
    chroma_divisor = minitorch.where(grey, ones, chroma)
    red_distance = (maxc - red) / chroma_divisor
    green_distance = (maxc - green) / chroma_divisor
    blue_distance = (maxc - blue) / chroma_divisor
    hue_red = (maxc == red) * (blue_distance - green_distance)
    hue_green = ((maxc == green) & (maxc != red)) * (2.0 + red_distance - blue_distance)
    hue_blue = ((maxc != green) & (maxc != red)) * (4.0 + green_distance - red_distance)
    hue = minitorch.fmod((hue_red + hue_green + hue_blue) / 6.0 + 1.0, 1.0)
    return minitorch.stack((hue, saturation, maxc), dim=-3)


def _hsv2rgb(img):
    """HSV -> RGB: the hue's sextant picks which of v, p, q, t each channel takes."""
    hue, saturation, value = img.unbind(dim=-3)
    sextant = minitorch.floor(hue * 6.0)
    fraction = (hue * 6.0) - sextant
    sextant = sextant.to(dtype=minitorch.int32) % 6
    p = minitorch.clamp(value * (1.0 - saturation), 0.0, 1.0)
    q = minitorch.clamp(value * (1.0 - saturation * fraction), 0.0, 1.0)
    t = minitorch.clamp(value * (1.0 - saturation * (1.0 - fraction)), 0.0, 1.0)
    mask = sextant.unsqueeze(dim=-3) == minitorch.arange(6, device=sextant.device).view(-1, 1, 1)
    red = minitorch.stack((value, q, p, p, t, value), dim=-3)
    green = minitorch.stack((t, value, value, q, p, p), dim=-3)
    blue = minitorch.stack((p, p, t, value, value, q), dim=-3)
    channels = minitorch.stack((red, green, blue), dim=-4)
    return minitorch.einsum("...ijk, ...xijk -> ...xjk", mask.to(dtype=img.dtype), channels)


def normalize(tensor, mean, std, inplace: bool = False):
    """``(tensor - mean) / std`` per channel."""
    _assert_image_tensor(tensor)
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                         f"{tensor.size()}.")
    if not inplace:
        tensor = tensor.clone()
    dtype = tensor.dtype
    mean = minitorch.as_tensor(mean, dtype=dtype, device=tensor.device)
    std = minitorch.as_tensor(std, dtype=dtype, device=tensor.device)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {dtype}, leading to division by zero.")
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    return tensor.sub_(mean).div_(std)


# ---------------------------------------------------------------------------------------------
# pad
# ---------------------------------------------------------------------------------------------

def _parse_pad_padding(padding) -> list:
    """An int, or 1, 2 or 4 values (left, top, right, bottom), as [left, right, top, bottom]."""
    if isinstance(padding, int):
        return [padding] * 4
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[0], padding[1], padding[1]]
    return [padding[0], padding[2], padding[1], padding[3]]


def _pad_symmetric(img, padding):
    """Mirror padding that repeats the edge pixel ([1, 2, 3] -> [2, 1, 1, 2, 3, 3, 2]), by indexing."""
    if min(padding) < 0:  # negative padding crops first
        crop_left, crop_right, crop_top, crop_bottom = [-min(p, 0) for p in padding]
        img = img[..., crop_top:img.shape[-2] - crop_bottom, crop_left:img.shape[-1] - crop_right]
        padding = [max(p, 0) for p in padding]
    if img.ndim not in (3, 4):
        raise RuntimeError("Symmetric padding of N-D tensors are not supported yet")

    def positions(size, before, after):
        return numpy.concatenate([numpy.arange(before - 1, -1, -1), numpy.arange(size),
                                  size - 1 - numpy.arange(after)])
    rows = minitorch.as_tensor(positions(img.shape[-2], padding[2], padding[3]), device=img.device)
    columns = minitorch.as_tensor(positions(img.shape[-1], padding[0], padding[1]), device=img.device)
    return img[..., rows[:, None], columns[None, :]]


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """``img`` padded on each side: 'constant' (``fill``), 'edge', 'reflect' or 'symmetric'."""
    _assert_image_tensor(img)
    if fill is None:
        fill = 0
    if not isinstance(padding, (int, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if not isinstance(fill, (int, float)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in [1, 2, 4]:
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")
    if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    pads = _parse_pad_padding(padding)
    if padding_mode == "symmetric":
        return _pad_symmetric(img, pads)
    padding_mode = "replicate" if padding_mode == "edge" else padding_mode
    need_squeeze = img.ndim < 4
    if need_squeeze:
        img = img.unsqueeze(dim=0)
    out_dtype = img.dtype
    # PyTorch pads integer images in the non-constant modes through float32, as torchvision does
    need_cast = padding_mode != "constant" and out_dtype not in (minitorch.float32, minitorch.float64)
    if need_cast:
        img = img.to(minitorch.float32)
    if padding_mode == "constant":
        img = nn_functional.pad(img, pads, mode=padding_mode, value=float(fill))
    else:
        img = nn_functional.pad(img, pads, mode=padding_mode)
    if need_squeeze:
        img = img.squeeze(dim=0)
    return img.to(out_dtype) if need_cast else img


# ---------------------------------------------------------------------------------------------
# Resampling: resize
# ---------------------------------------------------------------------------------------------

def _cast_squeeze_in(img, required_dtypes):
    """The image as a batch (N, C, H, W at least) in a float dtype the resampler works in."""
    need_squeeze = img.ndim < 4
    if need_squeeze:
        img = img.unsqueeze(dim=0)
    out_dtype = img.dtype
    need_cast = out_dtype not in required_dtypes
    if need_cast:
        img = img.to(required_dtypes[0])
    return img, need_cast, need_squeeze, out_dtype


def _cast_squeeze_out(img, need_cast: bool, need_squeeze: bool, out_dtype):
    """Undo ``_cast_squeeze_in``; integer images are rounded before the cast back."""
    if need_squeeze:
        img = img.squeeze(dim=0)
    if need_cast:
        if not out_dtype.is_floating_point:
            img = minitorch.round(img)
        img = img.to(out_dtype)
    return img


def _cubic(x, a):
    """Keys' cubic convolution kernel at distance |x| (a = -0.75 in PyTorch's bicubic, -0.5 antialiased)."""
    x = numpy.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return numpy.where(x < 1, near, numpy.where(x < 2, far, 0.0))


def _triangle(x):
    return numpy.maximum(1.0 - numpy.abs(x), 0.0)


def _antialias_weights(size: int, out: int, mode: str):
    """PyTorch's antialiased weights (after Pillow's ``precompute_coeffs``): when shrinking, the filter
    is stretched by the scale so that every input pixel contributes; weights are renormalised to sum
    to one, also where the filter is cut by the border."""
    scale = size / out
    half_width = {"bilinear": 1.0, "bicubic": 2.0}[mode]
    support = half_width * scale if scale >= 1.0 else half_width
    inverse_scale = 1.0 / scale if scale >= 1.0 else 1.0
    taps = int(math.ceil(support)) * 2 + 1
    center = scale * (numpy.arange(out) + 0.5)
    first = numpy.maximum((center - support + 0.5).astype(numpy.int64), 0)
    count = numpy.clip(numpy.minimum((center + support + 0.5).astype(numpy.int64), size) - first, 0, taps)
    offsets = numpy.arange(taps)
    distance = (offsets[None, :] + first[:, None] - center[:, None] + 0.5) * inverse_scale
    weights = _triangle(distance) if mode == "bilinear" else _cubic(distance, -0.5)
    weights = numpy.where(offsets[None, :] < count[:, None], weights, 0.0)
    total = weights.sum(axis=1, keepdims=True)
    weights = numpy.divide(weights, total, out=numpy.zeros_like(weights), where=total != 0)
    return first[:, None] + offsets[None, :], weights


def _interpolating_weights(size: int, out: int, mode: str, numpy_dtype):
    """PyTorch's bilinear / bicubic taps without antialiasing (``align_corners=False``): the output
    pixel centre mapped into the input, its 2 or 4 neighbours (clamped to the image) and their weights."""
    scale = numpy_dtype(size) / numpy_dtype(out)
    source = scale * (numpy.arange(out, dtype=numpy_dtype) + numpy_dtype(0.5)) - numpy_dtype(0.5)
    if mode == "bilinear":
        source = numpy.maximum(source, 0)  # the cubic kernel reads past the border instead
    index = numpy.minimum(numpy.floor(source).astype(numpy.int64), size - 1)
    fraction = numpy.clip(source - index, 0, 1).astype(numpy.float64)[:, None]
    if mode == "bilinear":
        offsets = numpy.arange(2)
        weights = numpy.concatenate([1 - fraction, fraction], axis=1)
    else:
        offsets = numpy.arange(-1, 3)
        weights = _cubic(offsets[None, :] - fraction, -0.75)
    return numpy.clip(index[:, None] + offsets[None, :], 0, size - 1), weights


def _nearest_positions(size: int, out: int, exact: bool):
    """The input pixel each output pixel copies (PyTorch's ``nearest_idx``, float32 scale)."""
    scale = numpy.float32(size) / numpy.float32(out)
    position = numpy.arange(out)
    if exact:
        source = ((position + 0.5) * numpy.float64(scale)).astype(numpy.float32)
    elif out == size:
        return position
    elif out == 2 * size:
        return position // 2
    else:
        source = position.astype(numpy.float32) * scale
    return numpy.minimum(numpy.floor(source).astype(numpy.int64), size - 1)


def _weights_matrix(size: int, out: int, mode: str, antialias: bool, numpy_dtype):
    """The (out, size) matrix that resamples one axis: row i holds output pixel i's weights."""
    positions, weights = (_antialias_weights(size, out, mode) if antialias else
                          _interpolating_weights(size, out, mode, numpy_dtype))
    matrix = numpy.zeros((out, size))
    rows = numpy.broadcast_to(numpy.arange(out)[:, None], positions.shape)
    in_range = positions < size  # antialiased rows end with unused taps past the border
    numpy.add.at(matrix, (rows[in_range], positions[in_range]), weights[in_range])  # clamped taps add up
    return matrix.astype(numpy_dtype)


def _interpolate(img, size, mode: str, antialias: bool):
    """``img`` (a float Tensor, [..., H, W]) resampled to ``size`` = [height, width]."""
    data = img._data
    xp = backend.array_module(data)
    height, width = data.shape[-2:]
    if mode in ("nearest", "nearest-exact"):
        rows = xp.asarray(_nearest_positions(height, size[0], mode == "nearest-exact"))
        columns = xp.asarray(_nearest_positions(width, size[1], mode == "nearest-exact"))
        result = data[..., rows[:, None], columns[None, :]]
    else:
        numpy_dtype = data.dtype.type
        rows = xp.asarray(_weights_matrix(height, size[0], mode, antialias, numpy_dtype))
        columns = xp.asarray(_weights_matrix(width, size[1], mode, antialias, numpy_dtype))
        result = rows @ data @ columns.T
    return minitorch.as_tensor(xp.ascontiguousarray(result))


def resize(img, size, interpolation: str = "bilinear", antialias=True):
    """``img`` resampled to ``size`` = [height, width], as ``torch.nn.functional.interpolate`` does."""
    _assert_image_tensor(img)
    if antialias is None:
        antialias = False
    if antialias and interpolation not in ["bilinear", "bicubic"]:
        antialias = False  # antialiasing means nothing for nearest: ignored, as documented
    img, need_cast, need_squeeze, out_dtype = _cast_squeeze_in(img, [minitorch.float32, minitorch.float64])
    img = _interpolate(img, list(size), interpolation, antialias)
    if interpolation == "bicubic" and out_dtype == minitorch.uint8:
        img = img.clamp(min=0, max=255)  # the cubic kernel overshoots
    return _cast_squeeze_out(img, need_cast=need_cast, need_squeeze=need_squeeze, out_dtype=out_dtype)


# ---------------------------------------------------------------------------------------------
# Resampling: rotate (an affine grid, sampled as grid_sample does)
# ---------------------------------------------------------------------------------------------

def _assert_grid_transform_inputs(img, matrix, interpolation: str, fill, supported_interpolation_modes) -> None:
    if not isinstance(img, minitorch.Tensor):
        raise TypeError("Input img should be Tensor")
    _assert_image_tensor(img)
    if matrix is not None and not isinstance(matrix, list):
        raise TypeError("Argument matrix should be a list")
    if matrix is not None and len(matrix) != 6:
        raise ValueError("Argument matrix should have 6 float values")
    channels = get_dimensions(img)[0]
    if isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != channels:
        raise ValueError("The number of elements in 'fill' cannot broadcast to match the number of channels of the "
                         f"image ({len(fill)} != {channels})")
    if interpolation not in supported_interpolation_modes:
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor input")


def _gen_affine_grid(theta, width: int, height: int, out_width: int, out_height: int, numpy_dtype):
    """torchvision's sampling grid: output pixel centres, measured from the output's centre, mapped by
    ``theta`` (2x3) and normalised by the *input's* half size, so that an expanded output still samples
    the input in grid_sample's [-1, 1] coordinates."""
    x = numpy.arange(out_width, dtype=numpy_dtype) - numpy_dtype(out_width * 0.5 - 0.5)
    y = numpy.arange(out_height, dtype=numpy_dtype) - numpy_dtype(out_height * 0.5 - 0.5)
    base = numpy.stack(numpy.broadcast_arrays(x[None, :], y[:, None], numpy.ones((1, 1), numpy_dtype)), axis=-1)
    rescaled_theta = numpy.asarray(theta, dtype=numpy_dtype).reshape(2, 3).T / numpy.asarray(
        [0.5 * width, 0.5 * height], dtype=numpy_dtype)
    return base @ rescaled_theta  # (out_height, out_width, 2): x then y


def _grid_sample(data, grid, mode: str):
    """``grid_sample(data, grid, mode, padding_mode='zeros', align_corners=False)`` for one grid shared
    by every leading index of ``data`` [..., H, W]."""
    xp = backend.array_module(data)
    height, width = data.shape[-2:]
    grid = xp.asarray(grid)
    # [-1, 1] to pixel coordinates: -1 is the left edge of the first pixel (align_corners=False)
    x = ((grid[..., 0] + 1) * width - 1) / 2
    y = ((grid[..., 1] + 1) * height - 1) / 2

    def read(rows, columns):
        inside = (rows >= 0) & (rows < height) & (columns >= 0) & (columns < width)
        values = data[..., xp.clip(rows, 0, height - 1), xp.clip(columns, 0, width - 1)]
        return values * inside.astype(data.dtype)  # outside the image reads zero

    if mode == "nearest":
        return read(xp.rint(y).astype(numpy.int64), xp.rint(x).astype(numpy.int64))
    left, top = xp.floor(x), xp.floor(y)
    right_weight, bottom_weight = x - left, y - top
    left_weight, top_weight = 1 - right_weight, 1 - bottom_weight
    left, top = left.astype(numpy.int64), top.astype(numpy.int64)
    return (read(top, left) * (top_weight * left_weight) + read(top, left + 1) * (top_weight * right_weight)
            + read(top + 1, left) * (bottom_weight * left_weight)
            + read(top + 1, left + 1) * (bottom_weight * right_weight))


def _apply_grid_transform(img, grid, mode: str, fill, grid_dtype):
    """Sample ``img`` at ``grid`` (computed in ``grid_dtype``). With a ``fill``, a channel of ones is
    sampled along: where it comes back below one the pixel came (partly) from outside, and is replaced
    by (blended with) the fill."""
    img, need_cast, need_squeeze, out_dtype = _cast_squeeze_in(img, [grid_dtype])
    data = img._data
    xp = backend.array_module(data)
    if fill is not None:
        data = xp.concatenate([data, xp.ones_like(data[..., :1, :, :])], axis=-3)
    sampled = _grid_sample(data, grid, mode)
    if fill is not None:
        mask, sampled = sampled[..., -1:, :, :], sampled[..., :-1, :, :]
        fill_list = list(fill) if isinstance(fill, (tuple, list)) else [float(fill)]
        fill_image = xp.broadcast_to(xp.asarray(fill_list, dtype=sampled.dtype).reshape(-1, 1, 1), sampled.shape)
        if mode == "nearest":
            sampled = xp.where(mask < 0.5, fill_image, sampled)
        else:
            sampled = sampled * mask + (1.0 - mask) * fill_image
    result = minitorch.as_tensor(xp.ascontiguousarray(sampled))
    return _cast_squeeze_out(result, need_cast, need_squeeze, out_dtype)


def _compute_affine_output_size(matrix, width: int, height: int):
    """The (width, height) that holds the whole transformed image (``expand=True``), as Pillow computes it."""
    corners = numpy.array([[-0.5 * width, -0.5 * height, 1.0], [-0.5 * width, 0.5 * height, 1.0],
                           [0.5 * width, 0.5 * height, 1.0], [0.5 * width, -0.5 * height, 1.0]], dtype=numpy.float32)
    moved = corners @ numpy.asarray(matrix, dtype=numpy.float32).reshape(2, 3).T
    half = numpy.array([width * 0.5, height * 0.5], dtype=numpy.float32)
    low, high = moved.min(axis=0) + half, moved.max(axis=0) + half
    # truncate to 1e-4 first, so that 1e-15 above an integer does not ceil to one more pixel
    tolerance = numpy.float32(1e-4)
    size = numpy.ceil(numpy.trunc(high / tolerance) * tolerance) - numpy.floor(numpy.trunc(low / tolerance) * tolerance)
    return int(size[0]), int(size[1])


def rotate(img, matrix, interpolation: str = "nearest", expand: bool = False, fill=None):
    """``img`` sampled through the inverse affine ``matrix`` (6 values, centred coordinates)."""
    _assert_grid_transform_inputs(img, matrix, interpolation, fill, ["nearest", "bilinear"])
    width, height = img.shape[-1], img.shape[-2]
    out_width, out_height = _compute_affine_output_size(matrix, width, height) if expand else (width, height)
    dtype = img.dtype if img.is_floating_point() else minitorch.float32
    grid = _gen_affine_grid(matrix, width, height, out_width, out_height, dtype.numpy_dtype.type)
    return _apply_grid_transform(img, grid, interpolation, fill, dtype)
