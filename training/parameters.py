"""The explicit schema of a training request: bounds for each parameter and the known hyperparameter names.

Only names listed here reach ultralytics, so a typo is a 400 naming it instead of a run that silently ignores it
(or a crash deep inside the worker).
"""
from django.conf import settings


EPOCHS = (1, 1000)
IMGSZ = (32, 2048)  # and a multiple of 32, the largest YOLOv8 stride
BATCH = (1, 512)
PATIENCE = (0, 1000)
SEED = (0, 2**31 - 1)
TIME_LIMIT_SECONDS = (1, 7 * 24 * 3600)

# name -> (type, minimum, maximum)
NUMERIC_HYPERPARAMETERS: dict[str, tuple[type, float, float]] = {
    "lr0": (float, 1e-6, 1.0),
    "lrf": (float, 1e-4, 1.0),
    "momentum": (float, 0.0, 0.999),
    "weight_decay": (float, 0.0, 0.1),
    "warmup_epochs": (float, 0.0, 100.0),
    "warmup_momentum": (float, 0.0, 0.999),
    "warmup_bias_lr": (float, 0.0, 1.0),
    "box": (float, 0.0, 100.0),
    "cls": (float, 0.0, 100.0),
    "dfl": (float, 0.0, 100.0),
    "hsv_h": (float, 0.0, 1.0),
    "hsv_s": (float, 0.0, 1.0),
    "hsv_v": (float, 0.0, 1.0),
    "degrees": (float, 0.0, 180.0),
    "translate": (float, 0.0, 0.9),
    "scale": (float, 0.0, 0.95),
    "shear": (float, 0.0, 45.0),
    "perspective": (float, 0.0, 0.001),
    "flipud": (float, 0.0, 1.0),
    "fliplr": (float, 0.0, 1.0),
    "mosaic": (float, 0.0, 1.0),
    "mixup": (float, 0.0, 1.0),
    "copy_paste": (float, 0.0, 1.0),
    "close_mosaic": (int, 0, 1000),
}
OPTIMIZERS = ("auto", "SGD", "Adam", "Adamax", "AdamW", "NAdam", "RAdam", "RMSProp")
BOOLEAN_HYPERPARAMETERS = ("cos_lr",)
HYPERPARAMETER_NAMES = tuple(sorted([*NUMERIC_HYPERPARAMETERS, "optimizer", *BOOLEAN_HYPERPARAMETERS]))


def default_time_limit_seconds() -> int:
    """The settings' TRAINING_TIME_LIMIT_SECONDS (default: Celery's soft limit for any task)."""
    return settings.TRAINING_TIME_LIMIT_SECONDS


def validate_hyperparameters(values: dict) -> tuple[dict, dict]:
    """Returns (clean values, errors by name). Every problem is reported, not only the first."""
    clean, errors = {}, {}
    for name, value in values.items():
        if name in NUMERIC_HYPERPARAMETERS:
            kind, low, high = NUMERIC_HYPERPARAMETERS[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                errors[name] = f"must be a number between {low:g} and {high:g}"
            elif kind is int and float(value) != int(value):
                errors[name] = f"must be a whole number between {low:g} and {high:g}"
            elif not low <= value <= high:
                errors[name] = f"must be between {low:g} and {high:g} (got {value:g})"
            else:
                clean[name] = kind(value)
        elif name == "optimizer":
            if value not in OPTIMIZERS:
                errors[name] = f"must be one of {', '.join(OPTIMIZERS)}"
            else:
                clean[name] = value
        elif name in BOOLEAN_HYPERPARAMETERS:
            if not isinstance(value, bool):
                errors[name] = "must be true or false"
            else:
                clean[name] = value
        else:
            errors[name] = f"unknown hyperparameter {name!r}; known: {', '.join(HYPERPARAMETER_NAMES)}"
    return clean, errors
