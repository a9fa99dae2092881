"""Serving's one home: which engine, on which version, serves a model on a hardware class."""
from django.db import models

from core.models import TimeStampedModel

EVERY_CLASS = ""  # a choice for every hardware class that has none of its own (what the API sets without a class)


class ServingChoice(TimeStampedModel):
    """A model served on `hardware_class` by `engine` loading `version` (the model itself or a conversion of it),
    chosen by a benchmark run's selection or by hand (`benchmark` empty). A pool of a class without a choice (and
    without an every-class one) serves the model with the default engine for its format."""

    model = models.ForeignKey("registry.ModelVersion", on_delete=models.CASCADE, related_name="serving_choices")
    hardware_class = models.CharField(max_length=150, blank=True, default=EVERY_CLASS,
                                      help_text='gpu:<GPU model> or cpu:<amx|avx512|avx2|baseline>; "": every class '
                                                "without a choice of its own.")
    engine = models.CharField(max_length=64)
    version = models.ForeignKey("registry.ModelVersion", on_delete=models.CASCADE, related_name="+",
                                help_text="The version the engine loads: the model itself or a conversion of it.")
    benchmark = models.ForeignKey("benchmarks.BenchmarkRun", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="serving_choices", help_text="The run whose selection set it; empty: "
                                                                            "set by hand.")

    class Meta:
        ordering = ["model", "hardware_class"]
        constraints = [models.UniqueConstraint(fields=["model", "hardware_class"], name="serving_choice_per_class")]

    def __str__(self):
        return f"model {self.model_id} on {self.hardware_class or 'every class'}: {self.engine} (v{self.version_id})"
