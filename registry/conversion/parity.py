"""Numerical parity between a reference and a converted model: the same seeded inputs, every output compared.

Tolerance: `max_abs_diff <= rel_tol * max(1, max |reference|)`. YOLO outputs mix box coordinates in pixels
(up to imgsz) with class scores in [0, 1], so a fixed absolute tolerance would be either too strict for the boxes
or too loose for the scores; scaling by the reference's largest magnitude keeps one number meaningful. With
rel_tol = 1e-3 (CONVERSION_PARITY_ATOL) a 640-px model may differ by up to 0.64 px; float32 ONNX Runtime
typically differs from PyTorch by ~1e-5 of that scale.
"""
import numpy as np


def parity_inputs(*, batch: int, imgsz: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    """Seeded images in [0, 1], the range the exported models expect after preprocessing."""
    return np.random.default_rng(seed).random((batch, channels, imgsz, imgsz), dtype=np.float32)


def parity_compare(*, reference: list, candidate: list, rel_tol: float) -> dict:
    if len(reference) != len(candidate):
        return {"max_abs_diff": None, "mean_abs_diff": None, "tolerance": None, "passed": False,
                "detail": f"output count differs: {len(reference)} vs {len(candidate)}"}
    max_diff, total, count, scale = 0.0, 0.0, 0, 1.0
    shapes = []
    for ref, got in zip(reference, candidate):
        ref = np.asarray(ref, dtype=np.float64)
        got = np.asarray(got, dtype=np.float64)
        shapes.append(list(ref.shape))
        if ref.shape != got.shape:
            return {"max_abs_diff": None, "mean_abs_diff": None, "tolerance": None, "passed": False,
                    "detail": f"output shape differs: {list(ref.shape)} vs {list(got.shape)}"}
        if ref.size == 0:
            continue
        diff = np.abs(ref - got)
        if not np.all(np.isfinite(diff)):
            return {"max_abs_diff": None, "mean_abs_diff": None, "tolerance": None, "passed": False,
                    "detail": "the converted model produced NaN or infinite values"}
        max_diff = max(max_diff, float(diff.max()))
        total += float(diff.sum())
        count += diff.size
        scale = max(scale, float(np.abs(ref).max()))
    tolerance = rel_tol * scale
    return {
        "max_abs_diff": max_diff,
        "mean_abs_diff": total / count if count else 0.0,
        "tolerance": tolerance,
        "relative_tolerance": rel_tol,
        "output_scale": scale,
        "output_shapes": shapes,
        "passed": max_diff <= tolerance,
    }
