"""The transform classes (``torchvision.transforms``): each holds its options, draws its random
parameters, and calls ``functional``.

Random parameters come from minitorch's default generator (``minitorch.rand``, ``randint``,
``empty(1).uniform_``, ``randperm``), drawn in torchvision's order, so ``minitorch.manual_seed``
makes a pipeline repeat itself. ``RandomOrder`` and ``RandomChoice`` use Python's ``random``
module, as torchvision's do (seed it with ``random.seed``).
"""
from __future__ import annotations

import math
import numbers
import random
import warnings
from collections.abc import Sequence

import minitorch
from minitorch import nn
from minitorch.vision.transforms import functional as F
from minitorch.vision.transforms.functional import InterpolationMode, _interpolation_modes_from_int

__all__ = ["Compose", "ToTensor", "PILToTensor", "ConvertImageDtype", "ToPILImage", "Normalize", "Resize",
           "CenterCrop", "Pad", "Lambda", "RandomApply", "RandomChoice", "RandomOrder", "RandomCrop",
           "RandomHorizontalFlip", "RandomVerticalFlip", "RandomResizedCrop", "ColorJitter", "RandomRotation",
           "Grayscale", "RandomGrayscale", "InterpolationMode"]


def _listing(name: str, transforms, first_line: str = "") -> str:
    """``Name(`` + one indented line per transform + ``)``, torchvision's repr of a list of transforms."""
    lines = [first_line] if first_line else []
    lines += [f"    {t}" for t in transforms]
    return name + "(" + "".join("\n" + line for line in lines) + "\n)"


def _setup_size(size, error_msg: str):
    """(h, w) from one number, a 1-sequence or a 2-sequence."""
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return size


def _check_sequence_input(x, name: str, req_sizes) -> None:
    message = req_sizes[0] if len(req_sizes) < 2 else " or ".join([str(s) for s in req_sizes])
    if not isinstance(x, Sequence):
        raise TypeError(f"{name} should be a sequence of length {message}.")
    if len(x) not in req_sizes:
        raise ValueError(f"{name} should be a sequence of length {message}.")


def _setup_angle(x, name: str, req_sizes=(2,)) -> list:
    """[min, max] degrees from one number d (meaning [-d, d]) or a sequence."""
    if isinstance(x, numbers.Number):
        if x < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        x = [-x, x]
    else:
        _check_sequence_input(x, name, req_sizes)
    return [float(d) for d in x]


def _uniform(low: float, high: float) -> float:
    """One draw from U(low, high) on the default generator (torchvision's ``torch.empty(1).uniform_``)."""
    return float(minitorch.empty(1).uniform_(float(low), float(high)).item())


def _randint(low: int, high: int) -> int:
    return int(minitorch.randint(low, high, size=(1,)).item())


def _coin(p: float) -> bool:
    """True with probability ``p`` (torchvision's ``torch.rand(1) < p``)."""
    return bool(minitorch.rand(1).item() < p)


class Compose:
    """Apply ``transforms`` one after the other."""

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return _listing(self.__class__.__name__, self.transforms)


class _Conversion:
    """A transform that is one call of a ``functional`` conversion."""

    function = None

    def __call__(self, pic):
        return type(self).function(pic)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class ToTensor(_Conversion):
    """A PIL image or HWC ndarray as a CHW float Tensor in [0, 1] (8-bit data scaled by 1/255)."""

    function = staticmethod(F.to_tensor)


class PILToTensor(_Conversion):
    """A PIL image as a CHW Tensor of the same values and type."""

    function = staticmethod(F.pil_to_tensor)


class ConvertImageDtype(nn.Module):
    """A Tensor image in ``dtype``, values rescaled."""

    def __init__(self, dtype) -> None:
        super().__init__()
        self.dtype = dtype

    def forward(self, image):
        return F.convert_image_dtype(image, self.dtype)


class ToPILImage:
    """A CHW Tensor or HWC ndarray as a PIL image of ``mode`` (inferred when None)."""

    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        return F.to_pil_image(pic, self.mode)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(" + (f"mode={self.mode}" if self.mode is not None else "") + ")"


class Normalize(nn.Module):
    """``(input[c] - mean[c]) / std[c]`` per channel; out of place unless ``inplace``."""

    def __init__(self, mean, std, inplace=False):
        super().__init__()
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def forward(self, tensor):
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(mean={self.mean}, std={self.std})"


