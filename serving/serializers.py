"""The request schema of `POST /api/models/{id}/serving/`."""
import re

from rest_framework import serializers

from core.serializers import StrictSerializer

HARDWARE_CLASS = re.compile(r"^(cpu:(amx|avx512|avx2|baseline)|gpu:[A-Za-z0-9][\w .()/+-]{0,145})$")


class ServingSetSerializer(StrictSerializer):
    """`{"engine": "openvino-cpu", "version": 12, "hardware_class": "cpu:amx"}`; `{"engine": ""}` (or null) clears:
    that class's choice, or every class's when no class is given. Without a class, the choice is the model's one
    engine on every class (it replaces the per-class choices, as the URL did before classes existed)."""

    engine = serializers.CharField(allow_blank=True, allow_null=True, max_length=64)
    version = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    hardware_class = serializers.CharField(required=False, allow_null=True, default=None, max_length=150,
                                           help_text="gpu:<GPU model as NVML names it> or cpu:amx|avx512|avx2|"
                                                     "baseline (GET /api/hosts/ shows each host's class)")

    def validate_hardware_class(self, value):
        if value is not None and not HARDWARE_CLASS.match(value):
            raise serializers.ValidationError('a hardware class is "gpu:<GPU model>" or "cpu:amx", "cpu:avx512", '
                                              '"cpu:avx2", "cpu:baseline" (see GET /api/hosts/)')
        return value
