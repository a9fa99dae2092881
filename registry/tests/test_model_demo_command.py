"""`manage.py make_demo_model` registers a shared preset once."""
import io

import pytest
from django.core.management import call_command

from registry.models import ModelVersion

pytestmark = pytest.mark.django_db


def test_make_demo_model_registers_a_shared_preset_once(alice):
    out = io.StringIO()
    call_command("make_demo_model", owner="alice", name="demo", if_missing=True, stdout=out)
    call_command("make_demo_model", owner="alice", name="demo", if_missing=True, stdout=out)

    model = ModelVersion.objects.get(owner=alice, name="demo")
    assert model.shared and model.source == "preset" and model.metadata["random_init"] is True
    assert "nothing to do" in out.getvalue()
