"""Rows made straight in the database for the delete-rule tests: no files, no training, no worker."""
import uuid

from jobs.models import Job, JobKind, JobState
from registry.models import Conversion, Dataset, ModelVersion
from training.models import TrainingRun


def dataset_row(owner, name="data", **fields) -> Dataset:
    return Dataset.objects.create(name=name, version=1, owner=owner, sha256=uuid.uuid4().hex, archive="", root="",
                                  **fields)


def model_row(owner, name="net", format="pytorch", source="upload", **fields) -> ModelVersion:
    version = ModelVersion.objects.filter(owner=owner, name=name).count() + 1
    return ModelVersion.objects.create(name=name, version=version, owner=owner, format=format, source=source,
                                       file="", sha256=uuid.uuid4().hex, **fields)


def job_row(owner, kind=JobKind.TRAINING, state=JobState.SUCCEEDED) -> Job:
    return Job.objects.create(kind=kind, owner=owner, queue="gpu", state=state)


def run_row(owner, dataset, *, parent=None, state=JobState.SUCCEEDED, result=None) -> TrainingRun:
    return TrainingRun.objects.create(owner=owner, job=job_row(owner, state=state), dataset=dataset,
                                      parent_model=parent, preset="" if parent else "yolov8n", params={},
                                      result_model=result)


def conversion_row(source, *, owner=None, state=JobState.SUCCEEDED, result=None) -> Conversion:
    job = job_row(owner or source.owner, kind=JobKind.CONVERSION, state=state)
    return Conversion.objects.create(source=source, target="onnx", options={"imgsz": 64},
                                     options_key=uuid.uuid4().hex, job=job, result=result)
