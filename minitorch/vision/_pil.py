"""Pillow, the optional dependency behind PIL images (the ``vision`` extra): imported when first
needed, with one install hint for every part of ``minitorch.vision`` that reads or writes images."""


def pillow():
    """The ``PIL`` package with the submodules minitorch.vision uses, or an ImportError saying how to
    install it."""
    try:
        import PIL.Image
        import PIL.ImageEnhance
        import PIL.ImageOps
    except ImportError as error:
        raise ImportError("minitorch.vision needs Pillow for PIL images: pip install 'minitorch[vision]'") from error
    return PIL
