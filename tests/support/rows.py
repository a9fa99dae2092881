"""A saved row of each kind, made straight with the ORM: no upload, no worker, no real job.

Keyword arguments only, the owner always `owner=`; whatever a factory does not name goes to the row as it is
(`**fields`). Datasets and models get a few placeholder bytes in storage, so a download answers 200 (tests that
use these rows check permissions, quotas and delete rules, never the content).
"""
import copy
import itertools
import uuid

from accounts.services import user_create
from benchmarks.models import BenchmarkRun
from django.utils import timezone

from core.storage import artifact_put_bytes
from hosts.models import Host
from jobs.models import Job, JobKind, JobState
from registry.models import Conversion, Dataset, ModelVersion
from searches.models import Individual, Search
from training.models import TrainingRun

PASSWORD = "correct-horse-battery-42"  # every user_row's (conftest.py's personas too)

# What a small benchmark and a small search are started with (the API would accept them): the rows' params unless
# a test gives its own.
BENCHMARK_PARAMS = {"engines": "auto", "imgsz": 64, "batch_sizes": [1]}
SEARCH_PARAMS = {"epochs": 1, "imgsz": 64, "batch": 8, "seed": 0, "population": 4, "generations": 2, "elitism": 1,
                 "space": {"lr0": {"low": 0.001, "high": 0.1, "log": True}}, "objectives": ["fitness"],
                 "time_limit_seconds": 60}

_counter = itertools.count(1)


def _placeholder(name: str) -> str:
    artifact_put_bytes(name=name, data=b"placeholder")
    return name


def _next_version(model, owner, name) -> int:
    return model.objects.filter(owner=owner, name=name).count() + 1


def user_row(*, username: str, role: str = "engineer", password: str = PASSWORD):
    """A user made the way the API makes one (its password checked and hashed)."""
    return user_create(username=username, password=password, role=role)


def dataset_row(*, owner, name: str | None = None, version: int | None = None, shared: bool = False,
                size_bytes: int = 1000, **fields) -> Dataset:
    name = name or f"ds{next(_counter)}"
    values = {"class_names": ["a"], "num_images": 1, "num_instances": 1, **fields}
    return Dataset.objects.create(name=name, version=version or _next_version(Dataset, owner, name), owner=owner,
                                  shared=shared, sha256=uuid.uuid4().hex, size_bytes=size_bytes,
                                  archive=_placeholder(f"datasets/test-{uuid.uuid4().hex}.zip"), **values)


def model_row(*, owner, name: str | None = None, version: int | None = None, shared: bool = False,
              format: str = "pytorch", source: str | None = None, file_size: int = 1000, **fields) -> ModelVersion:
    """A model version; its source is `training` when it names a dataset, else `upload`."""
    name = name or f"m{next(_counter)}"
    source = source or ("training" if fields.get("dataset") else "upload")
    values = {"class_names": ["a"], "input_size": 64, **fields}
    return ModelVersion.objects.create(name=name, version=version or _next_version(ModelVersion, owner, name),
                                       owner=owner, shared=shared, format=format, source=source,
                                       file=_placeholder(f"models/test-{uuid.uuid4().hex}.pt"), file_size=file_size,
                                       sha256=uuid.uuid4().hex, **values)


def host_row(*, name: str, gpus: list | None = None, cpu_features: list | None = None, **fields) -> Host:
    """A registered machine (a CPU with AMX unless told); live only while a process heartbeats it
    (tests/support/hosts.py)."""
    values = {"hardware_class": "cpu:amx", "cpu_model": "Test CPU", "cpu_cores": 2, "memory_mb": 4096,
              "last_seen": timezone.now(), **fields}
    return Host.objects.create(name=name, gpus=gpus or [], cpu_features=["AMX"] if cpu_features is None
                               else cpu_features, **values)


def job_row(*, owner, kind: str = JobKind.PROBE, state: str = JobState.SUCCEEDED, queue: str = "default",
            **fields) -> Job:
    """A job row no worker will ever see (no task id, no heartbeat)."""
    return Job.objects.create(kind=kind, owner=owner, queue=queue, state=state, **fields)


def conversion_row(*, source=None, owner=None, state: str = JobState.SUCCEEDED, target: str = "onnx",
                   result=None, **fields) -> Conversion:
    """A conversion of `source` (a new model of `owner` when not given), owned by the source's owner."""
    source = source or model_row(owner=owner)
    job = job_row(owner=owner or source.owner, kind=JobKind.CONVERSION, state=state)
    values = {"options": {"imgsz": 64}, "options_key": uuid.uuid4().hex, **fields}
    return Conversion.objects.create(source=source, target=target, job=job, result=result, **values)


def training_run_row(*, owner, dataset=None, parent=None, state: str = JobState.SUCCEEDED, result=None,
                     **fields) -> TrainingRun:
    """A training run on `dataset` (a new one when not given): from `parent` when given, else from the preset."""
    values = {"name": "run", "params": {"epochs": 1, "imgsz": 64}, "preset": "" if parent else "yolov8n", **fields}
    return TrainingRun.objects.create(owner=owner, job=job_row(owner=owner, kind=JobKind.TRAINING, state=state),
                                      dataset=dataset or dataset_row(owner=owner), parent_model=parent,
                                      result_model=result, **values)


def benchmark_run_row(*, owner, model=None, state: str = JobState.SUCCEEDED, params=None, **fields) -> BenchmarkRun:
    """A benchmark of `model` (a new one when not given) with no result rows."""
    job = job_row(owner=owner, kind=JobKind.BENCHMARK, state=state, queue="gpu")
    return BenchmarkRun.objects.create(owner=owner, job=job, model=model or model_row(owner=owner),
                                       params=params if params is not None else copy.deepcopy(BENCHMARK_PARAMS),
                                       **fields)


def search_row(*, owner, dataset=None, state: str = JobState.RUNNING, params=None, **fields) -> Search:
    """A search on `dataset` (a new one when not given), running by default with no worker and no heartbeat (as
    searches/tests/conftest.py expects of the rows it ends after a test), and no Optuna study unless `study_name`."""
    job = job_row(owner=owner, kind=JobKind.SEARCH, state=state)
    values = {"preset": "yolov8n", **fields}
    return Search.objects.create(owner=owner, job=job, dataset=dataset or dataset_row(owner=owner),
                                 params=params if params is not None else copy.deepcopy(SEARCH_PARAMS), **values)


def individual_row(*, search, number: int = 0, generation: int = 1, trial_id: int | None = None,
                   **fields) -> Individual:
    """An individual of `search`; its trial id is `number + 1` unless given."""
    return Individual.objects.create(search=search, generation=generation, number=number,
                                     trial_id=trial_id if trial_id is not None else number + 1, **fields)
