"""Request parameters for predictions, validated with explicit bounds so a bad value is a 400 naming the field."""
from django.conf import settings
from rest_framework import serializers


class PredictParamsSerializer(serializers.Serializer):
    conf = serializers.FloatField(min_value=0.0, max_value=1.0, default=0.25)
    iou = serializers.FloatField(min_value=0.0, max_value=1.0, default=0.7)
    max_det = serializers.IntegerField(min_value=1, max_value=1000, default=300)
    imgsz = serializers.IntegerField(min_value=32, max_value=4096, required=False, allow_null=True, default=None)
    timeout_ms = serializers.IntegerField(min_value=1, max_value=120_000, required=False, allow_null=True,
                                          default=None)

    def validate_imgsz(self, value):
        if value is not None and value % 32:
            raise serializers.ValidationError("must be a multiple of 32 (the model's stride).")
        return value


class PredictJsonSerializer(PredictParamsSerializer):
    images = serializers.ListField(child=serializers.CharField(allow_blank=True), allow_empty=False,
                                   help_text="Base64-encoded JPEG/PNG images.")

    def validate_images(self, value):
        if len(value) > settings.INFERENCE_MAX_IMAGES:
            raise serializers.ValidationError(
                f"{len(value)} images; at most {settings.INFERENCE_MAX_IMAGES} per request (INFERENCE_MAX_IMAGES).")
        return value
