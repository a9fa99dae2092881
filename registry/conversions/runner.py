"""Conversions inside their job on the gpu worker: export (ONNX) or build (TensorRT), check parity against the
reference, register the result as a new model version with lineage. The web side (request, delete) is in
services.py, like training/services.py and training/runner.py. A benchmark runs `conversion_execute` inside its own
job (benchmarks/sources.py through jobs/inline.py). The libraries that weigh (torch, ultralytics, onnx, onnxruntime,
tensorrt) are imported inside onnx.py's and tensorrt.py's functions, so importing this module costs little.
"""
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from django.conf import settings

from jobs.models import Job, JobState
from jobs.runner import PermanentJobError
from ..datasets.archive import dataset_local
from ..model_versions.inspection.onnx_inspect import onnx_describe
from ..model_versions.selectors import model_file_local
from ..model_versions.services import model_version_register
from ..models import Conversion, ModelFormat, ModelSource, ModelVersion

from .onnx import ConversionError, onnx_check, onnx_export, onnx_run, torch_run
from .parity import ParityTolerance, parity_compare, parity_images, parity_inputs
from .tensorrt import tensorrt_build, tensorrt_missing, tensorrt_run


def parity_tolerance(*, half: bool = False) -> ParityTolerance:
    if half:
        return ParityTolerance(box_rel=settings.CONVERSION_PARITY_ATOL_FP16,
                               score_abs=settings.CONVERSION_PARITY_SCORE_ATOL_FP16,
                               min_iou=settings.CONVERSION_PARITY_MIN_IOU)
    return ParityTolerance(box_rel=settings.CONVERSION_PARITY_ATOL, score_abs=settings.CONVERSION_PARITY_SCORE_ATOL,
                           min_iou=settings.CONVERSION_PARITY_MIN_IOU)


def parity_batch(*, conversion: Conversion, imgsz: int, batch: int):
    """Seeded random inputs plus, when the source names its dataset, a few of its real images (random inputs
    rarely make a trained model detect anything, so only real ones exercise the detections' parity)."""
    images = parity_inputs(batch=batch, imgsz=imgsz, seed=0)
    dataset = conversion.source.dataset
    if dataset is None or not dataset.archive:
        return [images]
    try:
        real = parity_images(root=dataset_local(dataset).held(), imgsz=imgsz, limit=batch)
    except Exception:  # a dataset tree that cannot be read does not fail the conversion: random inputs remain
        real = None
    return [images] if real is None or len(real) != batch else [images, np.ascontiguousarray(real)]


SCRATCH_PREFIX = "convert-job"


def conversion_execute(*, ctx) -> dict:
    """The body of the `registry.convert` job: dispatch on the target, register the result."""
    conversion = Conversion.objects.select_related("source", "source__owner").get(job_id=ctx.job_id)
    scratch_sweep_abandoned()
    scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{ctx.job_id}-", dir=scratch_root()))
    try:
        if conversion.target == ModelFormat.ONNX:
            return _convert_to_onnx(ctx=ctx, conversion=conversion, scratch=scratch)
        if conversion.target == ModelFormat.TENSORRT:
            return _convert_to_tensorrt(ctx=ctx, conversion=conversion, scratch=scratch)
        raise PermanentJobError(f"unknown conversion target {conversion.target!r}")
    except ConversionError as exc:
        raise PermanentJobError(str(exc)) from exc
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def scratch_root() -> Path:
    """This deployment's conversion scratch space (under SCRATCH_ROOT, not the shared system temp dir)."""
    root = Path(settings.SCRATCH_ROOT) / "conversions"
    root.mkdir(parents=True, exist_ok=True)
    return root


