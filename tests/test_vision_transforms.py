"""minitorch.vision.transforms against its oracles (torchvision itself cannot be installed here):

- tensors: PyTorch's own ops (``interpolate``, ``pad``, ``flip``, ``affine_grid`` + ``grid_sample``,
  ``rot90``) and torchvision's documented formulas written out in torch or NumPy;
- PIL images: Pillow's own operations, which torchvision's PIL backend calls;
- random transforms: their documented distributions, and repeatability under ``manual_seed``.
"""
import math
import random

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from PIL import Image, ImageEnhance, ImageOps

import minitorch
import minitorch.vision.transforms as T
from minitorch.vision.transforms import functional as F
from tests.helpers import assert_same, to_numpy

def image_array(seed, shape, dtype=np.float32):
    """Pixels in [0, 1) (or 0..255 for uint8), reproducible from ``seed``."""
    generator = np.random.default_rng(seed)
    if np.dtype(dtype) == np.uint8:
        return generator.integers(0, 256, size=shape, dtype=np.uint8)
    return generator.random(shape).astype(dtype)


def both(array):
    """The same pixels as a minitorch and a torch tensor."""
    return minitorch.tensor(array), torch.tensor(array)


def pil_image(seed, mode, height=7, width=9):
    channels = {"L": 1, "RGB": 3, "RGBA": 4, "LA": 2}[mode]
    pixels = image_array(seed, (height, width, channels), np.uint8)
    return Image.fromarray(pixels[..., 0] if channels == 1 else pixels, mode)


def assert_same_image(actual, expected):
    """Two PIL images with the same mode, size and pixels."""
    assert (actual.mode, actual.size) == (expected.mode, expected.size)
    np.testing.assert_array_equal(np.array(actual), np.array(expected))


# ---------------------------------------------------------------------------------------------
# resize
# ---------------------------------------------------------------------------------------------

