"""The Open Inference Protocol (KServe v2) through the real `tritonclient[http]` client, against a real gunicorn and a
real inference pool: metadata, JSON and binary infer (a preprocessed tensor and encoded image bytes), a batch of 4,
the raw head output, and the errors (a wrong shape or dtype: 400 with a v2 body; an unknown model: 404)."""
import numpy as np
import pytest
import requests

from core.yolo_processing import image_decode, preprocess
from tests.ml_fixtures import TINY_IMGSZ
from tests.web_server import gunicorn_start

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]  # the pool reads the model rows

CONF = 0.001


@pytest.fixture(scope="session")
def web_url(_database_sessions_closed):
    server = gunicorn_start("gunicorn-v2", ready_path="/v2/health/live")
    yield f"127.0.0.1:{server.port}"
    server.process.stop()


@pytest.fixture
def triton(web_url):
    import tritonclient.http as httpclient

    client = httpclient.InferenceServerClient(url=web_url, network_timeout=60, connection_timeout=30)
    yield client
    client.close()


def _auth(user) -> dict:
    from rest_framework_simplejwt.tokens import RefreshToken

    return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}


def _tensor(image_path, copies=1) -> np.ndarray:
    batch = preprocess([image_decode(image_path.read_bytes())], TINY_IMGSZ)
    return np.repeat(batch, copies, axis=0)


def _infer(triton, user, model, array, *, binary=True, outputs=("boxes", "scores", "classes", "num_detections"),
           name="images", datatype="FP32"):
    import tritonclient.http as httpclient

    tensor = httpclient.InferInput(name, list(array.shape), datatype)
    tensor.set_data_from_numpy(array, binary_data=binary)
    wanted = [httpclient.InferRequestedOutput(o, binary_data=binary) for o in outputs]
    return triton.infer(model.name, [tensor], model_version=str(model.version), outputs=wanted,
                        headers=_auth(user), parameters={"conf": CONF})


def test_server_and_model_metadata_and_readiness(alice, onnx_model, triton, inference_pool):
    assert triton.is_server_live() and triton.is_server_ready()
    assert "binary_tensor_data" in triton.get_server_metadata()["extensions"]
    metadata = triton.get_model_metadata(onnx_model.name, headers=_auth(alice))
    assert metadata["versions"] == ["1"]
    assert {i["name"]: i["shape"] for i in metadata["inputs"]} == {"images": [-1, 3, TINY_IMGSZ, TINY_IMGSZ],
                                                                   "image_bytes": [-1]}
    assert {o["name"] for o in metadata["outputs"]} == {"boxes", "scores", "classes", "num_detections", "output0"}
    assert triton.is_model_ready(onnx_model.name, "1", headers=_auth(alice))


def test_binary_and_json_infer_of_a_tensor_agree_and_match_rest_predict(alice, api, onnx_model, triton, test_image,
                                                                         inference_pool):
    tensor = _tensor(test_image)
    binary = _infer(triton, alice, onnx_model, tensor)
    as_json = _infer(triton, alice, onnx_model, tensor, binary=False)
    assert binary.get_response()["model_name"] == onnx_model.name
    count = int(binary.as_numpy("num_detections")[0])
    assert count > 0 and count == int(as_json.as_numpy("num_detections")[0])
    np.testing.assert_allclose(binary.as_numpy("boxes"), as_json.as_numpy("boxes"), atol=1e-4)
    np.testing.assert_array_equal(binary.as_numpy("classes"), as_json.as_numpy("classes"))
    # The same picture letterboxed by REST predict: the same detections, in the tensor's own pixels here.
    rest = api(alice).post(f"/api/inference/{onnx_model.pk}/predict/", {"image": _upload(test_image), "conf": CONF},
                           format="multipart").json()["results"][0]["detections"]
    assert count == len(rest)
    assert abs(float(binary.as_numpy("scores")[0, 0]) - rest[0]["confidence"]) < 1e-3


def test_encoded_image_bytes_and_a_batch_of_4_with_the_raw_head_output(alice, dynamic_model, triton, test_image,
                                                                       inference_pool):
    data = test_image.read_bytes()
    images = np.array([data] * 4, dtype=np.object_)
    result = _infer(triton, alice, dynamic_model, images, name="image_bytes", datatype="BYTES",
                    outputs=("boxes", "num_detections", "output0"))
    counts = result.as_numpy("num_detections")
    assert counts.shape == (4,) and len(set(counts.tolist())) == 1 and counts[0] > 0
    boxes = result.as_numpy("boxes")
    assert boxes.shape[0] == 4 and boxes[..., 2].max() <= 96 and boxes[..., 3].max() <= 64  # original pixels
    raw = result.as_numpy("output0")
    assert raw.shape[:2] == (4, 4 + len(dynamic_model.class_names)) and raw.dtype == np.float32
    tensor = _infer(triton, alice, dynamic_model, _tensor(test_image, copies=4), outputs=("num_detections",))
    assert tensor.as_numpy("num_detections").shape == (4,)


