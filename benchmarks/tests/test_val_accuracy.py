"""A benchmark's mAP equals what ultralytics' `val` reports for the same weights: val's canvases (long side to
imgsz, rectangular batches by aspect ratio, padded to stride + 0.5) are reproduced pixel for pixel, and the mAP of
the suite's trained model under that protocol equals `YOLO(weights).val()` within 0.005. Before, every image was
letterboxed square at imgsz, which val never does (a square 64 px image is validated on a 96 px canvas)."""
import shutil

import cv2
import numpy as np
import pytest

from benchmarks.accuracy import engine_map, validation_samples
from benchmarks.val_letterbox import val_preprocess, val_shapes
from registry.datasets.demo_data import CLASS_NAMES, write_demo_dataset
from tests.ml_fixtures import TINY_IMGSZ


@pytest.fixture
def mixed_aspect_tree(tmp_path):
    """The demo data with some images stretched wide and some tall (labels are normalised: they stay right)."""
    root = write_demo_dataset(tmp_path / "mixed", images=16, imgsz=TINY_IMGSZ, seed=7)
    for index, path in enumerate(sorted((root / "images" / "val").glob("*.jpg")) +
                                 sorted((root / "images" / "train").glob("*.jpg"))):
        size = [(96, 48), (40, 80), (64, 64)][index % 3]  # (w, h)
        cv2.imwrite(str(path), cv2.resize(cv2.imread(str(path)), size, interpolation=cv2.INTER_LINEAR))
    (root / "data.yaml").write_text((root / "data.yaml").read_text().replace("val: images/val", "val: images/train"))
    return root


def test_the_val_canvases_are_ultralytics_val_loaders_pixel_for_pixel(mixed_aspect_tree):
    from ultralytics.cfg import get_cfg
    from ultralytics.data.dataset import YOLODataset

    dataset = YOLODataset(img_path=str(mixed_aspect_tree / "images" / "train"), imgsz=TINY_IMGSZ, batch_size=32,
                          augment=False, hyp=get_cfg(), rect=True, stride=32, pad=0.5, cache=False, prefix="",
                          data={"names": dict(enumerate(CLASS_NAMES)), "channels": 3})
    files = list(dataset.im_files)
    images = [cv2.imread(f) for f in files]
    shapes = val_shapes([image.shape[:2] for image in images], TINY_IMGSZ)
    assert len(set(shapes)) > 1 or len(files) <= 32  # mixed aspect ratios, and still one batch of 32
    for index, image in enumerate(images):
        theirs = dataset[index]["img"].numpy()  # (3, H, W) uint8 RGB
        ours, _, _ = val_preprocess(image, imgsz=TINY_IMGSZ, shape=shapes[index])
        assert ours.shape[2:] == theirs.shape[1:], (files[index], ours.shape, theirs.shape)
        assert np.array_equal(np.round(ours[0] * 255).astype(np.uint8), theirs), files[index]


def test_the_benchmark_map_of_the_trained_model_equals_ultralytics_val(tiny_weights, demo_dataset_tree, tmp_path):
    from ultralytics import YOLO

    from inference.engines import PytorchCpuEngine

    tree = tmp_path / "tree"
    shutil.copytree(demo_dataset_tree, tree)
    theirs = YOLO(str(tiny_weights)).val(data=str(tree / "data.yaml"), imgsz=TINY_IMGSZ, batch=32, device="cpu",
                                         plots=False, verbose=False, workers=0, project=str(tmp_path), name="val")
    engine = PytorchCpuEngine().load(tiny_weights)
    ours = engine_map(engine=engine, samples=validation_samples(dataset_root=tree), imgsz=TINY_IMGSZ, protocol="val")
    assert ours["map50_95"] == pytest.approx(float(theirs.box.map), abs=0.005)
    assert ours["map50"] == pytest.approx(float(theirs.box.map50), abs=0.005)
    assert "ultralytics val" in ours["protocol"]
