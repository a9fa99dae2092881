"""The registry: datasets and model versions, each with an owner, a version per name, and lineage."""
from django.conf import settings
from django.db import models

from core.models import TimeStampedModel
from jobs.models import JobSubject


class Dataset(TimeStampedModel):
    """A validated YOLO detection dataset, stored as one archive (registry/datasets/archive.py), content-addressed."""

    name = models.CharField(max_length=150, db_index=True)
    version = models.PositiveIntegerField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="datasets")
    shared = models.BooleanField(default=False, help_text="Visible to every signed-in user, not only the owner.")
    sha256 = models.CharField(max_length=64, db_index=True, help_text="SHA-256 of the uploaded archive.")
    archive = models.CharField(max_length=500, help_text="Storage name of the dataset's archive (the validated "
                                                         "upload, normalised).")
    archive_sha256 = models.CharField(max_length=64, blank=True, default="",
                                      help_text="SHA-256 of the stored archive: what each host's cache verifies.")
    root = models.CharField(max_length=500, blank=True, default="",
                            help_text="Before issue 18: the extracted directory in storage (now always empty).")
    size_bytes = models.BigIntegerField(default=0)
    class_names = models.JSONField(default=list)
    num_images = models.PositiveIntegerField(default=0)
    num_instances = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name", "version"], name="dataset_version_unique"),
            models.UniqueConstraint(fields=["owner", "sha256"], name="dataset_content_unique_per_owner"),
        ]

    def __str__(self):
        return f"{self.name} v{self.version}"


class ModelFormat(models.TextChoices):
    PYTORCH = "pytorch", "PyTorch (.pt)"
    ONNX = "onnx", "ONNX"
    TENSORRT = "tensorrt", "TensorRT engine"


class ModelSource(models.TextChoices):
    UPLOAD = "upload"
    PRESET = "preset"
    TRAINING = "training"
    CONVERSION = "conversion"


class ModelVersion(TimeStampedModel):
    """One version of a named model in one format. Conversions and training runs add versions with lineage."""

    name = models.CharField(max_length=150, db_index=True)
    version = models.PositiveIntegerField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="model_versions")
    shared = models.BooleanField(default=False, help_text="Visible to every signed-in user, not only the owner.")
    format = models.CharField(max_length=16, choices=ModelFormat.choices)
    source = models.CharField(max_length=16, choices=ModelSource.choices)
    task = models.CharField(max_length=32, default="detect")
    class_names = models.JSONField(default=list)
    input_size = models.PositiveIntegerField(null=True, blank=True)
    parameters = models.BigIntegerField(null=True, blank=True)
    gflops = models.FloatField(null=True, blank=True)
    file = models.CharField(max_length=500, help_text="Storage name of the weights/engine file.")
    file_size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, db_index=True)
    metadata = models.JSONField(default=dict, blank=True, help_text="Format details: opset, inputs, outputs, preset...")
    # lineage: PROTECT, so a parent or dataset is not deleted while a version derived from it exists (409)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    dataset = models.ForeignKey(Dataset, null=True, blank=True, on_delete=models.PROTECT, related_name="models")
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="models")
    hyperparameters = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    # Which engine serves it, per hardware class: serving.ServingChoice (the one home of serving).

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name", "version"], name="model_version_unique"),
        ]

    def __str__(self):
        return f"{self.name} v{self.version} ({self.format})"


class Conversion(JobSubject):
    """A request to convert a model version to another format; its job produces the new version."""

    owner_field = "job__owner"  # no owner of its own: the requester is its job's owner

    source = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="conversions")
    target = models.CharField(max_length=16, choices=ModelFormat.choices)
    options = models.JSONField(default=dict)
    options_key = models.CharField(max_length=64, db_index=True, help_text="SHA-256 of target + canonical options.")
    result = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="produced_by_conversions")

    class Meta:
        default_related_name = "conversion"  # job.conversion
        ordering = ["-created_at"]
