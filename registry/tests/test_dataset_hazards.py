"""One test per hostile or broken dataset: each is refused with 400, the problem is named, and nothing is kept."""
import pytest

from tests.support.dataset_zips import dataset_upload, demo_files, make_zip, nothing_kept, symlink_member  # noqa: F401

pytestmark = pytest.mark.django_db


def _rejected(response, fragment: str) -> dict:
    assert response.status_code == 400, response.content
    body = response.json()
    messages = " | ".join(f"{e['file']}:{e['line']}: {e['message']}" for e in body["report"]["errors"])
    assert fragment in messages, messages
    assert body["report"]["error_count"] >= 1
    assert body["detail"].startswith("The dataset was rejected: ")
    return body


def test_it_rejects_a_zip_with_a_path_outside_the_archive(api, alice, nothing_kept):
    files = demo_files()
    files["../../evil.txt"] = b"owned"
    _rejected(dataset_upload(api(alice), make_zip(files)), "'..' path component")
    nothing_kept()


def test_it_rejects_a_zip_with_an_absolute_path(api, alice, nothing_kept):
    files = demo_files()
    files["/tmp/evil.txt"] = b"owned"
    _rejected(dataset_upload(api(alice), make_zip(files)), "absolute path")
    nothing_kept()


def test_it_rejects_a_zip_with_a_symlink_member(api, alice, nothing_kept):
    body = _rejected(dataset_upload(api(alice), make_zip(demo_files(), extra=[symlink_member("images/train/link.jpg",
                                                                                    "/etc/passwd")])),
                     "symbolic link")
    assert body["report"]["errors"][0]["file"] == "images/train/link.jpg"
    nothing_kept()


def test_it_rejects_a_special_file_member(api, alice, nothing_kept):
    import stat
    import zipfile

    fifo = zipfile.ZipInfo("images/train/pipe.jpg")
    fifo.create_system = 3
    fifo.external_attr = (stat.S_IFIFO | 0o644) << 16
    _rejected(dataset_upload(api(alice), make_zip(demo_files(), extra=[(fifo, b"")])), "special file")
    nothing_kept()


def test_it_rejects_a_zip_bomb_by_its_compression_ratio(api, alice, nothing_kept):
    files = demo_files()
    files["images/train/padding.bin"] = b"\0" * (8 * 1024 * 1024)  # ~8 KB compressed, ratio ~1000
    _rejected(dataset_upload(api(alice), make_zip(files)), "compressed size")
    nothing_kept()


def test_it_rejects_a_zip_with_too_many_members(api, alice, nothing_kept, settings):
    settings.DATASET_MAX_MEMBERS = 10
    _rejected(dataset_upload(api(alice), make_zip(demo_files())), "the limit is 10")
    nothing_kept()


def test_it_rejects_a_zip_that_expands_past_the_total_size_limit(api, alice, nothing_kept, settings):
    settings.DATASET_MAX_UNCOMPRESSED_MB = 1
    files = demo_files()
    files["images/train/big.jpg"] = bytes(range(256)) * 5000  # 1.28 MB, ratio well under the limit
    _rejected(dataset_upload(api(alice), make_zip(files)), "expands past 1 MB")
    nothing_kept()


def test_it_rejects_a_nested_archive(api, alice, nothing_kept):
    files = demo_files()
    files["images/train/more.zip"] = make_zip({"a.txt": b"a"})
    _rejected(dataset_upload(api(alice), make_zip(files)), "nested archive")
    nothing_kept()


def test_it_refuses_a_data_yaml_with_a_download_key_and_never_runs_it(api, alice, nothing_kept, tmp_path):
    canary = tmp_path / "downloaded"
    files = demo_files()
    files["data.yaml"] += f"download: |\n  open('{canary}', 'w').write('ran')\n".encode()
    _rejected(dataset_upload(api(alice), make_zip(files)), "'download' key is refused")
    assert not canary.exists()
    nothing_kept()


def test_it_refuses_a_data_yaml_key_outside_the_allowlist(api, alice, nothing_kept):
    files = demo_files()
    files["data.yaml"] += b"kpt_shape: [17, 3]\n"
    _rejected(dataset_upload(api(alice), make_zip(files)), "'kpt_shape' is not allowed")
    nothing_kept()


