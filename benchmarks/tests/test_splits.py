"""mAP and INT8 calibration read the splits data.yaml names (not a hard-coded images/val), and calibration never
uses an image accuracy is measured on: it refuses when nothing else is left, and records the files it used."""
import shutil

import pytest

from benchmarks.accuracy import validation_samples
from benchmarks.splits import calibration_set
from registry.datasets.demo_data import CLASS_NAMES, write_demo_dataset


def _names() -> str:
    return "names:\n" + "\n".join(f"  {i}: {name}" for i, name in enumerate(CLASS_NAMES)) + "\n"


@pytest.fixture
def roboflow_layout(tmp_path):
    """The layout Roboflow exports: train/images, valid/images, labels beside them."""
    demo = write_demo_dataset(tmp_path / "demo", images=12, imgsz=64, seed=3)
    root = tmp_path / "roboflow"
    for split, target in (("train", "train"), ("val", "valid")):
        shutil.copytree(demo / "images" / split, root / target / "images")
        shutil.copytree(demo / "labels" / split, root / target / "labels")
    (root / "data.yaml").write_text(f"train: train/images\nval: valid/images\nnc: {len(CLASS_NAMES)}\n{_names()}")
    return root


def test_map_reads_the_val_split_data_yaml_names(roboflow_layout):
    samples = validation_samples(dataset_root=roboflow_layout)
    assert len(samples) == 3 and all(path.parent == roboflow_layout / "valid" / "images" for path, _ in samples)
    assert all(len(labels) > 0 for _, labels in samples)  # labels found by ultralytics' images -> labels rule


def test_calibration_uses_the_train_split_and_records_its_files(roboflow_layout):
    from benchmarks.quantize import quantize_int8  # noqa: F401  (the caller; its metadata lists the files)

    found = calibration_set(roboflow_layout, limit=32)
    assert found["split"] == "train" and len(found["images"]) == 9 and found["excluded"] == 0
    assert all(path.parent == roboflow_layout / "train" / "images" for path in found["images"])


def test_calibration_refuses_when_train_is_the_validation_split(tmp_path):
    root = write_demo_dataset(tmp_path / "same", images=8, imgsz=64, seed=4)
    (root / "data.yaml").write_text(f"train: images/val\nval: images/val\nnc: {len(CLASS_NAMES)}\n{_names()}")
    assert calibration_set(root, limit=32)["images"] == []


def test_copies_of_validation_images_in_train_are_not_calibrated_on(tmp_path):
    root = write_demo_dataset(tmp_path / "copies", images=8, imgsz=64, seed=5)
    copied = sorted((root / "images" / "val").glob("*.jpg"))[0]
    shutil.copy(copied, root / "images" / "train" / "copy-of-val.jpg")
    found = calibration_set(root, limit=32)
    assert found["excluded"] == 1 and all(p.name != "copy-of-val.jpg" for p in found["images"])


def test_an_int8_quantization_with_nothing_left_to_calibrate_on_is_refused(tmp_path):
    from benchmarks.quantize import CalibrationRefused, quantize_int8

    root = write_demo_dataset(tmp_path / "same", images=8, imgsz=64, seed=6)
    (root / "data.yaml").write_text(f"train: images/val\nval: images/val\nnc: {len(CLASS_NAMES)}\n{_names()}")
    with pytest.raises(CalibrationRefused, match="outside the split accuracy is measured on"):
        quantize_int8(source=tmp_path / "unused.onnx", target=tmp_path / "int8.onnx", dataset_root=root, imgsz=64)
