"""``minitorch.vision.transforms.functional``: the image transforms as functions
(``torchvision.transforms.functional``).

Each function takes a PIL image or a Tensor ``[..., C, H, W]`` and hands it to the matching
backend, ``_functional_pil`` (Pillow's own operations) or ``_functional_tensor`` (Tensor ops
and NumPy resampling). What is decided for both backends alike (output sizes, crop boxes,
rotation matrices, argument checks) is decided here, once. The transform classes in
``transforms.py`` draw their random parameters and call these.
"""
from __future__ import annotations

import math
import numbers
import warnings
from enum import Enum

import numpy

import minitorch
from minitorch.vision.transforms import _functional_pil as F_pil
from minitorch.vision.transforms import _functional_tensor as F_t


class InterpolationMode(Enum):
    """How to resample: ``nearest``, ``nearest-exact``, ``bilinear``, ``bicubic``; ``box``,
    ``hamming`` and ``lanczos`` exist for PIL images only."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


def _interpolation_modes_from_int(i: int) -> InterpolationMode:
    """A Pillow filter constant (``PIL.Image.BILINEAR`` is 2, ...) as an InterpolationMode."""
    return {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR, 3: InterpolationMode.BICUBIC,
            4: InterpolationMode.BOX, 5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}[i]


pil_modes_mapping = {
    InterpolationMode.NEAREST: 0,
    InterpolationMode.BILINEAR: 2,
    InterpolationMode.BICUBIC: 3,
    InterpolationMode.NEAREST_EXACT: 0,
    InterpolationMode.BOX: 4,
    InterpolationMode.HAMMING: 5,
    InterpolationMode.LANCZOS: 1,
}


def _check_interpolation(interpolation) -> InterpolationMode:
    if isinstance(interpolation, int):
        return _interpolation_modes_from_int(interpolation)
    if not isinstance(interpolation, InterpolationMode):
        raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding Pillow integer "
                        "constant")
    return interpolation


def _is_tensor(img) -> bool:
    return isinstance(img, minitorch.Tensor)


def _backend(img):
    """The module that transforms ``img``: the tensor backend for Tensors, else the PIL one."""
    return F_t if _is_tensor(img) else F_pil


def get_dimensions(img) -> list:
    """[channels, height, width]."""
    return _backend(img).get_dimensions(img)


def get_image_size(img) -> list:
    """[width, height] (PIL's order)."""
    return _backend(img).get_image_size(img)


def get_image_num_channels(img) -> int:
    return _backend(img).get_image_num_channels(img)


# ---------------------------------------------------------------------------------------------
# Conversions
# ---------------------------------------------------------------------------------------------

# The NumPy dtype each PIL mode is read as; other modes are read as bytes.
_PIL_MODE_DTYPES = {"I": numpy.int32, "I;16": numpy.int16, "F": numpy.float32}


def to_tensor(pic):
    """A PIL image or an HWC ndarray as a CHW Tensor; 8-bit data is scaled to [0, 1] in the default
    float dtype, other data keeps its values and dtype."""
    if not (F_pil._is_pil_image(pic) or isinstance(pic, numpy.ndarray)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if isinstance(pic, numpy.ndarray) and pic.ndim not in {2, 3}:
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    if isinstance(pic, numpy.ndarray):
        pixels = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        pixels = numpy.array(pic, _PIL_MODE_DTYPES.get(pic.mode, numpy.uint8), copy=True)
        if pic.mode == "1":
            pixels = 255 * pixels
        pixels = pixels.reshape(pic.size[1], pic.size[0], F_pil.get_image_num_channels(pic))
    img = minitorch.from_numpy(pixels.transpose((2, 0, 1))).contiguous()
    if img.dtype == minitorch.uint8:
        return img.to(dtype=minitorch.get_default_dtype()).div(255)
    return img


def pil_to_tensor(pic):
    """A PIL image as a CHW Tensor of the same values and type (uint8 for 8-bit modes)."""
    if not F_pil._is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    img = minitorch.as_tensor(numpy.array(pic, copy=True))
    return img.view(pic.size[1], pic.size[0], F_pil.get_image_num_channels(pic)).permute((2, 0, 1))


def convert_image_dtype(image, dtype=minitorch.float32):
    """A Tensor image in ``dtype``, values rescaled (uint8 255 <-> float 1.0)."""
    if not _is_tensor(image):
        raise TypeError("Input img should be Tensor Image")
    return F_t.convert_image_dtype(image, dtype)


# The PIL mode a 1-channel array of each dtype makes.
_SINGLE_CHANNEL_MODES = {numpy.dtype(numpy.uint8): "L", numpy.dtype(numpy.int16): "I;16",
                         numpy.dtype(numpy.int32): "I", numpy.dtype(numpy.float32): "F"}
_PERMITTED_MODES = {2: ["LA"], 3: ["RGB", "YCbCr", "HSV"], 4: ["RGBA", "CMYK", "RGBX"]}
_DEFAULT_MODES = {2: "LA", 3: "RGB", 4: "RGBA"}


def to_pil_image(pic, mode=None):
    """A CHW Tensor or an HWC ndarray as a PIL image; floats (unless ``mode='F'``) are taken as [0, 1]
    and scaled to bytes. Without ``mode``, it follows from the channels and the dtype."""
    PIL = F_pil.pillow()
    if _is_tensor(pic):
        if pic.ndim == 3:
            pic = pic.permute((1, 2, 0))
        pic = pic.numpy(force=True)
    elif not isinstance(pic, numpy.ndarray):
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if pic.ndim == 2:
        pic = numpy.expand_dims(pic, 2)
    if pic.ndim != 3:
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    if pic.shape[-1] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-1]} channels.")
    pixels = pic
    if numpy.issubdtype(pixels.dtype, numpy.floating) and mode != "F":
        pixels = (pixels * 255).astype(numpy.uint8)
    channels = pixels.shape[2]
    if channels == 1:
        pixels = pixels[:, :, 0]
        expected_mode = _SINGLE_CHANNEL_MODES.get(pixels.dtype)
        if mode is not None and mode != expected_mode:
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {numpy.dtype}. Should be "
                             f"{expected_mode}")
        mode = expected_mode
    else:
        if mode is not None and mode not in _PERMITTED_MODES[channels]:
            raise ValueError(f"Only modes {_PERMITTED_MODES[channels]} are supported for {channels}D inputs")
        if mode is None and pixels.dtype == numpy.uint8:
            mode = _DEFAULT_MODES[channels]
    if mode is None:
        raise TypeError(f"Input type {pixels.dtype} is not supported")
    return PIL.Image.fromarray(pixels, mode=mode)