def test_it_rejects_names_and_nc_that_disagree(api, alice, nothing_kept):
    files = demo_files()
    files["data.yaml"] = files["data.yaml"].replace(b"nc: 3", b"nc: 4")
    _rejected(dataset_upload(api(alice), make_zip(files)), "nc is 4 but names lists 3 classes")
    nothing_kept()


def test_it_rejects_a_label_whose_class_is_out_of_range(api, alice, nothing_kept):
    files = demo_files()
    files["labels/train/00005.txt"] = b"7 0.5 0.5 0.2 0.2\n"
    body = _rejected(dataset_upload(api(alice), make_zip(files)), "class 7 is out of range")
    assert {"file": "labels/train/00005.txt", "line": 1}.items() <= body["report"]["errors"][0].items()
    nothing_kept()


def test_it_rejects_coordinates_out_of_range(api, alice, nothing_kept):
    files = demo_files()
    files["labels/val/00001.txt"] = b"0 0.5 0.5 0.2 0.2\n1 1.5 0.5 0.2 0.2\n"
    body = _rejected(dataset_upload(api(alice), make_zip(files)), "coordinates out of range")
    assert body["report"]["errors"][0]["line"] == 2
    nothing_kept()


def test_it_rejects_a_box_without_size(api, alice, nothing_kept):
    files = demo_files()
    files["labels/val/00001.txt"] = b"0 0.5 0.5 0 0.2\n"
    _rejected(dataset_upload(api(alice), make_zip(files)), "w and h must be positive")
    nothing_kept()


def test_it_rejects_a_corrupt_image(api, alice, nothing_kept):
    files = demo_files()
    files["images/train/00004.jpg"] = files["images/train/00004.jpg"][:200]  # a truncated JPEG
    _rejected(dataset_upload(api(alice), make_zip(files)), "cannot be decoded")
    nothing_kept()


def test_it_rejects_a_file_with_a_disallowed_image_extension(api, alice, nothing_kept):
    files = demo_files()
    files["images/train/notes.exe"] = b"MZ"
    _rejected(dataset_upload(api(alice), make_zip(files)), "not an allowed image extension")
    nothing_kept()


def test_it_rejects_a_label_without_an_image(api, alice, nothing_kept):
    files = demo_files()
    files["labels/train/orphan.txt"] = b"0 0.5 0.5 0.2 0.2\n"
    body = _rejected(dataset_upload(api(alice), make_zip(files)), "a label without an image")
    assert body["report"]["errors"][0]["file"] == "labels/train/orphan.txt"
    nothing_kept()


def test_it_rejects_a_dataset_without_a_val_split(api, alice, nothing_kept):
    files = demo_files()
    files["data.yaml"] = files["data.yaml"].replace(b"val: images/val\n", b"")
    _rejected(dataset_upload(api(alice), make_zip(files)), "'val' is required")
    nothing_kept()


def test_it_rejects_a_split_path_that_leaves_the_dataset(api, alice, nothing_kept):
    files = demo_files()
    files["data.yaml"] = files["data.yaml"].replace(b"val: images/val", b"val: ../../etc")
    _rejected(dataset_upload(api(alice), make_zip(files)), "points outside the dataset")
    nothing_kept()


def test_it_rejects_a_zip_without_data_yaml(api, alice, nothing_kept):
    files = demo_files()
    del files["data.yaml"]
    _rejected(dataset_upload(api(alice), make_zip(files)), "data.yaml:None: not found")
    nothing_kept()


def test_it_rejects_bytes_that_are_not_a_zip(api, alice, nothing_kept):
    _rejected(dataset_upload(api(alice), b"PK\x03\x04 not really a zip" * 10), "not a readable zip archive")
    nothing_kept()


def test_the_report_lists_the_first_problems_and_counts_them_all(api, alice, nothing_kept, settings):
    settings.DATASET_REPORT_MAX_PROBLEMS = 5
    files = demo_files()
    files["labels/train/00005.txt"] = b"".join(b"9 0.5 0.5 0.1 0.1\n" for _ in range(20))
    body = _rejected(dataset_upload(api(alice), make_zip(files)), "class 9 is out of range")
    assert len(body["report"]["errors"]) == 5
    assert body["report"]["error_count"] == 20
    assert "(and 19 more)" in body["detail"]
    nothing_kept()
