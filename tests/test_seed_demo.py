"""`manage.py seed_demo` (run by `make run`): demo accounts, dataset, model and first jobs, idempotently."""
import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_seeding_twice_creates_the_demo_once(monkeypatch):
    from accounts.models import User
    from registry.models import Conversion, Dataset, ModelVersion
    from training.models import TrainingRun

    monkeypatch.setenv("PLATFORM_DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo")
    call_command("seed_demo")
    assert {u.username: u.role for u in User.objects.all()} == {"admin": "admin", "engineer": "engineer",
                                                                 "viewer": "viewer"}
    assert User.objects.get(username="viewer").check_password("demo-password-for-tests")
    dataset = Dataset.objects.get(name="shapes-demo")
    assert dataset.shared and dataset.num_images == 256 and dataset.class_names == ["circle", "square", "triangle"]
    model = ModelVersion.objects.get(name="yolov8n-demo")
    assert model.shared and model.metadata["random_init"] is True
    run = TrainingRun.objects.get()
    assert run.name == "shapes-detector" and run.dataset == dataset and run.job.state == "QUEUED"
    conversion = Conversion.objects.get()
    assert conversion.source == model and conversion.options["dynamic"] is True


def test_demo_jobs_can_be_turned_off(monkeypatch):
    from training.models import TrainingRun

    monkeypatch.setenv("PLATFORM_DEMO_PASSWORD", "demo-password-for-tests")
    monkeypatch.setenv("PLATFORM_DEMO_JOBS", "0")
    call_command("seed_demo")
    assert not TrainingRun.objects.exists()
