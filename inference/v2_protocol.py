"""The Open Inference Protocol (KServe v2) over HTTP, as bytes: an infer request read into one input and the
requested outputs (JSON tensors and the binary tensor data extension, `Inference-Header-Content-Length`), and an
answer encoded back the same way. Every problem is a V2Error (400) naming the field; no Redis, no database here.

Inputs (exactly one): `images`, FP32 [N, 3, S, S] preprocessed (RGB in 0-1, letterboxed to S, what a Triton client
sends), or `image_bytes`, BYTES [N] encoded JPEG/PNG/BMP/WebP (binary: each element a 4-byte little-endian length
and its bytes; JSON: base64 strings, since JSON strings cannot carry raw bytes).
"""
import base64
import binascii
import json
import math
import struct
from dataclasses import dataclass, field

import numpy as np

TENSOR_INPUT, BYTES_INPUT = "images", "image_bytes"
DETECTION_OUTPUTS = ("boxes", "scores", "classes", "num_detections")
RAW_OUTPUT = "output0"
OUTPUTS = (*DETECTION_OUTPUTS, RAW_OUTPUT)
PARAMETERS = ("conf", "iou", "max_det", "timeout_ms")  # request `parameters` passed to the predict serializer


class V2Error(Exception):
    """An answer `{"error": message}` with `status`."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


@dataclass
class InferRequest:
    id: str | None
    tensor_shape: list[int] | None  # [3, S, S] per image for `images`; None for encoded `image_bytes`
    items: list[bytes]  # one per image: FP32 C-order bytes, or the encoded file
    outputs: dict[str, bool]  # requested output -> binary
    params: dict = field(default_factory=dict)
    read_ms: float = 0.0  # reading and parsing the body (the view sets it)


def _header_and_data(body: bytes, header_length: str | None) -> tuple[dict, bytes]:
    try:
        length = len(body) if header_length is None else int(header_length)
    except ValueError:
        raise V2Error(f"Inference-Header-Content-Length: {header_length!r} is not a number") from None
    if not 0 < length <= len(body):
        raise V2Error(f"Inference-Header-Content-Length: {length} is outside the body's {len(body)} bytes")
    try:
        header = json.loads(body[:length])
    except (ValueError, UnicodeDecodeError) as exc:
        raise V2Error(f"the inference header is not valid JSON: {exc}") from None
    if not isinstance(header, dict):
        raise V2Error("the inference header must be a JSON object")
    return header, body[length:]


def _shape(tensor: dict, label: str) -> list[int]:
    shape = tensor.get("shape")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                               for d in shape):
        raise V2Error(f"{label}.shape must be a list of non-negative integers")
    return shape


def _binary_part(tensor: dict, label: str, data: bytes, offset: int) -> tuple[bytes | None, int]:
    size = (tensor.get("parameters") or {}).get("binary_data_size")
    if size is None:
        return None, offset
    if not isinstance(size, int) or size < 0 or offset + size > len(data):
        raise V2Error(f"{label}.parameters.binary_data_size: {size!r} does not fit the {len(data) - offset} "
                      "binary bytes left after the header")
    return data[offset:offset + size], offset + size


def _bytes_elements(raw: bytes, label: str) -> list[bytes]:
    items, offset = [], 0
    while offset < len(raw):
        if offset + 4 > len(raw):
            raise V2Error(f"{label}: a BYTES element's 4-byte length is cut off at byte {offset}")
        (size,) = struct.unpack_from("<I", raw, offset)
        if offset + 4 + size > len(raw):
            raise V2Error(f"{label}: a BYTES element declares {size} bytes; {len(raw) - offset - 4} are left")
        items.append(raw[offset + 4:offset + 4 + size])
        offset += 4 + size
    return items


def _tensor_input(tensor: dict, raw: bytes | None, label: str, max_images: int) -> tuple[list[int], list[bytes]]:
    if tensor.get("datatype") != "FP32":
        raise V2Error(f"{label}.datatype: {tensor.get('datatype')!r}; `images` is FP32")
    shape = _shape(tensor, label)
    if len(shape) != 4 or shape[1] != 3 or shape[2] != shape[3] or shape[2] < 32 or shape[2] % 32:
        raise V2Error(f"{label}.shape: {shape}; expected [N, 3, S, S] with S a multiple of 32 (the model's stride)")
    if not 1 <= shape[0] <= max_images:
        raise V2Error(f"{label}.shape: a batch of {shape[0]}; 1 to {max_images} images (INFERENCE_MAX_IMAGES)")
    count = math.prod(shape)
    if raw is None:
        values = tensor.get("data")
        if not isinstance(values, list):
            raise V2Error(f"{label}.data: a flat list of numbers expected (or binary data)")
        try:
            array = np.asarray(values, dtype=np.float32).reshape(-1)
        except (ValueError, TypeError):
            raise V2Error(f"{label}.data: not a flat list of numbers") from None
        raw = array.tobytes()
    if len(raw) != count * 4:
        raise V2Error(f"{label}: shape {shape} needs {count * 4} bytes of FP32; {len(raw)} were sent")
    if shape[0] == 1:
        return shape[1:], [raw]  # no copy: a 640 tensor is 4.9 MB
    per_image = len(raw) // shape[0]
    return shape[1:], [raw[i * per_image:(i + 1) * per_image] for i in range(shape[0])]


def _bytes_input(tensor: dict, raw: bytes | None, label: str, max_images: int) -> list[bytes]:
    if tensor.get("datatype") != "BYTES":
        raise V2Error(f"{label}.datatype: {tensor.get('datatype')!r}; `image_bytes` is BYTES")
    shape = _shape(tensor, label)
    if len(shape) not in (1, 2) or (len(shape) == 2 and shape[1] != 1):
        raise V2Error(f"{label}.shape: {shape}; expected [N] (or [N, 1]) encoded images")
    if not 1 <= shape[0] <= max_images:
        raise V2Error(f"{label}.shape: a batch of {shape[0]}; 1 to {max_images} images (INFERENCE_MAX_IMAGES)")
    if raw is not None:
        items = _bytes_elements(raw, label)
    else:
        values = tensor.get("data")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise V2Error(f"{label}.data: a list of base64 strings expected (or binary data)")
        try:
            items = [base64.b64decode(v, validate=True) for v in values]
        except (binascii.Error, ValueError):
            raise V2Error(f"{label}.data: an element is not valid base64") from None
    if len(items) != shape[0]:
        raise V2Error(f"{label}: shape {shape} declares {shape[0]} images; {len(items)} were sent")
    return items


def _outputs(header: dict) -> dict[str, bool]:
    default = bool((header.get("parameters") or {}).get("binary_data_output", False))
    requested = header.get("outputs")
    if requested is None:
        return {name: default for name in DETECTION_OUTPUTS}
    if not isinstance(requested, list) or not requested:
        raise V2Error("outputs: a non-empty list of {\"name\": ...} objects expected")
    outputs = {}
    for index, output in enumerate(requested):
        name = output.get("name") if isinstance(output, dict) else None
        if name not in OUTPUTS:
            raise V2Error(f"outputs[{index}].name: {name!r}; this model has {', '.join(OUTPUTS)}")
        outputs[name] = bool((output.get("parameters") or {}).get("binary_data", default))
    return outputs


def infer_request_read(body: bytes, header_length: str | None, *, max_images: int) -> InferRequest:
    """The request body (and its Inference-Header-Content-Length) as an InferRequest; V2Error naming the field."""
    header, data = _header_and_data(body, header_length)
    inputs = header.get("inputs")
    if not isinstance(inputs, list) or len(inputs) != 1 or not isinstance(inputs[0], dict):
        raise V2Error(f"inputs: exactly one input expected, `{TENSOR_INPUT}` (FP32) or `{BYTES_INPUT}` (BYTES)")
    tensor, label = inputs[0], "inputs[0]"
    raw, offset = _binary_part(tensor, label, data, 0)
    if offset != len(data):
        raise V2Error(f"the body has {len(data) - offset} binary bytes that no input declares (binary_data_size)")
    name = tensor.get("name")
    if name == TENSOR_INPUT:
        shape, items = _tensor_input(tensor, raw, label, max_images)
    elif name == BYTES_INPUT:
        shape, items = None, _bytes_input(tensor, raw, label, max_images)
    else:
        raise V2Error(f"{label}.name: {name!r}; this model takes `{TENSOR_INPUT}` (FP32 [N, 3, S, S]) or "
                      f"`{BYTES_INPUT}` (BYTES [N])")
    parameters = header.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise V2Error("parameters: an object expected")
    request_id = header.get("id")
    return InferRequest(id=str(request_id) if request_id is not None else None, tensor_shape=shape, items=items,
                        outputs=_outputs(header), params={k: parameters[k] for k in PARAMETERS if k in parameters})


def _detections(results: list[dict]) -> dict[str, np.ndarray]:
    """The batch's detections as padded arrays: boxes [N, D, 4], scores [N, D], classes [N, D], num_detections."""
    most = max((len(r["detections"]) for r in results), default=0)
    boxes = np.zeros((len(results), most, 4), dtype=np.float32)
    scores = np.zeros((len(results), most), dtype=np.float32)
    classes = np.zeros((len(results), most), dtype=np.int32)
    for row, result in enumerate(results):
        for column, found in enumerate(result["detections"]):
            boxes[row, column], scores[row, column] = found["box"], found["confidence"]
            classes[row, column] = found["class_id"]
    counts = np.asarray([len(r["detections"]) for r in results], dtype=np.int32)
    return {"boxes": boxes, "scores": scores, "classes": classes, "num_detections": counts}


