"""The host's artifact cache: local copies of stored artifacts, by SHA-256, verified, shared by the host's jobs.

Code that needs a file on disk (ultralytics, ONNX Runtime, OpenVINO, TensorRT) asks for `(name, sha256)` and gets
a path that stays valid while it holds the lease. Properties, each tested in core/tests/test_artifact_cache.py:
- content-addressed: `files/ab/<sha256><suffix>`; an extracted archive is `trees/<sha256>/`;
- verified: a fetched file is hashed before it is used; a mismatch is fetched once more, then refused. A cached
  file whose size or mtime changed since it was verified (written over, truncated) is hashed again, and fetched
  again when it no longer matches: a corrupt copy is never handed out;
- atomic: fetched into a temporary file and renamed; an exclusive file lock per hash, so two jobs on one host
  that want the same artifact download it once (the second waits, then finds it);
- bounded: after a fetch, least recently used entries are removed until the cache is under its size, except
  those a job holds: a lease is a shared `flock` on the entry's pin file, and eviction takes it exclusively
  without waiting, so a held entry is skipped. A killed job's locks go with its process: nothing stale is left.
- pruned on request: each entry records the store name it came from; `prune()` (`manage.py artifact_cache_prune`,
  on each host) removes the entries whose object the store no longer has (a deleted model), never a held one.
  Left alone, they are never asked for again and age out like any other.
"""
import fcntl
import logging
import os
import shutil
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from .storage import artifact_fetch, sha256_of

log = logging.getLogger(__name__)

FETCH_TRIES = 2


class ArtifactCorrupt(Exception):
    """The store's copy does not match its recorded SHA-256 (fetched twice): it must not be used."""


class Lease:
    """A cached path held by this process: never evicted until released (or the process exits)."""

    def __init__(self, path: Path, pin_handle):
        self.path = path
        self._pin = pin_handle

    def release(self) -> None:
        if self._pin is not None:
            self._pin.close()  # closing the descriptor drops the shared flock
            self._pin = None

    def held(self) -> Path:
        """Keep the lease until this process ends, and return the path: for a gpu job, whose worker child runs one
        job and exits (worker_max_tasks_per_child=1). Not for long-lived processes (the inference pool)."""
        _held_for_process.append(self)
        return self.path

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc) -> None:
        self.release()


_held_for_process: list[Lease] = []


