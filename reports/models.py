"""Reports: a snapshot of what was measured about one subject (a training run, a model, a benchmark, a search).

A report names its subject and baseline by kind + id, not by foreign key: it is a snapshot, so deleting the
subject must leave the report readable (the alternative, PROTECT and a 409 on delete, would let a report block
the cleanup of the registry). Everything the views and exports show lives in `snapshot`; they are rendered from
it on request, so rendering again gives the same numbers whatever happened to the subject since.
"""
from django.conf import settings
from django.db import models

from jobs.models import JobSubject


class SubjectKind(models.TextChoices):
    BENCHMARK = "benchmark", "Benchmark"
    TRAINING_RUN = "training_run", "Training run"
    SEARCH = "search", "Hyperparameter search"
    MODEL = "model", "Model version"


class Report(JobSubject):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports")
    subject_kind = models.CharField(max_length=16, choices=SubjectKind.choices)
    subject_id = models.PositiveBigIntegerField()
    baseline_kind = models.CharField(max_length=16, choices=SubjectKind.choices, blank=True, default="")
    baseline_id = models.PositiveBigIntegerField(null=True, blank=True)
    title = models.CharField(max_length=200, blank=True, default="")
    shared = models.BooleanField(default=False, help_text="Readable by every signed-in user, not only the owner.")
    snapshot = models.JSONField(default=dict, blank=True, help_text="The whole report (reports/snapshot_schema.py).")
    rendered_at = models.DateTimeField(null=True, blank=True)
    render_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        default_related_name = "report"  # job.report
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["subject_kind", "subject_id"], name="report_subject_idx")]
        constraints = [
            models.CheckConstraint(condition=(models.Q(baseline_kind="") & models.Q(baseline_id__isnull=True))
                                   | (~models.Q(baseline_kind="") & models.Q(baseline_id__isnull=False)),
                                   name="report_baseline_kind_and_id_together"),
        ]

    def __str__(self):
        return f"report #{self.pk} on {self.subject_kind} {self.subject_id}"

    @property
    def is_ready(self) -> bool:
        return bool(self.snapshot) and self.rendered_at is not None
