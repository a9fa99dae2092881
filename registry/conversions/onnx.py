"""ONNX export of a registered ultralytics checkpoint, the ONNX checker, and parity against PyTorch.

Runs in a GPU-queue worker on checkpoints that already passed the sandboxed inspection at upload; ultralytics
loads them with `YOLO(path)`. The export works on a copy in a scratch directory because ultralytics writes
the `.onnx` next to its source file.
"""
import os
import shutil
import time
from pathlib import Path

os.environ.setdefault("YOLO_AUTOINSTALL", "false")
os.environ.setdefault("YOLO_OFFLINE", "1")


class ConversionError(Exception):
    """A conversion failed for a reason the user should read."""


def onnx_export(*, weights: Path, workdir: Path, imgsz: int, opset: int | None, dynamic: bool,
                simplify: bool) -> tuple[Path, object, float]:
    """Export `weights` to ONNX in `workdir`; returns (onnx path, the prepared PyTorch module, seconds).

    The prepared module is the exporter's own: fused, eval mode, its Detect head in export mode, exactly what
    went into torch.onnx, so the parity check compares like with like.
    """
    from ultralytics import YOLO  # deferred: ultralytics

    workdir.mkdir(parents=True, exist_ok=True)
    local = workdir / "source.pt"
    shutil.copyfile(weights, local)
    model = YOLO(str(local))
    captured = {}
    model.add_callback("on_export_end", lambda exporter: captured.setdefault("model", exporter.model))
    started = time.monotonic()
    try:
        output = model.export(format="onnx", imgsz=imgsz, opset=opset, dynamic=dynamic, simplify=simplify,
                              batch=1, device="cpu", verbose=False)
    except Exception as exc:
        raise ConversionError(f"the ONNX export failed: {type(exc).__name__}: {str(exc)[:500]}") from exc
    seconds = time.monotonic() - started
    if not output or not Path(output).is_file():
        raise ConversionError("the ONNX export produced no file")
    return Path(output), captured.get("model"), seconds


def onnx_check(*, path: Path) -> None:
    import onnx  # deferred: onnx

    try:
        onnx.checker.check_model(str(path))
    except Exception as exc:
        raise ConversionError(f"the ONNX checker rejected the exported model: {str(exc)[:500]}") from exc


def onnx_run(*, path: Path, images) -> list:
    """Outputs of ONNX Runtime (CPU) for `images` (N, C, H, W float32), in the graph's output order."""
    import onnxruntime as ort  # deferred: onnxruntime

    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: images})


def torch_run(*, module, images) -> list:
    """Outputs of the prepared PyTorch module for the same images, flattened to a list of arrays."""
    import torch  # deferred: torch

    with torch.inference_mode():
        output = module(torch.from_numpy(images))
    flat = []

    def collect(value):
        if isinstance(value, torch.Tensor):
            flat.append(value.detach().float().cpu().numpy())
        elif isinstance(value, (list, tuple)):
            for item in value:
                collect(item)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)

    collect(output)
    return flat
