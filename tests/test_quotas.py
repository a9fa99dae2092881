"""Per-user quotas: active jobs and stored upload bytes answer 429 naming the limit, keep nothing, spare admins."""
import pytest

from registry.tests.dataset_zips import demo_files, make_zip
from tests.object_rows import dataset_row, job_row, model_row

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def _enqueue(user):
    from jobs.services import job_enqueue

    return job_enqueue(kind="probe", owner=user, task_name="jobs.probe", queue="default", params={})


def test_a_user_at_the_job_quota_gets_a_429_naming_the_limit_and_nothing_is_created(alice, settings):
    from accounts.quotas import QuotaExceeded
    from jobs.models import Job

    settings.QUOTA_ACTIVE_JOBS = 2
    job_row(alice, state="QUEUED")
    job_row(alice, state="RUNNING")
    with pytest.raises(QuotaExceeded, match=r"2 of your jobs are queued or running and the limit is 2 per user "
                                            r"\(QUOTA_ACTIVE_JOBS\)"):
        _enqueue(alice)
    assert Job.objects.filter(owner=alice).count() == 2


def test_finished_jobs_and_other_users_jobs_do_not_count(alice, carol, settings):
    settings.QUOTA_ACTIVE_JOBS = 1
    for state in ("SUCCEEDED", "FAILED", "CANCELLED"):
        job_row(alice, state=state)
    job_row(carol, state="QUEUED")
    assert _enqueue(alice).state == "QUEUED"


def test_admins_are_exempt_from_the_job_quota(root, settings):
    settings.QUOTA_ACTIVE_JOBS = 1
    job_row(root, state="QUEUED")
    assert _enqueue(root).state == "QUEUED"


def test_zero_means_no_job_limit(alice, settings):
    settings.QUOTA_ACTIVE_JOBS = 0
    for _ in range(3):
        job_row(alice, state="QUEUED")
    assert _enqueue(alice).state == "QUEUED"


def test_a_training_run_over_the_job_quota_is_a_429_and_leaves_no_run(alice, api, settings):
    from training.models import TrainingRun

    settings.QUOTA_ACTIVE_JOBS = 1
    job_row(alice, state="QUEUED")
    dataset = dataset_row(alice)
    response = api(alice).post("/api/training-runs/", {"dataset": dataset.pk, "preset": "yolov8n", "epochs": 1,
                                                       "imgsz": 64}, format="json")
    assert response.status_code == 429 and "QUOTA_ACTIVE_JOBS" in response.json()["detail"]
    assert not TrainingRun.objects.exists()


def test_a_dataset_upload_over_the_storage_quota_is_a_429_and_keeps_nothing(alice, api, settings):
    from registry.models import Dataset

    settings.QUOTA_UPLOAD_MB = 1
    model_row(alice, file_size=MB - 100)
    archive = make_zip(demo_files(images=4))
    response = api(alice).post("/api/datasets/", {"name": "shapes", "file": _file(archive, "d.zip")},
                               format="multipart")
    assert response.status_code == 429, response.json()
    assert "over the limit of 1 MB per user (QUOTA_UPLOAD_MB)" in response.json()["detail"]
    assert not Dataset.objects.filter(owner=alice).exists()


def test_a_model_upload_over_the_storage_quota_is_a_429(alice, api, settings):
    from registry.models import ModelVersion

    settings.QUOTA_UPLOAD_MB = 1
    dataset_row(alice, size_bytes=MB - 100)
    response = api(alice).post("/api/models/", {"name": "big", "file": _file(b"\0" * 4096, "big.onnx")},
                               format="multipart")
    assert response.status_code == 429 and "QUOTA_UPLOAD_MB" in response.json()["detail"]
    assert ModelVersion.objects.filter(owner=alice).count() == 0


def test_admins_are_exempt_from_the_storage_quota(root, settings):
    from accounts.quotas import upload_quota_check

    settings.QUOTA_UPLOAD_MB = 1
    model_row(root, file_size=10 * MB)
    upload_quota_check(user=root, incoming_bytes=10 * MB)


def test_stored_bytes_count_datasets_and_models_of_the_user_only(alice, carol):
    from accounts.quotas import stored_bytes

    dataset_row(alice, size_bytes=300)
    model_row(alice, file_size=200)
    model_row(carol, file_size=10_000)
    assert stored_bytes(user=alice) == 500


def _file(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, "application/octet-stream")
