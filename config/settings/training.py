"""Training (training/; docs/training.md): the device and data loading of a run, its checkpoints and time limit,
and where ultralytics keeps its own settings."""
from core.env import env_bool, env_float, env_int, env_str

from .base import VAR_DIR
from .queues import CELERY_TASK_SOFT_TIME_LIMIT

TRAINING_DEVICE = env_str("TRAINING_DEVICE", "")  # e.g. "cpu" or "0" for the whole worker; "" = one GPU per pool slot
# DataLoader worker processes per training run; unset = 0 on the CPU, a few on a GPU (training/devices.py)
TRAINING_DATALOADER_WORKERS = env_int("TRAINING_DATALOADER_WORKERS", None, minimum=0)
TRAINING_PRELOAD = env_bool("TRAINING_PRELOAD", True)  # a gpu worker imports the training stack once, at start
# The checkpoint goes to the artifact store after each epoch, but at most every N seconds (training/checkpoints.py)
TRAINING_CHECKPOINT_SECONDS = env_float("TRAINING_CHECKPOINT_SECONDS", 0.0, minimum=0.0)
TRAINING_TIME_LIMIT_SECONDS = env_int("TRAINING_TIME_LIMIT_SECONDS", CELERY_TASK_SOFT_TIME_LIMIT, minimum=1)

# ultralytics: no network, no settings sync, no auto-install at run time.
ULTRALYTICS_DIR = VAR_DIR / "ultralytics"
