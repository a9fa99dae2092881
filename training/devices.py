"""Which device a training job uses, and the ultralytics environment a gpu worker needs (offline, writable).

With several GPUs each pool slot of the gpu worker (`-c 2`) trains on its own device: billiard numbers the pool's
child processes 0..c-1 and gives a replacement child the index its predecessor freed (also with
`--max-tasks-per-child 1`), so slot i uses `cuda:(i % device_count)`. One GPU: both slots share `cuda:0`.
TRAINING_DEVICE (e.g. `cpu`, `0`) overrides the choice for the whole worker.
"""
import importlib
import os
import tempfile
from pathlib import Path

import numpy as np
from billiard.process import current_process
from django.conf import settings


def prepare_ultralytics_environment() -> None:
    """Set before ultralytics is imported: no downloads, settings in a writable folder, no telemetry."""
    os.environ.setdefault("YOLO_OFFLINE", "1")
    config_dir = Path(os.environ.setdefault("YOLO_CONFIG_DIR", str(Path(settings.VAR_DIR) / "ultralytics")))
    config_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("YOLO_VERBOSE", "False")


# What a training run imports lazily on its first call (measured: ~1,500 modules, 2-4 s on 2 CPU cores). A gpu
# worker imports them once in its parent, so every fresh child (--max-tasks-per-child 1) starts with them loaded.
PRELOAD_MODULES = (
    "torch", "torchvision", "torchvision.ops", "torch._dynamo", "torch.distributed", "torch.onnx", "polars",
    "matplotlib", "matplotlib.pyplot", "sympy", "requests", "thop", "ultralytics", "ultralytics.engine.trainer",
    "ultralytics.engine.exporter", "ultralytics.data.build", "ultralytics.data.augment",
    "ultralytics.models.yolo.detect", "ultralytics.utils.loss", "ultralytics.utils.metrics",
    "ultralytics.utils.callbacks.base", "ultralytics.utils.callbacks.platform", "ultralytics.utils.events",
)


def preload_training_modules() -> list[str]:
    """Import PRELOAD_MODULES (no CUDA initialisation, no torch ops); returns the ones that failed."""
    prepare_ultralytics_environment()
    os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")  # an incidental availability check must not init CUDA
    os.environ.setdefault("MPLBACKEND", "Agg")
    failed = []
    for name in PRELOAD_MODULES:
        try:
            importlib.import_module(name)
        except Exception:
            failed.append(name)
    return failed


def pool_slot_index() -> int:
    try:
        return int(getattr(current_process(), "index", 0) or 0)
    except Exception:  # not inside a billiard pool (eager mode, a benchmark calling in-process)
        return 0


def choose_device() -> str:
    """`cpu`, or the CUDA device index as a string (ultralytics' `device=` syntax)."""
    forced = settings.TRAINING_DEVICE.strip()
    if forced:
        return forced
    import torch  # deferred: torch

    if not torch.cuda.is_available():
        return "cpu"
    return str(pool_slot_index() % max(torch.cuda.device_count(), 1))


def device_label(device: str) -> str:
    return "cpu" if device == "cpu" else f"cuda:{device}"


def dataloader_workers(device: str) -> int:
    """0 on the CPU (the loader would compete with training for the same cores); a few on a GPU."""
    configured = settings.TRAINING_DATALOADER_WORKERS
    if configured is not None:
        return configured
    if device == "cpu":
        return 0
    return max(min(4, (os.cpu_count() or 2) // 4), 1)


def save_dataset_cache_atomically(prefix: str, path: Path, x: dict, version: str) -> None:
    """ultralytics' `save_dataset_cache_file`, safe for two jobs training on one dataset at once (two gpu slots, a
    search's individuals): ultralytics checks for the file, unlinks it and rewrites it in place, so a second run
    doing the same raced it ("No such file or directory: .../labels/train.cache") or read it half-written. Here the
    cache is written to a file of this process's own and renamed over the old one in one atomic step."""
    x["version"] = version
    try:
        handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False)
    except OSError:
        return  # a read-only dataset folder: ultralytics trains without the cache, as it does itself
    try:
        with handle:
            np.save(handle, x)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
