"""Benchmark request and response shapes. The request schema is explicit: known engines, bounds, defaults, and
constraints that make sense (no accuracy constraint without a dataset to measure accuracy on)."""
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import StrictSerializer, imgsz_multiple_of_32
from hosts.serializers import TargetSerializer

from .models import BenchmarkResult, BenchmarkRun
from .selection import ACCURACY_CONSTRAINTS, OBJECTIVES
from .variants import VARIANTS

DEFAULT_MAX_DROP = 0.01


class ConstraintsSerializer(StrictSerializer):
    max_p95_ms = serializers.FloatField(min_value=0.001, required=False, allow_null=True, default=None)
    max_p99_ms = serializers.FloatField(min_value=0.001, required=False, allow_null=True, default=None)
    min_fps = serializers.FloatField(min_value=0.0, required=False, allow_null=True, default=None)
    min_map50_95 = serializers.FloatField(min_value=0.0, max_value=1.0, required=False, allow_null=True, default=None)
    max_map50_95_drop = serializers.FloatField(min_value=0.0, max_value=1.0, required=False, allow_null=True,
                                               default=None)
    max_memory_mb = serializers.FloatField(min_value=1.0, required=False, allow_null=True, default=None)


@extend_schema_field({"oneOf": [{"type": "string", "enum": ["auto"]},
                                 {"type": "array", "items": {"type": "string", "enum": list(VARIANTS)}, "minItems": 1,
                                  "uniqueItems": True}]})
class EnginesField(serializers.Field):
    """"auto" or a non-empty list of known engine variants without repeats."""

    default_error_messages = {"invalid": 'give "auto" or a list of engine names'}

    def to_internal_value(self, data):
        if data == "auto":
            return "auto"
        if not isinstance(data, list) or not data or not all(isinstance(name, str) for name in data):
            self.fail("invalid")
        unknown = [name for name in data if name not in VARIANTS]
        if unknown:
            raise serializers.ValidationError(f"unknown engine {', '.join(unknown)}; known: "
                                              f"{', '.join(VARIANTS)}, or \"auto\"")
        if len(set(data)) != len(data):
            raise serializers.ValidationError("an engine is listed twice")
        return list(data)

    def to_representation(self, value):
        return value


class BenchmarkStartSerializer(StrictSerializer):
    """Validates shape and bounds; the API resolves `model` and `dataset` for the user (404 when invisible)."""

    model = serializers.IntegerField(min_value=1)
    engines = EnginesField(required=False, default="auto")
    imgsz = serializers.IntegerField(min_value=32, max_value=2048, default=640)
    batch_sizes = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=64), min_length=1,
                                        max_length=6, default=[1])
    warmup = serializers.IntegerField(min_value=1, max_value=1000, default=10)
    iterations = serializers.IntegerField(min_value=1, max_value=100_000, default=100)
    min_seconds = serializers.FloatField(min_value=0.0, max_value=3600.0, default=0.0)
    dataset = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    constraints = ConstraintsSerializer(required=False, default=dict)
    objective = serializers.ChoiceField(choices=list(OBJECTIVES), default="p95")
    apply = serializers.BooleanField(default=False)
    exclusive = serializers.BooleanField(default=True)
    target = TargetSerializer(required=False, allow_null=True, default=None,
                              help_text='Where to run: {"host": name}, {"gpu": "NVIDIA H100"} or {"cpu": "AMX"}; '
                                        "none: any gpu worker.")

    validate_imgsz = staticmethod(imgsz_multiple_of_32)

    def validate_batch_sizes(self, value):
        if len(set(value)) != len(value):
            raise serializers.ValidationError("a batch size is listed twice")
        return sorted(value)

    def validate(self, attrs):
        constraints = dict(ConstraintsSerializer().to_internal_value({}) if not attrs.get("constraints")
                           else attrs["constraints"])
        given = self.initial_data.get("constraints") if isinstance(self.initial_data, dict) else None
        given = given if isinstance(given, dict) else {}
        if attrs.get("dataset") is None:
            asked = [name for name in ACCURACY_CONSTRAINTS if given.get(name) is not None]
            if asked:
                raise serializers.ValidationError({"constraints": {
                    name: ["an accuracy constraint needs a `dataset` to measure mAP on"] for name in asked}})
        elif "max_map50_95_drop" not in given:
            constraints["max_map50_95_drop"] = DEFAULT_MAX_DROP  # with a dataset, accuracy is guarded by default
            attrs["default_constraints"] = ["max_map50_95_drop"]  # dropped if no FP32 baseline gets measured
        attrs["constraints"] = constraints
        return attrs


class BenchmarkResultSerializer(serializers.ModelSerializer):
    candidate = serializers.CharField(read_only=True)

    class Meta:
        model = BenchmarkResult
        fields = ["id", "engine", "precision", "candidate", "batch_size", "status", "reason", "source_model", "load_s",
                  "cold_ms", "iterations", "mean_ms", "std_ms", "min_ms", "p50_ms", "p90_ms", "p95_ms", "p99_ms",
                  "max_ms", "mean_ms_per_image", "p50_ms_per_image", "p95_ms_per_image", "p99_ms_per_image", "fps",
                  "peak_rss_mb", "gpu_mem_peak_mb", "gpu_util_mean", "gpu_util_max", "cpu_util", "map50", "map50_95",
                  "map_drop", "details"]
        read_only_fields = fields


CSV_COLUMNS = [name for name in BenchmarkResultSerializer.Meta.fields if name not in ("details", "candidate")]


class BenchmarkRunListSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    state = serializers.CharField(source="job.state", read_only=True)
    progress = serializers.FloatField(source="job.progress", read_only=True)
    progress_message = serializers.CharField(source="job.progress_message", read_only=True)
    error = serializers.CharField(source="job.error", read_only=True)

    class Meta:
        model = BenchmarkRun
        fields = ["id", "job", "owner", "model", "dataset", "params", "state", "progress", "progress_message",
                  "error", "selected", "applied", "host", "hardware_class", "created_at", "updated_at"]
        read_only_fields = fields


class BenchmarkRunDetailSerializer(BenchmarkRunListSerializer):
    results = BenchmarkResultSerializer(source="result_rows", many=True, read_only=True)
    environment = serializers.JSONField(source="results", read_only=True)

    class Meta(BenchmarkRunListSerializer.Meta):
        fields = [*BenchmarkRunListSerializer.Meta.fields, "environment", "results"]
        read_only_fields = fields
