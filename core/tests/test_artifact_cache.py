"""The artifact cache's promises, one test each: content-addressed, verified, fetched once, atomic, bounded LRU
that never evicts a held entry. The store here is a folder and a counting fetch function (the S3 path is the
two-host test's, tests/test_two_hosts.py)."""
import hashlib
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from core.artifact_cache import ArtifactCache, ArtifactCorrupt


class Store:
    """Stored names in a folder; `fetch` counts, can be slowed down, and can hand out wrong bytes."""

    def __init__(self, root: Path):
        self.root, self.calls, self.delay, self.corrupt_next = root, [], 0.0, 0
        root.mkdir(parents=True, exist_ok=True)

    def put(self, name: str, data: bytes) -> str:
        (self.root / name).parent.mkdir(parents=True, exist_ok=True)
        (self.root / name).write_bytes(data)
        return hashlib.sha256(data).hexdigest()

    def fetch(self, *, name: str, target: Path) -> None:
        self.calls.append(name)
        time.sleep(self.delay)
        shutil.copyfile(self.root / name, target)
        if self.corrupt_next:
            self.corrupt_next -= 1
            with open(target, "r+b") as handle:
                handle.write(b"X")


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "store")


def cache_at(tmp_path, store, max_bytes=10**9):
    return ArtifactCache(tmp_path / "cache", max_bytes, store.fetch)


def test_a_file_is_fetched_on_first_use_and_served_from_disk_after(tmp_path, store):
    sha = store.put("models/a.pt", b"weights" * 100)
    cache = cache_at(tmp_path, store)
    with cache.file(name="models/a.pt", sha256=sha, suffix=".pt") as path:
        assert path.read_bytes() == b"weights" * 100 and path.name == f"{sha}.pt"
    with cache.file(name="models/a.pt", sha256=sha, suffix=".pt"):
        pass
    assert store.calls == ["models/a.pt"]


def test_the_same_bytes_under_two_names_are_cached_once(tmp_path, store):
    sha = store.put("a.pt", b"same")
    store.put("b.pt", b"same")
    cache = cache_at(tmp_path, store)
    with cache.file(name="a.pt", sha256=sha) as first, cache.file(name="b.pt", sha256=sha) as second:
        assert first == second
    assert store.calls == ["a.pt"]


def test_a_download_with_the_wrong_hash_is_fetched_again_and_never_used(tmp_path, store):
    sha = store.put("a.pt", b"good bytes")
    store.corrupt_next = 1
    with cache_at(tmp_path, store).file(name="a.pt", sha256=sha) as path:
        assert path.read_bytes() == b"good bytes"
    assert len(store.calls) == 2


def test_a_store_copy_that_never_matches_is_refused_and_nothing_is_cached(tmp_path, store):
    sha = store.put("a.pt", b"good bytes")
    store.corrupt_next = 5
    cache = cache_at(tmp_path, store)
    with pytest.raises(ArtifactCorrupt):
        cache.file(name="a.pt", sha256=sha)
    assert cache.entries() == [] and not list((tmp_path / "cache" / "tmp").iterdir())


def test_a_cached_file_corrupted_or_truncated_on_disk_is_detected_and_fetched_again(tmp_path, store):
    sha = store.put("a.pt", b"0123456789" * 1000)
    cache = cache_at(tmp_path, store)
    with cache.file(name="a.pt", sha256=sha) as path:
        pass
    path.write_bytes(b"0123456789" * 500)  # truncated
    with cache.file(name="a.pt", sha256=sha) as again:
        assert again.read_bytes() == b"0123456789" * 1000
    with open(path, "r+b") as handle:  # same size, one byte flipped
        handle.write(b"X")
    with cache.file(name="a.pt", sha256=sha) as again:
        assert again.read_bytes() == b"0123456789" * 1000
    assert len(store.calls) == 3


