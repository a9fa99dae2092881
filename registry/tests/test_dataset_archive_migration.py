"""Datasets stored before issue 18 (an extracted tree in storage beside the original zip) become one archive."""
import importlib
import uuid

import pytest
from django.apps import apps

from core.storage import (artifact_exists, artifact_list, artifact_put, artifact_put_bytes)
from registry.datasets.archive import dataset_local
from registry.models import Dataset

pack_stored_trees = importlib.import_module("registry.migrations.0004_dataset_archive").pack_stored_trees


@pytest.mark.django_db
def test_a_stored_tree_is_packed_into_one_archive_and_the_old_files_go(alice, demo_dataset_tree):
    root = f"datasets/{uuid.uuid4().hex}"
    for path in demo_dataset_tree.rglob("*"):
        if path.is_file():
            artifact_put(path=path, name=f"{root}/{path.relative_to(demo_dataset_tree).as_posix()}")
    artifact_put_bytes(name="dataset-archives/old.zip", data=b"the original upload")
    legacy = Dataset.objects.create(name="old", version=1, owner=alice, sha256=uuid.uuid4().hex,
                                    archive="dataset-archives/old.zip", root=root, class_names=["a"])

    pack_stored_trees(apps, None)

    legacy.refresh_from_db()
    assert legacy.root == "" and legacy.archive.endswith(f"{legacy.archive_sha256}.zip")
    assert artifact_list(root) == [] and not artifact_exists("dataset-archives/old.zip")
    with dataset_local(legacy) as folder:
        assert (folder / "data.yaml").is_file() and list((folder / "images" / "val").iterdir())
