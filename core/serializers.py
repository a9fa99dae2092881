"""Base pieces of the explicit request schemas every app validates its JSON parameters with."""
from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    """A request schema that refuses unknown keys with a 400 naming them, instead of silently ignoring a typo."""

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            unknown = sorted(set(data.keys()) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: [f"unknown field; known: {', '.join(sorted(self.fields))}"] for name in unknown})
        return super().to_internal_value(data)


def imgsz_multiple_of_32(value: int) -> int:
    """A field validator: YOLO input sizes are multiples of 32, the models' largest stride."""
    if value % 32:
        raise serializers.ValidationError(f"must be a multiple of 32 (got {value}; try {max(32, value // 32 * 32)})")
    return value
