"""Model presets: ultralytics architectures built offline from their YAML definitions with random initial weights.

Nothing is downloaded: `YOLO("yolov8n.yaml")` builds the network from the YAML that ships inside the ultralytics
package, and the result is saved as a real ultralytics checkpoint (the same format training writes). These models
are untrained: they are for mechanics, conversion and benchmarks, or as a starting point for training.
Every preset here was checked to build offline with ultralytics 8.4 and to pass the safe-loading allowlist.
"""
import os
from pathlib import Path

PRESETS = {
    "yolov8n": "yolov8n.yaml",
    "yolov8s": "yolov8s.yaml",
    "yolov8m": "yolov8m.yaml",
    "yolo11n": "yolo11n.yaml",
    "yolo12n": "yolo12n.yaml",
    "yolo26n": "yolo26n.yaml",
}
PRESET_INPUT_SIZE = 640


class UnknownPreset(ValueError):
    pass


def preset_build(*, preset: str, directory: Path) -> tuple[Path, dict]:
    """Build `preset`, save it as `<directory>/<preset>.pt`; returns the path and its metadata."""
    if preset not in PRESETS:
        raise UnknownPreset(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_AUTOINSTALL", "false")
    from ultralytics import YOLO  # deferred: ultralytics (and its environment set just above)

    # deferred: importing pt_inspect sets ultralytics' offline environment for the whole process
    from .inspection.pt_inspect import describe_checkpoint, resolve_safe_globals

    model = YOLO(PRESETS[preset])
    target = Path(directory) / f"{preset}.pt"
    # train_args as training writes them, so the input size travels with the file
    model.ckpt = {"train_args": {"imgsz": PRESET_INPUT_SIZE, "task": model.task, "model": PRESETS[preset]}}
    model.save(str(target))
    import torch  # deferred: torch

    # our own file, just built: loading it here is safe (and it goes through the same allowlist as uploads)
    with torch.serialization.safe_globals(resolve_safe_globals()):
        ckpt = torch.load(target, map_location="cpu", weights_only=True)
    metadata = describe_checkpoint(ckpt)
    return target, metadata
