"""Inspect an untrusted ultralytics `.pt` checkpoint; meant to run in a sandboxed subprocess (see sandbox.py).

Usage: `python -m registry.model_versions.inspection.pt_inspect <path>`. Prints one JSON object on stdout:
`{"ok": true, "metadata": {...}}` or `{"ok": false, "error": "...", "kind": "..."}` (exit status 2).

The checkpoint is loaded with `torch.load(weights_only=True)`: the restricted unpickler only builds tensors,
containers and the classes in SAFE_GLOBALS, so a pickle that reaches for `os.system`, `builtins.eval`,
`subprocess.Popen`... is refused before anything runs. SAFE_GLOBALS is the smallest set that the detection
checkpoints of this ultralytics version need (discovered with `torch.serialization.get_unsafe_globals_in_checkpoint`
on checkpoints trained here and on every preset), plus IterableSimpleNamespace which checkpoints written before
ultralytics stripped `model.args` to a dict still hold. Django-free on purpose.
"""
import importlib
import json
import os
import pickle
import sys

# Must be set before ultralytics is imported: no pip installs, no network, no settings sync.
os.environ.setdefault("YOLO_AUTOINSTALL", "false")
os.environ.setdefault("YOLO_OFFLINE", "1")

SAFE_GLOBALS = (
    # ultralytics detection models: YOLOv8, YOLO11, YOLO12, YOLO26
    "ultralytics.nn.tasks.DetectionModel",
    "ultralytics.nn.modules.conv.Conv",
    "ultralytics.nn.modules.conv.DWConv",
    "ultralytics.nn.modules.conv.Concat",
    "ultralytics.nn.modules.block.C2f",
    "ultralytics.nn.modules.block.C3k",
    "ultralytics.nn.modules.block.C3k2",
    "ultralytics.nn.modules.block.C2PSA",
    "ultralytics.nn.modules.block.PSABlock",
    "ultralytics.nn.modules.block.Attention",
    "ultralytics.nn.modules.block.A2C2f",
    "ultralytics.nn.modules.block.ABlock",
    "ultralytics.nn.modules.block.AAttn",
    "ultralytics.nn.modules.block.Bottleneck",
    "ultralytics.nn.modules.block.SPPF",
    "ultralytics.nn.modules.block.DFL",
    "ultralytics.nn.modules.head.Detect",
    "ultralytics.utils.IterableSimpleNamespace",
    # torch.nn building blocks those modules hold
    "torch.nn.modules.conv.Conv2d",
    "torch.nn.modules.batchnorm.BatchNorm2d",
    "torch.nn.modules.activation.SiLU",
    "torch.nn.modules.upsampling.Upsample",
    "torch.nn.modules.pooling.MaxPool2d",
    "torch.nn.modules.container.ModuleList",
    "torch.nn.modules.container.Sequential",
    "torch.nn.modules.linear.Identity",
)


class InspectionFailed(Exception):
    def __init__(self, message: str, kind: str = "invalid"):
        super().__init__(message)
        self.kind = kind


def resolve_safe_globals() -> list:
    objects = []
    for dotted in SAFE_GLOBALS:
        module, _, name = dotted.rpartition(".")
        objects.append(getattr(importlib.import_module(module), name))
    return objects


def _disallowed_globals(path: str) -> list[str]:
    """Globals in a zip checkpoint outside torch's defaults and SAFE_GLOBALS, read statically (nothing runs)."""
    import torch  # deferred: torch

    with torch.serialization.safe_globals(resolve_safe_globals()):
        try:
            return sorted(set(torch.serialization.get_unsafe_globals_in_checkpoint(path)))
        except Exception:  # legacy (non-zip) format: the restricted unpickler below names the global instead
            return []


