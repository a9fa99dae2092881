"""Dataset reads: what a user may see (a dataset on this host's disk: registry/dataset_archive.dataset_local)."""
from django.db.models import QuerySet

from accounts.visibility import visible_to
from core.errors import NotFound
from ..models import Dataset


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
        raise NotFound("No dataset with this id is visible to you.")
    return dataset
