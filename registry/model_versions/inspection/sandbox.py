"""Run pt_inspect and onnx_load on an untrusted file in a child with limits: time, memory, CPU, a bare environment.

The child gets no secrets (a minimal environment, not the web process's), a scratch working directory, no
GPU, ultralytics' auto-install and network use off, and rlimits on address space, CPU seconds, file size and
core dumps; the parent waits with a wall-clock timeout and kills it past that. Even if an exploit slipped past
the restricted unpickler it would run here, not in the web process.
"""
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings

from .onnx_inspect import OnnxInspectionError

PROJECT_ROOT = Path(__file__).resolve().parents[3]


class PtInspectionError(Exception):
    """The checkpoint was refused; the message is meant for the uploader."""

    def __init__(self, message: str, kind: str = "invalid"):
        super().__init__(message)
        self.kind = kind


def _limits(memory_bytes: int, cpu_seconds: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024 * 1024, 64 * 1024 * 1024))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.setsid()  # its own session: a timeout kill cannot reach the web process's group

    return apply


def _child_env(scratch: Path) -> dict:
    return {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(PROJECT_ROOT),
        "HOME": str(scratch),
        "TMPDIR": str(scratch),
        "YOLO_CONFIG_DIR": str(scratch / "ultralytics"),
        "YOLO_OFFLINE": "1",
        "YOLO_AUTOINSTALL": "false",
        "CUDA_VISIBLE_DEVICES": "",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "LANG": "C.UTF-8",
    }


def _run_child(*, argv: list[str], memory: int, timeout: int):
    """Run `python -P -m <argv>` in the sandbox; (last JSON line of stdout as a dict or None, CompletedProcess).
    subprocess.TimeoutExpired past `timeout`."""
    scratch = Path(tempfile.mkdtemp(prefix="inspect-"))
    try:
        # -P: the scratch cwd is not put on sys.path, so nothing there can shadow a module
        completed = subprocess.run(
            [sys.executable, "-P", "-m", *argv],
            cwd=scratch, env=_child_env(scratch), stdin=subprocess.DEVNULL, capture_output=True,
            timeout=timeout, preexec_fn=_limits(memory, timeout), close_fds=True,
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    lines = completed.stdout.decode("utf-8", "replace").strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else None
    except ValueError:
        answer = None
    return (answer if isinstance(answer, dict) else None), completed


def pt_inspect_in_subprocess(*, path: Path) -> dict:
    """Metadata of the checkpoint at `path` (see pt_inspect.describe_checkpoint) or PtInspectionError."""
    timeout = int(settings.MODEL_INSPECT_TIMEOUT_SECONDS)  # whole seconds: it is also the CPU rlimit
    # torch alone maps ~3.5 GB of address space; then room for a copy of the weights and the float32 model.
    memory = (settings.MODEL_INSPECT_MEMORY_MB * 1024 * 1024
              + 4 * path.stat().st_size)
    try:
        answer, completed = _run_child(argv=["registry.model_versions.inspection.pt_inspect", str(Path(path).resolve())],
                                       memory=memory, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise PtInspectionError(f"inspecting the checkpoint took longer than {timeout} s", "timeout") from None
    if answer is None:
        reason = f"signal {-completed.returncode}" if completed.returncode < 0 else f"status {completed.returncode}"
        stderr_tail = completed.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        if "MemoryError" in stderr_tail[0] or completed.returncode == -9:
            raise PtInspectionError("the checkpoint needs more memory than inspection allows", "resources")
        raise PtInspectionError(f"the checkpoint inspector stopped without an answer ({reason}): "
                                f"{stderr_tail[0][:300]}", "crashed")
    if not answer.get("ok"):
        raise PtInspectionError(answer.get("error") or "the checkpoint was refused", answer.get("kind", "invalid"))
    return answer["metadata"]


def onnx_load_in_subprocess(*, path: Path, imgsz: int) -> None:
    """Load the `.onnx` at `path` with ONNX Runtime and run it once on zeros in the sandbox (onnx_load.py), under
    MODEL_ONNX_INSPECT_MEMORY_MB of address space; OnnxInspectionError naming why it cannot be served."""
    timeout = int(settings.MODEL_INSPECT_TIMEOUT_SECONDS)
    memory = settings.MODEL_ONNX_INSPECT_MEMORY_MB * 1024 * 1024 + 4 * path.stat().st_size
    try:
        answer, completed = _run_child(argv=["registry.model_versions.inspection.onnx_load", str(Path(path).resolve()),
                                             str(imgsz)], memory=memory, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise OnnxInspectionError(f"loading the model took longer than {timeout} s") from None
    if answer is None:  # killed, or died before it could answer: an allocation past the rlimit usually
        reason = f"signal {-completed.returncode}" if completed.returncode < 0 else f"status {completed.returncode}"
        raise OnnxInspectionError(f"loading the model with ONNX Runtime failed ({reason}): it needs more memory "
                                  f"than inspection allows ({settings.MODEL_ONNX_INSPECT_MEMORY_MB} MB) or crashed")
    if not answer.get("ok"):
        raise OnnxInspectionError(answer.get("error") or "ONNX Runtime refused the model")
