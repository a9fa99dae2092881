"""Uploaded pickles are hostile: a .pt is inspected in a sandboxed subprocess with an allowlist, never unpickled here."""
import pytest

from registry.model_versions.inspection.sandbox import (PtInspectionError, pt_inspect_in_subprocess)
from registry.model_versions.presets import PRESETS, preset_build
from tests.support.model_files import CanaryCommand, CanaryOpen, bytes_upload, model_upload, raw_pickle, torch_saved

pytestmark = pytest.mark.django_db


def test_a_checkpoint_whose_pickle_would_run_a_command_is_refused_and_the_canary_never_appears(api, alice, tmp_path):
    canary = tmp_path / "canary-system"
    data = torch_saved({"model": CanaryCommand(canary), "train_args": {"imgsz": 64}})

    response = model_upload(api(alice), bytes_upload(data, "evil.pt"))

    assert response.status_code == 400, response.content
    assert "posix.system" in response.json()["detail"]
    assert not canary.exists()
    assert not alice.model_versions.exists()


def test_a_legacy_pickle_that_would_open_a_file_is_refused_and_the_canary_never_appears(api, alice, tmp_path):
    canary = tmp_path / "canary-open"

    response = model_upload(api(alice), bytes_upload(raw_pickle(CanaryOpen(canary)), "evil.pt"))

    assert response.status_code == 400, response.content
    assert "builtins.open" in response.json()["detail"] or "io.open" in response.json()["detail"]
    assert not canary.exists()


def test_garbage_bytes_are_refused(api, alice):
    response = model_upload(api(alice), bytes_upload(b"\x00garbage, not a checkpoint" * 100, "model.pt"))

    assert response.status_code == 400
    assert "file" in response.json()["detail"]


def test_a_plain_state_dict_is_refused_with_a_clear_message(api, alice):
    import torch

    data = torch_saved({"conv.weight": torch.zeros(4, 3, 3, 3), "conv.bias": torch.zeros(4)})

    response = model_upload(api(alice), bytes_upload(data, "weights.pt"))

    assert response.status_code == 400
    assert "plain state_dict" in response.json()["detail"]


def test_the_inspector_child_gets_neither_the_web_environment_nor_its_secrets(monkeypatch, tmp_path):
    from registry.model_versions.inspection.sandbox import _child_env

    monkeypatch.setenv("SECRET_KEY", "do-not-leak")
    env = _child_env(tmp_path)

    assert "SECRET_KEY" not in env and "DATABASE_URL" not in env and "REDIS_URL" not in env
    assert env["YOLO_AUTOINSTALL"] == "false" and env["YOLO_OFFLINE"] == "1" and env["CUDA_VISIBLE_DEVICES"] == ""


# One preset per family: the s/m/l scales of a family build the same module classes at other widths and depths,
# so the allowlist sees nothing new in them (and each inspection costs seconds: the sandbox imports torch).
FAMILIES = sorted({name[:-1]: name for name in sorted(PRESETS, key=lambda n: n[-1] == "n")}.values())  # the n scale


def test_every_preset_family_is_checked():
    assert {name[:-1] for name in PRESETS} == {name[:-1] for name in FAMILIES}


@pytest.mark.parametrize("preset", FAMILIES)
def test_every_preset_checkpoint_passes_the_allowlist(preset, tmp_path):
    path, _ = preset_build(preset=preset, directory=tmp_path)

    metadata = pt_inspect_in_subprocess(path=path)

    assert metadata["task"] == "detect" and metadata["parameters"] > 1_000_000 and metadata["input_size"] == 640


def test_a_trained_checkpoint_passes_the_allowlist_with_its_classes(tiny_weights):
    metadata = pt_inspect_in_subprocess(path=tiny_weights)

    assert metadata["class_names"] == ["circle", "square", "triangle"]
    assert metadata["input_size"] == 64 and metadata["gflops"] > 0


def test_an_inspection_past_its_time_limit_is_refused(settings, tiny_weights):
    settings.MODEL_INSPECT_TIMEOUT_SECONDS = 0.01

    with pytest.raises(PtInspectionError, match="longer than"):
        pt_inspect_in_subprocess(path=tiny_weights)
