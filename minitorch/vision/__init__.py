"""Our torchvision: datasets in their real file formats, image transforms, reference models and
image utilities (``import minitorch.vision as torchvision``).

Pillow (image files) and scikit-learn (the bundled Digits) are optional: the ``vision`` extra.
"""
from minitorch.vision import datasets, models, transforms, utils  # noqa: F401
