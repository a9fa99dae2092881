"""Conversions from the web side: request one (validated options, dedupe, a job on the gpu queue) and delete one.
The work itself runs inside the job: conversion_runner.py.

A request with the same source, target and options as an earlier conversion that is queued, running or
succeeded returns that conversion instead of starting a new job; a FAILED or CANCELLED one is retried.
"""
import hashlib
import json

from django.db import transaction

from accounts.visibility import check_can_modify
from core.errors import Invalid
from hosts.routing import target_queue
from jobs.deletion import job_subject_delete
from jobs.models import JobKind, JobState
from jobs.services import job_subject_start
from ..models import Conversion, ModelFormat, ModelVersion

TASK_NAME = "registry.convert"
DEFAULT_IMGSZ = 640
RETRYABLE_STATES = (JobState.FAILED, JobState.CANCELLED)


def conversion_options_key(target: str, options: dict) -> str:
    """The dedupe key of a conversion: SHA-256 of its target and canonical options."""
    return hashlib.sha256(json.dumps({"target": target, **options}, sort_keys=True).encode()).hexdigest()


def _default_imgsz(source: ModelVersion) -> int:
    size = source.input_size
    if size and 32 <= size <= 2048:
        return -(-size // 32) * 32
    return DEFAULT_IMGSZ


def _check_source(*, source: ModelVersion, target: str, options: dict) -> None:
    if source.format == ModelFormat.TENSORRT:
        raise Invalid(errors={"source": ["a TensorRT engine cannot be converted further"]})
    if target == ModelFormat.ONNX and source.format != ModelFormat.PYTORCH:
        raise Invalid(errors={"target": [f"the source is already {source.format}; ONNX export needs a PyTorch "
                                         f"checkpoint"]})
    if target == ModelFormat.TENSORRT and source.format == ModelFormat.ONNX:
        static = [d for d in ((source.metadata.get("inputs") or [{}])[0].get("shape") or [])[2:]]
        if static and all(isinstance(d, int) for d in static) and max(static) != options["imgsz"]:
            raise Invalid(errors={"imgsz": [f"the source ONNX has a fixed input size {max(static)}; "
                                            f"ask for imgsz {max(static)}"]})


def conversion_request(*, user, source: ModelVersion, target: str, options: dict,
                       run_on: dict | None = None) -> tuple[Conversion, bool]:
    """Start a conversion job (202) or return the existing equivalent conversion (200). With `run_on` (a routing
    target: hosts/routing.py) the job goes to a live host that matches it, a 400 naming it when none does; only a
    conversion requested with the same `run_on` is equivalent (a TensorRT engine is built for the GPU it ran on)."""
    check_can_modify(source, user, action="convert")
    options = dict(options)
    if options.get("imgsz") is None:
        options["imgsz"] = _default_imgsz(source)
    _check_source(source=source, target=target, options=options)
    key = conversion_options_key(target, {**options, "run_on": dict(run_on)} if run_on else options)
    with transaction.atomic():
        ModelVersion.objects.select_for_update().filter(pk=source.pk).first()  # serialise requests per source
        existing = (Conversion.objects.select_related("job").filter(source=source, options_key=key)
                    .exclude(job__state__in=RETRYABLE_STATES)
                    .exclude(job__state=JobState.SUCCEEDED, result__isnull=True)  # its result was deleted since
                    .order_by("-created_at").first())
        if existing is not None:
            return existing, False
        queue, host = target_queue(target=run_on, field="run_on")
        routing = {"run_on": dict(run_on), "routed_to": host} if host else {}
        conversion = job_subject_start(Conversion, owner=user, kind=JobKind.CONVERSION, task_name=TASK_NAME,
                                       queue=queue, job_params={"source": source.pk, "target": target, **options,
                                                                **routing},
                                       source=source, target=target, options=options, options_key=key)
    conversion.refresh_from_db()
    return conversion, True


def conversion_delete(*, user, conversion: Conversion) -> None:
    """Delete a finished conversion and its job (the version it produced stays). The requester or an admin; 409
    while its job is queued or running, or naming the rows that use it."""
    job_subject_delete(conversion, user=user)  # the conversion goes with its job (one-to-one, CASCADE)
