"""Dataset ingest: a 1,000-image synthetic dataset uploaded through POST /api/datasets/ (safe extraction, full
validation, storage), against ultralytics' own dataset check and label verification on the same files.

Runs in a throwaway test database and a temporary ARTIFACT_ROOT; nothing of the platform's own data is touched.
BENCH_INGEST_IMAGES and BENCH_INGEST_IMGSZ change the dataset size.
"""
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _django(scratch: Path):
    """Django configured for a throwaway run: our own var dir when this process has not set Django up yet."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("YOLO_OFFLINE", "1")
    from django.apps import apps

    if not apps.ready:
        os.environ.setdefault("PLATFORM_VAR_DIR", str(scratch / "var"))
        os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production")
        import django

        django.setup()
    from django.test.utils import setup_test_environment

    try:
        setup_test_environment()
    except RuntimeError:  # another bench in this process already did
        pass


def _ultralytics_check(yaml_path: Path) -> dict:
    """ultralytics' own path: check_det_dataset, then YOLODataset label verification of train and val."""
    from ultralytics.data.dataset import YOLODataset
    from ultralytics.data.utils import check_det_dataset

    for stale in yaml_path.parent.rglob("*.cache"):
        stale.unlink()
    started = time.perf_counter()
    data = check_det_dataset(str(yaml_path), autodownload=False)
    checked = time.perf_counter()
    images = 0
    for split in ("train", "val"):
        dataset = YOLODataset(img_path=data[split], data=data, task="detect", imgsz=640, augment=False, cache=False,
                              rect=False, batch_size=16, prefix=f"{split}: ")
        images += len(dataset.labels)
    done = time.perf_counter()
    return {"check_s": checked - started, "verify_s": done - checked, "total_s": done - started, "images": images}


def main() -> dict:
    images = int(os.environ.get("BENCH_INGEST_IMAGES", "1000"))
    imgsz = int(os.environ.get("BENCH_INGEST_IMGSZ", "160"))
    scratch = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        _django(scratch)
        return _run(scratch, images, imgsz)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run(scratch: Path, images: int, imgsz: int) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test.utils import override_settings
    from rest_framework.test import APIClient

    from registry.datasets.demo_data import write_demo_dataset
    from tests.perf.harness import print_table

    tree = write_demo_dataset(scratch / "tree", images=images, imgsz=imgsz, seed=0)
    archive = shutil.make_archive(str(scratch / "dataset"), "zip", root_dir=tree)
    content = Path(archive).read_bytes()

    artifacts, uploads = scratch / "artifacts", scratch / "scratch"
    uploads.mkdir()
    storages = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                            "OPTIONS": {"location": str(artifacts)}},
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with override_settings(STORAGES=storages, ARTIFACT_ROOT=artifacts, SCRATCH_ROOT=uploads,
                               FILE_UPLOAD_TEMP_DIR=str(uploads)):
            from accounts.services import user_create

            user = user_create(username="bench", password="bench-password-123", role="engineer", validate=False)
            client = APIClient()
            client.force_authenticate(user)
            started = time.perf_counter()
            response = client.post("/api/datasets/", {"name": "bench", "file": SimpleUploadedFile(
                "dataset.zip", content, content_type="application/zip")}, format="multipart")
            ingest_s = time.perf_counter() - started
            if response.status_code != 201:
                raise RuntimeError(f"upload failed: {response.status_code} {response.content[:500]!r}")
            body = response.json()
            started = time.perf_counter()
            again = client.post("/api/datasets/", {"name": "bench", "file": SimpleUploadedFile(
                "dataset.zip", content, content_type="application/zip")}, format="multipart")
            dedupe_s = time.perf_counter() - started
            assert again.status_code == 200, again.content[:300]
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    theirs = _ultralytics_check(tree / "data.yaml")
    ours_rate = body["num_images"] / ingest_s
    theirs_rate = theirs["images"] / theirs["total_s"]
    results = {
        "images": body["num_images"], "instances": body["num_instances"], "imgsz": imgsz,
        "zip_mb": round(len(content) / 1e6, 2),
        "ingest_s": ingest_s, "ingest_images_per_s": ours_rate, "dedupe_s": dedupe_s,
        "ultralytics_check_s": theirs["check_s"], "ultralytics_verify_s": theirs["verify_s"],
        "ultralytics_total_s": theirs["total_s"], "ultralytics_images_per_s": theirs_rate,
        "ratio_ultralytics_over_ours_time": ingest_s / theirs["total_s"],
        "cpu_count": os.cpu_count(),
    }
    print_table(f"Dataset ingest: {body['num_images']} images at {imgsz} px, zip {results['zip_mb']} MB",
                ["path", "seconds", "images/s", "x ultralytics time"],
                [["platform upload (API: extract + validate + store)", ingest_s, ours_rate,
                  ingest_s / theirs["total_s"]],
                 ["platform re-upload (dedupe by SHA-256)", dedupe_s, body["num_images"] / dedupe_s,
                  dedupe_s / theirs["total_s"]],
                 ["ultralytics check_det_dataset + verify_image_label", theirs["total_s"], theirs_rate, 1.0]])
    return results


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
