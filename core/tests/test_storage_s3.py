"""core/storage.py against a real S3 server (SeaweedFS): the same calls as on the filesystem, and the artifact cache
filled from S3. No mock of S3."""
import hashlib

import pytest

from core import storage
from core.artifact_cache import cached_file, host_artifact_cache


def test_files_go_to_the_bucket_content_addressed_and_come_back_the_same(s3_storage, tmp_path):
    source = tmp_path / "w.pt"
    source.write_bytes(b"weights" * 200_000)
    name, sha, size = storage.artifact_store_file(path=source, kind="models", suffix=".pt")
    assert name == f"models/{sha[:2]}/{sha}.pt" and size == 1_400_000 and not storage.storage_is_local()
    assert storage.artifact_store_file(path=source, kind="models", suffix=".pt") == (name, sha, size)  # idempotent
    assert b"".join(storage.artifact_stream(name, chunk_size=65536)) == source.read_bytes()
    storage.artifact_fetch(name=name, target=tmp_path / "back.pt")
    assert (tmp_path / "back.pt").read_bytes() == source.read_bytes()


def test_a_fixed_name_is_replaced_and_a_folder_is_deleted_with_everything_under_it(s3_storage, tmp_path):
    storage.artifact_put_bytes(name="training/7/weights/last.pt", data=b"epoch 1")
    storage.artifact_put_bytes(name="training/7/weights/last.pt", data=b"epoch 2")
    storage.artifact_put_bytes(name="training/7/results.csv", data=b"epoch\n")
    assert storage.artifact_read_bytes("training/7/weights/last.pt") == b"epoch 2"
    assert sorted(storage.artifact_list("training/7")) == ["training/7/results.csv", "training/7/weights/last.pt"]
    storage.artifact_delete("training/7")
    assert storage.artifact_list("training/7") == [] and not storage.artifact_exists("training/7/results.csv")


def test_the_cache_fills_from_s3_verifies_and_refetches_a_corrupted_copy(s3_storage, tmp_path):
    data = b"model bytes" * 10_000
    source = tmp_path / "m.onnx"
    source.write_bytes(data)
    name, sha, _ = storage.artifact_store_file(path=source, kind="models", suffix=".onnx")
    with cached_file(name=name, sha256=sha) as path:
        assert path.read_bytes() == data and path.suffix == ".onnx"
    path.write_bytes(b"corrupt")
    with cached_file(name=name, sha256=sha) as again:
        assert hashlib.sha256(again.read_bytes()).hexdigest() == sha
    assert host_artifact_cache().fetches == 2


def test_a_deleted_artifact_cannot_be_fetched_by_a_host_that_never_cached_it(s3_storage, tmp_path):
    source = tmp_path / "gone.pt"
    source.write_bytes(b"soon gone")
    name, sha, _ = storage.artifact_store_file(path=source, kind="models", suffix=".pt")
    storage.artifact_delete(name)
    assert not storage.artifact_exists(name)
    with pytest.raises(FileNotFoundError):
        cached_file(name=name, sha256=sha)


@pytest.mark.django_db
def test_a_download_is_streamed_by_the_web_host_from_s3_with_the_same_permissions(s3_storage, api, alice, carol):
    from tests.support.rows import model_row

    model = model_row(owner=alice)
    response = api(alice).get(f"/api/models/{model.pk}/download/")
    assert response.status_code == 200 and response.streaming
    assert b"".join(response.streaming_content) == b"placeholder"
    assert api(carol).get(f"/api/models/{model.pk}/download/").status_code == 404