def test_two_jobs_wanting_the_same_artifact_at_once_download_it_once(tmp_path, store):
    sha = store.put("a.pt", b"big" * 10000)
    store.delay = 0.5
    cache = cache_at(tmp_path, store)
    paths = []

    def job():
        with ArtifactCache(tmp_path / "cache", 10**9, store.fetch).file(name="a.pt", sha256=sha) as path:
            paths.append(path.read_bytes())

    threads = [threading.Thread(target=job) for _ in range(3)]
    [thread.start() for thread in threads]
    [thread.join() for thread in threads]
    assert store.calls == ["a.pt"] and paths == [b"big" * 10000] * 3
    assert cache.entries()[0][1] == 30000


def test_a_download_killed_half_way_leaves_no_entry_and_the_next_use_fetches_it(tmp_path, store):
    sha = store.put("a.pt", b"x" * 100)
    script = (f"import os, sys; sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r});"
              "from pathlib import Path; from core.artifact_cache import ArtifactCache\n"
              "def fetch(*, name, target):\n"
              "    Path(target).write_bytes(b'half'); os._exit(9)\n"
              f"ArtifactCache(Path({str(tmp_path / 'cache')!r}), 10**9, fetch).file(name='a.pt', sha256={sha!r})")
    assert subprocess.run([sys.executable, "-c", script]).returncode == 9
    cache = cache_at(tmp_path, store)
    assert cache.entries() == []
    with cache.file(name="a.pt", sha256=sha) as path:
        assert path.read_bytes() == b"x" * 100


def test_the_least_recently_used_entries_go_first_when_the_cache_is_over_its_size(tmp_path, store):
    shas = [store.put(f"{n}.pt", bytes([n]) * 1000) for n in range(3)]
    cache = cache_at(tmp_path, store, max_bytes=2500)
    for n in (0, 1):
        cache.file(name=f"{n}.pt", sha256=shas[n]).release()
        time.sleep(0.02)
    cache.file(name="0.pt", sha256=shas[0]).release()  # 0 is now more recent than 1
    time.sleep(0.02)
    cache.file(name="2.pt", sha256=shas[2]).release()
    kept = {sha for _, _, sha, _ in cache.entries()}
    assert kept == {shas[0], shas[2]} and cache.size() <= 2500


def test_an_entry_a_running_job_holds_is_never_evicted(tmp_path, store):
    shas = [store.put(f"{n}.pt", bytes([n]) * 1000) for n in range(3)]
    cache = cache_at(tmp_path, store, max_bytes=1500)
    held = cache.file(name="0.pt", sha256=shas[0])  # the oldest, but a job holds it
    time.sleep(0.02)
    cache.file(name="1.pt", sha256=shas[1]).release()
    time.sleep(0.02)
    cache.file(name="2.pt", sha256=shas[2]).release()
    kept = {sha for _, _, sha, _ in cache.entries()}
    assert shas[0] in kept and held.path.read_bytes() == bytes([0]) * 1000
    held.release()
    cache.evict()
    assert shas[0] not in {sha for _, _, sha, _ in cache.entries()}


def test_an_archive_is_verified_then_unpacked_once_into_its_own_folder(tmp_path, store):
    packed = tmp_path / "d.zip"
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("data.yaml", "names: [a]\n")
    sha = store.put("datasets/d.zip", packed.read_bytes())
    cache = cache_at(tmp_path, store)
    seen = []

    def unpack(archive_path, into, final):
        seen.append(final)
        with zipfile.ZipFile(archive_path) as archive:
            archive.extractall(into)

    with cache.tree(name="datasets/d.zip", sha256=sha, unpack=unpack) as folder:
        assert (folder / "data.yaml").read_text() == "names: [a]\n" and seen == [folder]
    with cache.tree(name="datasets/d.zip", sha256=sha, unpack=unpack):
        pass
    assert store.calls == ["datasets/d.zip"] and len(seen) == 1


def test_an_artifact_without_a_recorded_hash_is_refused(tmp_path, store):
    store.put("a.pt", b"x")
    with pytest.raises(ValueError, match="not a SHA-256"):
        cache_at(tmp_path, store).tree(name="a.pt", sha256="", unpack=lambda *args: None)
