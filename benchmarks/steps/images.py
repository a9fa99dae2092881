"""Step: the validation images (and their labels) that the engines are fed and scored on, when there is a dataset."""
from django.conf import settings

from registry.datasets.archive import dataset_local

from ..accuracy import validation_samples


def images_read(state) -> None:
    if state.run.dataset_id:
        state.samples = validation_samples(dataset_root=dataset_local(state.run.dataset).held(),
                                           limit=settings.BENCHMARK_MAX_VAL_IMAGES)