def normalize(tensor, mean, std, inplace: bool = False):
    """``(tensor - mean[c]) / std[c]`` for each channel c of a float Tensor image [..., C, H, W]."""
    if not _is_tensor(tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    return F_t.normalize(tensor, mean=mean, std=std, inplace=inplace)


# ---------------------------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------------------------

def _compute_resized_output_size(image_size, size, max_size=None) -> list:
    """[height, width] after resizing: ``size`` of one value sets the shorter edge (keeping the aspect
    ratio, the longer edge capped at ``max_size``); two values are (height, width)."""
    height, width = image_size
    short, long = (width, height) if width <= height else (height, width)
    if len(size) == 1:
        requested_new_short = size if isinstance(size, int) else size[0]
        new_short, new_long = requested_new_short, int(requested_new_short * long / short)
        if max_size is not None:
            if max_size <= requested_new_short:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the requested size for the "
                                 f"smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_width, new_height = (new_short, new_long) if width <= height else (new_long, new_short)
    else:
        new_width, new_height = size[1], size[0]
    return [new_height, new_width]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """``img`` resized to ``size``: an int (or one value) sets the shorter edge, two values are (h, w)."""
    interpolation = _check_interpolation(interpolation)
    if isinstance(size, (list, tuple)):
        if len(size) not in [1, 2]:
            raise ValueError(f"Size must be an int or a 1 or 2 element tuple/list, not a {len(size)} element "
                             "tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of the smaller edge, i.e. "
                             "size should be an int or a sequence of length 1 in torchscript mode.")
    _, image_height, image_width = get_dimensions(img)
    if isinstance(size, int):
        size = [size]
    output_size = _compute_resized_output_size((image_height, image_width), size, max_size)
    if [image_height, image_width] == output_size:
        return img
    if not _is_tensor(img):
        if antialias is False:
            warnings.warn("Anti-alias option is always applied for PIL Image input. Argument antialias is ignored.")
        return F_pil.resize(img, size=output_size, interpolation=pil_modes_mapping[interpolation])
    return F_t.resize(img, size=output_size, interpolation=interpolation.value, antialias=antialias)


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """``img`` padded: ``padding`` is one value, (left/right, top/bottom) or (left, top, right, bottom);
    ``padding_mode`` 'constant' (with ``fill``), 'edge', 'reflect' or 'symmetric'."""
    return _backend(img).pad(img, padding=padding, fill=fill, padding_mode=padding_mode)


def crop(img, top: int, left: int, height: int, width: int):
    """The box with top-left corner (top, left); outside the image reads 0."""
    return _backend(img).crop(img, top, left, height, width)


def center_crop(img, output_size):
    """The centred box of ``output_size`` ((h, w) or one int); a smaller image is zero-padded first."""
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = output_size
    if crop_width > image_width or crop_height > image_height:
        padding_ltrb = [
            (crop_width - image_width) // 2 if crop_width > image_width else 0,
            (crop_height - image_height) // 2 if crop_height > image_height else 0,
            (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
            (crop_height - image_height + 1) // 2 if crop_height > image_height else 0,
        ]
        img = pad(img, padding_ltrb, fill=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    crop_top = int(round((image_height - crop_height) / 2.0))
    crop_left = int(round((image_width - crop_width) / 2.0))
    return crop(img, crop_top, crop_left, crop_height, crop_width)


def resized_crop(img, top: int, left: int, height: int, width: int, size,
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
    """``crop`` then ``resize``."""
    img = crop(img, top, left, height, width)
    return resize(img, size, interpolation, antialias=antialias)


def hflip(img):
    """Mirrored left to right."""
    return _backend(img).hflip(img)


def vflip(img):
    """Mirrored top to bottom."""
    return _backend(img).vflip(img)


def _get_inverse_affine_matrix(center, angle: float, translate, scale: float, shear) -> list:
    """The 2x3 matrix (6 values) that maps output pixels back to input pixels for
    ``M = T * C * RotateScaleShear * C^-1`` (T: translation, C: moving the centre to the origin),
    i.e. ``M^-1 = C * RotateScaleShear^-1 * C^-1 * T^-1``; angles in degrees."""
    rotation = math.radians(angle)
    shear_x, shear_y = math.radians(shear[0]), math.radians(shear[1])
    center_x, center_y = center
    translate_x, translate_y = translate
    # RotateScaleShear without the scale; its determinant is 1, so the inverse is the adjugate
    a = math.cos(rotation - shear_y) / math.cos(shear_y)
    b = -math.cos(rotation - shear_y) * math.tan(shear_x) / math.cos(shear_y) - math.sin(rotation)
    c = math.sin(rotation - shear_y) / math.cos(shear_y)
    d = -math.sin(rotation - shear_y) * math.tan(shear_x) / math.cos(shear_y) + math.cos(rotation)
    matrix = [x / scale for x in [d, -b, 0.0, -c, a, 0.0]]
    matrix[2] += matrix[0] * (-center_x - translate_x) + matrix[1] * (-center_y - translate_y)
    matrix[5] += matrix[3] * (-center_x - translate_x) + matrix[4] * (-center_y - translate_y)
    matrix[2] += center_x
    matrix[5] += center_y
    return matrix


def rotate(img, angle: float, interpolation=InterpolationMode.NEAREST, expand: bool = False, center=None,
           fill=None):
    """``img`` rotated ``angle`` degrees counter-clockwise about ``center`` ((x, y) from the top-left
    corner; the image centre by default). ``expand`` grows the output to hold the whole rotated image;
    ``fill`` colours the pixels that come from outside the input."""
    interpolation = _check_interpolation(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    if not _is_tensor(img):
        return F_pil.rotate(img, angle=angle, interpolation=pil_modes_mapping[interpolation], expand=expand,
                            center=center, fill=fill)
    center_f = [0.0, 0.0]
    if center is not None:
        _, height, width = get_dimensions(img)
        # the tensor backend measures from the image centre
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    # the grid maps output to input, and y points down: hence -angle
    matrix = _get_inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    return F_t.rotate(img, matrix=matrix, interpolation=interpolation.value, expand=expand, fill=fill)


# ---------------------------------------------------------------------------------------------
# Colour
# ---------------------------------------------------------------------------------------------

def to_grayscale(img, num_output_channels: int = 1):
    """A PIL image in grey (1 band, or 3 equal ones)."""
    if F_pil._is_pil_image(img):
        return F_pil.to_grayscale(img, num_output_channels)
    raise TypeError("Input should be PIL Image")


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """An RGB image in grey: 1 channel, or 3 equal ones."""
    if not _is_tensor(img):
        return F_pil.to_grayscale(img, num_output_channels)
    return F_t.rgb_to_grayscale(img, num_output_channels)


def adjust_brightness(img, brightness_factor: float):
    """0 gives black, 1 the original, 2 twice as bright."""
    return _backend(img).adjust_brightness(img, brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    """0 gives solid grey (the mean), 1 the original, 2 twice the contrast."""
    return _backend(img).adjust_contrast(img, contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    """0 gives grey, 1 the original, 2 twice as saturated."""
    return _backend(img).adjust_saturation(img, saturation_factor)


def adjust_hue(img, hue_factor: float):
    """Hue turned by ``hue_factor`` (in [-0.5, 0.5]) of a full circle; ±0.5 gives the complementary colours."""
    return _backend(img).adjust_hue(img, hue_factor)
