"""The model version each engine variant runs, reusing conversions that exist and making those that do not.

Inside a benchmark job the conversions run inline (a gpu job waiting for another gpu job to get the other slot
could wait forever): each is still a registry Conversion with its own Job and history, run by the job runner
(jobs/inline.py) on the registry's own `conversion_execute`, so it is found and reused by later conversion requests
and benchmarks, and carries the registry's parity check. The INT8 variant is a child version of the FP32 ONNX
(source "conversion", metadata `quantization: int8` and the calibration dataset), reused on the next benchmark with
the same dataset.
"""
import shutil
import tempfile
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.db.models import Q

from jobs.inline import job_run_inline
from jobs.models import Job, JobKind, JobState
from jobs.runner import JobCancelled
from registry.conversions.runner import conversion_execute
from registry.conversions.services import conversion_options_key
from registry.conversions.tensorrt import tensorrt_build_site
from registry.datasets.archive import dataset_local
from registry.model_versions.selectors import model_file_local
from registry.model_versions.services import model_version_register
from registry.models import Conversion, Dataset, ModelFormat, ModelSource, ModelVersion

from .quantize import CalibrationRefused, quantize_int8


class SourceFailed(Exception):
    """The version an engine needs could not be produced (conversion or quantization failed): the row is failed."""


class SourceUnavailable(SourceFailed):
    """The request lacks what the version needs (INT8 without a dataset to calibrate on): the row is unavailable."""


def _existing_conversion(*, source: ModelVersion, target: str, imgsz: int, user=None) -> ModelVersion | None:
    """A succeeded conversion of `source` to `target` whose input size fits `imgsz` (or is dynamic), and whose
    result `user` may see (their own, or shared): another user's private conversion is not reused for them. A
    TensorRT engine only where it was built for this worker's GPU model and TensorRT version (a conversion run on
    another host, `run_on`, may not load here)."""
    found = Conversion.objects.filter(source=source, target=target, job__state=JobState.SUCCEEDED, result__isnull=False)
    if user is not None:
        found = found.filter(Q(result__owner=user) | Q(result__shared=True))
    site = tensorrt_build_site() if target == ModelFormat.TENSORRT else {}
    for conversion in found.select_related("result").order_by("-created_at"):
        options = conversion.options or {}
        if target == ModelFormat.TENSORRT and not options.get("half", True):
            continue  # an FP32 build asked for with half=false is not the FP16 engine the benchmark measures
        if any((conversion.result.metadata or {}).get(key) != value for key, value in site.items()):
            continue  # built for another GPU model or TensorRT version
        if options.get("imgsz") == imgsz or options.get("dynamic"):
            if not (conversion.result.metadata or {}).get("quantization"):
                return conversion.result
    return None


def convert_inline(*, source: ModelVersion, target: str, imgsz: int, ctx, progress, worker: str) -> ModelVersion:
    """Reuse a succeeded conversion, else run one now inside this job (registered like any other, owned by the user
    who benchmarks: conversion_runner._register)."""
    user = ctx.job.owner
    found = _existing_conversion(source=source, target=target, imgsz=imgsz, user=user)
    if found is not None:
        return found
    options = ({"imgsz": imgsz, "opset": None, "dynamic": False, "simplify": True} if target == ModelFormat.ONNX
               else {"imgsz": imgsz, "half": True, "workspace_gb": 4})
    with transaction.atomic():
        job = Job.objects.create(kind=JobKind.CONVERSION, owner=user, queue="gpu",
                                 params={"source": source.pk, "target": target, **options, "inline_in_job": ctx.job_id})
        Conversion.objects.create(source=source, target=target, options=options,
                                  options_key=conversion_options_key(target, options), job=job)
    try:
        result = job_run_inline(job_id=job.pk, outer=ctx, worker=worker, body=_conversion_body,
                                on_progress=lambda message: progress(f"converting: {message}"))
    except (JobCancelled, SoftTimeLimitExceeded):  # the benchmark's cancel or time limit: its runner ends it
        raise
    except Exception as exc:
        raise SourceFailed(f"conversion to {target} failed: {exc}") from exc
    return ModelVersion.objects.get(pk=result["model_id"])


def _conversion_body(ctx) -> dict:
    return conversion_execute(ctx=ctx)  # the `registry.convert` task's body (registry/tasks.py)


def int8_version(*, onnx: ModelVersion, dataset: Dataset, imgsz: int, job: Job, progress) -> ModelVersion:
    """The INT8 QDQ child of `onnx` calibrated on `dataset`: an earlier one the benchmarking user may see, else
    quantized now and registered as theirs (not the owner's, when they benchmark another user's shared model)."""
    earlier = (ModelVersion.objects.filter(parent=onnx, format=ModelFormat.ONNX, metadata__quantization="int8",
                                           metadata__calibration_dataset=dataset.pk)
               .filter(Q(owner=job.owner) | Q(shared=True)).order_by("-created_at").first())
    if earlier is not None:
        return earlier
    progress("quantizing to INT8 (calibrating on the dataset)")
    scratch = Path(tempfile.mkdtemp(prefix="int8-"))
    try:
        target = scratch / "model-int8.onnx"
        try:
            facts = quantize_int8(source=model_file_local(onnx).held(), target=target,
                                  dataset_root=dataset_local(dataset).held(), imgsz=imgsz)
        except SoftTimeLimitExceeded:  # the benchmark's time is up: not a failed quantization
            raise
        except CalibrationRefused as exc:
            raise SourceUnavailable(str(exc)) from exc
        except Exception as exc:
            raise SourceFailed(f"INT8 quantization failed: {type(exc).__name__}: {str(exc)[:400]}") from exc
        metadata = {**(onnx.metadata or {}), **facts, "calibration_dataset": dataset.pk, "fp32_model": onnx.pk}
        return model_version_register(
            owner=job.owner, name=onnx.name, format=ModelFormat.ONNX, source=ModelSource.CONVERSION, path=target,
            shared=onnx.shared and job.owner_id == onnx.owner_id, task=onnx.task, class_names=onnx.class_names,
            input_size=onnx.input_size,
            parameters=onnx.parameters, metadata=metadata, parent=onnx, dataset=dataset, job=job,
            hyperparameters=onnx.hyperparameters)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
