"""Uploading a valid dataset: 201 with a report, dedupe by content, versions per name, roles and size limits."""
import pytest
from django.core.management import call_command

from registry.datasets.archive import dataset_local
from registry.models import Dataset
from tests.support.dataset_zips import dataset_upload, demo_files, make_zip, nothing_kept, stored_files  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_valid_dataset_is_stored_with_its_report(api, alice):
    response = dataset_upload(api(alice), make_zip(demo_files()), name="shapes", shared=True)

    assert response.status_code == 201, response.content
    body = response.json()
    assert {"id", "name", "version", "sha256", "class_names", "num_images", "num_instances", "report", "owner",
            "shared", "created_at"} <= body.keys()
    assert (body["name"], body["version"], body["owner"], body["shared"]) == ("shapes", 1, "alice", True)
    assert body["class_names"] == ["circle", "square", "triangle"]
    report = body["report"]
    assert body["num_images"] == 12 and report["splits"]["train"]["images"] == 9
    assert report["splits"]["val"]["images"] == 3
    instances = sum(c["instances"] for c in report["classes"].values())
    assert body["num_instances"] == instances == report["splits"]["train"]["instances"] + \
        report["splits"]["val"]["instances"] > 0
    assert report["image_sizes"] == {"min_width": 48, "max_width": 48, "mean_width": 48.0,
                                     "min_height": 48, "max_height": 48, "mean_height": 48.0}
    assert report["error_count"] == 0


def test_the_stored_data_yaml_is_the_rebuilt_one_and_ultralytics_accepts_it(api, alice):
    files = demo_files()
    files["data.yaml"] = (b"# exported\npath: .\ntrain: images/train\nval: images/val\n"
                          b"names: {0: circle, 1: square, 2: triangle}\n")
    dataset = Dataset.objects.get(pk=dataset_upload(api(alice), make_zip(files)).json()["id"])
    yaml_path = dataset_local(dataset).path / "data.yaml"

    assert yaml_path.is_absolute()  # rewritten on this host: `path` names where it was unpacked here
    assert yaml_path.read_text().splitlines() == ["train: images/train", "val: images/val", "nc: 3", "names:",
                                                  "- circle", "- square", "- triangle", f"path: {yaml_path.parent}"]
    from ultralytics.data.utils import check_det_dataset

    checked = check_det_dataset(str(yaml_path), autodownload=False)
    assert checked["nc"] == 3 and checked["names"] == {0: "circle", 1: "square", 2: "triangle"}
    assert checked["val"] == str(yaml_path.parent / "images" / "val")


def test_a_dataset_inside_one_top_level_folder_is_accepted(api, alice):
    files = {f"mydata/{name}": data for name, data in demo_files().items()}
    response = dataset_upload(api(alice), make_zip(files))

    assert response.status_code == 201, response.content
    assert (dataset_local(Dataset.objects.get()).path / "images" / "val").is_dir()


def test_images_without_labels_are_backgrounds_and_duplicate_rows_warnings(api, alice):
    files = demo_files()
    del files["labels/train/00004.txt"]
    files["labels/train/00005.txt"] += files["labels/train/00005.txt"].splitlines(keepends=True)[0]
    report = dataset_upload(api(alice), make_zip(files)).json()["report"]

    assert report["splits"]["train"]["backgrounds"] == 1
    warnings = " | ".join(w["file"] + ": " + w["message"] for w in report["warnings"])
    assert "1 image(s) in 'train' have no label file" in warnings
    assert "labels/train/00005.txt: 1 duplicate row(s)" in warnings


def test_the_same_bytes_again_answer_200_with_the_existing_record(api, alice):
    content = make_zip(demo_files())
    first = dataset_upload(api(alice), content)
    files_after_first = stored_files()
    again = dataset_upload(api(alice), content, name="another-name")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Dataset.objects.count() == 1
    assert stored_files() == files_after_first


def test_the_same_name_with_new_content_is_a_new_version(api, alice, carol):
    v1 = dataset_upload(api(alice), make_zip(demo_files(seed=1)), name="shapes").json()
    v2 = dataset_upload(api(alice), make_zip(demo_files(seed=2)), name="shapes").json()
    carols = dataset_upload(api(carol), make_zip(demo_files(seed=3)), name="shapes").json()

    assert (v1["version"], v2["version"], carols["version"]) == (1, 2, 1)
    assert v1["sha256"] != v2["sha256"]


def test_a_viewer_cannot_upload(api, bob, nothing_kept):
    response = dataset_upload(api(bob), make_zip(demo_files()))

    assert response.status_code == 403
    assert "Viewers" in response.json()["detail"]
    nothing_kept()


@pytest.mark.parametrize("kilobytes", [1536, 4096])  # stopped while streaming / refused by its Content-Length
def test_an_upload_over_the_size_limit_is_refused(api, alice, settings, nothing_kept, kilobytes):
    settings.MAX_DATASET_UPLOAD_MB = 1
    response = dataset_upload(api(alice), bytes(range(256)) * 4 * kilobytes)

    assert response.status_code == 413
    assert "MAX_DATASET_UPLOAD_MB" in response.json()["detail"]
    nothing_kept()


def test_a_file_that_is_not_a_zip_is_refused_by_name(api, alice, nothing_kept):
    response = dataset_upload(api(alice), b"x", filename="data.tar")

    assert response.status_code == 400
    assert "file" in response.json()["detail"]
    nothing_kept()


def test_make_demo_dataset_registers_once_and_writes_folders_and_zips(alice, tmp_path):
    call_command("make_demo_dataset", register=True, if_missing=True, owner="alice", name="shapes-demo", images=8,
                 imgsz=32)
    call_command("make_demo_dataset", register=True, if_missing=True, owner="alice", name="shapes-demo", images=8,
                 imgsz=32)
    dataset = Dataset.objects.get()
    assert (dataset.name, dataset.shared, dataset.num_images) == ("shapes-demo", True, 8)

    call_command("make_demo_dataset", output=str(tmp_path / "tree"), images=4, imgsz=32)
    call_command("make_demo_dataset", output=str(tmp_path / "demo.zip"), images=4, imgsz=32)
    assert (tmp_path / "tree" / "data.yaml").is_file()
    assert (tmp_path / "demo.zip").stat().st_size > 0
