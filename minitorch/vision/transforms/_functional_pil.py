"""The PIL backend of the image transforms (torchvision's ``transforms/_functional_pil.py``).

Each function calls the Pillow operation torchvision's PIL backend calls (``Image.resize``,
``Image.rotate``, ``ImageOps.expand``, ``ImageEnhance``...), so results equal Pillow's own. Pillow
is an optional dependency (the ``vision`` extra): it is imported when first needed.
"""
from __future__ import annotations

import numbers

import numpy

from minitorch.vision._pil import pillow


def _is_pil_image(img) -> bool:
    try:
        image_class = pillow().Image.Image
    except ImportError:  # without Pillow nothing is a PIL image
        return False
    return isinstance(img, image_class)


def _assert_pil_image(img) -> None:
    if not _is_pil_image(img):
        raise TypeError(f"img should be PIL Image. Got {type(img)}")


def get_dimensions(img) -> list:
    if _is_pil_image(img):
        width, height = img.size
        return [len(img.getbands()), height, width]
    raise TypeError(f"Unexpected type {type(img)}")


def get_image_size(img) -> list:
    if _is_pil_image(img):
        return list(img.size)
    raise TypeError(f"Unexpected type {type(img)}")


def get_image_num_channels(img) -> int:
    if _is_pil_image(img):
        return len(img.getbands())
    raise TypeError(f"Unexpected type {type(img)}")


def hflip(img):
    _assert_pil_image(img)
    return img.transpose(pillow().Image.Transpose.FLIP_LEFT_RIGHT)


def vflip(img):
    _assert_pil_image(img)
    return img.transpose(pillow().Image.Transpose.FLIP_TOP_BOTTOM)


def _enhance(enhancer_name: str, img, factor: float):
    """Pillow's ``ImageEnhance.<enhancer_name>(img).enhance(factor)``."""
    _assert_pil_image(img)
    return getattr(pillow().ImageEnhance, enhancer_name)(img).enhance(factor)


def adjust_brightness(img, brightness_factor: float):
    return _enhance("Brightness", img, brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    return _enhance("Contrast", img, contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    return _enhance("Color", img, saturation_factor)


def adjust_hue(img, hue_factor: float):
    """The hue byte of Pillow's HSV turned by ``hue_factor * 255`` (uint8 arithmetic wraps around)."""
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    _assert_pil_image(img)
    Image = pillow().Image
    input_mode = img.mode
    if input_mode in {"L", "1", "I", "F"}:
        return img
    hue, saturation, value = img.convert("HSV").split()
    hue_array = numpy.array(hue, dtype=numpy.uint8)
    hue_array += numpy.int32(hue_factor * 255).astype(numpy.uint8)
    hue = Image.fromarray(hue_array, "L")
    return Image.merge("HSV", (hue, saturation, value)).convert(input_mode)


def _parse_fill(fill, img, name: str = "fillcolor") -> dict:
    """The fill as Pillow wants it: one value per band, ints unless the image is float ('F')."""
    num_channels = get_image_num_channels(img)
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and num_channels > 1:
        fill = tuple([fill] * num_channels)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = fill * num_channels
        elif len(fill) != num_channels:
            raise ValueError("The number of elements in 'fill' does not match the number of channels of the image "
                             f"({len(fill)} != {num_channels})")
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, (list, tuple)) else int(fill)
    return {name: fill}


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """'constant' through ``ImageOps.expand``; the other modes through ``numpy.pad`` on the pixels."""
    _assert_pil_image(img)
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if fill is not None and not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, list):
        padding = tuple(padding)
    if isinstance(padding, tuple) and len(padding) not in [1, 2, 4]:
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")
    if isinstance(padding, tuple) and len(padding) == 1:
        padding = padding[0]
    if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    PIL = pillow()
    if padding_mode == "constant":
        options = _parse_fill(fill, img, name="fill")
        if img.mode == "P":  # expand drops the palette
            palette = img.getpalette()
            image = PIL.ImageOps.expand(img, border=padding, **options)
            image.putpalette(palette)
            return image
        return PIL.ImageOps.expand(img, border=padding, **options)
    if isinstance(padding, int):
        padding = (padding,) * 4
    elif len(padding) == 2:
        padding = (padding[0], padding[1], padding[0], padding[1])
    left, top, right, bottom = padding
    cropping = -numpy.minimum(padding, 0)
    if cropping.any():  # negative padding crops
        crop_left, crop_top, crop_right, crop_bottom = cropping
        img = img.crop((crop_left, crop_top, img.width - crop_right, img.height - crop_bottom))
    left, top, right, bottom = numpy.maximum(padding, 0)
    palette = img.getpalette() if img.mode == "P" else None
    pixels = numpy.asarray(img)
    widths = ((top, bottom), (left, right)) + ((0, 0),) * (pixels.ndim - 2)
    image = PIL.Image.fromarray(numpy.pad(pixels, widths, padding_mode))
    if palette is not None:
        image.putpalette(palette)
    return image


def crop(img, top: int, left: int, height: int, width: int):
    _assert_pil_image(img)
    return img.crop((left, top, left + width, top + height))


def resize(img, size, interpolation: int = 2):
    """``Image.resize`` to ``size`` = [height, width] (Pillow always antialiases when shrinking)."""
    _assert_pil_image(img)
    if not (isinstance(size, list) and len(size) == 2):
        raise TypeError(f"Got inappropriate size arg: {size}")
    return img.resize(tuple(size[::-1]), interpolation)


def rotate(img, angle: float, interpolation: int = 0, expand: bool = False, center=None, fill=0):
    _assert_pil_image(img)
    return img.rotate(angle, interpolation, expand, center, **_parse_fill(fill, img))


def to_grayscale(img, num_output_channels: int):
    """Pillow's 'L' conversion (ITU-R 601-2 luma, in integers), repeated into 3 bands when asked."""
    _assert_pil_image(img)
    Image = pillow().Image
    if num_output_channels == 1:
        return img.convert("L")
    if num_output_channels == 3:
        grey = numpy.array(img.convert("L"), dtype=numpy.uint8)
        return Image.fromarray(numpy.dstack([grey, grey, grey]), "RGB")
    raise ValueError("num_output_channels should be either 1 or 3")
