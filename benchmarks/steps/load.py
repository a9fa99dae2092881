"""Step: each variant's engine loaded on its version (the CUDA-graph engine captures the benchmark's batch sizes up
front), with its load time and the memory it added; a load that fails is the variant's `failed` row."""
import time
from dataclasses import dataclass, field

import psutil
from celery.exceptions import SoftTimeLimitExceeded

from inference.engines import ENGINES
from registry.model_versions.selectors import model_file_local

from ..models import ResultStatus


@dataclass
class Loaded:
    variant: object
    engine: object
    version: object
    precision: str
    load_s: float
    rss_load_mb: float
    described: dict
    accuracy: dict = field(default_factory=dict)


def engines_load(state) -> None:
    for index, (variant, version) in enumerate(state.planned):
        state.advance(index, len(state.planned))
        state.ctx.checkpoint()
        item = engine_load(state, variant, version)
        if item is not None:
            state.loaded.append(item)


def engine_load(state, variant, version) -> Loaded | None:
    """The variant's engine loaded on `version`, or None after writing its failed row."""
    params = state.params
    first_batch = params["batch_sizes"][0]
    state.progress(f"loading {variant.name}")
    process = psutil.Process()
    rss_before, started = process.memory_info().rss, time.perf_counter()
    try:
        engine = ENGINES[variant.engine]().load(model_file_local(version).held())
        if getattr(engine, "graphs", False):  # the CUDA-graph engine: capture the configured buckets up front
            engine.warmup(params["imgsz"], batch_sizes=params["batch_sizes"])
    except SoftTimeLimitExceeded:  # the job's time is up: not a failed engine
        raise
    except Exception as exc:
        state.row(variant, first_batch, ResultStatus.FAILED, f"load failed: {type(exc).__name__}: {exc}",
                  source_model=version)
        return None
    load_s = round(time.perf_counter() - started, 3)
    described = engine.describe()
    precision = variant.precision or described.get("precision") or "fp32"
    if engine.fixed_imgsz and engine.fixed_imgsz != params["imgsz"]:
        state.row(variant, first_batch, ResultStatus.FAILED, f"the {version.format} file has a fixed input size "
                  f"{engine.fixed_imgsz}; benchmark it at imgsz {engine.fixed_imgsz}", precision=precision,
                  source_model=version)
        return None
    return Loaded(variant, engine, version, precision, load_s,
                  round((process.memory_info().rss - rss_before) / 2**20, 1), described)
