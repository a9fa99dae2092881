"""Host shapes: the registered machine with its live state and usage, and the explicit schema of a routing target."""
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import StrictSerializer

from .models import Host


class GpuUsageSerializer(serializers.Serializer):
    """One GPU as NVML saw it at the sample; a field the GPU does not report is null (hosts/usage.py)."""

    index = serializers.IntegerField()
    utilization_percent = serializers.IntegerField(allow_null=True)
    memory_used_mb = serializers.IntegerField(allow_null=True)
    memory_total_mb = serializers.IntegerField(allow_null=True)
    temperature_c = serializers.IntegerField(allow_null=True)
    unresponsive = serializers.BooleanField(required=False, help_text="Present (true) while NVML does not answer "
                                                                      "for this host; the readings are null then.")


class HostUsageSerializer(serializers.Serializer):
    """The host's newest heartbeat sample (hosts/usage.py)."""

    sampled_at = serializers.DateTimeField()
    cpu_percent = serializers.FloatField(allow_null=True, help_text="System-wide, since the previous sample.")
    load_average = serializers.ListField(child=serializers.FloatField(), help_text="1, 5 and 15 minutes.")
    memory_used_mb = serializers.IntegerField()
    memory_total_mb = serializers.IntegerField()
    gpus = GpuUsageSerializer(many=True, help_text="Empty on a host without NVML.")


class HostSerializer(serializers.ModelSerializer):
    state = serializers.SerializerMethodField()
    processes = serializers.SerializerMethodField()
    usage = serializers.SerializerMethodField(help_text="Live usage from the heartbeat; null when the host is gone "
                                                        "or has not reported.")

    class Meta:
        model = Host
        fields = ["name", "state", "hardware_class", "cpu_model", "cpu_features", "cpu_cores", "memory_mb", "gpus",
                  "gpu_driver", "engines", "roles", "processes", "usage", "last_seen", "created_at"]
        read_only_fields = fields

    def _state(self, host) -> dict:
        return self.context["states"](host)

    def get_state(self, host) -> str:
        return self._state(host)["state"]

    def get_processes(self, host) -> list:
        return self._state(host)["processes"]

    @extend_schema_field(HostUsageSerializer(allow_null=True))
    def get_usage(self, host) -> dict | None:
        usage = self._state(host)["usage"]
        return None if usage is None else HostUsageSerializer(usage).data


class TargetSerializer(StrictSerializer):
    """Exactly one of `host` (a HOST_NAME), `gpu` (part of a GPU model name) or `cpu` (a CPU feature: AMX, AVX-512)."""

    host = serializers.CharField(required=False, max_length=150)
    gpu = serializers.CharField(required=False, max_length=150)
    cpu = serializers.CharField(required=False, max_length=64)

    def validate(self, attrs):
        if len(attrs) != 1:
            raise serializers.ValidationError('give exactly one of "host", "gpu" or "cpu"')
        return attrs