def scratch_sweep_abandoned() -> list[Path]:
    """Remove the scratch directories of conversion jobs that have ended: a child killed mid-conversion (SIGKILL,
    out of memory) never ran its `finally`. Directories of queued or running jobs are left alone."""
    root = scratch_root()
    found = {}
    for path in root.glob(f"{SCRATCH_PREFIX}*-*"):
        job_id = path.name.removeprefix(SCRATCH_PREFIX).split("-", 1)[0]
        if job_id.isdigit() and path.is_dir():
            found.setdefault(int(job_id), []).append(path)
    live = set(Job.objects.filter(pk__in=found, state__in=[JobState.QUEUED, JobState.RUNNING])
               .values_list("pk", flat=True))
    removed = [path for job_id, paths in found.items() if job_id not in live for path in paths]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed


def _register(*, ctx, conversion: Conversion, path: Path, format: str, imgsz: int, metadata: dict) -> ModelVersion:
    source = conversion.source
    # A conversion run inside a benchmark belongs to the user who benchmarked (who may be benchmarking someone
    # else's shared model): it counts in their registry and quota, not the model owner's. A requested conversion
    # needs the right to modify the source, so its result stays with the source's owner.
    owner = ctx.job.owner if (ctx.params or {}).get("inline_in_job") else source.owner
    result = model_version_register(
        owner=owner, name=source.name, format=format, source=ModelSource.CONVERSION, path=path,
        shared=source.shared and owner.pk == source.owner_id, task=source.task, class_names=source.class_names,
        input_size=imgsz,
        parameters=source.parameters, gflops=source.gflops if imgsz == source.input_size else None,
        metadata=metadata, parent=source, dataset=source.dataset, job=ctx.job,
        hyperparameters=source.hyperparameters)
    Conversion.objects.filter(pk=conversion.pk).update(result=result)
    return result


def _parity_or_fail(ctx, parity: dict, what: str) -> None:
    ctx.partial_result = {"parity": parity}
    if not parity.get("passed"):
        detail = parity.get("detail") or "outputs differ"
        raise PermanentJobError(f"the {what} does not match PyTorch closely enough: {detail}")


def _parity_runs(*, conversion: Conversion, imgsz: int, batch: int, reference, candidate, half: bool) -> dict:
    """Parity on random inputs and (when there are) real images, outputs concatenated along the batch."""
    batches = parity_batch(conversion=conversion, imgsz=imgsz, batch=batch)
    ref_runs = [reference(images) for images in batches]
    got_runs = [candidate(images) for images in batches]
    join = lambda runs: [np.concatenate([run[i] for run in runs]) for i in range(len(runs[0]))]  # noqa: E731
    parity = parity_compare(reference=join(ref_runs), candidate=join(got_runs), tol=parity_tolerance(half=half),
                            classes=len(conversion.source.class_names or []) or None)
    parity.update(batch=batch, real_images=len(batches) > 1)
    return parity


def _convert_to_onnx(*, ctx, conversion: Conversion, scratch: Path) -> dict:
    options = conversion.options
    imgsz = options["imgsz"]
    ctx.progress(0.05, "exporting to ONNX")
    path, module, seconds = onnx_export(weights=model_file_local(conversion.source).held(), workdir=scratch,
                                        imgsz=imgsz, opset=options.get("opset"), dynamic=options.get("dynamic", False),
                                        simplify=options.get("simplify", True))
    ctx.checkpoint()
    ctx.progress(0.6, "checking the ONNX model")
    onnx_check(path=path)
    described = onnx_describe(path=path)
    ctx.progress(0.7, "comparing ONNX Runtime with PyTorch")
    if module is None:
        raise PermanentJobError("the exporter did not expose its PyTorch model; parity cannot be checked")
    parity = _parity_runs(conversion=conversion, imgsz=imgsz, batch=2 if options.get("dynamic") else 1,
                          reference=lambda images: torch_run(module=module, images=images),
                          candidate=lambda images: onnx_run(path=path, images=images), half=False)
    _parity_or_fail(ctx, parity, "ONNX model")
    ctx.checkpoint()
    metadata = {key: described[key] for key in ("opset", "ir_version", "producer", "inputs", "outputs", "dynamic",
                                                "ultralytics_version")}
    metadata.update(conversion_options=options, parity=parity, export_seconds=round(seconds, 3))
    result = _register(ctx=ctx, conversion=conversion, path=path, format=ModelFormat.ONNX, imgsz=imgsz,
                       metadata=metadata)
    return {"model_id": result.pk, "conversion_id": conversion.pk, "parity": parity,
            "export_seconds": round(seconds, 3), "opset": described["opset"]}


