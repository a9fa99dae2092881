"""Training request and response shapes. The request schema is explicit: bounds, known names, one start point."""
from rest_framework import serializers

from core.serializers import StrictSerializer, imgsz_multiple_of_32
from hosts.serializers import TargetSerializer
from jobs.models import Job

from . import parameters
from .models import TrainingEpoch, TrainingPreset, TrainingRun


class TrainingRunStartSerializer(StrictSerializer):
    """Validates the shape and bounds; visibility of the dataset/model is checked by the API (404, not 400)."""

    dataset = serializers.IntegerField(min_value=1)
    model = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    preset = serializers.ChoiceField(choices=TrainingPreset.choices, required=False, allow_null=True, default=None)
    # Not trimmed: " " must be refused, not turned into "" (which means "the default name").
    name = serializers.RegexField(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,149}$", required=False, allow_blank=True,
                                  trim_whitespace=False, default="",
                                  error_messages={"invalid": "use letters, digits, '.', '_' or '-' "
                                                             "(at most 150, starting with a letter/digit)"})
    epochs = serializers.IntegerField(min_value=parameters.EPOCHS[0], max_value=parameters.EPOCHS[1], default=50)
    imgsz = serializers.IntegerField(min_value=parameters.IMGSZ[0], max_value=parameters.IMGSZ[1], default=640)
    batch = serializers.IntegerField(min_value=parameters.BATCH[0], max_value=parameters.BATCH[1], default=16)
    seed = serializers.IntegerField(min_value=parameters.SEED[0], max_value=parameters.SEED[1], default=0)
    patience = serializers.IntegerField(min_value=parameters.PATIENCE[0], max_value=parameters.PATIENCE[1], default=50)
    time_limit_seconds = serializers.IntegerField(min_value=parameters.TIME_LIMIT_SECONDS[0],
                                                  max_value=parameters.TIME_LIMIT_SECONDS[1], required=False,
                                                  allow_null=True, default=None)
    hyperparameters = serializers.DictField(required=False, default=dict)
    target = TargetSerializer(required=False, allow_null=True, default=None,
                              help_text='Where to train: {"host": name}, {"gpu": "NVIDIA H100"} or {"cpu": "AMX"}; '
                                        "none: any gpu worker.")

    validate_imgsz = staticmethod(imgsz_multiple_of_32)

    def validate_hyperparameters(self, value):
        clean, errors = parameters.validate_hyperparameters(value)
        if errors:
            raise serializers.ValidationError(errors)
        return clean

    def validate(self, attrs):
        if (attrs.get("model") is None) == (attrs.get("preset") is None):
            raise serializers.ValidationError(
                {"model": ["give exactly one of `model` (a PyTorch model id) or `preset` "
                           f"({', '.join(TrainingPreset.values)})"]})
        if attrs.get("time_limit_seconds") is None:
            attrs["time_limit_seconds"] = parameters.default_time_limit_seconds()
        return attrs


class TrainingEpochSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrainingEpoch
        fields = ["epoch", "box_loss", "cls_loss", "dfl_loss", "precision", "recall", "map50", "map50_95", "lr",
                  "seconds", "created_at"]
        read_only_fields = fields


class TrainingJobSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Job
        fields = ["id", "state", "progress", "progress_message", "eta_seconds", "error", "cancel_requested",
                  "started_at", "finished_at", "worker"]
        read_only_fields = fields


class TrainingRunListSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    state = serializers.CharField(source="job.state", read_only=True)
    progress = serializers.FloatField(source="job.progress", read_only=True)
    model = serializers.IntegerField(source="parent_model_id", read_only=True, allow_null=True)
    search = serializers.SerializerMethodField(help_text="The search this run evaluates an individual of, if any.")
    generation = serializers.SerializerMethodField(help_text="That individual's generation (1-based).")

    class Meta:
        model = TrainingRun
        fields = ["id", "job", "owner", "dataset", "model", "preset", "name", "params", "state", "progress",
                  "result_model", "final_metrics", "device", "search", "generation", "created_at"]
        read_only_fields = fields

    @staticmethod
    def _individual(run) -> tuple[int | None, int | None]:
        # Reads the prefetched individuals (selectors.training_run_list): filtering here would query once per run.
        individual = next((i for i in run.individuals.all() if not i.elite), None)
        return (individual.search_id, individual.generation) if individual else (None, None)

    def get_search(self, run) -> int | None:
        return self._individual(run)[0]

    def get_generation(self, run) -> int | None:
        return self._individual(run)[1]


class TrainingRunDetailSerializer(TrainingRunListSerializer):
    job_detail = TrainingJobSummarySerializer(source="job", read_only=True)
    epochs = TrainingEpochSerializer(many=True, read_only=True)
    target = serializers.SerializerMethodField(help_text="The routing target it was started with, if any.")
    routed_to = serializers.SerializerMethodField(help_text="The host its target picked (again, if its host died).")

    class Meta(TrainingRunListSerializer.Meta):
        fields = [*TrainingRunListSerializer.Meta.fields, "artifacts", "hosts", "checkpoint_epoch", "resumed_from_epoch",
                  "target", "routed_to", "job_detail", "epochs"]
        read_only_fields = fields

    def get_target(self, run) -> dict | None:
        return (run.job.params or {}).get("target")

    def get_routed_to(self, run) -> str | None:
        return (run.job.params or {}).get("routed_to")
