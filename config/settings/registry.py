"""The registry's limits: upload sizes, what a dataset archive may hold, the sandbox that inspects an uploaded
model, and how close a converted model's outputs must stay to its source's."""
from core.env import env_float, env_int

# --- uploads (registry/uploads.py) --------------------------------------------------------------------
MAX_DATASET_UPLOAD_MB = env_int("MAX_DATASET_UPLOAD_MB", 2048, minimum=1)
MAX_MODEL_UPLOAD_MB = env_int("MAX_MODEL_UPLOAD_MB", 1024, minimum=1)

# --- dataset archives (registry/datasets/validation/zipsafe.py, registry/datasets/validation/yolo.py) --------
DATASET_MAX_MEMBERS = env_int("DATASET_MAX_MEMBERS", 100_000, minimum=1)
DATASET_MAX_UNCOMPRESSED_MB = env_int("DATASET_MAX_UNCOMPRESSED_MB", 8192, minimum=1)
DATASET_MAX_RATIO = env_float("DATASET_MAX_RATIO", 100.0, minimum=1.0)  # per-member uncompressed/compressed
DATASET_MAX_IMAGE_PIXELS = env_int("DATASET_MAX_IMAGE_PIXELS", 64_000_000, minimum=1)
DATASET_REPORT_MAX_PROBLEMS = env_int("DATASET_REPORT_MAX_PROBLEMS", 50, minimum=1)

# --- model inspection (registry/model_versions/inspection/sandbox.py) -------------------------------------
MODEL_INSPECT_TIMEOUT_SECONDS = env_int("MODEL_INSPECT_TIMEOUT_SECONDS", 120, minimum=5)  # wall and CPU seconds
MODEL_INSPECT_MEMORY_MB = env_int("MODEL_INSPECT_MEMORY_MB", 6144, minimum=1024)  # address space, plus 4x the file
# an uploaded .onnx is loaded and run once on zeros in the sandbox under this much address space (plus 4x the file)
MODEL_ONNX_INSPECT_MEMORY_MB = env_int("MODEL_ONNX_INSPECT_MEMORY_MB", 3072, minimum=1024)

# --- conversion parity (registry/conversions/parity.py) ----------------------------------------------------
# boxes (and any non-detection output): relative, x max(1, max |reference|); class scores: absolute, in [0, 1]
CONVERSION_PARITY_ATOL = env_float("CONVERSION_PARITY_ATOL", 1e-3, minimum=0.0)
CONVERSION_PARITY_ATOL_FP16 = env_float("CONVERSION_PARITY_ATOL_FP16", 2e-2, minimum=0.0)  # TensorRT FP16 engines
CONVERSION_PARITY_SCORE_ATOL = env_float("CONVERSION_PARITY_SCORE_ATOL", 1e-3, minimum=0.0)
CONVERSION_PARITY_SCORE_ATOL_FP16 = env_float("CONVERSION_PARITY_SCORE_ATOL_FP16", 1e-2, minimum=0.0)
CONVERSION_PARITY_MIN_IOU = env_float("CONVERSION_PARITY_MIN_IOU", 0.9, minimum=0.0)  # matched detections after NMS
