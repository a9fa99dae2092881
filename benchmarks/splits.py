"""The images of a dataset's splits as its data.yaml names them (not a hard-coded `images/val`), the label file of
each image by ultralytics' own rule, and the INT8 calibration set kept apart from the images accuracy is measured on.

The stored data.yaml was rebuilt by the registry (split paths relative to it, inside the tree), and is read through
the same checker here, so a split path can never leave the dataset's folder.
"""
import hashlib
import os
import random
from pathlib import Path

import yaml

from registry.datasets.validation.problems import Problems
from registry.datasets.validation.yolo import IMAGE_SUFFIXES
from registry.datasets.validation.yolo_yaml import check_split_paths


def dataset_split_dirs(root: Path) -> dict[str, list[Path]]:
    """split -> image folders, from the tree's data.yaml; a tree without one falls back to images/<split>."""
    data_yaml = root / "data.yaml"
    if data_yaml.is_file():
        data = yaml.safe_load(data_yaml.read_text()) or {}
        problems = Problems()
        found = check_split_paths(root, data if isinstance(data, dict) else {}, problems)
        if found is not None:
            return found
    return {split: [root / "images" / split] for split in ("train", "val", "test")
            if (root / "images" / split).is_dir()}


def split_images(dirs: list[Path]) -> list[Path]:
    images = set()
    for folder in dirs:
        if folder.is_dir():
            images.update(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    return sorted(images)


def label_path(image: Path) -> Path:
    """ultralytics' img2label_paths: the last `/images/` becomes `/labels/`, the suffix `.txt`."""
    text = str(image)
    marker = f"{os.sep}images{os.sep}"
    if marker in text:
        head, tail = text.rsplit(marker, 1)
        text = f"{head}{os.sep}labels{os.sep}{tail}"
    return Path(text).with_suffix(".txt")


def accuracy_images(root: Path) -> tuple[str, list[Path]]:
    """(split, images) that mAP is measured on: `val` as ultralytics' val uses it, else `test`."""
    dirs = dataset_split_dirs(root)
    for split in ("val", "test"):
        images = split_images(dirs.get(split, []))
        if images:
            return split, images
    return "", []


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def calibration_set(root: Path, *, limit: int, seed: int = 0) -> dict:
    """Up to `limit` images to calibrate INT8 on, never one that accuracy is measured on (by path or by content: a
    data.yaml whose train and val name the same folder, or a copied image, would let INT8 calibrate on its own test).
    {"split", "images", "excluded"}; images is empty when nothing is left, and the caller refuses."""
    _, measured = accuracy_images(root)
    measured_paths = {p.resolve() for p in measured}
    measured_digests = {_digest(p) for p in measured}
    dirs = dataset_split_dirs(root)
    for split in ("train", "test"):
        candidates = split_images(dirs.get(split, []))
        kept = [p for p in candidates if p.resolve() not in measured_paths and _digest(p) not in measured_digests]
        if kept:
            random.Random(seed).shuffle(kept)
            return {"split": split, "images": kept[:limit], "excluded": len(candidates) - len(kept)}
    return {"split": "", "images": [], "excluded": 0}
