"""PixelShuffle and PixelUnshuffle: channels to r-by-r pixel blocks and back (sub-pixel convolution)."""
from __future__ import annotations

__all__ = ["PixelShuffle", "PixelUnshuffle"]

from minitorch.nn import functional as F
from minitorch.nn.modules.module import Module


class PixelShuffle(Module):
    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
