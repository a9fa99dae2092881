"""Conversion parity judges boxes relatively, class scores absolutely and the decoded detections after NMS: a
correct ONNX export of the suite's trained model (and of random weights) passes, one whose scores moved by 0.05
fails (the former single tolerance, scaled by the largest box coordinate, let 0.05 pass)."""
import numpy as np
import pytest

from registry.conversions.parity import (ParityTolerance, parity_compare, parity_images, parity_inputs)
from tests.ml_fixtures import TINY_IMGSZ

FP32 = ParityTolerance(box_rel=1e-3, score_abs=1e-3)


def _head(rng, imgsz=640, classes=3, anchors=200) -> np.ndarray:
    boxes = rng.random((1, 4, anchors)) * imgsz
    boxes[:, 2:] = 50 + boxes[:, 2:] / 4  # widths and heights of 50-210 px
    scores = rng.random((1, classes, anchors)) * 0.2
    scores[0, 0, :5] = 0.9  # a few confident detections
    return np.concatenate([boxes, scores], axis=1).astype(np.float32)


def test_boxes_are_judged_relatively_and_scores_absolutely():
    reference = _head(np.random.default_rng(0))
    moved_boxes = reference.copy()
    moved_boxes[:, :4] += 0.3  # 0.3 px at 640: within 1e-3 of the box scale
    moved_scores = reference.copy()
    moved_scores[:, 4:] += 0.05

    boxes_ok = parity_compare(reference=[reference], candidate=[moved_boxes], tol=FP32, classes=3)
    scores_bad = parity_compare(reference=[reference], candidate=[moved_scores], tol=FP32, classes=3)

    assert boxes_ok["passed"], boxes_ok.get("detail")
    assert boxes_ok["outputs"][0]["boxes"]["max_abs_diff"] == pytest.approx(0.3, abs=1e-4)
    assert not scores_bad["passed"]
    assert "scores" in scores_bad["detail"] and "detections" in scores_bad["detail"]
    assert scores_bad["outputs"][0]["scores"]["max_abs_diff"] == pytest.approx(0.05, abs=1e-6)
    assert scores_bad["outputs"][0]["detections"]["max_score_diff"] == pytest.approx(0.05, abs=1e-6)


def test_a_detection_that_disappears_fails_on_the_count_above_the_threshold():
    reference = _head(np.random.default_rng(1))
    lost = reference.copy()
    lost[0, 4, 0] = 0.2  # one confident detection falls under 0.25 (its score moves by 0.7)
    result = parity_compare(reference=[reference], candidate=[lost], tol=FP32, classes=3)
    assert not result["passed"] and "detections above 0.25" in result["detail"]
    counts = result["outputs"][0]["detections"]["count_above_conf"]
    assert counts["reference"] == counts["candidate"] + 1


def _exported(weights, tmp_path):
    from registry.conversions.onnx import onnx_export

    return onnx_export(weights=weights, workdir=tmp_path, imgsz=TINY_IMGSZ, opset=None, dynamic=False,
                       simplify=False)


def _outputs(path, module, images):
    from registry.conversions.onnx import onnx_run, torch_run

    reference, candidate = [], []
    for image in images:  # a static export takes one image at a time
        reference.append(torch_run(module=module, images=image[None]))
        candidate.append(onnx_run(path=path, images=image[None]))
    join = lambda runs: [np.concatenate([run[i] for run in runs]) for i in range(len(runs[0]))]  # noqa: E731
    return join(reference), join(candidate)


def _perturbed(outputs, classes):
    moved = [output.copy() for output in outputs]
    moved[0][:, 4:4 + classes] += 0.05
    return moved


@pytest.mark.parametrize("weights_kind", ["trained", "random"])
def test_a_correct_conversion_passes_and_one_with_scores_moved_by_005_fails(weights_kind, tiny_weights,
                                                                             demo_dataset_tree, tmp_path):
    if weights_kind == "trained":
        weights = tiny_weights
    else:
        from ultralytics import YOLO

        weights = tmp_path / "random.pt"
        YOLO("yolov8n.yaml").save(str(weights))  # built from its YAML: no download
    path, module, _ = _exported(weights, tmp_path / "export")
    real = parity_images(root=demo_dataset_tree / "images" / "val", imgsz=TINY_IMGSZ, limit=4)
    images = np.concatenate([parity_inputs(batch=1, imgsz=TINY_IMGSZ), real])
    reference, candidate = _outputs(path, module, images)
    classes = reference[0].shape[1] - 4

    correct = parity_compare(reference=reference, candidate=candidate, tol=FP32, classes=classes)
    wrong = parity_compare(reference=reference, candidate=_perturbed(candidate, classes), tol=FP32, classes=classes)

    assert correct["passed"], correct.get("detail")
    figures = correct["outputs"][0]
    assert figures["scores"]["max_abs_diff"] <= 1e-3 and figures["boxes"]["max_abs_diff"] <= figures["boxes"]["tolerance"]
    if weights_kind == "trained":  # real images make the trained model detect: the matching is not vacuous
        assert figures["detections"]["matched"] > 0 and figures["detections"]["min_iou"] >= 0.9
    assert not wrong["passed"] and "scores" in wrong["detail"]
