"""One benchmark while its steps run: the run and its request, and what each step leaves for the next. Result rows
are written as each variant finishes, so what was measured before a failure or a cancel stays."""
import gc

import cv2
import numpy as np

from core.yolo_processing import preprocess

from ..models import BenchmarkResult, BenchmarkRun
from .slot import others_running


class BenchmarkState:
    def __init__(self, *, ctx, run: BenchmarkRun):
        self.ctx, self.run, self.params = ctx, run, run.params
        self.worker = ctx.job.worker or ""
        self.fraction, self.span = 0.0, (0.0, 1.0)  # the job's progress, and the part of it the running step owns
        self.samples: list | None = None  # (image path, labels) of the validation split (images step)
        self.available: dict = {}  # engine -> whether this worker can run it, and why not (slot step)
        self.base_rss_mb = 0.0  # this process before any conversion or engine: what a lone engine adds to (slot)
        self.versions: dict = {}  # source kind -> ModelVersion, or the SourceFailed saying why none (sources step)
        self.planned: list = []  # (variant, version) to load (sources step)
        self.loaded: list = []  # the engines loaded (load step), then timed and scored
        self.concurrent: dict[int, dict] = {}  # the jobs seen on the other gpu slot during the timed loops
        self.baseline: dict | None = None  # the FP32 engine each mAP drop is taken from (scoring step)
        self.rows: list[dict] = []  # the result rows the selection chose from (select step)
        self.selected: dict = {}

    @classmethod
    def for_job(cls, ctx) -> "BenchmarkState":
        return cls(ctx=ctx, run=BenchmarkRun.objects.select_related("model", "dataset", "owner").get(job_id=ctx.job_id))

    def advance(self, done: int, total: int) -> None:
        """`done` of the running step's `total` items are done: the job's progress within the step's span."""
        start, end = self.span
        self.fraction = start + (end - start) * done / max(1, total)

    def progress(self, message: str) -> None:
        self.ctx.progress(min(self.fraction, 0.99), message)

    def row(self, variant, batch_size: int, status: str, reason: str = "", **fields) -> BenchmarkResult:
        precision = fields.pop("precision", None) or variant.precision
        return BenchmarkResult.objects.update_or_create(
            run=self.run, engine=variant.engine, precision=precision, batch_size=batch_size,
            defaults={"status": status, "reason": reason[:2000], **fields})[0]

    def note_concurrent(self, label: str) -> None:
        for other in others_running(job_id=self.ctx.job_id, worker=self.worker):
            entry = self.concurrent.setdefault(other["id"], {**other, "during": []})
            if label not in entry["during"]:
                entry["during"].append(label)

    def batch(self, batch_size: int, imgsz: int) -> np.ndarray:
        """Real images when there is a dataset (data-dependent kernels), else seeded noise."""
        if self.samples:
            images = [cv2.imread(str(self.samples[i % len(self.samples)][0])) for i in range(batch_size)]
            return preprocess(images, imgsz)
        return np.random.default_rng(0).random((batch_size, 3, imgsz, imgsz), dtype=np.float32)

    def engines_release(self) -> None:
        """Drop the loaded engines (and the memory they hold) once they are scored, or when a step failed."""
        self.loaded = []
        gc.collect()
