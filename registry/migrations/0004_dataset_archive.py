"""Issue 18: a dataset is one stored archive (the validated tree, normalised) that each host unpacks into its cache.

Rows from before kept an extracted tree in storage (`root`) beside the original upload (`archive`): the tree is
packed into the new archive, stored, and the tree and the old upload are removed.
"""
import tempfile
from pathlib import Path

from django.db import migrations, models


def pack_stored_trees(apps, schema_editor):
    from core.storage import (artifact_delete, artifact_fetch, artifact_list, artifact_store_file)
    from registry.datasets.archive import dataset_archive_pack

    Dataset = apps.get_model("registry", "Dataset")
    for dataset in Dataset.objects.exclude(root="").filter(archive_sha256=""):
        names = artifact_list(dataset.root)
        if not names:
            continue  # nothing stored (a placeholder row): leave it as it is
        with tempfile.TemporaryDirectory() as scratch:
            tree = Path(scratch) / "tree"
            for name in names:
                artifact_fetch(name=name, target=tree / name[len(dataset.root) + 1:])
            packed = Path(scratch) / "dataset.zip"
            dataset_archive_pack(root=tree, target=packed)
            archive, sha256, size = artifact_store_file(path=packed, kind="datasets", suffix=".zip")
        old = [dataset.root, dataset.archive]
        Dataset.objects.filter(pk=dataset.pk).update(archive=archive, archive_sha256=sha256, root="", size_bytes=size)
        for name in old:
            if name and not Dataset.objects.filter(models.Q(root=name) | models.Q(archive=name)).exists():
                artifact_delete(name)


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0003_explicit_usage_protect"),
    ]

    operations = [
        migrations.AddField(
            model_name="dataset",
            name="archive_sha256",
            field=models.CharField(blank=True, default="", max_length=64,
                                   help_text="SHA-256 of the stored archive: what each host's cache verifies."),
        ),
        migrations.AlterField(
            model_name="dataset",
            name="archive",
            field=models.CharField(max_length=500, help_text="Storage name of the dataset's archive (the validated "
                                                             "upload, normalised)."),
        ),
        migrations.AlterField(
            model_name="dataset",
            name="root",
            field=models.CharField(blank=True, default="", max_length=500,
                                   help_text="Before issue 18: the extracted directory in storage (now always empty)."),
        ),
        migrations.RunPython(pack_stored_trees, migrations.RunPython.noop),
    ]
