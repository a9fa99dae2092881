"""Genetic hyperparameter searches: a Search (its job, space and generations) and its Individuals (one per trial).

The evolution itself lives in an Optuna study (RDB storage in this same database, named `Search.study_name`);
these rows are the platform's view of it: which training run evaluated which genome, in which generation, with
what fitness, latency and fate (elite carried over, pruned at an epoch, failed with an error).
"""
from django.conf import settings
from django.db import models

from core.models import TimeStampedModel
from jobs.models import JobSubject


class Objective(models.TextChoices):
    FITNESS = "fitness"
    LATENCY = "latency"


class Crossover(models.TextChoices):
    SBX = "sbx", "Simulated binary (SBX)"
    BLX = "blx", "BLX-alpha"
    UNIFORM = "uniform", "Uniform"


class Search(JobSubject):
    """One search. State, progress and errors are its Job's (kind `search`, default queue)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="searches")
    dataset = models.ForeignKey("registry.Dataset", on_delete=models.PROTECT, related_name="searches")
    model = models.ForeignKey("registry.ModelVersion", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="searches", help_text="Start weights; empty when a preset is the start.")
    preset = models.CharField(max_length=16, blank=True, default="")
    params = models.JSONField(default=dict, help_text="The validated request: epochs, imgsz, batch, population, "
                                                      "generations, space, objectives, crossover, elitism, seed...")
    study_name = models.CharField(max_length=100, blank=True, default="")
    generation = models.PositiveIntegerField(default=1, help_text="The generation being evaluated (1-based).")
    best = models.ForeignKey("Individual", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    best_model = models.ForeignKey("registry.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="best_of_searches",
                                   help_text="The model version the best individual's training run registered.")
    pareto = models.JSONField(default=list, blank=True, help_text="Individual ids on the Pareto front.")

    class Meta:
        default_related_name = "search"  # job.search
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "searches"

    def __str__(self):
        return f"search #{self.pk} on dataset {self.dataset_id}"

    @property
    def population(self) -> int:
        return self.params["population"]

    @property
    def generations(self) -> int:
        return self.params["generations"]

    @property
    def objectives(self) -> list[str]:
        return self.params.get("objectives", [Objective.FITNESS])

    @property
    def multi_objective(self) -> bool:
        return Objective.LATENCY in self.objectives


class IndividualState(models.TextChoices):
    TRAINING = "training"  # its training run is queued or running
    MEASURING = "measuring"  # trained; its latency is being measured
    SUCCEEDED = "succeeded"
    PRUNED = "pruned"
    FAILED = "failed"
    CANCELLED = "cancelled"


INDIVIDUAL_ACTIVE_STATES = (IndividualState.TRAINING, IndividualState.MEASURING)


class Individual(TimeStampedModel):
    """One genome evaluated (an Optuna trial): a training run, or an elite carried over from the generation before."""

    search = models.ForeignKey(Search, on_delete=models.CASCADE, related_name="individuals")
    generation = models.PositiveIntegerField(help_text="1-based (Optuna's NSGA-II generation + 1).")
    number = models.PositiveIntegerField(help_text="The Optuna trial number.")
    trial_id = models.PositiveIntegerField(help_text="The Optuna trial id (storage key).")
    hyperparameters = models.JSONField(default=dict, help_text="The genome: every gene of the space.")
    # PROTECT (core/deletion.py): a run deleted under a search would take the best model's lineage with it.
    training_run = models.ForeignKey("training.TrainingRun", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="individuals")
    state = models.CharField(max_length=16, choices=IndividualState.choices, default=IndividualState.TRAINING)
    told = models.BooleanField(default=False, help_text="Its result was given to the Optuna study.")
    fitness = models.FloatField(null=True, blank=True, help_text="0.1 mAP50 + 0.9 mAP50-95 of the best epoch.")
    latency_ms = models.FloatField(null=True, blank=True)
    latency_requested_at = models.DateTimeField(null=True, blank=True)
    elite = models.BooleanField(default=False, help_text="Carried over unchanged from the previous generation.")
    elite_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    pruned = models.BooleanField(default=False)
    pruned_at_epoch = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["search", "number"]
        constraints = [models.UniqueConstraint(fields=["search", "number"], name="individual_unique_trial")]

    def __str__(self):
        return f"search {self.search_id} individual {self.number} (generation {self.generation})"
