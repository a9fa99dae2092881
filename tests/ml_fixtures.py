"""ML fixtures shared by registry, training, inference and benchmark tests: tiny data, a tiny trained model.

The demo dataset is generated (never downloaded); the tiny model is yolov8n built from its YAML and trained
2 epochs at imgsz 64 on it (about 6 s on a CPU): enough for mechanics, conversion and parity checks.
"""
import hashlib
import os
import uuid
from pathlib import Path

import pytest

from tests.environment import RUN_DIR

TINY_IMGSZ = 64


@pytest.fixture(scope="session")
def demo_dataset_tree() -> Path:
    from registry.datasets.demo_data import write_demo_dataset

    target = RUN_DIR / "demo-dataset"
    if not target.exists():
        write_demo_dataset(target, images=32, imgsz=TINY_IMGSZ, seed=0)
    return target


@pytest.fixture(scope="session")
def tiny_weights(demo_dataset_tree) -> Path:
    """best.pt of a yolov8n trained 2 epochs at imgsz 64 on the demo dataset (trained once per session)."""
    os.environ.setdefault("YOLO_CONFIG_DIR", str(RUN_DIR / "ultralytics"))
    from ultralytics import YOLO

    model = YOLO("yolov8n.yaml")
    model.train(data=str(demo_dataset_tree / "data.yaml"), epochs=2, imgsz=TINY_IMGSZ, batch=16, device="cpu",
                plots=False, project=str(RUN_DIR / "runs"), name="tiny", workers=0, verbose=False, amp=False,
                exist_ok=True, seed=0)
    return Path(model.trainer.best)


@pytest.fixture
def demo_dataset(alice, demo_dataset_tree):
    """A Dataset row owned by alice whose files are the demo tree, stored without going through upload."""
    from registry.datasets.archive import dataset_archive_store
    from registry.datasets.demo_data import CLASS_NAMES
    from registry.models import Dataset

    key = uuid.uuid4().hex
    archive, archive_sha256, size = dataset_archive_store(root=demo_dataset_tree)
    images = len(list(demo_dataset_tree.glob("images/*/*.jpg")))
    return Dataset.objects.create(name="demo", version=1, owner=alice, sha256=hashlib.sha256(key.encode()).hexdigest(),
                                  archive=archive, archive_sha256=archive_sha256, size_bytes=size,
                                  class_names=CLASS_NAMES, num_images=images)


@pytest.fixture
def tiny_model(alice, tiny_weights):
    """A PyTorch ModelVersion owned by alice holding the tiny trained weights."""
    from core.storage import artifact_store_file
    from registry.datasets.demo_data import CLASS_NAMES
    from registry.models import ModelVersion

    name, sha256, size = artifact_store_file(path=tiny_weights, kind="models", suffix=".pt")
    return ModelVersion.objects.create(name="tiny", version=1, owner=alice, format="pytorch", source="upload",
                                       class_names=CLASS_NAMES, input_size=TINY_IMGSZ, file=name, file_size=size,
                                       sha256=sha256)
