"""The one lifecycle every async job shares: a Job row and its history of transitions, and the abstract model of the
rows whose work is a job (training runs, conversions, benchmark runs, searches, reports)."""
from typing import ClassVar

from django.conf import settings
from django.db import models

from core.models import TimeStampedModel


class JobState(models.TextChoices):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


TERMINAL_STATES = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


class JobKind(models.TextChoices):
    PROBE = "probe", "Worker probe"
    TRAINING = "training", "Training run"
    CONVERSION = "conversion", "Conversion"
    BENCHMARK = "benchmark", "Benchmark"
    SEARCH = "search", "Hyperparameter search"
    REPORT = "report", "Report"
    DIAGNOSTIC = "diagnostic", "Diagnostic"


class Job(TimeStampedModel):
    kind = models.CharField(max_length=32, choices=JobKind.choices, db_index=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs")
    queue = models.CharField(max_length=200, default="default")  # gpu.host.<name>: a benchmark target
    params = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED, db_index=True)
    progress = models.FloatField(default=0.0)
    progress_message = models.CharField(max_length=500, blank=True, default="")
    eta_seconds = models.FloatField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")
    cancel_requested = models.BooleanField(default=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, db_index=True)
    worker = models.CharField(max_length=255, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    celery_task_id = models.CharField(max_length=64, blank=True, default="")
    task_name = models.CharField(max_length=200, blank=True, default="",
                                 help_text="The Celery task the job was sent as: what a lost message is re-sent as.")
    task_limits = models.JSONField(default=dict, blank=True, help_text="Its soft_time_limit/time_limit, if any.")
    resends = models.PositiveIntegerField(default=0, help_text="Times its lost message was sent again.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__gte=0) & models.Q(progress__lte=1),
                                   name="job_progress_fraction"),
            models.CheckConstraint(condition=models.Q(state__in=JobState.values), name="job_state_valid"),
        ]

    def __str__(self):
        return f"{self.kind} #{self.pk} ({self.state})"

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES


class JobTransition(models.Model):
    """A row per state change: who/what moved the job and why."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=16, blank=True, default="")
    to_state = models.CharField(max_length=16)
    message = models.TextField(blank=True, default="")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]


class JobSubject(TimeStampedModel):
    """A row whose work is one Job: its state, progress and errors are the job's. It is created with its job
    (jobs.services.job_subject_start) and deleted through it (jobs.deletion.job_subject_delete: the row cascades).

    Each subject names its accessor on Job (`job.training_run`) with `Meta.default_related_name`."""

    job = models.OneToOneField(Job, on_delete=models.CASCADE)

    owner_field: ClassVar[str] = "owner"  # who may change the row: its `owner`, or a path such as "job__owner"

    class Meta:
        abstract = True
