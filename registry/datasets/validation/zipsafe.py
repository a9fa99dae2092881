"""Safe zip extraction: no path escapes, links, special files, nested archives, or decompression bombs.

Every member is checked before a byte is written (names, types, count), then extracted with its bytes counted as
they come out of the decompressor: the sizes in the zip headers are written by the uploader and are not trusted.
"""
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings

from .problems import Problems

NESTED_ARCHIVE_SUFFIXES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".zst", ".lz4", ".lzma")
# Files that desktop archivers add: skipped silently rather than stored or refused.
JUNK_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
JUNK_PREFIXES = ("__MACOSX/",)
# Small members compress well (a label file of zeros): the ratio check starts after this many bytes.
RATIO_FLOOR_BYTES = 1024 * 1024
CHUNK = 256 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


class UnsafeArchive(Exception):
    """The archive was refused; `problems` says why. Whatever was extracted must be discarded by the caller."""

    def __init__(self, problems: Problems):
        super().__init__(problems.summary())
        self.problems = problems


@dataclass(frozen=True)
class ZipLimits:
    max_members: int
    max_total_bytes: int
    max_ratio: float

    @classmethod
    def from_settings(cls) -> "ZipLimits":
        return cls(max_members=settings.DATASET_MAX_MEMBERS,
                   max_total_bytes=settings.DATASET_MAX_UNCOMPRESSED_MB * 1024 * 1024,
                   max_ratio=settings.DATASET_MAX_RATIO)


@dataclass
class ExtractionSummary:
    members: int
    files: int
    bytes: int
    skipped: int


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    """Why this member may not be extracted, or None when it is an ordinary file or directory."""
    name = info.filename
    if not name or "\x00" in name:
        return "an empty or NUL-containing member name"
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "an absolute path: members must be relative to the archive root"
    parts = re.split(r"[\\/]+", name)
    if ".." in parts:
        return "a '..' path component: members may not point outside the archive"
    if info.flag_bits & 0x1:
        return "an encrypted member: encrypted archives are not accepted"
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if stat.S_ISLNK(mode):
        return "a symbolic link: links are not accepted"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "a special file (device, FIFO or socket): only regular files are accepted"
    if not info.is_dir() and name.lower().endswith(NESTED_ARCHIVE_SUFFIXES):
        return "a nested archive: unpack it and upload its content instead"
    return None


def _is_junk(name: str) -> bool:
    return name.startswith(JUNK_PREFIXES) or PurePosixPath(name).name in JUNK_NAMES


def safe_extract(archive_path: Path, target: Path, *, limits: ZipLimits, problems: Problems) -> ExtractionSummary:
    """Extract `archive_path` into the empty directory `target`, or raise UnsafeArchive (target then holds a
    partial extraction that the caller removes)."""
    try:
        archive = zipfile.ZipFile(archive_path)
    except (zipfile.BadZipFile, OSError) as exc:
        problems.error("file", f"not a readable zip archive ({exc})")
        raise UnsafeArchive(problems) from exc
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_members:
            problems.error("file", f"the archive has {len(members)} entries; the limit is {limits.max_members} "
                                   f"(DATASET_MAX_MEMBERS)")
            raise UnsafeArchive(problems)
        seen: set[str] = set()
        for info in members:
            reason = _member_problem(info)
            if reason:
                problems.error(info.filename, f"refused: {reason}")
                continue
            key = info.filename.rstrip("/").lower()
            if key in seen:
                problems.error(info.filename, "refused: the archive holds this name twice")
            seen.add(key)
        if not problems.ok:
            raise UnsafeArchive(problems)
        return _extract_members(archive, members, target.resolve(), limits, problems)


def _extract_members(archive: zipfile.ZipFile, members, root: Path, limits: ZipLimits,
                     problems: Problems) -> ExtractionSummary:
    total = files = skipped = 0
    prefix = str(root) + os.sep
    made: set[str] = set()
    for info in members:
        if _is_junk(info.filename):
            skipped += 1
            continue
        # normpath, not resolve(): nothing extracted here is a link, and it saves a syscall per path component
        destination = os.path.normpath(os.path.join(root, info.filename))
        if not (destination + os.sep).startswith(prefix):  # belt and braces after the name checks
            problems.error(info.filename, "refused: the path resolves outside the archive")
            raise UnsafeArchive(problems)
        folder = destination if info.is_dir() else os.path.dirname(destination)
        if folder not in made:
            try:
                os.makedirs(folder, exist_ok=True)
            except OSError as exc:  # a file and a folder of the same name
                problems.error(info.filename, f"refused: cannot create this path ({exc.strerror})")
                raise UnsafeArchive(problems) from exc
            made.add(folder)
        if info.is_dir():
            continue
        member_limit = max(limits.max_ratio * max(info.compress_size, 1), RATIO_FLOOR_BYTES)
        written = 0
        try:
            with archive.open(info) as source, open(destination, "xb") as sink:
                while chunk := source.read(CHUNK):
                    written += len(chunk)
                    if written > member_limit:
                        problems.error(info.filename, f"refused: expands more than {limits.max_ratio:g} times its "
                                                      f"compressed size (a zip bomb?; DATASET_MAX_RATIO)")
                        raise UnsafeArchive(problems)
                    if total + written > limits.max_total_bytes:
                        problems.error(info.filename, f"refused: the archive expands past "
                                                      f"{limits.max_total_bytes // (1024 * 1024)} MB "
                                                      f"(DATASET_MAX_UNCOMPRESSED_MB)")
                        raise UnsafeArchive(problems)
                    sink.write(chunk)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, ValueError,
                OSError) as exc:
            problems.error(info.filename, f"refused: the member cannot be read ({exc})")
            raise UnsafeArchive(problems) from exc
        total += written
        files += 1
    return ExtractionSummary(members=len(members), files=files, bytes=total, skipped=skipped)
