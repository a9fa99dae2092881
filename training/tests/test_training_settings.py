"""The training settings (TRAINING_DEVICE, TRAINING_DATALOADER_WORKERS, TRAINING_PRELOAD) come from core/env.py
like every setting: the code reads `settings`, a bad value fails at start naming the variable."""
import pytest

from core import env
from training.devices import choose_device, dataloader_workers


def test_training_device_forces_the_device_for_the_whole_worker(settings):
    settings.TRAINING_DEVICE = "cpu"

    assert choose_device() == "cpu"


def test_dataloader_workers_follow_the_setting_and_default_to_none_on_the_cpu(settings):
    settings.TRAINING_DATALOADER_WORKERS = None
    assert dataloader_workers("cpu") == 0

    settings.TRAINING_DATALOADER_WORKERS = 2
    assert dataloader_workers("cpu") == 2


def test_a_negative_worker_count_is_refused_naming_the_variable(monkeypatch):
    monkeypatch.setenv("TRAINING_DATALOADER_WORKERS", "-1")

    with pytest.raises(env.ImproperlyConfiguredEnv, match="TRAINING_DATALOADER_WORKERS=-1 must be at least 0"):
        env.env_int("TRAINING_DATALOADER_WORKERS", None, minimum=0)


def test_unset_means_no_value_of_its_own(monkeypatch):
    monkeypatch.delenv("TRAINING_DATALOADER_WORKERS", raising=False)

    assert env.env_int("TRAINING_DATALOADER_WORKERS", None, minimum=0) is None
