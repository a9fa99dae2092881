"""Deleted artifacts leave the host caches on request: `prune()` / `manage.py artifact_cache_prune` removes the
entries whose object the store no longer has, keeps the others, and never removes one a running job holds."""
import hashlib
from io import StringIO

from django.core.management import call_command

from core import storage
from core.artifact_cache import cached_file, host_artifact_cache


def _stored(tmp_path, data: bytes, suffix: str = ".pt") -> tuple[str, str]:
    source = tmp_path / f"source{suffix}"
    source.write_bytes(data)
    name, sha, _ = storage.artifact_store_file(path=source, kind="models", suffix=suffix)
    return name, sha


def _prune() -> str:
    out = StringIO()
    call_command("artifact_cache_prune", stdout=out)
    return out.getvalue()


def test_a_deleted_models_cached_copy_is_pruned_and_a_stored_ones_is_kept(s3_storage, tmp_path):
    gone_name, gone_sha = _stored(tmp_path, b"deleted model" * 1000)
    kept_name, kept_sha = _stored(tmp_path, b"kept model" * 1000, suffix=".onnx")
    with cached_file(name=gone_name, sha256=gone_sha) as gone_path, cached_file(name=kept_name, sha256=kept_sha):
        pass
    storage.artifact_delete(gone_name)
    out = _prune()
    assert f"removed {gone_name} (13000 bytes): no longer in the store" in out and "1 entr(ies)" in out
    assert not gone_path.exists() and not gone_path.with_name(gone_path.name + ".ok").exists()
    assert {sha for _, _, sha, _ in host_artifact_cache().entries()} == {kept_sha}
    assert "0 entr(ies)" in _prune()  # nothing left to do


def test_an_entry_a_running_job_holds_is_not_pruned_until_it_is_released(s3_storage, tmp_path):
    name, sha = _stored(tmp_path, b"held model" * 1000)
    held = cached_file(name=name, sha256=sha)
    storage.artifact_delete(name)
    assert "0 entr(ies)" in _prune() and held.path.read_bytes() == b"held model" * 1000
    held.release()
    assert f"removed {name}" in _prune() and not held.path.exists()


def test_an_entry_with_no_recorded_name_is_left_to_the_lru(s3_storage, tmp_path):
    name, sha = _stored(tmp_path, b"old entry" * 1000)
    with cached_file(name=name, sha256=sha) as path:
        pass
    path.with_name(path.name + ".name").unlink()  # as cached before entries recorded their names
    storage.artifact_delete(name)
    assert "0 entr(ies)" in _prune() and path.exists()


def test_an_unpacked_dataset_of_a_deleted_archive_is_pruned(s3_storage):
    storage.artifact_put_bytes(name="datasets/aa/d.zip", data=b"an archive")
    sha = hashlib.sha256(b"an archive").hexdigest()

    def unpack(archive, into, final):
        (into / "data.yaml").write_text("names: [a]\n")

    with host_artifact_cache().tree(name="datasets/aa/d.zip", sha256=sha, unpack=unpack) as folder:
        assert (folder / "data.yaml").is_file()
    storage.artifact_delete("datasets/aa/d.zip")
    assert "removed datasets/aa/d.zip" in _prune() and not folder.exists()
