"""Cheap checks on uploaded images in the web process: format, declared size and completeness, no decoding.

PIL reads only the header for the format and dimensions, so a decompression bomb (a small file declaring a huge
image) is refused before anything allocates its pixels. A JPEG must end with its EOI marker and a PNG with IEND:
libjpeg would otherwise decode a truncated file into a half-grey image without complaint.
"""
import io
import warnings

from django.conf import settings
from PIL import Image

from core.filekind import not_an_image

FORMATS = {"JPEG", "PNG", "BMP", "WEBP"}


class BadImage(ValueError):
    pass


def image_check(data: bytes, *, label: str) -> tuple[int, int]:
    """(width, height) of an acceptable encoded image; BadImage naming `label` and the problem otherwise."""
    if not data:
        raise BadImage(f"{label} is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                fmt, (width, height) = image.format, image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadImage(f"{label} declares too many pixels (a decompression bomb?)") from None
    except Exception:
        raise BadImage(f"{label} is {not_an_image(data[:64])} (JPEG, PNG, BMP or WebP expected)") from None
    if fmt not in FORMATS:
        raise BadImage(f"{label} is a {fmt} image; JPEG, PNG, BMP or WebP expected")
    limit = settings.INFERENCE_MAX_IMAGE_PIXELS
    if width * height > limit:
        raise BadImage(f"{label} declares {width}x{height} = {width * height} pixels, over the limit of {limit} "
                       "(INFERENCE_MAX_IMAGE_PIXELS): refused as a possible decompression bomb")
    if fmt == "JPEG" and b"\xff\xd9" not in data[-64:]:
        raise BadImage(f"{label} is a truncated JPEG (no end-of-image marker)")
    if fmt == "PNG" and b"IEND" not in data[-64:]:
        raise BadImage(f"{label} is a truncated PNG (no IEND chunk)")
    return width, height
