"""Host shapes: the registered machine with its live state, and the explicit schema of a routing target."""
from rest_framework import serializers

from core.serializers import StrictSerializer

from .models import Host


class HostSerializer(serializers.ModelSerializer):
    state = serializers.SerializerMethodField()
    processes = serializers.SerializerMethodField()

    class Meta:
        model = Host
        fields = ["name", "state", "hardware_class", "cpu_model", "cpu_features", "cpu_cores", "memory_mb", "gpus",
                  "gpu_driver", "engines", "roles", "processes", "last_seen", "created_at"]
        read_only_fields = fields

    def _state(self, host) -> dict:
        return self.context["states"](host)

    def get_state(self, host) -> str:
        return self._state(host)["state"]

    def get_processes(self, host) -> list:
        return self._state(host)["processes"]


class TargetSerializer(StrictSerializer):
    """Exactly one of `host` (a HOST_NAME), `gpu` (part of a GPU model name) or `cpu` (a CPU feature: AMX, AVX-512)."""

    host = serializers.CharField(required=False, max_length=150)
    gpu = serializers.CharField(required=False, max_length=150)
    cpu = serializers.CharField(required=False, max_length=64)

    def validate(self, attrs):
        if len(attrs) != 1:
            raise serializers.ValidationError('give exactly one of "host", "gpu" or "cpu"')
        return attrs
