"""Benchmarks (benchmarks/; docs/benchmarks.md): how long a run waits for its machine alone, how many raw timings a
result keeps, and how many images its accuracy is measured on."""
from core.env import env_int

BENCHMARK_EXCLUSIVE_WAIT_SECONDS = env_int("BENCHMARK_EXCLUSIVE_WAIT_SECONDS", 1800, minimum=0)
# raw timings a result row keeps (a uniform sample; its statistics use every timing): bounds rows, reports, charts
BENCHMARK_MAX_STORED_TIMINGS = env_int("BENCHMARK_MAX_STORED_TIMINGS", 5000, minimum=100)
BENCHMARK_MAX_VAL_IMAGES = env_int("BENCHMARK_MAX_VAL_IMAGES", 500, minimum=1)  # mAP on at most this many images
