"""Numerical parity between a reference and a converted model: the same inputs, every output compared.

A YOLO detection output (batch, 4 + classes, anchors) mixes box coordinates in pixels (up to imgsz) with class
scores in [0, 1], so one tolerance scaled by the largest value (about 636 for yolov8n at 640) would accept an error
of 0.64 on a score. The two parts are judged apart:
- boxes: `max |diff| <= box_rel * max(1, max |reference box|)`, a relative tolerance (pixels scale with imgsz);
- class scores: `max |diff| <= score_abs`, an absolute tolerance (scores are probabilities);
- decoded detections after NMS (what a user sees): every reference detection (the best `MATCHED_TOP` per image
  above NMS_CONF) is compared with the candidate at the same anchor: IoU >= `min_iou` and a score within
  `score_abs`; and the number of detections above `DETECTION_CONF` agrees (up to the reference detections whose
  score lies within `score_abs` of it).
Any other output (or a layout that is not a detection head) is judged with the relative tolerance.
"""
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from core.yolo_processing import MAX_WH, nms, postprocess, preprocess

DETECTION_CONF = 0.25  # ultralytics' predict default: the detections a user sees
NMS_CONF = 0.001  # ultralytics' val default: the detections mAP is computed from (matched too, best first)
NMS_IOU = 0.7
MATCHED_TOP = 20  # the reference's best detections per image that must be matched


@dataclass(frozen=True)
class ParityTolerance:
    box_rel: float
    score_abs: float
    min_iou: float = 0.9


def parity_inputs(*, batch: int, imgsz: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    """Seeded images in [0, 1], the range the exported models expect after preprocessing."""
    return np.random.default_rng(seed).random((batch, channels, imgsz, imgsz), dtype=np.float32)


def parity_images(*, root, imgsz: int, limit: int = 4) -> np.ndarray | None:
    """Up to `limit` real images of a dataset tree, letterboxed like predict: random inputs rarely trigger a trained
    model's detections, real ones do. None when the tree has no image."""
    paths = sorted(p for p in Path(root).rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".bmp"})[:limit]
    images = [image for image in (cv2.imread(str(p)) for p in paths) if image is not None]
    return preprocess(images, imgsz) if images else None


def _fail(detail: str) -> dict:
    return {"max_abs_diff": None, "mean_abs_diff": None, "tolerance": None, "passed": False, "detail": detail}


def _is_detection_head(ref: np.ndarray, classes: int | None) -> bool:
    if ref.ndim != 3 or ref.shape[1] < 5:
        return False
    return ref.shape[2] >= ref.shape[1] if classes is None else ref.shape[1] >= 4 + classes


def _xyxy(xywh: np.ndarray) -> np.ndarray:
    half = xywh[:, 2:] / 2
    return np.concatenate([xywh[:, :2] - half, xywh[:, :2] + half], axis=1)


