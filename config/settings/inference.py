"""Inference and serving (inference/pool.py, serving/; docs/inference.md): batching, queue depth and deadlines,
input limits, how many models a pool keeps warm, the engines' threads, and who may read /metrics."""
from core.env import env_bool, env_float, env_int, env_list, env_str

INFERENCE_BATCH_WINDOW_MS = env_float("INFERENCE_BATCH_WINDOW_MS", 2.0, minimum=0.0)
INFERENCE_MAX_BATCH = env_int("INFERENCE_MAX_BATCH", 8, minimum=1)
INFERENCE_MAX_QUEUE = env_int("INFERENCE_MAX_QUEUE", 256, minimum=1)  # queued requests per model, then 503
INFERENCE_TIMEOUT_MS = env_int("INFERENCE_TIMEOUT_MS", 10_000, minimum=1)  # default deadline, then 504
INFERENCE_MAX_IMAGES = env_int("INFERENCE_MAX_IMAGES", 16, minimum=1)
INFERENCE_MAX_BODY_MB = env_int("INFERENCE_MAX_BODY_MB", 20, minimum=1)
INFERENCE_MAX_IMAGE_PIXELS = env_int("INFERENCE_MAX_IMAGE_PIXELS", 40_000_000, minimum=1)
INFERENCE_MAX_MODELS = env_int("INFERENCE_MAX_MODELS", 4, minimum=1)
INFERENCE_MAX_RSS_MB = env_int("INFERENCE_MAX_RSS_MB", 0, minimum=0)  # 0: bounded by INFERENCE_MAX_MODELS only
INFERENCE_PRELOAD = [int(i) for i in env_list("INFERENCE_PRELOAD", [])]
INFERENCE_HEARTBEAT_SECONDS = env_float("INFERENCE_HEARTBEAT_SECONDS", 1.0, minimum=0.1)
INFERENCE_ORT_THREADS = env_int("INFERENCE_ORT_THREADS", 0, minimum=0)  # 0: ONNX Runtime's default
INFERENCE_ORT_SPIN = env_bool("INFERENCE_ORT_SPIN", False)  # ORT intra-op threads spin between runs
INFERENCE_OPENVINO_PRECISION = env_str("INFERENCE_OPENVINO_PRECISION", "")  # "": the CPU plugin's choice (bf16/f32)

METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", [])  # empty: any client
METRICS_TOKEN = env_str("METRICS_TOKEN")  # set: /metrics needs "Authorization: Bearer <token>"
