"""Reads for inference: which model a user may call. What serves it is serving/selectors.py (the one home)."""
from registry.model_selectors import model_get_visible
from registry.models import ModelVersion


def inference_model_get(*, user, model_id: int) -> ModelVersion:
    return model_get_visible(user=user, model_id=model_id)