def load_checkpoint(path: str):
    import torch  # deferred: torch

    disallowed = _disallowed_globals(path)
    if disallowed:
        raise InspectionFailed(
            f"the checkpoint refers to {', '.join(disallowed)}, which safe loading does not allow "
            f"(only ultralytics detection-model classes and torch.nn layers are accepted)", "disallowed_global")
    try:
        with torch.serialization.safe_globals(resolve_safe_globals()):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        text = str(exc)
        marker = "Unsupported global: GLOBAL "
        if marker in text:
            name = text.split(marker, 1)[1].split()[0]
            raise InspectionFailed(f"the checkpoint refers to {name}, which safe loading does not allow "
                                   f"(only ultralytics detection-model classes and torch.nn layers are accepted)",
                                   "disallowed_global") from None
        raise InspectionFailed(f"the file could not be loaded safely: {text.splitlines()[0][:300]}") from None
    except Exception as exc:
        raise InspectionFailed(f"the file is not a readable PyTorch checkpoint ({type(exc).__name__}: "
                               f"{str(exc).splitlines()[0][:300] if str(exc) else 'no detail'})") from None


def _as_dict(value) -> dict:
    if isinstance(value, dict):
        return value
    return dict(vars(value)) if hasattr(value, "__dict__") else {}


def describe_checkpoint(ckpt) -> dict:
    """Metadata of a loaded ultralytics checkpoint dict (also used on trusted, freshly built presets)."""
    import torch  # deferred: torch

    if not isinstance(ckpt, dict):
        raise InspectionFailed(f"the checkpoint holds a {type(ckpt).__name__}, not an ultralytics checkpoint "
                               f"dictionary with a 'model' entry")
    model = ckpt.get("ema") or ckpt.get("model")
    if not isinstance(model, torch.nn.Module):
        if ckpt and all(isinstance(v, torch.Tensor) for v in ckpt.values()):
            raise InspectionFailed("the file is a plain state_dict (tensors only) without a model: upload a full "
                                   "ultralytics checkpoint as written by training or YOLO(...).save()",
                                   "state_dict")
        raise InspectionFailed("the checkpoint has no 'model' entry holding an ultralytics model", "no_model")
    from ultralytics.nn.tasks import guess_model_task  # deferred: ultralytics
    from ultralytics.utils.torch_utils import get_flops  # deferred: ultralytics

    model = model.float().eval()
    train_args = _as_dict(ckpt.get("train_args") or {})
    model_args = _as_dict(getattr(model, "args", None) or {})
    imgsz = train_args.get("imgsz") or model_args.get("imgsz")
    if isinstance(imgsz, (list, tuple)):
        imgsz = max(imgsz) if imgsz else None
    imgsz = int(imgsz) if isinstance(imgsz, (int, float)) and imgsz > 0 else None
    names = getattr(model, "names", None) or {}
    class_names = [str(names[k]) for k in sorted(names)] if isinstance(names, dict) else [str(n) for n in names]
    try:
        task = getattr(model, "task", None) or guess_model_task(model)
    except Exception:
        task = "detect"
    try:
        gflops = round(float(get_flops(model, imgsz or 640)), 3) or None
    except Exception:
        gflops = None
    stride = getattr(model, "stride", None)
    data = train_args.get("data")
    return {
        "task": str(task),
        "class_names": class_names,
        "input_size": imgsz,
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "gflops": gflops,
        "gflops_imgsz": imgsz or 640,
        "ultralytics_version": ckpt.get("version"),
        "architecture": type(model).__name__,
        "yaml_file": str((getattr(model, "yaml", None) or {}).get("yaml_file", "")),
        "stride": int(stride.max()) if isinstance(stride, torch.Tensor) and stride.numel() else None,
        "epoch": ckpt.get("epoch") if isinstance(ckpt.get("epoch"), int) else None,
        "date": ckpt.get("date") if isinstance(ckpt.get("date"), str) else None,
        "trained_on": os.path.basename(str(data)) if data else None,
    }


def inspect(path: str) -> dict:
    if not os.path.isfile(path):
        raise InspectionFailed("no such file")
    return describe_checkpoint(load_checkpoint(path))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(json.dumps({"ok": False, "error": "usage: pt_inspect <path>", "kind": "usage"}))
        return 2
    out = sys.stdout
    sys.stdout = sys.stderr  # library chatter must not corrupt the one JSON line on stdout
    try:
        answer, code = {"ok": True, "metadata": inspect(argv[0])}, 0
    except InspectionFailed as exc:
        answer, code = {"ok": False, "error": str(exc), "kind": exc.kind}, 2
    except MemoryError:
        answer, code = {"ok": False, "error": "the checkpoint needs more memory than inspection allows",
                        "kind": "resources"}, 2
    out.write(json.dumps(answer) + "\n")
    out.flush()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
