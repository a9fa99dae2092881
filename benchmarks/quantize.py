"""INT8 post-training quantization of an FP32 ONNX model: ONNX Runtime static quantization in QDQ format.

Calibrated on images of the model's dataset that accuracy is never measured on (splits.py: the train split data.yaml
names, less any image of the validation split by path or content; the files are recorded), pre-processed exactly like
inference (letterbox, RGB, 0-1), so the
activation ranges are those the served model sees. QDQ (QuantizeLinear/DequantizeLinear around each op) is the
format both ONNX Runtime's CPU provider and OpenVINO's CPU plugin run as real INT8 kernels. The YOLO detection head
decoding (DFL softmax, anchor arithmetic, concat, sigmoid) stays in FP32: quantizing box coordinates in pixels and
scores in 0-1 with one scale costs most of the accuracy and little of the time.
"""
import re
from pathlib import Path

import cv2
import numpy as np

from core.yolo_processing import preprocess

from .splits import calibration_set

CALIBRATION_IMAGES = 32


class CalibrationRefused(ValueError):
    """No image is left to calibrate on once the images accuracy is measured on are set aside."""


class _Reader:
    """onnxruntime.quantization.CalibrationDataReader over pre-processed images, one batch of 1 at a time."""

    def __init__(self, *, input_name: str, images: list[Path], imgsz: int):
        self.input_name, self.images, self.imgsz = input_name, list(images), imgsz
        self.index = 0

    def get_next(self):
        while self.index < len(self.images):
            image = cv2.imread(str(self.images[self.index]))
            self.index += 1
            if image is not None:
                return {self.input_name: preprocess([image], self.imgsz)}
        return None

    def rewind(self):
        self.index = 0


def _head_nodes(model) -> list[str]:
    """Names of the detection head's decoding nodes: everything in the head module (the module of the last Conv, e.g.
    `/model.22/`: box DFL softmax and conv, anchor arithmetic, concat, sigmoid) except its two convolution branches
    (`cv2.*` boxes, `cv3.*` classes), which hold most of the head's compute and quantize well. Measured on the demo
    model (mAP50-95 0.577 in FP32): decoding in FP32 drops 0.002-0.003, quantizing all but the last ops 0.017-0.026.
    A graph without ultralytics' names falls back to the nodes after the last Conv."""
    nodes = list(model.graph.node)
    convs = [node.name for node in nodes if node.op_type == "Conv" and node.name]
    match = re.match(r"^(/model\.\d+/)", convs[-1]) if convs else None
    if match:
        prefix = match.group(1)
        return [node.name for node in nodes if node.name.startswith(prefix)
                and not re.match(rf"^{re.escape(prefix)}cv[23]\.", node.name)]
    last_conv = max((i for i, node in enumerate(nodes) if node.op_type == "Conv"), default=-1)
    return [node.name for node in nodes[last_conv + 1:] if node.name]


def quantize_int8(*, source: Path, target: Path, dataset_root: Path, imgsz: int,
                  limit: int = CALIBRATION_IMAGES) -> dict:
    """Write the INT8 QDQ model of `source` to `target`; returns what was done (for the version's metadata)."""
    import onnx  # deferred: onnx, loaded with onnxruntime only when quantizing
    import onnxruntime  # deferred: onnxruntime

    # deferred: onnxruntime
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    calibration = calibration_set(dataset_root, limit=limit)
    images = calibration["images"]
    if not images:
        raise CalibrationRefused("INT8 calibration needs images outside the split accuracy is measured on, and this "
                                 "dataset has none (its data.yaml's train split is its val split, or holds only "
                                 "copies of its images): give the dataset a train split of its own")
    model = onnx.load(str(source))
    input_name = model.graph.input[0].name
    excluded = _head_nodes(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    np.random.seed(0)
    quantize_static(str(source), str(target), _Reader(input_name=input_name, images=images, imgsz=imgsz),
                    quant_format=QuantFormat.QDQ, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    per_channel=True, calibrate_method=CalibrationMethod.MinMax, nodes_to_exclude=excluded,
                    extra_options={"ActivationSymmetric": False, "WeightSymmetric": True})
    return {"quantization": "int8", "method": "onnxruntime.quantize_static", "format": "QDQ",
            "activations": "uint8 per-tensor (MinMax)", "weights": "int8 per-channel",
            "calibration_images": len(images), "calibration_split": calibration["split"],
            "calibration_files": [p.resolve().relative_to(dataset_root.resolve()).as_posix() for p in images],
            "calibration_excluded_as_measured": calibration["excluded"], "excluded_nodes": len(excluded),
            "imgsz": imgsz,
            "onnxruntime": onnxruntime.__version__}