def _onnx_for_tensorrt(*, ctx, conversion: Conversion, scratch: Path) -> tuple[Path, dict]:
    """The ONNX to build from: the source itself, an earlier static ONNX conversion of it, or a fresh export."""
    source, imgsz = conversion.source, conversion.options["imgsz"]
    if source.format == ModelFormat.ONNX:
        return model_file_local(source).held(), {"onnx_from": "source", "onnx_model_id": source.pk}
    earlier = (Conversion.objects.filter(source=source, target=ModelFormat.ONNX, job__state=JobState.SUCCEEDED,
                                         result__isnull=False, options__imgsz=imgsz, options__dynamic=False)
               .select_related("result").order_by("-created_at").first())
    if earlier is not None:
        return model_file_local(earlier.result).held(), {"onnx_from": "conversion", "onnx_model_id": earlier.result_id}
    ctx.progress(0.05, "exporting to ONNX for TensorRT")
    path, _, seconds = onnx_export(weights=model_file_local(source).held(), workdir=scratch, imgsz=imgsz, opset=None,
                                   dynamic=False, simplify=True)
    onnx_check(path=path)
    return path, {"onnx_from": "export", "export_seconds": round(seconds, 3)}


def _convert_to_tensorrt(*, ctx, conversion: Conversion, scratch: Path) -> dict:
    missing = tensorrt_missing()
    if missing:  # before any work: this worker can never do it
        raise PermanentJobError(f"TensorRT conversion is unavailable: {' and '.join(missing)}.")
    options = conversion.options
    imgsz, half = options["imgsz"], options.get("half", True)
    onnx_path, origin = _onnx_for_tensorrt(ctx=ctx, conversion=conversion, scratch=scratch)
    ctx.checkpoint()
    ctx.progress(0.3, f"building a TensorRT {'FP16' if half else 'FP32'} engine")
    engine_path = scratch / "model.engine"
    started = time.monotonic()
    facts = tensorrt_build(onnx_path=onnx_path, engine_path=engine_path, half=half,
                           workspace_gb=options.get("workspace_gb", 4), imgsz=imgsz)
    ctx.checkpoint()
    ctx.progress(0.85, "comparing TensorRT with ONNX Runtime")
    input_name = facts["inputs"][0]["name"]

    def engine_outputs(images):
        outputs = tensorrt_run(engine_path=engine_path, inputs={input_name: images})
        return [outputs[o["name"]] for o in facts["outputs"]]

    parity = _parity_runs(conversion=conversion, imgsz=imgsz, batch=1, half=half or facts["precision"] != "fp32",
                          reference=lambda images: onnx_run(path=onnx_path, images=images), candidate=engine_outputs)
    parity["reference"] = "onnxruntime-cpu"
    _parity_or_fail(ctx, parity, "TensorRT engine")
    metadata = {**facts, **origin, "conversion_options": options, "parity": parity}
    result = _register(ctx=ctx, conversion=conversion, path=engine_path, format=ModelFormat.TENSORRT, imgsz=imgsz,
                       metadata=metadata)
    return {"model_id": result.pk, "conversion_id": conversion.pk, "parity": parity,
            "build_seconds": facts["build_seconds"], "total_seconds": round(time.monotonic() - started, 3),
            "precision": facts["precision"], "gpu": facts["gpu"]}