@given(seed=st.integers(0, 2**16), lead=st.sampled_from([(3,), (2, 3), (2, 2, 1)]),
       size_in=st.tuples(st.integers(1, 9), st.integers(1, 9)), size_out=st.tuples(st.integers(1, 12), st.integers(1, 12)),
       mode=st.sampled_from(["nearest", "nearest-exact", "bilinear", "bicubic"]), antialias=st.booleans(),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_resize_tensor_matches_torch_interpolate(seed, lead, size_in, size_out, mode, antialias, dtype):
    array = image_array(seed, lead + size_in, dtype)
    ours, theirs = both(array)
    options = {"align_corners": False} if mode in ("bilinear", "bicubic") else {}
    batch = theirs.reshape(-1, *theirs.shape[-3:])
    expected = torch.nn.functional.interpolate(batch, size=size_out, mode=mode,
                                               antialias=antialias and mode in ("bilinear", "bicubic"), **options)
    actual = F.resize(ours, list(size_out), T.InterpolationMode(mode), antialias=antialias)
    assert_same(actual, expected.reshape(*lead[:-1], *expected.shape[-3:]))


@given(seed=st.integers(0, 2**16), size_out=st.tuples(st.integers(2, 10), st.integers(2, 10)),
       mode=st.sampled_from(["bilinear", "bicubic"]))
def test_resize_uint8_tensor_rounds_the_float_result(seed, size_out, mode):
    """torchvision resamples integer images in float32, then rounds (clamping bicubic's overshoot)."""
    array = image_array(seed, (3, 6, 5), np.uint8)
    ours, theirs = both(array)
    expected = torch.nn.functional.interpolate(theirs[None].float(), size=size_out, mode=mode, antialias=True,
                                               align_corners=False)[0].round().clamp(0, 255).to(torch.uint8)
    actual = F.resize(ours, list(size_out), T.InterpolationMode(mode))
    assert actual.dtype == minitorch.uint8
    # float32 rounding may put a value just either side of .5: one grey level at most
    assert np.abs(to_numpy(actual).astype(int) - expected.numpy().astype(int)).max() <= 1


@pytest.mark.parametrize("interpolation", list(T.InterpolationMode))
@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_resize_pil_equals_pillow_resize(interpolation, mode):
    image = pil_image(0, mode, 11, 8)
    expected = image.resize((5, 6), F.pil_modes_mapping[interpolation])
    assert_same_image(T.Resize((6, 5), interpolation)(image), expected)


@pytest.mark.parametrize("height, width, size, max_size, expected", [
    (10, 20, 5, None, (5, 10)),     # the shorter edge becomes size, the aspect ratio kept
    (20, 10, 5, None, (10, 5)),
    (10, 20, [5], None, (5, 10)),
    (10, 20, 5, 8, (4, 8)),         # the longer edge capped at max_size
    (10, 25, 4, None, (4, 10)),
    (7, 7, (3, 5), None, (3, 5)),   # (h, w) taken as is
])
def test_resize_output_size_follows_the_documented_rule(height, width, size, max_size, expected):
    tensor = minitorch.zeros(3, height, width)
    assert tuple(F.resize(tensor, size, max_size=max_size).shape[-2:]) == expected
    image = Image.new("RGB", (width, height))
    assert F.resize(image, size, max_size=max_size).size == expected[::-1]


# ---------------------------------------------------------------------------------------------
# pad, crop, flip
# ---------------------------------------------------------------------------------------------

PADDINGS = st.one_of(st.integers(0, 2), st.lists(st.integers(0, 2), min_size=2, max_size=2),
                     st.lists(st.integers(0, 2), min_size=4, max_size=4))


def ltrb(padding):
    """A padding argument as (left, top, right, bottom)."""
    if isinstance(padding, int):
        return (padding,) * 4
    return tuple(padding) * 2 if len(padding) == 2 else tuple(padding)


@given(seed=st.integers(0, 2**16), padding=PADDINGS, lead=st.sampled_from([(), (3,), (2, 3)]),
       mode=st.sampled_from(["constant", "edge", "reflect"]), fill=st.sampled_from([0, 2.5]))
def test_pad_tensor_matches_torch_pad(seed, padding, lead, mode, fill):
    ours, theirs = both(image_array(seed, lead + (4, 5), np.float64))
    left, top, right, bottom = ltrb(padding)
    torch_mode = {"edge": "replicate"}.get(mode, mode)
    batch = theirs.reshape(-1, 1, 4, 5) if mode != "constant" else theirs
    expected = torch.nn.functional.pad(batch, (left, right, top, bottom), mode=torch_mode,
                                       **({"value": fill} if mode == "constant" else {}))
    actual = F.pad(ours, padding, fill=fill, padding_mode=mode)
    assert_same(actual, expected.reshape(*lead, *expected.shape[-2:]))


@given(seed=st.integers(0, 2**16), padding=PADDINGS, mode=st.sampled_from(["constant", "edge", "reflect", "symmetric"]),
       image_mode=st.sampled_from(["L", "RGB"]))
def test_pad_pil_matches_pillow_and_tensor_matches_numpy_pad(seed, padding, mode, image_mode):
    image = pil_image(seed, image_mode, 4, 5)
    left, top, right, bottom = ltrb(padding)
    pixels = np.array(image)
    widths = ((top, bottom), (left, right)) + ((0, 0),) * (pixels.ndim - 2)
    if mode == "constant":
        expected = ImageOps.expand(image, border=(left, top, right, bottom), fill=(7,) * len(image.getbands()))
        assert_same_image(F.pad(image, padding, fill=7), expected)
        return
    assert_same_image(F.pad(image, padding, padding_mode=mode), Image.fromarray(np.pad(pixels, widths, mode)))
    # the tensor backend agrees with NumPy's modes ('symmetric' has no torch twin)
    chw = pixels.reshape(4, 5, -1).transpose(2, 0, 1)
    expected_chw = np.pad(chw, ((0, 0),) + widths[:2], mode)
    np.testing.assert_array_equal(to_numpy(F.pad(minitorch.tensor(chw), padding, padding_mode=mode)), expected_chw)


@given(seed=st.integers(0, 2**16), top=st.integers(-3, 6), left=st.integers(-3, 6), height=st.integers(1, 8),
       width=st.integers(1, 8))
def test_crop_equals_pillow_crop_including_outside_boxes(seed, top, left, height, width):
    """Pillow reads zeros outside the image; torchvision's tensor crop pads with zeros to match."""
    image = pil_image(seed, "RGB", 5, 6)
    expected = image.crop((left, top, left + width, top + height))
    assert_same_image(F.crop(image, top, left, height, width), expected)
    tensor = F.pil_to_tensor(image)
    np.testing.assert_array_equal(to_numpy(F.crop(tensor, top, left, height, width)).transpose(1, 2, 0),
                                  np.array(expected))


@given(seed=st.integers(0, 2**16), size=st.one_of(st.integers(1, 9), st.tuples(st.integers(1, 9), st.integers(1, 9))))
def test_center_crop_tensor_and_pil_cut_the_same_box(seed, size):
    image = pil_image(seed, "RGB", 6, 7)
    from_pil = F.pil_to_tensor(T.CenterCrop(size)(image))
    from_tensor = T.CenterCrop(size)(F.pil_to_tensor(image))
    crop_height, crop_width = (size, size) if isinstance(size, int) else size
    assert tuple(from_tensor.shape) == (3, crop_height, crop_width)
    np.testing.assert_array_equal(to_numpy(from_tensor), to_numpy(from_pil))
    if crop_height <= 6 and crop_width <= 7:  # inside: the documented centred box
        top, left = int(round((6 - crop_height) / 2.0)), int(round((7 - crop_width) / 2.0))
        assert_same_image(T.CenterCrop(size)(image), image.crop((left, top, left + crop_width, top + crop_height)))


@pytest.mark.parametrize("function, dim, pil_method", [(F.hflip, -1, Image.Transpose.FLIP_LEFT_RIGHT),
                                                      (F.vflip, -2, Image.Transpose.FLIP_TOP_BOTTOM)])
def test_flips_match_torch_flip_and_pillow_transpose(function, dim, pil_method):
    ours, theirs = both(image_array(1, (2, 3, 4, 5)))
    assert_same(function(ours), theirs.flip(dim))
    image = pil_image(1, "RGB")
    assert_same_image(function(image), image.transpose(pil_method))


# ---------------------------------------------------------------------------------------------
# rotate
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("angle, turns", [(90, 1), (180, 2), (270, 3), (-90, 3)])
@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_rotate_by_right_angles_equals_rot90(angle, turns, dtype):
    ours, theirs = both(image_array(2, (2, 3, 5, 5), dtype))
    assert_same(F.rotate(ours, angle), torch.rot90(theirs, turns, dims=(-2, -1)))
    # a non-square image, expanded, is turned whole
    ours, theirs = both(image_array(3, (3, 4, 6), dtype))
    assert_same(F.rotate(ours, angle, expand=True), torch.rot90(theirs, turns, dims=(-2, -1)))


def torch_rotate(image, angle, mode, center=None, fill=None):
    """torchvision's tensor rotate written with torch's affine_grid + grid_sample: the inverse rotation
    about ``center``, in affine_grid's coordinates (each axis normalised by its own half size)."""
    height, width = image.shape[-2:]
    center_x, center_y = (0.0, 0.0) if center is None else (center[0] - width / 2, center[1] - height / 2)
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    # output pixel (x, y), from the image centre, reads input pixel R(-angle)((x, y) - c) + c; y points down
    shift_x = center_x - (cos * center_x - sin * center_y)
    shift_y = center_y - (sin * center_x + cos * center_y)
    theta = torch.tensor([[cos, -sin * height / width, shift_x * 2 / width],
                          [sin * width / height, cos, shift_y * 2 / height]], dtype=image.dtype)
    grid = torch.nn.functional.affine_grid(theta[None], [1, 1, height, width], align_corners=False)
    batch = image.reshape(-1, 1, height, width)
    sampled = torch.nn.functional.grid_sample(batch, grid.expand(batch.shape[0], -1, -1, -1), mode=mode,
                                              padding_mode="zeros", align_corners=False).reshape(image.shape)
    if fill is None:
        return sampled
    # torchvision samples a channel of ones along, to tell which pixels came from outside
    mask = torch.nn.functional.grid_sample(torch.ones(1, 1, height, width, dtype=image.dtype), grid, mode=mode,
                                           padding_mode="zeros", align_corners=False)[0]
    fill = torch.tensor(fill, dtype=image.dtype).view(-1, 1, 1)
    if mode == "nearest":
        return torch.where(mask < 0.5, fill, sampled)
    return sampled * mask + (1.0 - mask) * fill


@given(seed=st.integers(0, 2**16), angle=st.floats(-180, 180).map(lambda a: round(a, 3)),
       size=st.tuples(st.integers(2, 8), st.integers(2, 8)), mode=st.sampled_from(["nearest", "bilinear"]),
       center=st.one_of(st.none(), st.tuples(st.integers(0, 7), st.integers(0, 7))),
       fill=st.one_of(st.none(), st.lists(st.sampled_from([0.0, 0.5]), min_size=3, max_size=3)))
def test_rotate_tensor_matches_affine_grid_and_grid_sample(seed, angle, size, mode, center, fill):
    ours, theirs = both(image_array(seed, (2, 3) + size, np.float64))
    expected = torch_rotate(theirs, angle, mode, center, fill)
    assert_same(F.rotate(ours, angle, T.InterpolationMode(mode), center=center, fill=fill), expected)


@pytest.mark.parametrize("expand", [False, True])
@pytest.mark.parametrize("interpolation", [T.InterpolationMode.NEAREST, T.InterpolationMode.BILINEAR])
def test_rotate_pil_equals_pillow_rotate(expand, interpolation):
    image = pil_image(4, "RGB")
    expected = image.rotate(33.0, F.pil_modes_mapping[interpolation], expand, (2, 3), fillcolor=(9, 9, 9))
    assert_same_image(F.rotate(image, 33.0, interpolation, expand, center=[2, 3], fill=9), expected)


def test_rotate_expand_output_holds_the_whole_image():
    """45 degrees on 4x6: the bounding box of the turned rectangle, as Pillow computes it."""
    expected = Image.new("L", (6, 4)).rotate(45, expand=True).size
    assert tuple(F.rotate(minitorch.zeros(1, 4, 6), 45.0, expand=True).shape[-2:]) == expected[::-1]


# ---------------------------------------------------------------------------------------------
# colour
# ---------------------------------------------------------------------------------------------

def torch_grayscale(image):
    """torchvision's luma weights."""
    red, green, blue = image.unbind(-3)
    return (0.2989 * red + 0.587 * green + 0.114 * blue).to(image.dtype).unsqueeze(-3)


def torch_blend(image, other, ratio):
    bound = 255 if image.dtype == torch.uint8 else 1.0
    return (ratio * image + (1.0 - ratio) * other).clamp(0, bound).to(image.dtype)


COLOUR_REFERENCES = {
    "adjust_brightness": lambda image, factor: torch_blend(image, torch.zeros_like(image), factor),
    "adjust_contrast": lambda image, factor: torch_blend(
        image, torch_grayscale(image).to(torch.float64 if image.dtype == torch.float64 else torch.float32)
        .mean(dim=(-3, -2, -1), keepdim=True), factor),
    "adjust_saturation": lambda image, factor: torch_blend(image, torch_grayscale(image), factor),
}


@given(seed=st.integers(0, 2**16), name=st.sampled_from(sorted(COLOUR_REFERENCES)), factor=st.floats(0, 2),
       dtype=st.sampled_from([np.float32, np.float64, np.uint8]), lead=st.sampled_from([(), (2,)]))
def test_colour_adjustments_match_torchvision_blend_formulas(seed, name, factor, dtype, lead):
    ours, theirs = both(image_array(seed, lead + (3, 4, 5), dtype))
    assert_same(getattr(F, name)(ours, factor), COLOUR_REFERENCES[name](theirs, factor))


@pytest.mark.parametrize("num_output_channels", [1, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_grayscale_tensor_matches_formula_and_pil_matches_convert(num_output_channels, dtype):
    ours, theirs = both(image_array(5, (2, 3, 4, 5), dtype))
    assert_same(T.Grayscale(num_output_channels)(ours), torch_grayscale(theirs).expand(2, num_output_channels, 4, 5))
    image = pil_image(5, "RGB")
    grey = image.convert("L")
    expected = grey if num_output_channels == 1 else Image.merge("RGB", (grey, grey, grey))
    assert_same_image(T.Grayscale(num_output_channels)(image), expected)


def numpy_hue_shift(rgb, shift):
    """The hue turned by ``shift`` turns, through HSV (the hexcone model), in float64."""
    red, green, blue = rgb
    value, low = rgb.max(axis=0), rgb.min(axis=0)
    chroma = value - low
    safe = np.where(chroma == 0, 1, chroma)
    hue = np.where(value == red, (green - blue) / safe, np.where(value == green, 2 + (blue - red) / safe,
                                                                 4 + (red - green) / safe))
    hue = np.where(chroma == 0, 0, hue / 6 % 1.0)
    saturation = np.where(value == 0, 0, chroma / np.where(value == 0, 1, value))
    hue = (hue + shift) % 1.0
    sextant = np.floor(hue * 6).astype(int) % 6
    fraction = hue * 6 - np.floor(hue * 6)
    p, q, t = value * (1 - saturation), value * (1 - saturation * fraction), value * (1 - saturation * (1 - fraction))
    table = np.stack([np.stack(c) for c in ((value, q, p, p, t, value), (t, value, value, q, p, p),
                                            (p, p, t, value, value, q))])
    return np.take_along_axis(table, sextant[None, None], axis=1)[:, 0]


@given(seed=st.integers(0, 2**16), shift=st.floats(-0.5, 0.5))
def test_adjust_hue_tensor_matches_numpy_hsv_reference(seed, shift):
    array = image_array(seed, (3, 5, 6), np.float32)
    array[:, 0, 0] = 0.25  # a grey pixel: no hue to turn
    actual = F.adjust_hue(minitorch.tensor(array), shift)
    np.testing.assert_allclose(to_numpy(actual), numpy_hue_shift(array.astype(np.float64), shift), atol=2e-6)


@pytest.mark.parametrize("name, enhancer", [("adjust_brightness", ImageEnhance.Brightness),
                                            ("adjust_contrast", ImageEnhance.Contrast),
                                            ("adjust_saturation", ImageEnhance.Color)])
def test_colour_adjustments_on_pil_equal_image_enhance(name, enhancer):
    image = pil_image(6, "RGB")
    assert_same_image(getattr(F, name)(image, 1.7), enhancer(image).enhance(1.7))


def test_adjust_hue_on_pil_turns_pillows_hsv_hue_byte():
    image = pil_image(7, "RGB")
    hue, saturation, value = image.convert("HSV").split()
    turned = ((np.array(hue).astype(int) + int(0.2 * 255)) % 256).astype(np.uint8)
    expected = Image.merge("HSV", (Image.fromarray(turned, "L"), saturation, value)).convert("RGB")
    assert_same_image(F.adjust_hue(image, 0.2), expected)
    grey = pil_image(7, "L")
    assert F.adjust_hue(grey, 0.2) is grey


# ---------------------------------------------------------------------------------------------
# normalize and conversions
# ---------------------------------------------------------------------------------------------

@given(seed=st.integers(0, 2**16), dtype=st.sampled_from([np.float32, np.float64]),
       lead=st.sampled_from([(), (2,)]), inplace=st.booleans())
def test_normalize_matches_formula_and_inplace_writes_the_input(seed, dtype, lead, inplace):
    ours, theirs = both(image_array(seed, lead + (3, 4, 4), dtype))
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    expected = (theirs - torch.tensor(mean, dtype=theirs.dtype).view(-1, 1, 1)) / torch.tensor(
        std, dtype=theirs.dtype).view(-1, 1, 1)
    actual = T.Normalize(mean, std, inplace=inplace)(ours)
    assert_same(actual, expected)
    assert (actual is ours) == inplace


NUMPY_OF = {torch.uint8: np.uint8, torch.int32: np.int32, torch.int16: np.int16, torch.float32: np.float32}


@pytest.mark.parametrize("mode, dtype, scaled", [("L", torch.uint8, True), ("RGB", torch.uint8, True),
                                                 ("RGBA", torch.uint8, True), ("I", torch.int32, False),
                                                 ("I;16", torch.int16, False), ("F", torch.float32, False),
                                                 ("1", torch.uint8, True)])
def test_to_tensor_layout_and_dtype_per_pil_mode(mode, dtype, scaled):
    image = pil_image(8, "RGB").convert(mode)
    pixels = np.array(image).reshape(image.height, image.width, -1)
    expected = torch.from_numpy(pixels.astype(NUMPY_OF[dtype])).permute(2, 0, 1)
    if mode == "1":
        expected = expected * 255
    if scaled:
        expected = expected.to(torch.float32).div(255)
    assert_same(T.ToTensor()(image), expected)


@pytest.mark.parametrize("dtype", [np.uint8, np.float64, np.int16])
def test_to_tensor_ndarray_is_chw_and_scales_only_bytes(dtype):
    array = image_array(9, (4, 5, 3), dtype)
    expected = torch.from_numpy(array).permute(2, 0, 1)
    expected = expected.float().div(255) if dtype == np.uint8 else expected
    assert_same(T.ToTensor()(array), expected)
    assert_same(T.ToTensor()(array[..., 0]), expected[:1])


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "I", "F", "1"])
def test_pil_to_tensor_keeps_values_and_dtype(mode):
    image = pil_image(10, "RGB").convert(mode)
    pixels = np.array(image).reshape(image.height, image.width, -1)
    assert_same(T.PILToTensor()(image), torch.from_numpy(pixels).permute(2, 0, 1))


@pytest.mark.parametrize("array, mode, expected_mode", [
    (image_array(11, (3, 4, 5), np.uint8), None, "RGB"),
    (image_array(11, (4, 4, 5), np.uint8), None, "RGBA"),
    (image_array(11, (2, 4, 5), np.uint8), None, "LA"),
    (image_array(11, (1, 4, 5), np.uint8), None, "L"),
    (image_array(11, (1, 4, 5), np.float32) * 1000, "F", "F"),
    (image_array(11, (3, 4, 5), np.uint8), "HSV", "HSV"),
])
def test_to_pil_image_modes_round_trip(array, mode, expected_mode):
    image = T.ToPILImage(mode)(minitorch.tensor(array))
    assert image.mode == expected_mode and image.size == (5, 4)
    np.testing.assert_array_equal(to_numpy(F.pil_to_tensor(image)), array)
    np.testing.assert_array_equal(np.array(T.ToPILImage(mode)(array.transpose(1, 2, 0))), np.array(image))


def test_to_pil_image_scales_floats_to_bytes():
    array = image_array(12, (3, 4, 5))
    image = F.to_pil_image(minitorch.tensor(array))
    assert_same_image(image, Image.fromarray((array.transpose(1, 2, 0) * 255).astype(np.uint8), "RGB"))
    np.testing.assert_array_equal(to_numpy(T.ToTensor()(image)), np.array(image).transpose(2, 0, 1) / np.float32(255))


@pytest.mark.parametrize("source, target, reference", [
    (np.uint8, torch.float32, lambda x: x.to(torch.float32) / 255),
    (np.float32, torch.uint8, lambda x: (x * (255 + 1 - 1e-3)).to(torch.uint8)),
    (np.uint8, torch.int32, lambda x: x.to(torch.int32) * ((2**31) // 256)),
    (np.float64, torch.float32, lambda x: x.to(torch.float32)),
])
def test_convert_image_dtype_rescales_values(source, target, reference):
    ours, theirs = both(image_array(13, (3, 4, 4), source))
    target_ours = {torch.float32: minitorch.float32, torch.uint8: minitorch.uint8, torch.int32: minitorch.int32}[target]
    assert_same(T.ConvertImageDtype(target_ours)(ours), reference(theirs))
    back = F.convert_image_dtype(F.convert_image_dtype(minitorch.tensor(image_array(13, (3, 4, 4), np.uint8)),
                                                       minitorch.int32), minitorch.uint8)
    np.testing.assert_array_equal(to_numpy(back), image_array(13, (3, 4, 4), np.uint8))


# ---------------------------------------------------------------------------------------------
# random transforms
# ---------------------------------------------------------------------------------------------

def augmentation():
    return T.Compose([T.RandomResizedCrop(6), T.RandomHorizontalFlip(), T.RandomVerticalFlip(),
                      T.RandomRotation(20), T.ColorJitter(0.4, 0.4, 0.4, 0.1), T.RandomGrayscale(0.3),
                      T.RandomCrop(5, padding=1), T.RandomApply([T.Pad(1)], p=0.5)])


@pytest.mark.parametrize("make_input", [lambda: minitorch.tensor(image_array(14, (3, 9, 8))),
                                        lambda: pil_image(14, "RGB", 9, 8)])
def test_random_pipeline_repeats_under_manual_seed(make_input):
    outputs = []
    for seed in (0, 0, 1):
        minitorch.manual_seed(seed)
        pipeline = augmentation()
        outputs.append([np.asarray(to_numpy(item) if isinstance(item, minitorch.Tensor) else np.array(item))
                        for item in (pipeline(make_input()) for _ in range(4))])
    for first, second in zip(outputs[0], outputs[1]):
        np.testing.assert_array_equal(first, second)
    assert any(a.shape != b.shape or not np.array_equal(a, b) for a, b in zip(outputs[0], outputs[2]))


@pytest.mark.parametrize("transform_class", [T.RandomHorizontalFlip, T.RandomVerticalFlip, T.RandomGrayscale])
@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_random_transforms_fire_with_probability_p(transform_class, p):
    minitorch.manual_seed(1)
    transform = transform_class(p)
    image = minitorch.tensor(image_array(15, (3, 2, 2)))
    draws = 1000
    changed = sum(not np.array_equal(to_numpy(transform(image)), to_numpy(image)) for _ in range(draws))
    # within 4 standard deviations of the binomial mean
    assert abs(changed - p * draws) <= 4 * math.sqrt(draws * p * (1 - p)) + 1e-9


@given(seed=st.integers(0, 2**16), size=st.tuples(st.integers(2, 12), st.integers(2, 12)),
       scale=st.tuples(st.floats(0.05, 1.0), st.floats(0.05, 1.0)).map(sorted),
       ratio=st.tuples(st.floats(0.5, 2.0), st.floats(0.5, 2.0)).map(sorted))
def test_random_resized_crop_boxes_lie_inside_with_scale_and_ratio_respected(seed, size, scale, ratio):
    minitorch.manual_seed(seed)
    height, width = size
    image = minitorch.zeros(1, height, width)
    top, left, crop_height, crop_width = T.RandomResizedCrop.get_params(image, scale, ratio)
    assert 0 <= top and 0 <= left and 0 < crop_height and 0 < crop_width
    assert top + crop_height <= height and left + crop_width <= width
    # a drawn box: area and aspect ratio in range, up to rounding each side to whole pixels
    low_area, high_area = (crop_height - 0.5) * (crop_width - 0.5), (crop_height + 0.5) * (crop_width + 0.5)
    low_ratio, high_ratio = (crop_width - 0.5) / (crop_height + 0.5), (crop_width + 0.5) / (crop_height - 0.5)
    drawn = (low_area <= scale[1] * height * width and high_area >= scale[0] * height * width
             and low_ratio <= ratio[1] and high_ratio >= ratio[0])
    assert drawn or (top, left, crop_height, crop_width) == central_crop(height, width, ratio)
    assert tuple(T.RandomResizedCrop((3, 4), scale, ratio)(image).shape) == (1, 3, 4)


def central_crop(height, width, ratio):
    """RandomResizedCrop's documented fallback: the central box, its aspect ratio clamped into ``ratio``."""
    if width / height < ratio[0]:
        crop_height, crop_width = int(round(width / ratio[0])), width
    elif width / height > ratio[1]:
        crop_height, crop_width = height, int(round(height * ratio[1]))
    else:
        crop_height, crop_width = height, width
    return (height - crop_height) // 2, (width - crop_width) // 2, crop_height, crop_width


def test_random_resized_crop_falls_back_to_the_central_crop():
    """No draw can fit (scale above 1): the central crop, its ratio clamped into ``ratio``."""
    image = minitorch.zeros(3, 10, 40)
    assert T.RandomResizedCrop.get_params(image, (2.0, 3.0), (0.5, 2.0)) == (0, 10, 10, 20)
    assert T.RandomResizedCrop.get_params(minitorch.zeros(3, 40, 10), (2.0, 3.0), (0.5, 2.0)) == (10, 0, 20, 10)
    assert T.RandomResizedCrop.get_params(minitorch.zeros(3, 10, 12), (2.0, 3.0), (0.5, 2.0)) == (0, 0, 10, 12)


@given(seed=st.integers(0, 2**16), size=st.tuples(st.integers(1, 6), st.integers(1, 6)),
       padding=st.one_of(st.none(), st.integers(0, 2)), mode=st.sampled_from(["constant", "edge", "reflect"]))
def test_random_crop_cuts_a_window_of_the_padded_image(seed, size, padding, mode):
    minitorch.manual_seed(seed)
    array = image_array(seed, (2, 4, 5), np.float64)
    transform = T.RandomCrop(size, padding=padding, pad_if_needed=True, padding_mode=mode)
    actual = to_numpy(transform(minitorch.tensor(array)))
    assert actual.shape == (2,) + size
    padded = np.pad(array, ((0, 0),) + ((padding or 0,) * 2,) * 2, {"edge": "edge"}.get(mode, mode)
                    if mode != "constant" else "constant")
    need_height, need_width = max(size[0] - padded.shape[1], 0), max(size[1] - padded.shape[2], 0)
    padded = np.pad(padded, ((0, 0), (need_height, need_height), (need_width, need_width)),
                    mode if mode != "constant" else "constant")
    windows = np.lib.stride_tricks.sliding_window_view(padded, size, axis=(1, 2))
    assert any(np.array_equal(windows[:, i, j], actual) for i in range(windows.shape[1])
               for j in range(windows.shape[2]))


def test_color_jitter_applies_its_drawn_factors_in_its_drawn_order():
    image = minitorch.tensor(image_array(16, (3, 4, 5)))
    jitter = T.ColorJitter(brightness=0.5, contrast=(0.2, 0.9), saturation=0.3, hue=0.2)
    minitorch.manual_seed(3)
    order, *factors = jitter.get_params(jitter.brightness, jitter.contrast, jitter.saturation, jitter.hue)
    assert sorted(order.tolist()) == [0, 1, 2, 3]
    for factor, (low, high) in zip(factors, [(0.5, 1.5), (0.2, 0.9), (0.7, 1.3), (-0.2, 0.2)]):
        assert low <= factor <= high
    expected = image
    for index in order.tolist():
        expected = [F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue][index](
            expected, factors[index])
    minitorch.manual_seed(3)
    np.testing.assert_array_equal(to_numpy(jitter(image)), to_numpy(expected))


def test_random_choice_and_order_draw_from_python_random():
    random.seed(0)
    picks = [T.RandomChoice([lambda x: x + 1, lambda x: x * 10], p=[0.2, 0.8])(1) for _ in range(200)]
    assert 120 <= picks.count(10) <= 190
    random.seed(0)
    assert T.RandomOrder([lambda x: x + [1], lambda x: x + [2]])([]) in ([1, 2], [2, 1])


# ---------------------------------------------------------------------------------------------
# argument errors (torchvision's documented types and messages)
# ---------------------------------------------------------------------------------------------

ERRORS = [
    (lambda: F.normalize(minitorch.rand(3, 2, 2), [0.5] * 3, [1.0, 0.0, 1.0]), ValueError,
     "std evaluated to zero after conversion to"),
    (lambda: F.normalize(minitorch.zeros(3, 2, 2, dtype=minitorch.uint8), [0.5], [0.5]), TypeError,
     "Input tensor should be a float tensor"),
    (lambda: T.Resize(2.5), TypeError, "Size should be int or sequence"),
    (lambda: T.Resize((1, 2, 3)), ValueError, "If size is a sequence, it should have 1 or 2 values"),
    (lambda: F.resize(minitorch.rand(3, 4, 4), [2, 2], max_size=5), ValueError, "max_size should only be passed"),
    (lambda: F.resize(minitorch.rand(3, 4, 4), 5, max_size=5), ValueError, "max_size = 5 must be strictly greater"),
    (lambda: F.resize(minitorch.rand(3, 4, 4), 2, interpolation="bilinear"), TypeError,
     "Argument interpolation should be a InterpolationMode"),
    (lambda: T.Pad(1, padding_mode="wrap"), ValueError, "Padding mode should be either constant, edge, reflect or"),
    (lambda: T.Pad((1, 2, 3)), ValueError, "Padding must be an int or a 1, 2, or 4 element tuple"),
    (lambda: T.ColorJitter(brightness=-1), ValueError, "If brightness is a single number, it must be non negative"),
    (lambda: T.ColorJitter(hue=0.7), ValueError, "hue values should be between (-0.5, 0.5)"),
    (lambda: F.adjust_hue(minitorch.rand(3, 2, 2), 0.7), ValueError, "hue_factor (0.7) is not in [-0.5, 0.5]"),
    (lambda: F.adjust_brightness(minitorch.rand(3, 2, 2), -1.0), ValueError, "brightness_factor (-1.0) is not"),
    (lambda: T.RandomCrop(5)(minitorch.rand(3, 4, 4)), ValueError, "Required crop size (5, 5) is larger than"),
    (lambda: T.RandomRotation(-3), ValueError, "If degrees is a single number, it must be positive"),
    (lambda: T.RandomRotation((1, 2, 3)), ValueError, "degrees should be a sequence of length 2"),
    (lambda: T.Lambda(3), TypeError, "Argument lambd should be callable, got 'int'"),
    (lambda: F.to_tensor([1, 2]), TypeError, "pic should be PIL Image or ndarray"),
    (lambda: F.to_tensor(np.zeros((1, 2, 3, 4))), ValueError, "pic should be 2/3 dimensional. Got 4 dimensions."),
    (lambda: F.to_pil_image(minitorch.zeros(5, 2, 2)), ValueError, "pic should not have > 4 channels"),
    (lambda: F.to_pil_image(minitorch.zeros(3, 2, 2, dtype=minitorch.uint8), mode="L"), ValueError,
     "Only modes ['RGB', 'YCbCr', 'HSV'] are supported for 3D inputs"),
    (lambda: F.rgb_to_grayscale(minitorch.rand(2, 3, 3)), TypeError,
     "Input image tensor permitted channel values are [1, 3], but found 2"),
    (lambda: F.convert_image_dtype(minitorch.rand(3, 2, 2), minitorch.int32), RuntimeError,
     "The cast from minitorch.float32 to minitorch.int32 cannot be performed safely."),
    (lambda: F.rotate(minitorch.rand(3, 2, 2), 10.0, T.InterpolationMode.BICUBIC), ValueError,
     "Interpolation mode 'bicubic' is unsupported with Tensor input"),
]


@pytest.mark.parametrize("call, error, message", ERRORS, ids=[e[2][:30] for e in ERRORS])
def test_bad_arguments_raise_torchvisions_errors(call, error, message):
    with pytest.raises(error) as raised:
        call()
    assert str(raised.value).startswith(message)


def test_reprs_name_the_options():
    assert repr(T.Compose([T.ToTensor(), T.Normalize([0.5], [0.5])])) == (
        "Compose(\n    ToTensor()\n    Normalize(mean=[0.5], std=[0.5])\n)")
    assert repr(T.Resize(4)) == "Resize(size=4, interpolation=bilinear, max_size=None, antialias=True)"
    assert repr(T.RandomApply([T.Grayscale()], p=0.3)) == "RandomApply(\n    p=0.3\n    Grayscale(num_output_channels=1)\n)"
