"""The data.yaml of a YOLO detection dataset, checked and rebuilt from an allowlist: where it is, its class names,
and split paths that must stay inside the archive. Nothing in it is executed or fetched (a `download` key is
refused). The images and labels the splits name are checked in yolo.py.
"""
import os
import re
from pathlib import Path

import yaml

from .problems import Problems

ALLOWED_KEYS = ("path", "train", "val", "test", "names", "nc")
REQUIRED_SPLITS = ("train", "val")
YAML_NAMES = ("data.yaml", "data.yml")
MAX_YAML_BYTES = 64 * 1024
MAX_CLASSES = 10_000


def find_dataset_root(extracted: Path) -> Path | None:
    """The folder with data.yaml: the archive root, or its only top-level folder (`mydata/data.yaml`)."""
    for candidate in (extracted, *_single_subfolder(extracted)):
        if any((candidate / name).is_file() for name in YAML_NAMES):
            return candidate
    return None


def _single_subfolder(path: Path) -> list[Path]:
    entries = list(path.iterdir())
    return entries if len(entries) == 1 and entries[0].is_dir() else []


def load_yaml(path: Path, problems: Problems) -> dict | None:
    if path.stat().st_size > MAX_YAML_BYTES:
        problems.error(path.name, f"larger than {MAX_YAML_BYTES // 1024} KB; a data.yaml is a few lines")
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        problems.error(path.name, "not UTF-8 text")
        return None
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        problems.error(path.name, f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
                       line + 1 if line is not None else None)
        return None
    if not isinstance(data, dict):
        problems.error(path.name, "must be a mapping with train, val, names (and optionally nc, test, path)")
        return None
    for key in data:
        if key == "download":
            problems.error(path.name, "the 'download' key is refused: datasets are never downloaded or executed "
                                      "here; upload the files themselves")
        elif key not in ALLOWED_KEYS:
            problems.error(path.name, f"the key {key!r} is not allowed (allowed: {', '.join(ALLOWED_KEYS)})")
    return data if problems.ok else None


def check_names(data: dict, problems: Problems) -> list[str] | None:
    names = data.get("names")
    if isinstance(names, dict):
        if not all(isinstance(k, int) and not isinstance(k, bool) for k in names):
            problems.error("data.yaml", "names: a mapping must have integer class ids as keys")
            return None
        if sorted(names) != list(range(len(names))):
            problems.error("data.yaml", "names: class ids must be 0, 1, ... n-1 without gaps")
            return None
        names = [names[i] for i in range(len(names))]
    if not isinstance(names, list) or not names:
        problems.error("data.yaml", "names: required, a list of class names or a {id: name} mapping")
        return None
    if len(names) > MAX_CLASSES or not all(isinstance(n, (str, int)) and str(n).strip() for n in names):
        problems.error("data.yaml", f"names: every class name must be a non-empty string (at most {MAX_CLASSES})")
        return None
    names = [str(n).strip() for n in names]
    nc = data.get("nc")
    if nc is not None and (not isinstance(nc, int) or isinstance(nc, bool) or nc != len(names)):
        problems.error("data.yaml", f"nc is {nc!r} but names lists {len(names)} classes")
        return None
    return names


def check_split_paths(root: Path, data: dict, problems: Problems) -> dict[str, list[Path]] | None:
    base = _inside(root, root, data.get("path") or ".", "path", problems)
    if base is None:
        return None
    splits = {}
    for split in ("train", "val", "test"):
        value = data.get(split)
        if value in (None, "", []):
            if split in REQUIRED_SPLITS:
                problems.error("data.yaml", f"'{split}' is required: the folder of {split} images")
            continue
        values = value if isinstance(value, list) else [value]
        dirs = [_inside(root, base, v, split, problems) for v in values]
        if None in dirs:
            continue
        for path in dirs:
            if not path.is_dir():
                what = "is a file; image-list files are not supported" if path.exists() else "does not exist"
                problems.error("data.yaml", f"{split}: '{relative_text(root, [path])}' {what} (expected a folder of "
                                            "images inside the archive)")
        splits[split] = dirs
    return splits if problems.ok else None


def _inside(root: Path, base: Path, value, key: str, problems: Problems) -> Path | None:
    """`value` resolved against `base`, or None (with an error) when it is not a relative path inside `root`."""
    if not isinstance(value, str) or not value.strip():
        problems.error("data.yaml", f"{key}: must be a relative path string")
        return None
    if os.path.isabs(value) or re.match(r"^[A-Za-z]:", value) or "://" in value:
        problems.error("data.yaml", f"{key}: '{value}' is absolute or a URL; paths must be relative to data.yaml")
        return None
    path = (base / value).resolve()
    resolved_root = root.resolve()
    if path != resolved_root and resolved_root not in path.parents:
        problems.error("data.yaml", f"{key}: '{value}' points outside the dataset")
        return None
    return path


def relative(root: Path, dirs: list[Path]):
    rels = [p.resolve().relative_to(root.resolve()).as_posix() or "." for p in dirs]
    return rels[0] if len(rels) == 1 else rels


def relative_text(root: Path, dirs: list[Path]) -> str:
    rel = relative(root, dirs)
    return rel if isinstance(rel, str) else ", ".join(rel)