def _upload(path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("image.jpg", path.read_bytes(), content_type="image/jpeg")


@pytest.mark.parametrize("wrong", ["channels", "size", "dtype", "name"])
def test_a_wrong_shape_dtype_or_input_is_400_with_a_v2_error_body(alice, onnx_model, triton, test_image, wrong,
                                                                   inference_pool):
    from tritonclient.utils import InferenceServerException

    tensor = _tensor(test_image)
    array, name, datatype, says = {
        "channels": (tensor[:, :2], "images", "FP32", "expected [N, 3, S, S]"),
        "size": (np.zeros((1, 3, 128, 128), np.float32), "images", "FP32", "fixed input size of 64"),
        "dtype": (tensor.astype(np.float16), "images", "FP16", "`images` is FP32"),
        "name": (tensor, "pixels", "FP32", "'pixels'"),
    }[wrong]
    with pytest.raises(InferenceServerException) as raised:
        _infer(triton, alice, onnx_model, array, name=name, datatype=datatype)
    assert raised.value.status() == "400", raised.value.message()
    assert says in raised.value.message()


def test_an_unknown_or_invisible_model_is_404_and_no_login_is_401(alice, carol, onnx_model, triton, test_image,
                                                                  web_url, inference_pool):
    from tritonclient.utils import InferenceServerException

    for user, name in ((alice, "no-such-model"), (carol, onnx_model.name)):
        with pytest.raises(InferenceServerException) as raised:
            triton.get_model_metadata(name, headers=_auth(user))
        assert raised.value.status() == "404"
    ghost = type(onnx_model)(name="no-such-model", version=1)
    with pytest.raises(InferenceServerException) as raised:
        _infer(triton, alice, ghost, _tensor(test_image))
    assert raised.value.status() == "404" and "no-such-model" in raised.value.message()
    answer = requests.post(f"http://{web_url}/v2/models/{onnx_model.name}/infer", data=b"{}", timeout=10)
    assert answer.status_code == 401 and set(answer.json()) == {"error"}


def test_a_bad_body_names_the_field(alice, onnx_model, web_url, inference_pool):
    url = f"http://{web_url}/v2/models/{onnx_model.name}/infer"
    cases = [(b"not json", {}, "not valid JSON"),
             (b'{"inputs": []}', {}, "exactly one input"),
             (b'{"inputs": [{"name": "images", "datatype": "FP32", "shape": [1, 3, 64, 64], '
              b'"parameters": {"binary_data_size": 12}}]}', {}, "binary_data_size"),
             (b'{"inputs": [{"name": "image_bytes", "datatype": "BYTES", "shape": [1], "data": ["aGVsbG8="]}]}', {},
              "inputs[0].data[0]"),
             (b'{"inputs": [{"name": "image_bytes", "datatype": "BYTES", "shape": [1], "data": ["aGVsbG8="]}], '
              b'"parameters": {"conf": 2}}', {}, "parameters.conf"),
             (b"{}", {"Inference-Header-Content-Length": "99"}, "Inference-Header-Content-Length")]
    for body, headers, says in cases:
        answer = requests.post(url, data=body, headers={**_auth(alice), **headers}, timeout=10)
        assert answer.status_code == 400 and says in answer.json()["error"], (body, answer.text)


def test_a_personal_api_token_is_accepted_and_a_revoked_one_is_401(alice, onnx_model, triton, test_image,
                                                                   inference_pool):
    from tritonclient.utils import InferenceServerException

    from accounts.services import api_token_create, api_token_revoke

    token, raw = api_token_create(user=alice, name="ci")
    headers = {"Authorization": f"Bearer {raw}"}
    assert triton.get_model_metadata(onnx_model.name, headers=headers)["name"] == onnx_model.name
    api_token_revoke(token=token)
    with pytest.raises(InferenceServerException) as raised:
        triton.get_model_metadata(onnx_model.name, headers=headers)
    assert raised.value.status() == "401"
