"""Benchmark runs and their results: one row per engine x precision x batch size, with the raw timings kept."""
import base64
import zlib

import numpy as np
from django.conf import settings
from django.db import models

from jobs.models import JobSubject


class BenchmarkRun(JobSubject):
    """One benchmark of a model version on the gpu queue: what was asked, what was measured, what was selected."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="benchmark_runs")
    model = models.ForeignKey("registry.ModelVersion", on_delete=models.PROTECT, related_name="benchmark_runs")
    dataset = models.ForeignKey("registry.Dataset", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="benchmark_runs", help_text="Validation split for mAP; none: speed only.")
    params = models.JSONField(default=dict, help_text="The validated request: engines, imgsz, batch sizes, warm-up, "
                                                      "iterations, min_seconds, constraints, objective, apply.")
    results = models.JSONField(default=dict, blank=True, help_text="Host, library versions, exclusivity, what else "
                                                                   "ran during the timed loops, baseline.")
    selected = models.JSONField(default=dict, blank=True, help_text="The selection: winner and reason, or the "
                                                                    "blocking constraints and the nearest miss.")
    applied = models.BooleanField(default=False, help_text="The selection was set as the model's serving engine.")
    host = models.CharField(max_length=150, blank=True, default="", help_text="The host it ran on (HOST_NAME).")
    hardware_class = models.CharField(max_length=150, blank=True, default="",
                                      help_text="That host's hardware class: an applied selection serves this class.")

    class Meta:
        default_related_name = "benchmark_run"  # job.benchmark_run
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"benchmark #{self.pk} of model {self.model_id}"


class ResultStatus(models.TextChoices):
    MEASURED = "measured"
    UNAVAILABLE = "unavailable"
    FAILED = "failed"


class BenchmarkResult(models.Model):
    """One engine x precision x batch size. Latencies in ms; `*_ms` per batch, `*_ms_per_image` per image."""

    run = models.ForeignKey(BenchmarkRun, on_delete=models.CASCADE, related_name="result_rows")
    engine = models.CharField(max_length=64)
    precision = models.CharField(max_length=16, blank=True, default="")
    batch_size = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=16, choices=ResultStatus.choices)
    reason = models.TextField(blank=True, default="")
    source_model = models.ForeignKey("registry.ModelVersion", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="benchmark_results", help_text="The version the engine ran.")
    load_s = models.FloatField(null=True, blank=True)
    cold_ms = models.FloatField(null=True, blank=True)
    iterations = models.PositiveIntegerField(default=0)
    mean_ms = models.FloatField(null=True, blank=True)
    std_ms = models.FloatField(null=True, blank=True)
    min_ms = models.FloatField(null=True, blank=True)
    p50_ms = models.FloatField(null=True, blank=True)
    p90_ms = models.FloatField(null=True, blank=True)
    p95_ms = models.FloatField(null=True, blank=True)
    p99_ms = models.FloatField(null=True, blank=True)
    max_ms = models.FloatField(null=True, blank=True)
    mean_ms_per_image = models.FloatField(null=True, blank=True)
    p50_ms_per_image = models.FloatField(null=True, blank=True)
    p95_ms_per_image = models.FloatField(null=True, blank=True)
    p99_ms_per_image = models.FloatField(null=True, blank=True)
    fps = models.FloatField(null=True, blank=True, help_text="Images per second over the timed loop.")
    peak_rss_mb = models.FloatField(null=True, blank=True)
    gpu_mem_peak_mb = models.FloatField(null=True, blank=True)
    gpu_util_mean = models.FloatField(null=True, blank=True)
    gpu_util_max = models.FloatField(null=True, blank=True)
    cpu_util = models.FloatField(null=True, blank=True, help_text="Process CPU time / wall time, % of one core.")
    map50 = models.FloatField(null=True, blank=True)
    map50_95 = models.FloatField(null=True, blank=True)
    map_drop = models.FloatField(null=True, blank=True, help_text="mAP50-95 of the baseline minus this engine's.")
    timings = models.TextField(blank=True, default="", help_text="Per-iteration ms: float32, zlib, base64.")
    details = models.JSONField(default=dict, blank=True, help_text="The engine's describe(), conversion notes.")

    class Meta:
        ordering = ["run", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "engine", "precision", "batch_size"],
                                               name="benchmark_result_unique")]

    def __str__(self):
        return f"{self.engine} {self.precision} b{self.batch_size}: {self.status}"

    @property
    def candidate(self) -> str:
        return f"{self.engine} ({self.precision})" if self.precision else self.engine


def timings_pack(values_ms) -> str:
    return base64.b64encode(zlib.compress(np.asarray(values_ms, dtype=np.float32).tobytes(), 6)).decode()


def timings_unpack(packed: str) -> np.ndarray:
    if not packed:
        return np.zeros(0, dtype=np.float32)
    return np.frombuffer(zlib.decompress(base64.b64decode(packed)), dtype=np.float32)
