"""Request and response shapes for model versions and conversions."""
from django.urls import reverse
from rest_framework import serializers

from hosts.serializers import TargetSerializer

from ..models import Conversion, ModelFormat, ModelVersion

from .presets import PRESETS
from .selectors import model_serving_summary

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,149}$"
NAME_HELP = "1-150 characters: letters, digits, '.', '_' or '-', starting with a letter or digit."


class ModelUploadSerializer(serializers.Serializer):
    name = serializers.RegexField(NAME_PATTERN, max_length=150, error_messages={"invalid": NAME_HELP})
    file = serializers.FileField(allow_empty_file=False)
    shared = serializers.BooleanField(default=False)


class ModelPresetSerializer(serializers.Serializer):
    name = serializers.RegexField(NAME_PATTERN, max_length=150, error_messages={"invalid": NAME_HELP})
    preset = serializers.CharField(max_length=64)
    shared = serializers.BooleanField(default=False)

    def validate_preset(self, value):
        if value not in PRESETS:
            raise serializers.ValidationError(f"unknown preset {value!r}; choose one of {', '.join(PRESETS)}")
        return value


class ModelFilterSerializer(serializers.Serializer):
    # allow_blank: an empty filter (`?format=`) is no filter, and the schema must not call it invalid
    name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    format = serializers.ChoiceField(choices=ModelFormat.choices, required=False, allow_blank=True)
    owner = serializers.CharField(required=False, allow_blank=True, max_length=150)


class ConversionSerializer(serializers.ModelSerializer):
    job = serializers.IntegerField(source="job_id", read_only=True)
    state = serializers.CharField(source="job.state", read_only=True)
    progress = serializers.FloatField(source="job.progress", read_only=True)
    error = serializers.CharField(source="job.error", read_only=True)
    result = serializers.IntegerField(source="result_id", read_only=True, allow_null=True)
    parity = serializers.SerializerMethodField()
    run_on = serializers.SerializerMethodField(help_text="The routing target it was requested with, if any.")
    routed_to = serializers.SerializerMethodField(help_text="The host its routing target picked.")

    class Meta:
        model = Conversion
        fields = ["id", "source", "target", "options", "run_on", "routed_to", "job", "state", "progress", "error",
                  "result", "parity", "created_at"]

    def get_parity(self, conversion) -> dict | None:
        return (conversion.job.result or {}).get("parity")

    def get_run_on(self, conversion) -> dict | None:
        return (conversion.job.params or {}).get("run_on")

    def get_routed_to(self, conversion) -> str | None:
        return (conversion.job.params or {}).get("routed_to")


class ModelVersionSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    lineage = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()
    serving = serializers.SerializerMethodField()
    serving_by_class = serializers.SerializerMethodField()
    selected_engine = serializers.SerializerMethodField()

    class Meta:
        model = ModelVersion
        fields = ["id", "name", "version", "owner", "shared", "format", "source", "task", "class_names",
                  "input_size", "parameters", "gflops", "file_size", "sha256", "metadata", "lineage",
                  "hyperparameters", "metrics", "selected_engine", "serving", "serving_by_class", "download_url",
                  "created_at",
                  "updated_at"]

    def get_lineage(self, model) -> dict:
        return {"parent": model.parent_id, "dataset": model.dataset_id, "job": model.job_id}

    def get_serving(self, model) -> dict:
        """The latest serving choice (any class): its engine, the version it serves and the benchmark it came from
        (empty: by hand or none). `serving_by_class` lists every class's choice (serving/)."""
        return model_serving_summary(model)[0]

    def get_serving_by_class(self, model) -> list[dict]:
        return model_serving_summary(model)[1]

    def get_selected_engine(self, model) -> str:
        return model_serving_summary(model)[0]["engine"] or ""

    def get_download_url(self, model) -> str:
        return reverse("model-download", args=[model.pk])


class ModelVersionDetailSerializer(ModelVersionSerializer):
    """The detail view adds children and conversions to the lineage."""

    def get_lineage(self, model) -> dict:
        lineage = super().get_lineage(model)
        lineage["children"] = list(model.children.order_by("pk").values_list("pk", flat=True))
        conversions = model.conversions.select_related("job").order_by("-created_at")
        lineage["conversions"] = ConversionSerializer(conversions, many=True).data
        lineage["produced_by_conversion"] = (model.produced_by_conversions.values_list("pk", flat=True).first())
        return lineage


CONVERSION_KEYS = {
    "onnx": ("imgsz", "opset", "dynamic", "simplify"),
    "tensorrt": ("imgsz", "half", "workspace_gb"),
}


class ConversionRequestSerializer(serializers.Serializer):
    """`{"target": "onnx", "imgsz": 640, "opset": null, "dynamic": false, "simplify": true}` or
    `{"target": "tensorrt", "imgsz": 640, "half": true, "workspace_gb": 4}`; unknown keys are refused. `run_on` is
    the routing target other jobs call `target` (here `target` was the output format first)."""

    target = serializers.ChoiceField(choices=list(CONVERSION_KEYS))
    run_on = TargetSerializer(required=False, allow_null=True, default=None,
                              help_text='Where to convert: {"host": name}, {"gpu": "NVIDIA H100"} or {"cpu": "AMX"}; '
                                        "none: any gpu worker.")
    imgsz = serializers.IntegerField(required=False, allow_null=True, min_value=32, max_value=2048)
    opset = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=11, max_value=22)
    dynamic = serializers.BooleanField(required=False, default=False)
    simplify = serializers.BooleanField(required=False, default=True)
    half = serializers.BooleanField(required=False, default=True)
    workspace_gb = serializers.IntegerField(required=False, default=4, min_value=1, max_value=64)

    def validate_imgsz(self, value):
        if value is not None and value % 32:
            raise serializers.ValidationError("must be a multiple of 32 (the models' largest stride)")
        return value

    def validate(self, attrs):
        target = attrs["target"]
        allowed = CONVERSION_KEYS[target]
        data = self.initial_data if isinstance(self.initial_data, dict) else {}
        unknown = sorted(set(data) - set(allowed) - {"target", "run_on"})
        if unknown:
            raise serializers.ValidationError(
                {key: f"unknown option for target {target!r}; allowed: {', '.join(allowed)}" for key in unknown})
        options = {key: attrs.get(key) for key in allowed}
        return {"target": target, "options": options, "run_on": attrs.get("run_on")}
