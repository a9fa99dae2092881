"""Dataset reads: what a user may see, and the paths training needs."""
from pathlib import Path

from django.db.models import QuerySet
from django.http import Http404

from accounts.visibility import visible_to

from .models import Dataset
from .storage import artifact_path


def dataset_list(*, user, name: str | None = None) -> QuerySet[Dataset]:
    """Datasets visible to `user`: their own and shared ones; admins see all."""
    datasets = visible_to(Dataset.objects.select_related("owner"), user)
    if name:
        datasets = datasets.filter(name=name)
    return datasets


def dataset_get(*, user, dataset_id: int) -> Dataset:
    """The dataset if `user` may see it; 404 otherwise (never 403, so others' ids are not confirmed)."""
    dataset = dataset_list(user=user).filter(pk=dataset_id).first()
    if dataset is None:
        raise Http404("No dataset with this id is visible to you.")
    return dataset


def dataset_root_path(dataset: Dataset) -> Path:
    return artifact_path(dataset.root)


def dataset_yaml_path(dataset: Dataset) -> Path:
    """Absolute path of the dataset's data.yaml, ready for `YOLO.train(data=...)`.

    The stored yaml has split paths relative to its own folder and no `path` key: ultralytics then takes the
    yaml's folder as the dataset root, so the file works wherever ARTIFACT_ROOT lives.
    """
    return dataset_root_path(dataset) / "data.yaml"


def dataset_archive_path(dataset: Dataset) -> Path | None:
    return artifact_path(dataset.archive) if dataset.archive else None