def _raw(results: list[dict], blobs: list[bytes]) -> np.ndarray:
    rows = [np.frombuffer(blobs[r["raw"]["blob"]], dtype="<f4").reshape(r["raw"]["shape"]) for r in results]
    return np.stack(rows)


DATATYPES = {np.dtype(np.float32): "FP32", np.dtype(np.int32): "INT32"}


def infer_response_encode(*, request: InferRequest, model_name: str, model_version: str, results: list[dict],
                          blobs: list[bytes], parameters: dict | None = None) -> tuple[bytes, int | None]:
    """(body, header length or None): the requested outputs, binary ones after the JSON header."""
    results = sorted(results, key=lambda r: r["image"])
    arrays = _detections(results)
    if RAW_OUTPUT in request.outputs:
        arrays[RAW_OUTPUT] = _raw(results, blobs)
    outputs, binary = [], []
    for name, as_binary in request.outputs.items():
        array = arrays[name]
        tensor = {"name": name, "datatype": DATATYPES[array.dtype], "shape": list(array.shape)}
        if as_binary:
            data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
            tensor["parameters"] = {"binary_data_size": len(data)}
            binary.append(data)
        else:
            tensor["data"] = array.reshape(-1).tolist()
        outputs.append(tensor)
    head = {"model_name": model_name, "model_version": model_version, "outputs": outputs}
    if parameters:
        head["parameters"] = parameters
    if request.id is not None:
        head["id"] = request.id
    encoded = json.dumps(head, separators=(",", ":")).encode()
    if not binary:
        return encoded, None
    return b"".join([encoded, *binary]), len(encoded)
