"""Search request and response shapes. The request schema is explicit: every field bounded, the space checked gene
by gene against the training schema (a bad gene is a 400 naming it), the trial budget capped by a setting."""
from django.conf import settings
from rest_framework import serializers

from core.serializers import StrictSerializer, imgsz_multiple_of_32
from training import parameters
from training.models import TrainingPreset

from .models import Crossover, Individual, Objective, Search
from .selectors import search_best_so_far, search_individuals
from .space import DEFAULT_SPACE, space_validate


class SearchStartSerializer(StrictSerializer):
    """Shape and bounds; the visibility of the dataset/model is checked by the API (404, not 400)."""

    dataset = serializers.IntegerField(min_value=1)
    model = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    preset = serializers.ChoiceField(choices=TrainingPreset.choices, required=False, allow_null=True, default=None)
    epochs = serializers.IntegerField(min_value=parameters.EPOCHS[0], max_value=parameters.EPOCHS[1], default=10)
    imgsz = serializers.IntegerField(min_value=parameters.IMGSZ[0], max_value=parameters.IMGSZ[1], default=128)
    batch = serializers.IntegerField(min_value=parameters.BATCH[0], max_value=parameters.BATCH[1], default=16)
    population = serializers.IntegerField(min_value=2, max_value=1000, default=8)
    generations = serializers.IntegerField(min_value=1, max_value=1000, default=5)
    space = serializers.DictField(required=False, allow_null=True, default=None,
                                  help_text="gene -> [low, high] | [low, high, \"log\"] | [choices]; "
                                            "omitted: the default space (docs/searches.md)")
    objectives = serializers.ListField(child=serializers.ChoiceField(choices=Objective.choices), min_length=1,
                                       max_length=2, default=lambda: [Objective.FITNESS])
    latency_engine = serializers.ChoiceField(choices=["onnxruntime-cpu", "auto"], default="onnxruntime-cpu")
    crossover = serializers.ChoiceField(choices=Crossover.choices, default=Crossover.SBX)
    mutation_prob = serializers.FloatField(min_value=0.0, max_value=1.0, required=False, allow_null=True,
                                           default=None)
    elitism = serializers.IntegerField(min_value=0, max_value=1000, default=2)
    seed = serializers.IntegerField(min_value=0, max_value=2**20, default=0)
    prune = serializers.BooleanField(default=True)
    seed_baseline = serializers.BooleanField(default=True, help_text="the first individual is ultralytics' default "
                                                                     "recipe, clipped into the space")
    time_limit_seconds = serializers.IntegerField(min_value=parameters.TIME_LIMIT_SECONDS[0],
                                                  max_value=parameters.TIME_LIMIT_SECONDS[1], required=False,
                                                  allow_null=True, default=None,
                                                  help_text="per individual's training run")

    validate_imgsz = staticmethod(imgsz_multiple_of_32)

    def validate_objectives(self, value):
        if value[0] != Objective.FITNESS or len(set(value)) != len(value):
            raise serializers.ValidationError('use ["fitness"] or ["fitness", "latency"]')
        return value

    def validate(self, attrs):
        errors = {}
        if (attrs.get("model") is None) == (attrs.get("preset") is None):
            errors["model"] = [f"give exactly one of `model` (a PyTorch model id) or `preset` "
                               f"({', '.join(TrainingPreset.values)})"]
        space = DEFAULT_SPACE if attrs.get("space") is None else attrs["space"]
        if not space:
            errors["space"] = ["give at least one gene, or omit `space` for the default space"]
        else:
            gene_errors = space_validate(space, from_preset=attrs.get("model") is None)
            if gene_errors:
                errors["space"] = {name: [message] for name, message in gene_errors.items()}
        attrs["space"] = dict(space)
        trials = attrs["population"] * attrs["generations"]
        if trials > settings.SEARCH_MAX_TRIALS:
            message = (f"population x generations is {trials}; at most {settings.SEARCH_MAX_TRIALS} "
                       "(setting SEARCH_MAX_TRIALS)")
            errors["population"] = [message]
            errors["generations"] = [message]
        if attrs["elitism"] >= attrs["population"]:
            errors["elitism"] = [f"must be less than the population ({attrs['population']})"]
        if errors:
            raise serializers.ValidationError(errors)
        if attrs.get("time_limit_seconds") is None:
            attrs["time_limit_seconds"] = parameters.default_time_limit_seconds()
        return attrs


class IndividualSerializer(serializers.ModelSerializer):
    job = serializers.IntegerField(source="training_run.job_id", read_only=True, allow_null=True, default=None)
    job_state = serializers.CharField(source="training_run.job.state", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Individual
        fields = ["id", "generation", "number", "hyperparameters", "training_run", "job", "job_state", "state",
                  "fitness", "latency_ms", "elite", "elite_of", "pruned", "pruned_at_epoch", "error", "created_at"]
        read_only_fields = fields


class SearchListSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    state = serializers.CharField(source="job.state", read_only=True)
    progress = serializers.FloatField(source="job.progress", read_only=True)
    progress_message = serializers.CharField(source="job.progress_message", read_only=True)
    generations = serializers.IntegerField(read_only=True)
    population = serializers.IntegerField(read_only=True)
    best = serializers.SerializerMethodField()

    class Meta:
        model = Search
        fields = ["id", "job", "owner", "dataset", "model", "preset", "state", "progress", "progress_message",
                  "generation", "generations", "population", "best", "best_model", "created_at"]
        read_only_fields = fields

    def get_best(self, search) -> dict | None:
        best = search_best_so_far(search=search)
        return IndividualSerializer(best).data if best else None


class SearchDetailSerializer(SearchListSerializer):
    eta_seconds = serializers.FloatField(source="job.eta_seconds", read_only=True, allow_null=True)
    error = serializers.CharField(source="job.error", read_only=True)
    individuals = serializers.SerializerMethodField()
    pareto_front = serializers.SerializerMethodField()

    class Meta(SearchListSerializer.Meta):
        fields = [*SearchListSerializer.Meta.fields, "params", "eta_seconds", "error", "study_name", "individuals",
                  "pareto_front"]
        read_only_fields = fields

    def get_individuals(self, search) -> list[dict]:
        return IndividualSerializer(search_individuals(search=search), many=True).data

    def get_pareto_front(self, search) -> list[dict]:
        rows = search.individuals.filter(pk__in=search.pareto or []).select_related("training_run__job")
        return IndividualSerializer(sorted(rows, key=lambda i: -(i.fitness or 0.0)), many=True).data
