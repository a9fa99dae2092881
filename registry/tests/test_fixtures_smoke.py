"""The shared ML fixtures produce a stored dataset and a stored tiny model."""
import pytest

from registry.storage import artifact_path

pytestmark = pytest.mark.django_db


def test_the_demo_dataset_and_tiny_model_are_stored(demo_dataset, tiny_model):
    assert (artifact_path(demo_dataset.root) / "data.yaml").exists()
    assert artifact_path(tiny_model.file).stat().st_size == tiny_model.file_size
