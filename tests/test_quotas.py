"""Per-user quotas: active jobs and stored upload bytes answer 429 naming the limit, keep nothing, spare admins."""
import pytest

from tests.support.dataset_zips import demo_files, make_zip
from tests.support.rows import dataset_row, job_row, model_row

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def _enqueue(user):
    from jobs.services import job_enqueue

    return job_enqueue(kind="probe", owner=user, task_name="jobs.probe", queue="default", params={})


def test_a_user_at_the_job_quota_gets_a_429_naming_the_limit_and_nothing_is_created(alice, settings):
    from core.errors import QuotaExceeded
    from jobs.models import Job

    settings.QUOTA_ACTIVE_JOBS = 2
    job_row(owner=alice, state="QUEUED")
    job_row(owner=alice, state="RUNNING")
    with pytest.raises(QuotaExceeded, match=r"2 of your jobs are queued or running and the limit is 2 per user "
                                            r"\(QUOTA_ACTIVE_JOBS\)"):
        _enqueue(alice)
    assert Job.objects.filter(owner=alice).count() == 2


def test_finished_jobs_and_other_users_jobs_do_not_count(alice, carol, settings):
    settings.QUOTA_ACTIVE_JOBS = 1
    for state in ("SUCCEEDED", "FAILED", "CANCELLED"):
        job_row(owner=alice, state=state)
    job_row(owner=carol, state="QUEUED")
    assert _enqueue(alice).state == "QUEUED"


def test_admins_are_exempt_from_the_job_quota(root, settings):
    settings.QUOTA_ACTIVE_JOBS = 1
    job_row(owner=root, state="QUEUED")
    assert _enqueue(root).state == "QUEUED"


def test_zero_means_no_job_limit(alice, settings):
    settings.QUOTA_ACTIVE_JOBS = 0
    for _ in range(3):
        job_row(owner=alice, state="QUEUED")
    assert _enqueue(alice).state == "QUEUED"


def test_a_training_run_over_the_job_quota_is_a_429_and_leaves_no_run(alice, api, settings):
    from training.models import TrainingRun

    settings.QUOTA_ACTIVE_JOBS = 1
    job_row(owner=alice, state="QUEUED")
    dataset = dataset_row(owner=alice)
    response = api(alice).post("/api/training-runs/", {"dataset": dataset.pk, "preset": "yolov8n", "epochs": 1,
                                                       "imgsz": 64}, format="json")
    assert response.status_code == 429 and "QUOTA_ACTIVE_JOBS" in response.json()["detail"]
    assert not TrainingRun.objects.exists()


def test_a_dataset_upload_over_the_storage_quota_is_a_429_and_keeps_nothing(alice, api, settings):
    from registry.models import Dataset

    settings.QUOTA_UPLOAD_MB = 1
    model_row(owner=alice, file_size=MB - 100)
    archive = make_zip(demo_files(images=4))
    response = api(alice).post("/api/datasets/", {"name": "shapes", "file": _file(archive, "d.zip")},
                               format="multipart")
    assert response.status_code == 429, response.json()
    assert "over the limit of 1 MB per user (QUOTA_UPLOAD_MB)" in response.json()["detail"]
    assert not Dataset.objects.filter(owner=alice).exists()


def test_a_model_upload_over_the_storage_quota_is_a_429(alice, api, settings):
    from registry.models import ModelVersion

    settings.QUOTA_UPLOAD_MB = 1
    dataset_row(owner=alice, size_bytes=MB - 100)
    response = api(alice).post("/api/models/", {"name": "big", "file": _file(b"\0" * 4096, "big.onnx")},
                               format="multipart")
    assert response.status_code == 429 and "QUOTA_UPLOAD_MB" in response.json()["detail"]
    assert ModelVersion.objects.filter(owner=alice).count() == 0


def test_admins_are_exempt_from_the_storage_quota(root, settings):
    from registry.uploads import upload_quota_check

    settings.QUOTA_UPLOAD_MB = 1
    model_row(owner=root, file_size=10 * MB)
    upload_quota_check(user=root, incoming_bytes=10 * MB)


def test_stored_bytes_count_datasets_and_models_of_the_user_only(alice, carol):
    from registry.uploads import stored_bytes

    dataset_row(owner=alice, size_bytes=300)
    model_row(owner=alice, file_size=200)
    model_row(owner=carol, file_size=10_000)
    assert stored_bytes(user=alice) == 500


def _file(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, "application/octet-stream")


def _onnx_of(megabytes: float, seed: int) -> bytes:
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    weights = np.random.default_rng(seed).random(int(megabytes * MB / 4), dtype=np.float32)
    value = helper.make_tensor_value_info
    graph = helper.make_graph([helper.make_node("ReduceSum", ["w"], ["s"], keepdims=0),
                               helper.make_node("Add", ["images", "s"], ["out"])], "padded",
                              [value("images", TensorProto.FLOAT, [1, 3, 64, 64])],
                              [value("out", TensorProto.FLOAT, [1, 3, 64, 64])],
                              initializer=[numpy_helper.from_array(weights, "w")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8).SerializeToString()


@pytest.mark.django_db(transaction=True)
def test_two_uploads_at_once_at_the_storage_quota_edge_do_not_both_pass(alice, api, settings):
    """Each upload alone fits; both together do not. Before the check was made under a lock, both passed it (the
    sandboxed load between the early check and the registration leaves seconds for the other)."""
    import threading

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from registry.models import ModelVersion

    settings.QUOTA_UPLOAD_MB = 1
    files = [_onnx_of(0.6, seed) for seed in (1, 2)]
    barrier, statuses = threading.Barrier(2), []

    def upload(index):
        try:
            barrier.wait()
            response = api(alice).post("/api/models/", {"name": f"edge-{index}", "file": SimpleUploadedFile(
                "m.onnx", files[index], "application/octet-stream")}, format="multipart")
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert sorted(statuses) == [201, 429], statuses
    assert ModelVersion.objects.filter(owner=alice).count() == 1


def test_an_enqueue_without_a_job_quota_locks_no_user_row(alice, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.QUOTA_ACTIVE_JOBS = 0
    with CaptureQueriesContext(connection) as unlimited:
        _enqueue(alice)
    settings.QUOTA_ACTIVE_JOBS = 5
    with CaptureQueriesContext(connection) as limited:
        _enqueue(alice)

    user_table = alice._meta.db_table
    assert not [q["sql"] for q in unlimited.captured_queries if f'FROM "{user_table}"' in q["sql"]]
    assert [q["sql"] for q in limited.captured_queries if f'FROM "{user_table}"' in q["sql"]]  # the quota's lock
