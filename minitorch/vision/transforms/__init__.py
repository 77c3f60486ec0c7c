"""``minitorch.vision.transforms``: image transforms (``torchvision.transforms``).

The classes live in ``transforms.py`` and the functions they call in ``functional.py``, which
hands PIL images to ``_functional_pil.py`` (Pillow's own operations) and Tensors to
``_functional_tensor.py`` (Tensor ops and vectorised NumPy resampling).
"""
from minitorch.vision.transforms import functional  # noqa: F401
from minitorch.vision.transforms.transforms import *  # noqa: F401,F403