def _checked(sha256: str) -> str:
    """The hash names folders that get removed: never let an empty or odd value name a parent."""
    sha256 = (sha256 or "").lower()
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a SHA-256: {sha256!r} (the artifact's hash was never recorded)")
    return sha256


def _stamp_of(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size} {stat.st_mtime_ns}"


def _tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


class ArtifactCache:
    """`fetch(name=, target=)` copies stored `name` into the local file `target` (core.storage.artifact_fetch) and
    may return the SHA-256 it computed on the way (then the file is not read a second time)."""

    def __init__(self, root: Path, max_bytes: int, fetch: Callable[..., None]):
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._fetch = fetch
        self.fetches = 0  # downloads this process made, for tests and the benchmark
        for folder in ("files", "trees", "locks", "pins", "tmp"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)

    # --- leases -------------------------------------------------------------------------------------------------
    def file(self, *, name: str, sha256: str, suffix: str = "") -> Lease:
        """A verified local copy of stored `name`, whose content hash is `sha256`."""
        sha256 = _checked(sha256)
        path = self.root / "files" / sha256[:2] / f"{sha256}{suffix}"
        pin = self._pin(sha256)
        try:
            with self._locked(sha256):
                fetched = not self._valid_file(path, sha256)
                if fetched:
                    self._download(name=name, sha256=sha256, target=path, stamp=True)
                self._touch(path, name)
        except BaseException:
            pin.close()
            raise
        if fetched:  # only a fetch makes the cache bigger
            self.evict()
        return Lease(path, pin)

    def tree(self, *, name: str, sha256: str, unpack: Callable[[Path, Path, Path], None]) -> Lease:
        """The archive stored as `name` (hash `sha256`), unpacked by `unpack(archive, folder, final folder)` into
        a folder of its own (`folder` is renamed to `final folder` once it is complete). The archive is verified before it is unpacked, then dropped: the folder is the cache entry."""
        sha256 = _checked(sha256)
        folder = self.root / "trees" / sha256
        pin = self._pin(sha256)
        try:
            with self._locked(sha256):
                fetched = not self._stamp(folder).is_file()
                if fetched:
                    shutil.rmtree(folder, ignore_errors=True)  # a half-unpacked folder a killed job left
                    archive = self.root / "tmp" / f"{sha256}.{os.getpid()}.archive"
                    try:
                        self._download(name=name, sha256=sha256, target=archive, stamp=False)
                        unpacking = self.root / "tmp" / f"{sha256}.{os.getpid()}.tree"
                        shutil.rmtree(unpacking, ignore_errors=True)
                        unpacking.mkdir()
                        unpack(archive, unpacking, folder)
                        os.replace(unpacking, folder)
                        self._stamp(folder).write_text(str(_tree_size(folder)))
                    finally:
                        archive.unlink(missing_ok=True)
                self._touch(folder, name)
        except BaseException:
            pin.close()
            raise
        if fetched:
            self.evict()
        return Lease(folder, pin)

    # --- eviction -----------------------------------------------------------------------------------------------
    def entries(self) -> list[tuple[float, int, str, Path]]:
        """(last used, size, sha256, path) of every complete entry."""
        found = []
        for stamp in list((self.root / "files").glob("*/*.ok")) + list((self.root / "trees").glob("*.ok")):
            path = stamp.with_suffix("")
            try:
                used = stamp.stat().st_mtime
                size = int(stamp.read_text().split()[0]) if path.is_dir() else path.stat().st_size
            except (OSError, ValueError, IndexError):
                continue
            found.append((used, size, path.name[:64], path))
        return sorted(found)

    def size(self) -> int:
        return sum(size for _, size, _, _ in self.entries())

    def evict(self) -> list[str]:
        """Remove least recently used entries, never a held one, until the cache fits `max_bytes`."""
        removed: list[str] = []
        with open(self.root / "locks" / ".evict", "a+") as guard:
            try:
                fcntl.flock(guard, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return removed  # another job of this host is evicting
            entries = self.entries()
            total = sum(size for _, size, _, _ in entries)
            for _used, size, sha256, path in entries:
                if total <= self.max_bytes:
                    break
                if self._remove(sha256, path):
                    total -= size
                    removed.append(sha256)
        if removed:
            log.info("artifact cache %s: evicted %d entr(ies), %d bytes kept", self.root, len(removed), total)
        return removed

    def prune(self, *, exists: Callable[[str], bool]) -> list[tuple[str, int]]:
        """Remove the entries whose recorded store name `exists` no longer finds (deleted artifacts), never a held
        one; returns (store name, bytes) of each. An entry with no recorded name (cached before names were) stays."""
        removed: list[tuple[str, int]] = []
        with open(self.root / "locks" / ".evict", "a+") as guard:
            fcntl.flock(guard, fcntl.LOCK_EX)  # not beside an eviction
            for _used, size, sha256, path in self.entries():
                recorded = self._name_file(path)
                name = recorded.read_text() if recorded.is_file() else ""
                if name and not exists(name) and self._remove(sha256, path):
                    removed.append((name, size))
        return removed

    def _remove(self, sha256: str, path: Path) -> bool:
        """Remove an entry unless a job holds it (its pin cannot be taken exclusively without waiting)."""
        with open(self.root / "pins" / sha256, "a+") as pin:
            try:
                fcntl.flock(pin, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False  # a running job holds it
            self._stamp(path).unlink(missing_ok=True)
            self._name_file(path).unlink(missing_ok=True)
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        return True

    # --- the parts ----------------------------------------------------------------------------------------------
    def _pin(self, sha256: str):
        handle = open(self.root / "pins" / sha256, "a+")
        fcntl.flock(handle, fcntl.LOCK_SH)  # waits while an evictor removes this entry
        return handle

    @contextmanager
    def _locked(self, sha256: str):
        with open(self.root / "locks" / sha256, "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    @staticmethod
    def _stamp(path: Path) -> Path:
        return path.with_name(path.name + ".ok")

    @staticmethod
    def _name_file(path: Path) -> Path:
        return path.with_name(path.name + ".name")  # the store name it came from, for prune()

    def _valid_file(self, path: Path, sha256: str) -> bool:
        stamp = self._stamp(path)
        if not path.is_file():
            return False
        if stamp.is_file() and stamp.read_text() == _stamp_of(path):
            return True
        if sha256_of(path) == sha256:  # changed since verified (or never stamped): trust the content, not the stamp
            stamp.write_text(_stamp_of(path))
            return True
        log.warning("artifact cache %s: %s does not match its SHA-256: fetching it again", self.root, path.name)
        stamp.unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        return False

    def _download(self, *, name: str, sha256: str, target: Path, stamp: bool) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.root / "tmp" / f"{sha256}.{os.getpid()}.{time.monotonic_ns()}"
        try:
            for attempt in range(1, FETCH_TRIES + 1):
                computed = self._fetch(name=name, target=temporary)
                self.fetches += 1
                if (computed or sha256_of(temporary)) == sha256:
                    os.replace(temporary, target)
                    if stamp:
                        self._stamp(target).write_text(_stamp_of(target))
                    return
                log.warning("artifact cache %s: %s fetched with the wrong SHA-256 (try %d)", self.root, name, attempt)
            raise ArtifactCorrupt(f"the stored artifact {name} does not match its recorded SHA-256 {sha256}")
        finally:
            temporary.unlink(missing_ok=True)

    def _touch(self, path: Path, name: str) -> None:
        stamp = self._stamp(path)
        if stamp.exists():
            os.utime(stamp)  # the stamp's mtime is the entry's last use (the LRU order)
        recorded = self._name_file(path)
        if not recorded.is_file() or recorded.read_text() != name:
            recorded.write_text(name)


_host_cache: ArtifactCache | None = None


def host_artifact_cache() -> ArtifactCache:
    """This host's cache, as the settings configure it (ARTIFACT_CACHE_DIR, ARTIFACT_CACHE_MAX_GB)."""
    global _host_cache
    root, max_bytes = Path(settings.ARTIFACT_CACHE_DIR), int(settings.ARTIFACT_CACHE_MAX_GB * 1024 ** 3)
    if _host_cache is None or _host_cache.root != root or _host_cache.max_bytes != max_bytes:
        _host_cache = ArtifactCache(root, max_bytes, artifact_fetch)
    return _host_cache


def cached_file(*, name: str, sha256: str, suffix: str | None = None) -> Lease:
    """A leased, verified local copy of stored `name`; the suffix (which ultralytics reads) defaults to the name's."""
    return host_artifact_cache().file(name=name, sha256=sha256,
                                      suffix=Path(name).suffix if suffix is None else suffix)
