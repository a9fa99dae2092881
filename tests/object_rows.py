"""Rows made directly in the database for access and input tests: no uploads, no workers, no real jobs.

Each maker returns a saved row owned by `owner`. Datasets and models get a few placeholder bytes in storage, so a
download answers 200 (the tests check permissions, never the content).
"""
import itertools
import uuid

_counter = itertools.count(1)


def _placeholder(name: str) -> str:
    from core.storage import artifact_put_bytes

    artifact_put_bytes(name=name, data=b"placeholder")
    return name


def dataset_row(owner, *, shared: bool = False, size_bytes: int = 1000):
    from registry.models import Dataset

    n = next(_counter)
    return Dataset.objects.create(name=f"ds{n}", version=1, owner=owner, shared=shared, sha256=uuid.uuid4().hex,
                                  archive=_placeholder(f"datasets/test-{uuid.uuid4().hex}.zip"),
                                  size_bytes=size_bytes, class_names=["a"], num_images=1, num_instances=1)


def model_row(owner, *, shared: bool = False, file_size: int = 1000, format: str = "pytorch"):
    from registry.models import ModelVersion

    n = next(_counter)
    return ModelVersion.objects.create(name=f"m{n}", version=1, owner=owner, shared=shared, format=format,
                                       source="upload", class_names=["a"], input_size=64, file=_placeholder(f"models/test-{uuid.uuid4().hex}.pt"),
                                       file_size=file_size, sha256=uuid.uuid4().hex)


def job_row(owner, *, kind: str = "probe", state: str = "SUCCEEDED"):
    from jobs.models import Job

    return Job.objects.create(kind=kind, owner=owner, queue="default", state=state, params={"queue": "default"})


def conversion_row(owner, *, source=None):
    from registry.models import Conversion

    source = source or model_row(owner)
    job = job_row(owner, kind="conversion")
    return Conversion.objects.create(source=source, target="onnx", options={"imgsz": 64}, options_key=uuid.uuid4().hex,
                                     job=job)


def training_run_row(owner, *, dataset=None):
    from training.models import TrainingRun

    dataset = dataset or dataset_row(owner)
    job = job_row(owner, kind="training")
    return TrainingRun.objects.create(owner=owner, job=job, dataset=dataset, preset="yolov8n", name="run",
                                      params={"epochs": 1, "imgsz": 64})
