"""The Open Inference Protocol (KServe v2) beside REST predict: server and model metadata, readiness, and infer
through the same pool, queue, deadline, backpressure and per-request errors as `inference_predict`."""
import json
import time

import numpy as np
import redis

from core.errors import Conflict, Unavailable
from registry.models import ModelVersion
from serving.selectors import DEFAULT_IMGSZ, serving_check_servable

from . import channel
from .images import BadImage, image_check
from .serializers import PredictParamsSerializer
from .services import pool_answer
from .v2_protocol import (BYTES_INPUT, RAW_OUTPUT, TENSOR_INPUT, InferRequest, V2Error, infer_response_encode)

SERVER_NAME = "vision-platform"
SERVER_VERSION = "1"
EXTENSIONS = ["binary_tensor_data"]


def v2_server_metadata() -> dict:
    return {"name": SERVER_NAME, "version": SERVER_VERSION, "extensions": EXTENSIONS}


def v2_server_ready() -> bool:
    """Ready when at least one inference pool process is live."""
    try:
        return bool(channel.pools_live())
    except redis.RedisError:
        return False


def v2_model_metadata(model: ModelVersion) -> dict:
    size, classes = model.input_size or DEFAULT_IMGSZ, len(model.class_names or [])
    return {"name": model.name, "versions": [str(model.version)], "platform": f"vision-platform_{model.format}",
            "inputs": [{"name": TENSOR_INPUT, "datatype": "FP32", "shape": [-1, 3, size, size]},
                       {"name": BYTES_INPUT, "datatype": "BYTES", "shape": [-1]}],
            "outputs": [{"name": "boxes", "datatype": "FP32", "shape": [-1, -1, 4]},
                        {"name": "scores", "datatype": "FP32", "shape": [-1, -1]},
                        {"name": "classes", "datatype": "INT32", "shape": [-1, -1]},
                        {"name": "num_detections", "datatype": "INT32", "shape": [-1]},
                        {"name": RAW_OUTPUT, "datatype": "FP32", "shape": [-1, 4 + classes, -1]}],
            "parameters": {"class_names": list(model.class_names or [])}}


def v2_model_unready_reason(model: ModelVersion) -> str:
    """"" when a live pool can serve `model`, else why not."""
    try:
        serving_check_servable(model=model, pools=channel.pools_live())
    except (Conflict, Unavailable) as exc:
        return exc.message
    except redis.RedisError as exc:
        return f"Redis is unreachable: {exc}"
    return ""


def tensor_packed(items: list[bytes]) -> tuple[list[bytes], str]:
    """(items, "u1") when every FP32 value is exactly a level k/255, as preprocessing from 8-bit pixels makes them:
    then the 0-255 levels travel through Redis, a quarter of the bytes (a 640 tensor: 1.2 MB, not 4.9), and the pool
    divides them back to the same floats; else (items, "f4") unchanged."""
    packed, scale = [], np.float32(255.0)
    for raw in items:
        values = np.frombuffer(raw, dtype="<f4")
        with np.errstate(invalid="ignore", over="ignore"):  # out of 0-255 or NaN: wraps, so the comparison fails
            levels = np.rint(values * scale).astype(np.uint8)
        if not np.array_equal(np.divide(levels, scale, dtype=np.float32), values):
            return items, "f4"
        packed.append(levels.tobytes())
    return packed, "u1"


def _params(request: InferRequest) -> dict:
    serializer = PredictParamsSerializer(data=request.params)
    if not serializer.is_valid():
        field, messages = next(iter(serializer.errors.items()))
        raise V2Error(f"parameters.{field}: {' '.join(str(m) for m in messages)}")
    return serializer.validated_data


def v2_infer(*, model: ModelVersion, request: InferRequest,
             announcement: channel.Announcement | None = None) -> tuple[bytes, int | None, str]:
    """(body, Inference-Header-Content-Length or None, engine) for one infer request on `model`."""
    params = _params(request)
    header = {"conf": params["conf"], "iou": params["iou"], "max_det": params["max_det"], "imgsz": None,
              "raw": RAW_OUTPUT in request.outputs}
    items, started = request.items, time.perf_counter()
    if request.tensor_shape:
        items, dtype = tensor_packed(items)
        header.update(tensor=request.tensor_shape, tensor_dtype=dtype, imgsz=request.tensor_shape[1])  # its size
    else:
        for index, data in enumerate(request.items):
            try:
                image_check(data, label=f"inputs[0].data[{index}]")
            except BadImage as exc:
                raise V2Error(str(exc)) from None
    checked = time.perf_counter()
    reply = pool_answer(model=model, header=header, images=items, timeout_ms=params.get("timeout_ms"),
                        announcement=announcement)
    # What served it, and the first image's stage times (its batch's; `pool_ms`: queueing to the reply, seen here).
    timings = dict(reply["results"][0]["timings"], check_ms=(checked - started) * 1000,
                   pool_ms=(time.perf_counter() - checked) * 1000, read_ms=request.read_ms)
    parameters = {"engine": reply["engine"], "served_model": reply["served_model"],
                  "timings": json.dumps({k: round(v, 3) for k, v in timings.items()})}
    body, length = infer_response_encode(request=request, model_name=model.name, model_version=str(model.version),
                                         results=reply["results"], blobs=reply.get("blobs", []), parameters=parameters)
    return body, length, reply["engine"]