def _pair_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of a[i] with b[i] (both (n, 4) xyxy)."""
    inter = (np.clip(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0, None)
             * np.clip(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0, None))
    area = lambda x: (x[:, 2] - x[:, 0]) * (x[:, 3] - x[:, 1])  # noqa: E731
    return inter / (area(a) + area(b) - inter + 1e-12)


def _detections_kept(out: np.ndarray, classes: int) -> np.ndarray:
    """The anchors a reference head's detections come from after NMS (predict's rules: best class per anchor,
    `> NMS_CONF`, class-aware greedy IoU NMS), best first."""
    scores = out[4:4 + classes]
    best, cls = scores.max(0), scores.argmax(0)
    idx = np.flatnonzero(best > NMS_CONF)
    if not idx.size:
        return idx
    boxes = _xyxy(out[:4, idx].T.astype(np.float64))
    keep = nms(boxes + (cls[idx] * MAX_WH)[:, None], best[idx].astype(np.float64), NMS_IOU, 300)
    return idx[keep]


def detections_compare(*, reference: np.ndarray, candidate: np.ndarray, classes: int, tol: ParityTolerance) -> dict:
    """The detections a user sees, compared: each reference detection after NMS (the best `MATCHED_TOP` per image)
    against the candidate's output at the same anchor (box IoU, score of the same class: no NMS tie can swap
    which box is compared), and the number of detections above `DETECTION_CONF` each side decodes."""
    huge = 10**6  # orig_shape == imgsz: postprocess leaves boxes in the model's pixels
    ious, score_diffs, counts_ref, counts_got, borderline = [], [], 0, 0, 0
    for ref, got in zip(reference, candidate):
        anchors = _detections_kept(ref, classes)[:MATCHED_TOP]
        if anchors.size:
            cls = ref[4:4 + classes, anchors].argmax(0)
            ious += _pair_iou(_xyxy(ref[:4, anchors].T), _xyxy(got[:4, anchors].T)).tolist()
            score_diffs += np.abs(ref[4 + cls, anchors] - got[4 + cls, anchors]).tolist()
        decoded = [postprocess(out[:4 + classes].astype(np.float32), imgsz=huge, orig_shape=(huge, huge),
                               conf=NMS_CONF, iou=NMS_IOU, max_det=300) for out in (ref, got)]
        counts_ref += int((decoded[0][:, 4] > DETECTION_CONF).sum())
        counts_got += int((decoded[1][:, 4] > DETECTION_CONF).sum())
        borderline += int((np.abs(decoded[0][:, 4] - DETECTION_CONF) <= tol.score_abs).sum())
    figures = {"matched": len(ious), "min_iou": min(ious) if ious else None,
               "mean_iou": float(np.mean(ious)) if ious else None,
               "max_score_diff": max(score_diffs) if score_diffs else None,
               "count_above_conf": {"conf": DETECTION_CONF, "reference": counts_ref, "candidate": counts_got}}
    problems = []
    if ious and min(ious) < tol.min_iou:
        problems.append(f"matched detections' IoU down to {min(ious):.3f} < {tol.min_iou}")
    if score_diffs and max(score_diffs) > tol.score_abs:
        problems.append(f"matched detections' score differs by {max(score_diffs):.3g} > {tol.score_abs}")
    if abs(counts_ref - counts_got) > borderline:
        problems.append(f"{counts_got} detections above {DETECTION_CONF} instead of {counts_ref}")
    figures["passed"] = not problems
    if problems:
        figures["detail"] = "; ".join(problems)
    return figures


def parity_compare(*, reference: list, candidate: list, tol: ParityTolerance, classes: int | None = None) -> dict:
    """Compare every output; the result holds the figures per output (boxes, scores, detections) and `passed`."""
    if len(reference) != len(candidate):
        return _fail(f"output count differs: {len(reference)} vs {len(candidate)}")
    outputs, failures, max_diff, total, count = [], [], 0.0, 0.0, 0
    for index, (ref, got) in enumerate(zip(reference, candidate)):
        ref = np.asarray(ref, dtype=np.float64)
        got = np.asarray(got, dtype=np.float64)
        if ref.shape != got.shape:
            return _fail(f"output shape differs: {list(ref.shape)} vs {list(got.shape)}")
        if ref.size == 0:
            continue
        diff = np.abs(ref - got)
        if not np.all(np.isfinite(diff)):
            return _fail("the converted model produced NaN or infinite values")
        max_diff, total, count = max(max_diff, float(diff.max())), total + float(diff.sum()), count + diff.size
        figures = {"index": index, "shape": list(ref.shape)}
        if _is_detection_head(ref, classes):
            n = ref.shape[1] - 4 if classes is None else classes
            box_scale = max(1.0, float(np.abs(ref[:, :4]).max()))
            figures["boxes"] = {"max_abs_diff": float(diff[:, :4].max()), "scale": box_scale,
                                "tolerance": tol.box_rel * box_scale}
            figures["scores"] = {"max_abs_diff": float(diff[:, 4:4 + n].max()),
                                 "mean_abs_diff": float(diff[:, 4:4 + n].mean()), "tolerance": tol.score_abs}
            if ref.shape[1] > 4 + n:  # mask coefficients and the like: relative, like any other output
                extra_scale = max(1.0, float(np.abs(ref[:, 4 + n:]).max()))
                figures["other"] = {"max_abs_diff": float(diff[:, 4 + n:].max()),
                                    "tolerance": tol.box_rel * extra_scale}
            figures["detections"] = detections_compare(reference=ref, candidate=got, classes=n, tol=tol)
            parts = [(k, figures[k]) for k in ("boxes", "scores", "other") if k in figures]
            failures += [f"output {index} {k}: max abs diff {v['max_abs_diff']:.3g} > tolerance {v['tolerance']:.3g}"
                         for k, v in parts if v["max_abs_diff"] > v["tolerance"]]
            if not figures["detections"]["passed"]:
                failures.append(f"output {index} detections: {figures['detections']['detail']}")
        else:
            scale = max(1.0, float(np.abs(ref).max()))
            figures["values"] = {"max_abs_diff": float(diff.max()), "scale": scale, "tolerance": tol.box_rel * scale}
            if figures["values"]["max_abs_diff"] > figures["values"]["tolerance"]:
                failures.append(f"output {index}: max abs diff {diff.max():.3g} > tolerance "
                                f"{figures['values']['tolerance']:.3g}")
        outputs.append(figures)
    result = {"max_abs_diff": max_diff, "mean_abs_diff": total / count if count else 0.0,
              "tolerances": asdict(tol), "outputs": outputs, "passed": not failures}
    if outputs and "scores" in outputs[0]:  # the headline figure a report shows: the class scores' error
        result["tolerance"] = outputs[0]["scores"]["tolerance"]
        result["max_score_diff"] = outputs[0]["scores"]["max_abs_diff"]
    elif outputs:
        result["tolerance"] = outputs[0]["values"]["tolerance"]
    if failures:
        result["detail"] = "; ".join(failures)
    return result