class Resize(nn.Module):
    """Resize to ``size``: an int (or one value) sets the shorter edge, two values are (h, w)."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
        super().__init__()
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size = size
        self.max_size = max_size
        if isinstance(interpolation, int):
            interpolation = _interpolation_modes_from_int(interpolation)
        self.interpolation = interpolation
        self.antialias = antialias

    def forward(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(size={self.size}, interpolation={self.interpolation.value}, "
                f"max_size={self.max_size}, antialias={self.antialias})")


class CenterCrop(nn.Module):
    """The centred box of ``size`` ((h, w) or one int)."""

    def __init__(self, size):
        super().__init__()
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")

    def forward(self, img):
        return F.center_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size})"


class Pad(nn.Module):
    """Pad each border: 'constant' (``fill``), 'edge', 'reflect' or 'symmetric'."""

    def __init__(self, padding, fill=0, padding_mode="constant"):
        super().__init__()
        if not isinstance(padding, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate padding arg")
        if not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate fill arg")
        if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        if isinstance(padding, Sequence) and len(padding) not in [1, 2, 4]:
            raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element "
                             "tuple")
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    def forward(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(padding={self.padding}, fill={self.fill}, "
                f"padding_mode={self.padding_mode})")


class Lambda:
    """Apply a user's function."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class RandomTransforms:
    """The base of transforms that pick among a list of transforms."""

    def __init__(self, transforms):
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence")
        self.transforms = transforms

    def __call__(self, *args, **kwargs):
        raise NotImplementedError()

    def __repr__(self) -> str:
        return _listing(self.__class__.__name__, self.transforms)


class RandomApply(nn.Module):
    """Apply all ``transforms`` with probability ``p``, or none."""

    def __init__(self, transforms, p=0.5):
        super().__init__()
        self.transforms = transforms
        self.p = p

    def forward(self, img):
        if self.p < minitorch.rand(1).item():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return _listing(self.__class__.__name__, self.transforms, first_line=f"    p={self.p}")


class RandomOrder(RandomTransforms):
    """Apply ``transforms`` in a random order (drawn with Python's ``random``, as torchvision does)."""

    def __call__(self, img):
        order = list(range(len(self.transforms)))
        random.shuffle(order)
        for index in order:
            img = self.transforms[index](img)
        return img


class RandomChoice(RandomTransforms):
    """Apply one of ``transforms``, picked with weights ``p`` (Python's ``random.choices``, as torchvision)."""

    def __init__(self, transforms, p=None):
        super().__init__(transforms)
        if p is not None and not isinstance(p, Sequence):
            raise TypeError("Argument p should be a sequence")
        self.p = p

    def __call__(self, *args):
        t = random.choices(self.transforms, weights=self.p)[0]
        return t(*args)

    def __repr__(self) -> str:
        return f"{super().__repr__()}(p={self.p})"


class RandomCrop(nn.Module):
    """A box of ``size`` at a uniformly drawn position, after optional ``padding`` (and padding up to
    ``size`` when ``pad_if_needed``)."""

    @staticmethod
    def get_params(img, output_size):
        """(top, left, height, width) of a random crop of ``output_size``."""
        _, height, width = F.get_dimensions(img)
        crop_height, crop_width = output_size
        if height < crop_height or width < crop_width:
            raise ValueError(f"Required crop size {(crop_height, crop_width)} is larger than input image size "
                             f"{(height, width)}")
        if width == crop_width and height == crop_height:
            return 0, 0, height, width
        top = _randint(0, height - crop_height + 1)
        left = _randint(0, width - crop_width + 1)
        return top, left, crop_height, crop_width

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        super().__init__()
        self.size = tuple(_setup_size(size, error_msg="Please provide only two dimensions (h, w) for size."))
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    def forward(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = F.get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = F.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = F.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        top, left, height, width = self.get_params(img, self.size)
        return F.crop(img, top, left, height, width)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size}, padding={self.padding})"


class _RandomFlip(nn.Module):
    """Flip with probability ``p``."""

    flip = None

    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, img):
        return type(self).flip(img) if _coin(self.p) else img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"


class RandomHorizontalFlip(_RandomFlip):
    """Mirror left to right with probability ``p``."""

    flip = staticmethod(F.hflip)


class RandomVerticalFlip(_RandomFlip):
    """Mirror top to bottom with probability ``p``."""

    flip = staticmethod(F.vflip)


