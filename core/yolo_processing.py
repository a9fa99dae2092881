"""Pre- and post-processing shared by every inference engine, the conversion parity check and the benchmarks,
vectorised with numpy and OpenCV.

They reproduce ultralytics' `predict` exactly: decoding with cv2 (BGR, EXIF orientation applied), LetterBox
(auto=False, center=True, padding 114, cv2 INTER_LINEAR), RGB float 0-1, and `non_max_suppression`
(strict `> conf`, best class per box, class-aware through a coordinate offset, greedy IoU NMS, max_det) followed by
`scale_boxes` back to the original pixels and clipping.
"""
import cv2
import numpy as np

PAD_VALUE = 114
MAX_WH = 7680  # ultralytics' per-class box offset
MAX_NMS = 30000


class ImageDecodeError(ValueError):
    pass


def image_decode(data: bytes) -> np.ndarray:
    """Encoded bytes -> HxWx3 BGR uint8, like ultralytics' imread."""
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ImageDecodeError("could not be decoded as an image")
    return image


def tensor_image(data: bytes, shape: list[int], dtype: str = "f4") -> np.ndarray:
    """A preprocessed image (3 x H x W, RGB in 0-1, already letterboxed) as FP32: sent as FP32 bytes, or ("u1") as
    the 0-255 levels it was made of (v2_services packs it so when that is exact)."""
    if dtype == "u1":
        return np.divide(np.frombuffer(data, dtype=np.uint8).reshape(shape), np.float32(255.0), dtype=np.float32)
    return np.frombuffer(data, dtype="<f4").reshape(shape)


def image_shape(image: np.ndarray) -> tuple[int, int]:
    """(height, width) of a decoded HxWx3 image or of a preprocessed 3xHxW tensor (whose boxes stay in its pixels)."""
    return image.shape[1:] if image.dtype == np.float32 else image.shape[:2]


def letterbox_into(image: np.ndarray, out: np.ndarray, imgsz: int) -> None:
    """Resize `image` keeping its aspect ratio and paste it centred into `out` (imgsz x imgsz x 3, filled with 114)."""
    h, w = image.shape[:2]
    r = min(imgsz / h, imgsz / w)
    new_w, new_h = max(round(w * r), 1), max(round(h * r), 1)
    dw, dh = (imgsz - new_w) / 2, (imgsz - new_h) / 2
    top, left = round(dh - 0.1), round(dw - 0.1)
    if (w, h) != (new_w, new_h):
        image = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    out[top:top + new_h, left:left + new_w] = image


def preprocess(images: list[np.ndarray], imgsz: int) -> np.ndarray:
    """BGR uint8 images -> one float32 NCHW RGB batch in 0-1.

    One image at a time through one letterbox canvas, each channel divided straight into the output: no
    batch-sized uint8 intermediate and no extra float pass (bit-identical to transposing, casting and dividing).
    """
    canvas = np.empty((imgsz, imgsz, 3), dtype=np.uint8)
    batch = np.empty((len(images), 3, imgsz, imgsz), dtype=np.float32)
    for index, image in enumerate(images):
        if image.dtype == np.float32:  # already preprocessed (tensor_image), at this size
            batch[index] = image
            continue
        canvas.fill(PAD_VALUE)
        letterbox_into(image, canvas, imgsz)
        for channel in range(3):  # BGR -> RGB
            np.divide(canvas[:, :, 2 - channel], np.float32(255.0), out=batch[index, channel], casting="unsafe")
    return batch


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float, limit: int) -> np.ndarray:
    """Greedy IoU NMS (same result as torchvision.ops.nms), stopping once `limit` boxes are kept."""
    order = np.argsort(-scores, kind="stable")
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    areas = (x2 - x1) * (y2 - y1)
    keep = []
    while order.size and len(keep) < limit:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        inter = (np.clip(np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]), 0, None)
                 * np.clip(np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]), 0, None))
        iou = inter / (areas[i] + areas[rest] - inter + 1e-12)
        order = rest[iou <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)


def postprocess(output: np.ndarray, *, imgsz: int, orig_shape: tuple[int, int], conf: float, iou: float,
                max_det: int) -> np.ndarray:
    """One image's raw head output (4 + nc, anchors) -> (n, 6) rows of x1, y1, x2, y2, confidence, class_id."""
    scores_all = output[4:]
    best = scores_all.max(0)
    candidates = best > conf
    if not candidates.any():
        return np.zeros((0, 6), dtype=np.float32)
    xywh = output[:4, candidates].T
    cls_scores = scores_all[:, candidates]
    class_id = cls_scores.argmax(0)
    confidence = cls_scores[class_id, np.arange(cls_scores.shape[1])]
    boxes = np.empty_like(xywh)
    half_w, half_h = xywh[:, 2] / 2, xywh[:, 3] / 2
    boxes[:, 0], boxes[:, 1] = xywh[:, 0] - half_w, xywh[:, 1] - half_h
    boxes[:, 2], boxes[:, 3] = xywh[:, 0] + half_w, xywh[:, 1] + half_h
    if len(confidence) > MAX_NMS:
        top = np.argsort(-confidence, kind="stable")[:MAX_NMS]
        boxes, confidence, class_id = boxes[top], confidence[top], class_id[top]
    keep = nms(boxes + (class_id * MAX_WH)[:, None].astype(boxes.dtype), confidence, iou, max_det)
    boxes, confidence, class_id = boxes[keep], confidence[keep], class_id[keep]
    return np.concatenate([scale_boxes(boxes, imgsz, orig_shape), confidence[:, None],
                           class_id[:, None].astype(np.float32)], axis=1)


def scale_boxes(boxes: np.ndarray, imgsz: int, orig_shape: tuple[int, int]) -> np.ndarray:
    """Letterboxed xyxy -> original image pixels, clipped (ultralytics' scale_boxes with ratio_pad=None)."""
    h, w = orig_shape
    gain = min(imgsz / h, imgsz / w)
    new_h, new_w = max(round(h * gain), 1), max(round(w * gain), 1)
    gain_y, gain_x = new_h / h, new_w / w
    pad_x, pad_y = round((imgsz - new_w) / 2 - 0.1), round((imgsz - new_h) / 2 - 0.1)
    boxes = boxes.copy()
    boxes[:, [0, 2]] = ((boxes[:, [0, 2]] - pad_x) / gain_x).clip(0, w)
    boxes[:, [1, 3]] = ((boxes[:, [1, 3]] - pad_y) / gain_y).clip(0, h)
    return boxes


def detections_json(rows: np.ndarray, class_names: list[str]) -> list[dict]:
    out = []
    for x1, y1, x2, y2, confidence, class_id in rows.tolist():
        cid = int(class_id)
        out.append({"class_id": cid, "class_name": class_names[cid] if cid < len(class_names) else str(cid),
                    "confidence": round(confidence, 5), "box": [round(x1, 2), round(y1, 2), round(x2, 2), round(y2, 2)]})
    return out
