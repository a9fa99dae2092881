"""The machines the platform's workers and inference pools run on, as they registered themselves."""
from django.db import models

from core.models import TimeStampedModel


class Host(TimeStampedModel):
    """One machine (or one HOST_NAME): its hardware as its processes read it. Whether it is alive lives in Redis
    (a heartbeat key per process with a TTL, hosts/liveness.py); `last_seen` is written at a modest rate."""

    name = models.CharField(max_length=150, unique=True)
    hardware_class = models.CharField(max_length=150, db_index=True,
                                      help_text="The class serving choices are made for: gpu:<model> or cpu:<isa>.")
    cpu_model = models.CharField(max_length=255, blank=True, default="")
    cpu_features = models.JSONField(default=list, blank=True, help_text='e.g. ["AVX-512", "AMX", "AMX INT8"]')
    cpu_cores = models.PositiveIntegerField(default=0)
    memory_mb = models.PositiveIntegerField(default=0)
    gpus = models.JSONField(default=list, blank=True, help_text="NVML: [{index, name, memory_total_mb}]")
    gpu_driver = models.CharField(max_length=64, blank=True, default="")
    engines = models.JSONField(default=list, blank=True, help_text="Inference engines its gpu worker or pool can run.")
    roles = models.JSONField(default=list, blank=True, help_text="The kinds of process that registered it.")
    last_seen = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.hardware_class})"
