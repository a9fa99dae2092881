"""Dataset writes: ingest an uploaded zip (extract safely, validate, store, version) and delete.

The pipeline works in a scratch directory under SCRATCH_ROOT; the validated tree is packed into one archive
(registry/datasets/archive.py) and stored only after every check passed, and the scratch directory is removed whatever happens, so a rejected upload leaves nothing behind.
"""
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q

from accounts.visibility import check_can_modify
from core.deletion import delete_or_conflict
from core.errors import Conflict
from core.storage import artifact_delete, artifact_store_file, sha256_of
from .validation.problems import Problems
from .validation.yolo import validate_yolo_dataset
from .validation.zipsafe import UnsafeArchive, ZipLimits, safe_extract
from ..models import Dataset
from ..uploads import scratch_dir, upload_quota_check, upload_quota_check_locked

from .archive import ARCHIVE_KIND, dataset_archive_pack

logger = logging.getLogger(__name__)

VERSION_RETRIES = 5


class DatasetRejected(Exception):
    """The upload failed validation. `report` lists the problems (first N) and their count; nothing was kept."""

    def __init__(self, problems: Problems):
        super().__init__(problems.summary())
        self.problems = problems
        self.report = problems.as_dict()


@dataclass
class IngestResult:
    dataset: Dataset
    created: bool  # False: the same owner already had these exact bytes; `dataset` is that record


def dataset_ingest(*, owner, name: str, archive_path: Path, shared: bool = False) -> IngestResult:
    """Validate the zip at `archive_path` and register it as the next version of `name` for `owner`.

    Raises DatasetRejected (with a report) when the archive is unsafe or the dataset is not valid YOLO detection.
    """
    sha256 = sha256_of(archive_path)
    existing = Dataset.objects.filter(owner=owner, sha256=sha256).first()
    if existing is not None:
        return IngestResult(existing, created=False)
    upload_quota_check(user=owner, incoming_bytes=archive_path.stat().st_size)  # 429 before any work

    problems = Problems(limit=settings.DATASET_REPORT_MAX_PROBLEMS)
    scratch = scratch_dir("dataset")
    stored: list[str] = []
    try:
        extracted = scratch / "x"
        extracted.mkdir()
        try:
            safe_extract(archive_path, extracted, limits=ZipLimits.from_settings(), problems=problems)
        except UnsafeArchive:
            raise DatasetRejected(problems) from None
        check = validate_yolo_dataset(extracted, problems=problems, max_image_pixels=settings.DATASET_MAX_IMAGE_PIXELS)
        if not check.ok:
            raise DatasetRejected(problems)
        # The stored data.yaml is the rebuilt one: relative paths and no `path` key, so ultralytics resolves
        # the splits against the yaml's own folder wherever storage puts it.
        (check.root / "data.yaml").write_text(yaml.safe_dump(check.data_yaml, sort_keys=False))
        (check.root / "data.yml").unlink(missing_ok=True)
        report = {**check.report, **problems.as_dict()}

        packed = scratch / "dataset.zip"
        dataset_archive_pack(root=check.root, target=packed)
        archive_name, archive_sha256, size = artifact_store_file(path=packed, kind=ARCHIVE_KIND, suffix=".zip")
        stored.append(archive_name)
        dataset, created = _create_versioned(owner=owner, name=name, shared=shared, sha256=sha256,
                                             archive=archive_name, archive_sha256=archive_sha256, size=size,
                                             check=check, report=report)
        if not created:
            stored.clear()  # a concurrent upload of the same bytes won: its row owns these same files
        return IngestResult(dataset, created)
    except BaseException:
        for name_ in stored:
            if not _files_shared(name_):
                artifact_delete(name_)
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _create_versioned(*, owner, name, shared, sha256, archive, archive_sha256, size, check, report) -> tuple[Dataset, bool]:
    """Next version per (owner, name). Two uploads racing for one version: the loser retries on the
    unique constraint (select_for_update serialises where the database supports it)."""
    for _attempt in range(VERSION_RETRIES):
        try:
            with transaction.atomic():
                upload_quota_check_locked(user=owner, incoming_bytes=size)  # the early check was not atomic
                latest = (Dataset.objects.select_for_update().filter(owner=owner, name=name)
                          .aggregate(v=Max("version"))["v"]) or 0
                dataset = Dataset.objects.create(
                    name=name, version=latest + 1, owner=owner, shared=shared, sha256=sha256, archive=archive,
                    archive_sha256=archive_sha256, size_bytes=size, class_names=check.class_names,
                    num_images=check.report["num_images"], num_instances=check.report["num_instances"],
                    report=report)
                return dataset, True
        except IntegrityError:
            same = Dataset.objects.filter(owner=owner, sha256=sha256).first()
            if same is not None:
                return same, False
    raise Conflict("Could not assign a version to this dataset: too many concurrent uploads. Try again.")


def _files_shared(storage_name: str) -> bool:
    """Whether a dataset row refers to this content-addressed name (someone else uploaded the same bytes)."""
    return Dataset.objects.filter(Q(root=storage_name) | Q(archive=storage_name)).exists()


def dataset_delete(*, user, dataset: Dataset) -> None:
    """Delete the record, and its files unless another record shares the same content. Owner or admin; 409
    naming the training runs, models and other rows that use it (their PROTECT foreign keys)."""
    check_can_modify(dataset, user, action="delete")
    names = [dataset.root, dataset.archive]
    delete_or_conflict(dataset)
    for name in names:
        if name and not _files_shared(name):
            artifact_delete(name)