class RandomResizedCrop(nn.Module):
    """A random box (area a fraction ``scale`` of the image's, aspect ratio in ``ratio``, drawn
    log-uniformly), resized to ``size``: the Inception training crop."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), interpolation=InterpolationMode.BILINEAR,
                 antialias=True):
        super().__init__()
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
            warnings.warn("Scale and ratio should be of kind (min, max)")
        if isinstance(interpolation, int):
            interpolation = _interpolation_modes_from_int(interpolation)
        self.interpolation = interpolation
        self.antialias = antialias
        self.scale = scale
        self.ratio = ratio

    @staticmethod
    def get_params(img, scale, ratio):
        """(top, left, height, width): up to 10 draws of an area and an aspect ratio until the box fits
        in the image; else the central box with the ratio clamped into ``ratio``."""
        _, height, width = F.get_dimensions(img)
        area = height * width
        log_ratio = minitorch.log(minitorch.tensor(ratio))
        for _ in range(10):
            target_area = area * _uniform(scale[0], scale[1])
            aspect_ratio = minitorch.exp(minitorch.empty(1).uniform_(float(log_ratio[0]), float(log_ratio[1]))).item()
            crop_width = int(round(math.sqrt(target_area * aspect_ratio)))
            crop_height = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < crop_width <= width and 0 < crop_height <= height:
                top = _randint(0, height - crop_height + 1)
                left = _randint(0, width - crop_width + 1)
                return top, left, crop_height, crop_width
        in_ratio = float(width) / float(height)
        if in_ratio < min(ratio):
            crop_width = width
            crop_height = int(round(crop_width / min(ratio)))
        elif in_ratio > max(ratio):
            crop_height = height
            crop_width = int(round(crop_height * max(ratio)))
        else:
            crop_width, crop_height = width, height
        return (height - crop_height) // 2, (width - crop_width) // 2, crop_height, crop_width

    def forward(self, img):
        top, left, height, width = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, top, left, height, width, self.size, self.interpolation, antialias=self.antialias)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(size={self.size}, scale={tuple(round(s, 4) for s in self.scale)}, "
                f"ratio={tuple(round(r, 4) for r in self.ratio)}, interpolation={self.interpolation.value}, "
                f"antialias={self.antialias})")


class ColorJitter(nn.Module):
    """Random brightness, contrast, saturation and hue changes, applied in a random order. A number
    v means factors in [max(0, 1 - v), 1 + v] ([-v, v] for hue); a pair is (min, max)."""

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        super().__init__()
        self.brightness = self._check_input(brightness, "brightness")
        self.contrast = self._check_input(contrast, "contrast")
        self.saturation = self._check_input(saturation, "saturation")
        self.hue = self._check_input(hue, "hue", center=0, bound=(-0.5, 0.5), clip_first_on_zero=False)

    @staticmethod
    def _check_input(value, name, center=1, bound=(0, float("inf")), clip_first_on_zero=True):
        """The (min, max) range of a factor, or None when it can only leave the image unchanged."""
        if isinstance(value, numbers.Number):
            if value < 0:
                raise ValueError(f"If {name} is a single number, it must be non negative.")
            value = [center - float(value), center + float(value)]
            if clip_first_on_zero:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            value = [float(value[0]), float(value[1])]
        else:
            raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"{name} values should be between {bound}, but got {value}.")
        if value[0] == value[1] == center:
            return None
        return tuple(value)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        """The order of the four adjustments (a permutation of 0..3) and each factor (None: skipped)."""
        fn_idx = minitorch.randperm(4)
        factors = [None if bounds is None else _uniform(bounds[0], bounds[1])
                   for bounds in (brightness, contrast, saturation, hue)]
        return (fn_idx, *factors)

    def forward(self, img):
        fn_idx, *factors = self.get_params(self.brightness, self.contrast, self.saturation, self.hue)
        adjustments = (F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue)
        for fn_id in fn_idx.tolist():
            if factors[fn_id] is not None:
                img = adjustments[fn_id](img, factors[fn_id])
        return img

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")


class RandomRotation(nn.Module):
    """Rotate by an angle drawn uniformly from ``degrees`` ((min, max), or d meaning (-d, d))."""

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=0):
        super().__init__()
        if isinstance(interpolation, int):
            interpolation = _interpolation_modes_from_int(interpolation)
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center
        self.interpolation = interpolation
        self.expand = expand
        if fill is None:
            fill = 0
        elif not isinstance(fill, (Sequence, numbers.Number)):
            raise TypeError("Fill should be either a sequence or a number.")
        self.fill = fill

    @staticmethod
    def get_params(degrees) -> float:
        return _uniform(degrees[0], degrees[1])

    def forward(self, img):
        fill = self.fill
        channels, _, _ = F.get_dimensions(img)
        if isinstance(img, minitorch.Tensor):
            fill = [float(fill)] * channels if isinstance(fill, (int, float)) else [float(f) for f in fill]
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    def __repr__(self) -> str:
        text = (f"{self.__class__.__name__}(degrees={self.degrees}, interpolation={self.interpolation.value}, "
                f"expand={self.expand}")
        if self.center is not None:
            text += f", center={self.center}"
        if self.fill is not None:
            text += f", fill={self.fill}"
        return text + ")"


class Grayscale(nn.Module):
    """Convert to grey with ``num_output_channels`` (1, or 3 equal ones)."""

    def __init__(self, num_output_channels=1):
        super().__init__()
        self.num_output_channels = num_output_channels

    def forward(self, img):
        return F.rgb_to_grayscale(img, num_output_channels=self.num_output_channels)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(num_output_channels={self.num_output_channels})"


class RandomGrayscale(nn.Module):
    """Convert to grey with probability ``p``, keeping the number of channels."""

    def __init__(self, p=0.1):
        super().__init__()
        self.p = p

    def forward(self, img):
        num_output_channels, _, _ = F.get_dimensions(img)
        if _coin(self.p):
            return F.rgb_to_grayscale(img, num_output_channels=num_output_channels)
        return img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"
