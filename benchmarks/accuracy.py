"""mAP50 and mAP50-95 of one engine on a dataset's validation split, with the inference pool's own processing.

Every engine goes through the same code: decode with cv2, `core.yolo_processing.preprocess` (letterbox),
`engine.run`, `postprocess` (NMS at ultralytics' validation settings: conf 0.001, IoU 0.7, 300 boxes), then
greedy matching at IoU 0.50:0.95 as ultralytics' DetectionValidator does and its `ap_per_class`. Differences
between engines are therefore the engines' own, not the pipeline's.
"""
from pathlib import Path

import cv2
import numpy as np

from core.yolo_processing import postprocess, preprocess

from .splits import accuracy_images, label_path
from .val_letterbox import PROTOCOL, to_image_pixels, val_preprocess, val_shapes

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)
VAL_CONF, VAL_IOU, VAL_MAX_DET = 0.001, 0.7, 300


def validation_samples(*, dataset_root: Path, limit: int | None = None) -> list[tuple[Path, np.ndarray]]:
    """(image path, labels as rows of class, cx, cy, w, h normalised) for the split data.yaml names `val` (else
    `test`), each image's labels found by ultralytics' rule (splits.py)."""
    samples = []
    _, images = accuracy_images(dataset_root)
    for image_path in images[:limit]:
        path = label_path(image_path)
        rows = np.zeros((0, 5), dtype=np.float64)
        if path.is_file():
            text = [line.split() for line in path.read_text().splitlines() if line.strip()]
            if text:
                rows = np.array([[float(v) for v in line[:5]] for line in text], dtype=np.float64)
        samples.append((image_path, rows))
    return samples


def _box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in `a` (M, 4) with every box in `b` (N, 4), xyxy -> (M, N)."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(2)
    area_a = (a[:, 2:] - a[:, :2]).prod(1)
    area_b = (b[:, 2:] - b[:, :2]).prod(1)
    return inter / (area_a[:, None] + area_b[None, :] - inter + 1e-7)


def _match(pred_cls: np.ndarray, true_cls: np.ndarray, iou: np.ndarray) -> np.ndarray:
    """ultralytics' greedy matching: detections in descending confidence claim the best unclaimed target."""
    correct = np.zeros((len(pred_cls), len(IOU_THRESHOLDS)), dtype=bool)
    if not len(pred_cls) or not len(true_cls):
        return correct
    iou = iou * (true_cls[:, None] == pred_cls[None, :])
    matched = np.zeros((iou.shape[0], len(IOU_THRESHOLDS)), dtype=bool)
    for j in np.flatnonzero((iou >= IOU_THRESHOLDS.min()).any(0)):
        available = np.where(matched, 0, iou[:, j, None])
        k = available.argmax(0)
        correct[j] = available[k, range(len(IOU_THRESHOLDS))] >= IOU_THRESHOLDS
        matched[k, range(len(IOU_THRESHOLDS))] |= correct[j]
    return correct


def _detections(engine, image: np.ndarray, *, imgsz: int, canvas: tuple[int, int] | None) -> np.ndarray:
    """(n, 6) detections in the image's pixels: the pool's square letterbox, or val's canvas when `canvas`."""
    h, w = image.shape[:2]
    if canvas is None:
        output = engine.run(preprocess([image], imgsz))[0]
        return postprocess(output, imgsz=imgsz, orig_shape=(h, w), conf=VAL_CONF, iou=VAL_IOU, max_det=VAL_MAX_DET)
    batch, gain, pad = val_preprocess(image, imgsz=imgsz, shape=canvas)
    huge = 10**6  # postprocess's own scaling becomes the identity: the canvas is mapped back below
    found = postprocess(engine.run(batch)[0], imgsz=huge, orig_shape=(huge, huge), conf=VAL_CONF, iou=VAL_IOU,
                        max_det=VAL_MAX_DET)
    found[:, :4] = to_image_pixels(found[:, :4], gain=gain, pad=pad, orig_shape=(h, w))
    return found


def engine_map(*, engine, samples: list[tuple[Path, np.ndarray]], imgsz: int, protocol: str = "square") -> dict:
    """{"map50", "map50_95", "images", "instances", "protocol"} of `engine` on `samples` (one image per run).
    protocol "square": every image letterboxed to imgsz x imgsz like the pool serves it (the same for every engine);
    "val": ultralytics val's rectangular canvases (val_letterbox.py), for engines that take any input size."""
    from ultralytics.utils.metrics import ap_per_class  # deferred: ultralytics

    images = [(cv2.imread(str(path)), labels) for path, labels in samples]
    images = [(image, labels) for image, labels in images if image is not None]
    canvases = (val_shapes([image.shape[:2] for image, _ in images], imgsz) if protocol == "val"
                else [None] * len(images))
    tps, confs, pred_classes, target_classes = [], [], [], []
    for (image, labels), canvas in zip(images, canvases):
        h, w = image.shape[:2]
        found = _detections(engine, image, imgsz=imgsz, canvas=canvas)
        true_cls = labels[:, 0].astype(int) if len(labels) else np.zeros(0, dtype=int)
        true_boxes = np.zeros((len(labels), 4))
        if len(labels):
            cx, cy, bw, bh = labels[:, 1] * w, labels[:, 2] * h, labels[:, 3] * w, labels[:, 4] * h
            true_boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], 1)
        pred_cls = found[:, 5].astype(int)
        iou = _box_iou(true_boxes, found[:, :4].astype(np.float64)) if len(found) and len(labels) else None
        tps.append(_match(pred_cls, true_cls, iou) if iou is not None
                   else np.zeros((len(found), len(IOU_THRESHOLDS)), dtype=bool))
        confs.append(found[:, 4])
        pred_classes.append(pred_cls)
        target_classes.append(true_cls)
    instances = int(sum(len(t) for t in target_classes))
    facts = {"images": len(samples), "instances": instances, "protocol": PROTOCOL if protocol == "val" else
             f"square letterbox at imgsz {imgsz} (as the inference pool serves)"}
    if not instances:
        return {"map50": None, "map50_95": None, **facts}
    tp, conf = np.concatenate(tps), np.concatenate(confs)
    if not len(tp):
        return {"map50": 0.0, "map50_95": 0.0, **facts}
    ap = ap_per_class(tp, conf, np.concatenate(pred_classes), np.concatenate(target_classes))[5]
    return {"map50": round(float(ap[:, 0].mean()), 5), "map50_95": round(float(ap.mean()), 5), **facts}
