"""ultralytics' `val` letterboxing, so a benchmark's mAP of an engine equals what `model.val()` (and the training
run's last validation) reports for it.

`val` does not letterbox every image to imgsz x imgsz: it resizes the long side to imgsz (cv2 INTER_LINEAR, sizes
rounded up), sorts the images by aspect ratio into batches (32: the trainer validates at twice its batch of 16) and
pads each batch to one rectangle `ceil(shape * imgsz / stride + 0.5) * stride` (stride 32), so a square image at
imgsz 128 is run at 160 x 160 with 16 px of grey around it. A model exported with a fixed input size cannot take
that rectangle; ultralytics' val then runs it square (rect off), which is the plain letterbox at imgsz.
"""
import math

import cv2
import numpy as np

from core.yolo_processing import PAD_VALUE

VAL_BATCH = 32
VAL_STRIDE = 32
VAL_PAD = 0.5
PROTOCOL = (f"ultralytics val: long side resized to imgsz, rectangular batches of {VAL_BATCH} by aspect ratio, "
            f"padded to stride {VAL_STRIDE} (+{VAL_PAD})")


def val_shapes(sizes: list[tuple[int, int]], imgsz: int) -> list[tuple[int, int]]:
    """Each image's (h, w) canvas, as YOLODataset.set_rectangle gives its batch (sizes are the images' (h, w))."""
    ar = np.array([h / w for h, w in sizes], dtype=np.float64)
    order = ar.argsort()
    shapes: list[tuple[int, int]] = [(imgsz, imgsz)] * len(sizes)
    for start in range(0, len(order), VAL_BATCH):
        members = order[start:start + VAL_BATCH]
        mini, maxi = ar[members].min(), ar[members].max()
        ratio = [maxi, 1] if maxi < 1 else ([1, 1 / mini] if mini > 1 else [1, 1])
        h, w = (np.ceil(np.array(ratio) * imgsz / VAL_STRIDE + VAL_PAD).astype(int) * VAL_STRIDE).tolist()
        for index in members:
            shapes[index] = (int(h), int(w))
    return shapes


def val_preprocess(image: np.ndarray, *, imgsz: int, shape: tuple[int, int]) -> tuple[np.ndarray, tuple, tuple]:
    """BGR image -> (1, 3, H, W) float batch on its val canvas, and the (gain_y, gain_x), (pad_x, pad_y) that map the
    canvas back to the image's pixels."""
    h0, w0 = image.shape[:2]
    r = imgsz / max(h0, w0)
    if r != 1:  # load_image: long side to imgsz
        image = cv2.resize(image, (min(math.ceil(w0 * r), imgsz), min(math.ceil(h0 * r), imgsz)),
                           interpolation=cv2.INTER_LINEAR)
    h, w = image.shape[:2]
    r2 = min(shape[0] / h, shape[1] / w, 1.0)  # LetterBox(scaleup=False)
    new_w, new_h = max(round(w * r2), 1), max(round(h * r2), 1)
    dw, dh = (shape[1] - new_w) / 2, (shape[0] - new_h) / 2
    if (w, h) != (new_w, new_h):
        image = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    top, bottom, left, right = round(dh - 0.1), round(dh + 0.1), round(dw - 0.1), round(dw + 0.1)
    image = cv2.copyMakeBorder(image, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(PAD_VALUE,) * 3)
    batch = np.ascontiguousarray(image[:, :, ::-1].transpose(2, 0, 1))[None].astype(np.float32) / 255.0
    return batch, (new_h / h0, new_w / w0), (left, top)


def to_image_pixels(boxes: np.ndarray, *, gain: tuple, pad: tuple, orig_shape: tuple[int, int]) -> np.ndarray:
    boxes = boxes.copy()
    boxes[:, [0, 2]] = ((boxes[:, [0, 2]] - pad[0]) / gain[1]).clip(0, orig_shape[1])
    boxes[:, [1, 3]] = ((boxes[:, [1, 3]] - pad[1]) / gain[0]).clip(0, orig_shape[0])
    return boxes
