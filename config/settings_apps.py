"""The apps' own settings (registry limits, model inspection and conversion, training, searches, reports), read
through core/env.py like every setting; config/settings.py imports them (split out to keep each under 300 lines).
"""
from core.env import env_bool, env_float, env_int, env_str

# --- dataset upload limits (registry/datasets/validation/zipsafe.py, registry/datasets/validation/yolo.py) -------------
DATASET_MAX_MEMBERS = env_int("DATASET_MAX_MEMBERS", 100_000, minimum=1)
DATASET_MAX_UNCOMPRESSED_MB = env_int("DATASET_MAX_UNCOMPRESSED_MB", 8192, minimum=1)
DATASET_MAX_RATIO = env_float("DATASET_MAX_RATIO", 100.0, minimum=1.0)  # per-member uncompressed/compressed
DATASET_MAX_IMAGE_PIXELS = env_int("DATASET_MAX_IMAGE_PIXELS", 64_000_000, minimum=1)
DATASET_REPORT_MAX_PROBLEMS = env_int("DATASET_REPORT_MAX_PROBLEMS", 50, minimum=1)

# --- model registry (registry/model_versions/inspection/sandbox.py, registry/conversions/parity.py) ---------------------
MODEL_INSPECT_TIMEOUT_SECONDS = env_int("MODEL_INSPECT_TIMEOUT_SECONDS", 120, minimum=5)  # wall and CPU seconds
MODEL_INSPECT_MEMORY_MB = env_int("MODEL_INSPECT_MEMORY_MB", 6144, minimum=1024)  # address space, plus 4x the file
# an uploaded .onnx is loaded and run once on zeros in the sandbox under this much address space (plus 4x the file)
MODEL_ONNX_INSPECT_MEMORY_MB = env_int("MODEL_ONNX_INSPECT_MEMORY_MB", 3072, minimum=1024)
# boxes (and any non-detection output): relative, x max(1, max |reference|); class scores: absolute, in [0, 1]
CONVERSION_PARITY_ATOL = env_float("CONVERSION_PARITY_ATOL", 1e-3, minimum=0.0)
CONVERSION_PARITY_ATOL_FP16 = env_float("CONVERSION_PARITY_ATOL_FP16", 2e-2, minimum=0.0)  # TensorRT FP16 engines
CONVERSION_PARITY_SCORE_ATOL = env_float("CONVERSION_PARITY_SCORE_ATOL", 1e-3, minimum=0.0)
CONVERSION_PARITY_SCORE_ATOL_FP16 = env_float("CONVERSION_PARITY_SCORE_ATOL_FP16", 1e-2, minimum=0.0)
CONVERSION_PARITY_MIN_IOU = env_float("CONVERSION_PARITY_MIN_IOU", 0.9, minimum=0.0)  # matched detections after NMS

# --- training (training/schemas.py, training/devices.py) --------------------------------------------
TRAINING_DEVICE = env_str("TRAINING_DEVICE", "")  # e.g. "cpu" or "0" for the whole worker; "" = one GPU per pool slot
# DataLoader worker processes per training run; unset = 0 on the CPU, a few on a GPU (training/devices.py)
TRAINING_DATALOADER_WORKERS = env_int("TRAINING_DATALOADER_WORKERS", None, minimum=0)
TRAINING_PRELOAD = env_bool("TRAINING_PRELOAD", True)  # a gpu worker imports the training stack once, at start
# The checkpoint goes to the artifact store after each epoch, but at most every N seconds (training/checkpoints.py)
TRAINING_CHECKPOINT_SECONDS = env_float("TRAINING_CHECKPOINT_SECONDS", 0.0, minimum=0.0)
# A gpu job whose host died (stale heartbeat) runs again on another worker, up to this many attempts in all
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 3, minimum=1)

# --- searches (searches/, docs/searches.md) ------------------------------------------------------------
SEARCH_MAX_TRIALS = env_int("SEARCH_MAX_TRIALS", 200, minimum=1)  # population x generations of one search
SEARCH_LATENCY_RESEND_SECONDS = env_float("SEARCH_LATENCY_RESEND_SECONDS", 600.0, minimum=1.0)  # lost measurement
# re-sent at most this many times (like JOB_LOST_MESSAGE_RESENDS), then the individual fails saying so
SEARCH_LATENCY_RESENDS = env_int("SEARCH_LATENCY_RESENDS", 2, minimum=0)

# --- benchmarks (benchmarks/, docs/benchmarks.md) -----------------------------------------------------
BENCHMARK_EXCLUSIVE_WAIT_SECONDS = env_int("BENCHMARK_EXCLUSIVE_WAIT_SECONDS", 1800, minimum=0)
# raw timings a result row keeps (a uniform sample; its statistics use every timing): bounds rows, reports, charts
BENCHMARK_MAX_STORED_TIMINGS = env_int("BENCHMARK_MAX_STORED_TIMINGS", 5000, minimum=100)
BENCHMARK_MAX_VAL_IMAGES = env_int("BENCHMARK_MAX_VAL_IMAGES", 500, minimum=1)  # mAP on at most this many images

# --- reports (reports/links.py): how long a signed link to a report's HTML views opens it -----------------
REPORT_LINK_MAX_AGE_SECONDS = env_int("REPORT_LINK_MAX_AGE_SECONDS", 24 * 3600, minimum=1)
