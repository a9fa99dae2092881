"""Bad input to predict is a 400 that names the problem, decided in the web process before queueing."""
import struct
import zlib

import pytest

pytestmark = [pytest.mark.django_db]


def _png_declaring(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def _post(client, model_id, *images, **params):
    from django.core.files.uploadedfile import SimpleUploadedFile

    files = [SimpleUploadedFile(f"i{n}.jpg", data, content_type="image/jpeg") for n, data in enumerate(images)]
    return client.post(f"/api/inference/{model_id}/predict/", {"image": files, **params}, format="multipart")


def _detail(response, status=400):
    assert response.status_code == status, response.json()
    return response.json()["detail"]


def test_a_file_that_is_not_an_image_is_400(alice, api, onnx_model):
    assert "image[0] is not an image" in _detail(_post(api(alice), onnx_model.pk, b"hello, not a picture"))


def test_a_truncated_jpeg_is_400(alice, api, onnx_model, test_image):
    data = test_image.read_bytes()
    assert "truncated JPEG" in _detail(_post(api(alice), onnx_model.pk, data[: len(data) // 2]))


def test_a_decompression_bomb_is_refused_from_its_header(alice, api, onnx_model):
    assert "decompression bomb" in _detail(_post(api(alice), onnx_model.pk, _png_declaring(50_000, 50_000)))
    assert "decompression bomb" in _detail(_post(api(alice), onnx_model.pk, _png_declaring(8_000, 6_000)))


def test_too_many_images_is_400(alice, api, onnx_model, test_image, settings):
    settings.INFERENCE_MAX_IMAGES = 2
    data = test_image.read_bytes()
    assert "at most 2" in _detail(_post(api(alice), onnx_model.pk, data, data, data))


def test_too_large_a_body_is_413(alice, api, onnx_model, settings):
    settings.INFERENCE_MAX_BODY_MB = 1
    assert "limit is 1 MB" in _detail(_post(api(alice), onnx_model.pk, b"\xff" * (1536 * 1024)), status=413)


def test_no_image_is_400(alice, api, onnx_model):
    assert "image" in _detail(api(alice).post(f"/api/inference/{onnx_model.pk}/predict/", {"conf": "0.5"},
                                              format="multipart"))


@pytest.mark.parametrize("params, field", [({"conf": "1.5"}, "conf"), ({"iou": "-1"}, "iou"),
                                           ({"max_det": "0"}, "max_det"), ({"imgsz": "50"}, "imgsz")])
def test_out_of_range_parameters_are_400_naming_the_field(alice, api, onnx_model, test_image, params, field):
    assert _detail(_post(api(alice), onnx_model.pk, test_image.read_bytes(), **params)).startswith(field)


def test_bad_base64_is_400(alice, api, onnx_model):
    response = api(alice).post(f"/api/inference/{onnx_model.pk}/predict/", {"images": ["***"]}, format="json")
    assert "images[0] is not valid base64" in _detail(response)


def test_an_unauthenticated_call_is_401(onnx_model):
    from rest_framework.test import APIClient

    assert APIClient().post(f"/api/inference/{onnx_model.pk}/predict/", {}).status_code == 401


def _raw(client, model_id, data: bytes, query: str = "", content_type="image/jpeg"):
    return client.generic("POST", f"/api/inference/{model_id}/predict/{query}", data, content_type=content_type)


def test_a_raw_image_body_is_checked_like_an_upload(alice, api, onnx_model, test_image, settings):
    client = api(alice)
    assert "not" in _detail(_raw(client, onnx_model.pk, b"hello, not an image"))
    assert "truncated JPEG" in _detail(_raw(client, onnx_model.pk, test_image.read_bytes()[:-200]))
    assert "conf" in _detail(_raw(client, onnx_model.pk, test_image.read_bytes(), "?conf=2"))
    settings.INFERENCE_MAX_BODY_MB = 1
    assert "limit is 1 MB" in _detail(_raw(client, onnx_model.pk, b"\xff" * (1536 * 1024)), status=413)
    from rest_framework.test import APIClient

    assert APIClient().generic("POST", f"/api/inference/{onnx_model.pk}/predict/", test_image.read_bytes(),
                         content_type="image/jpeg").status_code == 401
