"""Dataset request and response shapes."""
from rest_framework import serializers

from ..models import Dataset

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,149}$"


class DatasetSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)

    class Meta:
        model = Dataset
        fields = ["id", "name", "version", "sha256", "class_names", "num_images", "num_instances", "size_bytes",
                  "report", "owner", "shared", "created_at"]
        read_only_fields = fields


class DatasetListSerializer(DatasetSerializer):
    """The list leaves out the (possibly long) report."""

    class Meta(DatasetSerializer.Meta):
        fields = [f for f in DatasetSerializer.Meta.fields if f != "report"]


class DatasetUploadSerializer(serializers.Serializer):
    name = serializers.RegexField(NAME_PATTERN, max_length=150, error_messages={
        "invalid": "Use 1-150 letters, digits, '.', '_' or '-', starting with a letter or digit."})
    file = serializers.FileField(help_text="A zip of a YOLO detection dataset: data.yaml, images/<split>/, "
                                           "labels/<split>/.")
    shared = serializers.BooleanField(default=False, help_text="Visible to every signed-in user.")

    def validate_file(self, upload):
        if not upload.name.lower().endswith(".zip"):
            raise serializers.ValidationError("Upload a .zip archive.")
        return upload


class DatasetFilterSerializer(serializers.Serializer):
    # allow_blank: `?name=` is no filter, and the schema must not call it invalid
    name = serializers.CharField(required=False, allow_blank=True, max_length=150)
