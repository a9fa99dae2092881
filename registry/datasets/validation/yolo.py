"""YOLO detection dataset validation: a data.yaml rebuilt from an allowlist (yolo_yaml.py), decodable images,
well-formed labels.

Runs on an already safely-extracted tree. Nothing in the dataset is executed or fetched: a `download` key (which
ultralytics would run as a URL or a Python script) is refused, and every path must stay inside the archive.
"""
import math
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from core.filekind import not_an_image

from .problems import Problems
from .yolo_yaml import (YAML_NAMES, check_names, check_split_paths, find_dataset_root, load_yaml, relative,
                        relative_text)

IMAGE_SUFFIXES = (".bmp", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp")
DECODED_FORMATS = {"BMP", "JPEG", "MPO", "PNG", "TIFF", "WEBP"}
IMAGE_THREADS = min(4, os.cpu_count() or 1)
_INT = re.compile(r"^\d+$")


@dataclass
class SplitStats:
    images: int = 0
    backgrounds: int = 0
    unlabelled: int = 0
    instances: int = 0
    class_instances: dict = field(default_factory=dict)
    class_images: dict = field(default_factory=dict)


@dataclass
class DatasetCheck:
    """What validation found. `root` is the folder holding data.yaml (the archive root or its one top folder)."""

    root: Path | None
    data_yaml: dict
    class_names: list[str]
    report: dict
    problems: Problems

    @property
    def ok(self) -> bool:
        return self.problems.ok


def validate_yolo_dataset(extracted: Path, *, problems: Problems, max_image_pixels: int) -> DatasetCheck:
    root = find_dataset_root(extracted)
    Image.MAX_IMAGE_PIXELS = max_image_pixels  # PIL's own guard, set once: the image threads only read it
    if root is None:
        problems.error("data.yaml", "not found: put data.yaml at the archive root (or in its one top-level folder)")
        return DatasetCheck(None, {}, [], {}, problems)
    yaml_file = next(root / name for name in YAML_NAMES if (root / name).is_file())
    raw = load_yaml(yaml_file, problems)
    if raw is None:
        return DatasetCheck(root, {}, [], {}, problems)
    names = check_names(raw, problems)
    splits = check_split_paths(root, raw, problems)
    if names is None or splits is None:
        return DatasetCheck(root, {}, names or [], {}, problems)
    rebuilt = {key: relative(root, dirs) for key, dirs in splits.items()}
    rebuilt.update(nc=len(names), names=list(names))
    stats, sizes = {}, []
    for split, dirs in splits.items():
        stats[split] = SplitStats()
        for images_dir in dirs:
            _check_split_files(root, split, images_dir, len(names), stats[split], sizes, problems, max_image_pixels)
        if stats[split].images == 0:
            problems.error(relative_text(root, dirs), f"the '{split}' split holds no images")
        if stats[split].unlabelled:
            problems.warning(relative_text(root, dirs),
                             f"{stats[split].unlabelled} image(s) in '{split}' have no label file: "
                             "counted as backgrounds (no objects)")
    return DatasetCheck(root, rebuilt, list(names), _report(names, stats, sizes, rebuilt), problems)


def _labels_dir_for(images_dir: Path) -> Path:
    """ultralytics' rule: the last `/images/` in an image path becomes `/labels/`, else labels sit beside images."""
    sa, sb = f"{os.sep}images{os.sep}", f"{os.sep}labels{os.sep}"
    text = str(images_dir) + os.sep
    return Path(sb.join(text.rsplit(sa, 1))) if sa in text else images_dir


def _check_split_files(root: Path, split: str, images_dir: Path, nc: int, stats: SplitStats, sizes: list,
                       problems: Problems, max_pixels: int) -> None:
    labels_dir = _labels_dir_for(images_dir)
    beside = labels_dir == images_dir
    images = []
    for path in sorted(p for p in images_dir.rglob("*") if p.is_file()):
        if beside and path.suffix.lower() == ".txt":
            continue
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            problems.error(path.relative_to(root).as_posix(),
                           f"not an allowed image extension (allowed: {' '.join(IMAGE_SUFFIXES)})")
            continue
        images.append(path)
    matched: set[Path] = set()
    # Decoding dominates the time and PIL releases the GIL while decoding: a few threads, results kept in order.
    with ThreadPoolExecutor(max_workers=IMAGE_THREADS) as pool:
        inspected = pool.map(lambda path: _inspect_image(path, max_pixels), images)
        for path, (size, error) in zip(images, inspected):
            stats.images += 1
            if error:
                problems.error(path.relative_to(root).as_posix(), error)
            else:
                sizes.append(size)
            label = labels_dir / path.relative_to(images_dir).with_suffix(".txt")
            if label.is_file():
                matched.add(label)
                classes = _check_label(label, label.relative_to(root).as_posix(), nc, problems)
                stats.instances += len(classes)
                stats.backgrounds += not classes
                for cls in classes:
                    stats.class_instances[cls] = stats.class_instances.get(cls, 0) + 1
                for cls in set(classes):
                    stats.class_images[cls] = stats.class_images.get(cls, 0) + 1
            else:
                stats.unlabelled += 1
                stats.backgrounds += 1
    if beside or not labels_dir.is_dir():
        return
    for label in sorted(p for p in labels_dir.rglob("*") if p.is_file()):
        rel = label.relative_to(root).as_posix()
        if label.name == "classes.txt" or label.suffix.lower() != ".txt":
            problems.warning(rel, "not a label file for an image: ignored")
        elif label not in matched:
            problems.error(rel, "a label without an image (no image of that name in "
                                f"'{relative_text(root, [images_dir])}')")


def _inspect_image(path: Path, max_pixels: int) -> tuple[tuple[int, int] | None, str | None]:
    """(width, height) of a fully decodable image, or (None, why not). Thread-safe: records nothing itself."""
    try:
        with Image.open(path) as image:  # reads the header only; PIL refuses over 2x MAX_IMAGE_PIXELS itself
            width, height = image.size
            if width * height > max_pixels:
                return None, f"{width}x{height} pixels is over the limit of {max_pixels} (DATASET_MAX_IMAGE_PIXELS)"
            if image.format not in DECODED_FORMATS:
                return None, f"decodes as {image.format}, which is not an accepted image format"
            image.verify()
        with Image.open(path) as image:  # verify() leaves the image unusable: reopen to decode the pixels
            image.load()
    except (UnidentifiedImageError, ImportError):  # ImportError: ultralytics' Image.open patch wants pi_heif
        with open(path, "rb") as file:
            return None, not_an_image(file.read(64))
    except Exception as exc:  # PIL raises many exception types for broken files; all mean "cannot decode"
        return None, f"the image cannot be decoded ({exc.__class__.__name__}: {exc})"
    if width < 1 or height < 1:
        return None, "the image has no pixels"
    return (width, height), None


def _check_label(path: Path, rel: str, nc: int, problems: Problems) -> list[int]:
    """The class of each valid row; problems for the others. Duplicate rows are a warning (ultralytics drops them)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        problems.error(rel, "not UTF-8 text")
        return []
    classes, seen, duplicates = [], set(), []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 5:
            problems.error(rel, f"expected 5 values 'class cx cy w h', found {len(fields)} (detection labels only)",
                           number)
            continue
        if not _INT.match(fields[0]):
            problems.error(rel, f"class '{fields[0]}' is not a non-negative integer", number)
            continue
        cls = int(fields[0])
        if cls >= nc:
            problems.error(rel, f"class {cls} is out of range: data.yaml has {nc} classes (0-{nc - 1})", number)
            continue
        try:
            cx, cy, w, h = (float(v) for v in fields[1:])
        except ValueError:
            problems.error(rel, "coordinates must be numbers", number)
            continue
        if not all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in (cx, cy, w, h)):
            problems.error(rel, "coordinates out of range: cx cy w h must be normalised to [0, 1]", number)
            continue
        if w <= 0 or h <= 0:
            problems.error(rel, "the box has no size: w and h must be positive", number)
            continue
        key = (cls, cx, cy, w, h)
        if key in seen:
            duplicates.append(number)
            continue
        seen.add(key)
        classes.append(cls)
    if duplicates:
        problems.warning(rel, f"{len(duplicates)} duplicate row(s) (lines {', '.join(map(str, duplicates[:10]))}): "
                              "counted once", duplicates[0])
    return classes


def _report(names: list[str], stats: dict[str, SplitStats], sizes: list, rebuilt: dict) -> dict:
    def per_class(split_stats):
        return {name: {"images": split_stats.class_images.get(i, 0), "instances": split_stats.class_instances.get(i, 0)}
                for i, name in enumerate(names)}

    totals = SplitStats()
    for s in stats.values():
        totals.images += s.images
        totals.instances += s.instances
        totals.backgrounds += s.backgrounds
        for attr in ("class_images", "class_instances"):
            for cls, count in getattr(s, attr).items():
                getattr(totals, attr)[cls] = getattr(totals, attr).get(cls, 0) + count
    widths, heights = [w for w, _ in sizes], [h for _, h in sizes]
    image_sizes = {
        "min_width": min(widths), "max_width": max(widths), "mean_width": round(sum(widths) / len(widths), 1),
        "min_height": min(heights), "max_height": max(heights), "mean_height": round(sum(heights) / len(heights), 1),
    } if sizes else {}
    return {
        "num_images": totals.images, "num_instances": totals.instances, "num_backgrounds": totals.backgrounds,
        "splits": {split: {"images": s.images, "instances": s.instances, "backgrounds": s.backgrounds,
                           "classes": per_class(s)} for split, s in stats.items()},
        "classes": per_class(totals),
        "image_sizes": image_sizes,
        "data_yaml": rebuilt,
    }
