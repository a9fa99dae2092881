"""Presets: architectures built offline from their YAML with random initial weights, saved as real checkpoints."""
import pytest

pytestmark = pytest.mark.django_db


def test_a_yolov8n_preset_is_built_and_marked_as_randomly_initialised(api, alice):
    response = api(alice).post("/api/models/", {"name": "base", "preset": "yolov8n"}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["format"] == "pytorch" and body["source"] == "preset" and body["version"] == 1
    assert body["metadata"]["random_init"] is True and body["metadata"]["preset"] == "yolov8n"
    assert 3_000_000 < body["parameters"] < 3_300_000
    assert 8 < body["gflops"] < 9.5
    assert body["input_size"] == 640 and len(body["class_names"]) == 80


def test_an_unknown_preset_is_refused_naming_it(api, alice):
    response = api(alice).post("/api/models/", {"name": "base", "preset": "yolov99x"}, format="json")

    assert response.status_code == 400
    assert "yolov99x" in response.json()["detail"] and "yolov8n" in response.json()["detail"]


def test_a_viewer_cannot_create_a_preset(api, bob):
    response = api(bob).post("/api/models/", {"name": "base", "preset": "yolov8n"}, format="json")

    assert response.status_code == 403
