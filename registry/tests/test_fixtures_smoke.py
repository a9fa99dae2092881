"""The shared ML fixtures produce a stored dataset and a stored tiny model."""
import pytest

from core.storage import artifact_size
from registry.datasets.archive import dataset_local

pytestmark = pytest.mark.django_db


def test_the_demo_dataset_and_tiny_model_are_stored(demo_dataset, tiny_model):
    assert (dataset_local(demo_dataset).path / "data.yaml").exists()
    assert artifact_size(tiny_model.file) == tiny_model.file_size
