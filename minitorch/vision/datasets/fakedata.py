"""``FakeData``: random images that need no files (``torchvision.datasets.FakeData``).

Sample ``i`` is drawn from a generator seeded with ``i + random_offset``: the
same index always gives the same image and label, whatever was drawn before
and in whichever worker process, and the global random state is left alone.
The numbers differ from torchvision's (minitorch's generator is NumPy's PCG64,
not PyTorch's Mersenne Twister); the recipe is the same.
"""
from __future__ import annotations

import minitorch
from minitorch.vision.datasets.vision import VisionDataset

__all__ = ["FakeData"]


class FakeData(VisionDataset):
    """``size`` random PIL images of shape ``image_size`` (channels, height, width), with labels in
    ``[0, num_classes)``.

    Sample ``index`` is: a generator seeded with ``index + random_offset`` draws the image,
    ``randn(*image_size)``, then the label, ``randint(0, num_classes, (1,))``; ``ToPILImage`` turns the
    image into a PIL image (values times 255, cast to uint8).
    """

    def __init__(self, size: int = 1000, image_size=(3, 224, 224), num_classes: int = 10, transform=None,
                 target_transform=None, random_offset: int = 0) -> None:
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index: int):
        """``(image, target)``: a PIL image and an int label, each transformed where set."""
        from minitorch.vision import transforms  # transforms sits beside datasets: imported when first used

        if index >= len(self):
            raise IndexError(f"{self.__class__.__name__} index out of range")
        generator = minitorch.Generator().manual_seed(index + self.random_offset)
        image = minitorch.randn(*self.image_size, generator=generator)
        target = minitorch.randint(0, self.num_classes, size=(1,), generator=generator)[0]
        image, target = self._transform_sample(transforms.ToPILImage()(image), target)
        return image, target.item()

    def __len__(self) -> int:
        return self.size
