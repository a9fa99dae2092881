"""A prediction request read into images and parameters: the body size cap, multipart files, base64 JSON or one
image as the whole body (`Content-Type: image/jpeg`, parameters in the query string), and
the cheap per-image checks. Every problem is a 400 naming the field, before anything is queued for the pool."""
import base64
import binascii

from django.conf import settings
from rest_framework import exceptions, parsers

from core.errors import TooLarge

from .images import BadImage, image_check
from .serializers import PredictJsonSerializer, PredictParamsSerializer


def body_within_limit(request) -> None:
    """Refuse by the declared length, before the body is read."""
    limit = settings.INFERENCE_MAX_BODY_MB * 1024 * 1024
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise TooLarge(f"The request body is {length / 2**20:.1f} MB; the limit is "
                       f"{settings.INFERENCE_MAX_BODY_MB} MB (INFERENCE_MAX_BODY_MB).")


def _multipart(request) -> tuple[list[bytes], dict]:
    files = request.FILES.getlist("image")
    if not files:
        raise exceptions.ValidationError({"image": ["no image: send one or more files in the `image` field."]})
    if len(files) > settings.INFERENCE_MAX_IMAGES:
        raise exceptions.ValidationError({"image": [f"{len(files)} images; at most {settings.INFERENCE_MAX_IMAGES} "
                                                    "per request (INFERENCE_MAX_IMAGES)."]})
    params = PredictParamsSerializer(data={k: v for k, v in request.data.items() if k != "image"})
    params.is_valid(raise_exception=True)
    return [f.read() for f in files], params.validated_data


def base64_images(texts: list[str]) -> list[bytes]:
    """Decode base64 strings (a `data:` URL prefix is allowed); a 400 naming the first bad one."""
    images = []
    for index, text in enumerate(texts):
        try:
            images.append(base64.b64decode(text.split(",", 1)[-1] if text.startswith("data:") else text, validate=True))
        except (binascii.Error, ValueError):
            raise exceptions.ValidationError({"images": [f"images[{index}] is not valid base64."]}) from None
    return images


def _json(request) -> tuple[list[bytes], dict]:
    serializer = PredictJsonSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    params = dict(serializer.validated_data)
    return base64_images(params.pop("images")), params


class ImageBodyParser(parsers.BaseParser):
    """A body that is one encoded image (`Content-Type: image/jpeg`, `image/png`...): no multipart, no base64."""

    media_type = "image/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read() if stream is not None else b""


def _image_body(request) -> tuple[list[bytes], dict]:
    params = PredictParamsSerializer(data=request.query_params.dict())  # the parameters ride in the query string
    params.is_valid(raise_exception=True)
    return [request.data], params.validated_data


def predict_request_read(request) -> tuple[list[bytes], dict]:
    """The request's images as checked bytes, and its validated parameters."""
    body_within_limit(request)
    multipart = request.content_type.startswith("multipart/")
    if request.content_type.startswith("image/"):
        images, params = _image_body(request)
    else:
        images, params = _multipart(request) if multipart else _json(request)
    label = "image" if multipart or request.content_type.startswith("image/") else "images"
    for index, data in enumerate(images):
        try:
            image_check(data, label=f"{label}[{index}]")
        except BadImage as exc:
            raise exceptions.ValidationError({label: [str(exc)]}) from None
    return images, params
