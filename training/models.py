"""Training runs: what was asked (dataset, start weights, parameters), what came out (epochs, model version)."""
from django.conf import settings
from django.db import models

from jobs.models import JobSubject


class TrainingPreset(models.TextChoices):
    YOLOV8N = "yolov8n", "YOLOv8n (from its YAML, random init)"
    YOLOV8S = "yolov8s", "YOLOv8s (from its YAML, random init)"
    YOLOV8M = "yolov8m", "YOLOv8m (from its YAML, random init)"


class TrainingRun(JobSubject):
    """One ultralytics training run on the gpu queue. Its Job carries state, progress and errors."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_runs")
    dataset = models.ForeignKey("registry.Dataset", on_delete=models.PROTECT, related_name="training_runs")
    parent_model = models.ForeignKey("registry.ModelVersion", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="training_runs",
                                     help_text="Start weights; empty when the run starts from a preset.")
    preset = models.CharField(max_length=16, choices=TrainingPreset.choices, blank=True, default="")
    name = models.CharField(max_length=150, blank=True, default="",
                            help_text="Name of the model version the run produces (default: <start>-<dataset>).")
    params = models.JSONField(default=dict, help_text="epochs, imgsz, batch, seed, patience, hyperparameters, "
                                                      "time_limit_seconds: the validated request.")
    result_model = models.ForeignKey("registry.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="produced_by_training")
    artifacts = models.CharField(max_length=500, blank=True, default="",
                                 help_text="Storage name of the run's directory (results.csv, args.yaml, weights/).")
    final_metrics = models.JSONField(default=dict, blank=True)
    device = models.CharField(max_length=32, blank=True, default="", help_text="cpu or cuda:N, set when it starts.")
    worker_pid = models.PositiveIntegerField(null=True, blank=True,
                                             help_text="The worker child process that trains (for operators).")
    hosts = models.JSONField(default=list, blank=True,
                             help_text="The workers the run ran on, one per attempt (a host that died, then the next).")
    checkpoint_epoch = models.PositiveIntegerField(default=0, help_text="Epochs in the stored checkpoint "
                                                                        "(training/<id>/weights/last.pt).")
    resumed_from_epoch = models.PositiveIntegerField(null=True, blank=True,
                                                     help_text="The epoch the last attempt resumed from, if it did.")

    class Meta:
        default_related_name = "training_run"  # job.training_run
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(parent_model__isnull=False) & models.Q(preset=""))
                | (models.Q(parent_model__isnull=True) & ~models.Q(preset="")),
                name="training_run_starts_from_a_model_or_a_preset",
            ),
        ]

    def __str__(self):
        return f"training run #{self.pk} ({self.start_label} on {self.dataset_id})"

    @property
    def start_label(self) -> str:
        return self.preset or (f"{self.parent_model.name} v{self.parent_model.version}" if self.parent_model else "?")


class TrainingEpoch(models.Model):
    """The metrics ultralytics reports at the end of one epoch (training losses, validation metrics)."""

    run = models.ForeignKey(TrainingRun, on_delete=models.CASCADE, related_name="epochs")
    epoch = models.PositiveIntegerField(help_text="1-based.")
    box_loss = models.FloatField(null=True, blank=True)
    cls_loss = models.FloatField(null=True, blank=True)
    dfl_loss = models.FloatField(null=True, blank=True)
    precision = models.FloatField(null=True, blank=True)
    recall = models.FloatField(null=True, blank=True)
    map50 = models.FloatField(null=True, blank=True)
    map50_95 = models.FloatField(null=True, blank=True)
    lr = models.FloatField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "epoch"]
        constraints = [models.UniqueConstraint(fields=["run", "epoch"], name="training_epoch_unique_per_run")]

    def __str__(self):
        return f"run {self.run_id} epoch {self.epoch}"
