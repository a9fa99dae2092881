"""Inference fixtures: the tiny model exported to ONNX, registered versions, and a real pool process."""
import shutil
import sys
import time

import cv2
import pytest

from tests.environment import RUN_DIR
from tests.ml_fixtures import TINY_IMGSZ
from tests.workers import CommandProcess

# A generous window so two concurrent test requests land in one batch even on a busy 2-core machine.
TEST_BATCH_WINDOW_MS = "150"


def _export(weights, *, dynamic: bool):
    from ultralytics import YOLO

    target = RUN_DIR / f"tiny-{'dynamic' if dynamic else 'static'}.onnx"
    if not target.exists():
        exported = YOLO(str(weights)).export(format="onnx", imgsz=TINY_IMGSZ, dynamic=dynamic, simplify=False,
                                             verbose=False)
        shutil.move(exported, target)
    return target


@pytest.fixture(scope="session")
def tiny_onnx(tiny_weights):
    """The tiny model as ONNX with a static 1x3x64x64 input (what ultralytics exports by default)."""
    return _export(tiny_weights, dynamic=False)


@pytest.fixture(scope="session")
def tiny_onnx_dynamic(tiny_weights):
    """The tiny model as ONNX with dynamic batch and size, so the pool can run real batches."""
    return _export(tiny_weights, dynamic=True)


def onnx_version(owner, path, *, name="tiny-onnx", shared=False, parent=None):
    from core.storage import artifact_store_file
    from registry.datasets.demo_data import CLASS_NAMES
    from registry.models import ModelVersion

    stored, sha256, size = artifact_store_file(path=path, kind="models", suffix=".onnx")
    return ModelVersion.objects.create(name=name, version=1, owner=owner, format="onnx", source="conversion",
                                       class_names=CLASS_NAMES, input_size=TINY_IMGSZ, file=stored, file_size=size,
                                       sha256=sha256, shared=shared, parent=parent)


@pytest.fixture
def onnx_model(alice, tiny_onnx):
    return onnx_version(alice, tiny_onnx)


@pytest.fixture
def dynamic_model(alice, tiny_onnx_dynamic):
    return onnx_version(alice, tiny_onnx_dynamic, name="tiny-dynamic")


@pytest.fixture(scope="session")
def test_image(demo_dataset_tree):
    """A non-square JPEG (96x64) made from a demo image, so letterbox padding and box scaling are exercised."""
    source = sorted(demo_dataset_tree.glob("images/*/*.jpg"))[0]
    image = cv2.resize(cv2.imread(str(source)), (96, 64))
    target = RUN_DIR / "inference-test.jpg"
    cv2.imwrite(str(target), image)
    return target


def _pool_ready(pool_id: str):
    from inference import channel

    def ready():
        return channel.channel_redis().exists(channel.pool_key(pool_id))

    return ready


def start_pool(pool_id: str, **env) -> CommandProcess:
    process = CommandProcess(f"pool-{pool_id}", [sys.executable, "manage.py", "inference_pool", "--id", pool_id],
                             env={"INFERENCE_BATCH_WINDOW_MS": TEST_BATCH_WINDOW_MS, "INFERENCE_ORT_THREADS": "1",
                                  "INFERENCE_HEARTBEAT_SECONDS": "0.5", **env})
    return process.start(ready=_pool_ready(pool_id), timeout=60)


@pytest.fixture(scope="session")
def _pool_process(_database_sessions_closed):
    # Stops before the test database is dropped (its connections would block that).
    process = start_pool(f"test-{int(time.time())}")
    yield process
    process.stop()


@pytest.fixture
def inference_pool(_pool_process):
    """A real `manage.py inference_pool` process (one per session), registered before the test starts.

    A test may have stopped pools or cleared registrations; the pool re-registers on its next heartbeat
    (0.5 s here), so wait for it.
    """
    from inference import channel

    if not _pool_process.alive:
        raise RuntimeError(f"the inference pool died: {_pool_process.log_tail()}")
    client = channel.channel_redis()
    deadline = time.monotonic() + 10
    while not client.sismember(channel.POOLS, _pool_process.name.removeprefix("pool-")):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the inference pool did not re-register: {_pool_process.log_tail()}")
        time.sleep(0.05)
    channel._pools_cache.clear()
    return _pool_process
