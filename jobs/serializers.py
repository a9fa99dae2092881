"""Job shapes for the API."""
from rest_framework import serializers

from .models import Job, JobKind, JobState
from .services import QUEUES


class JobSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)

    class Meta:
        model = Job
        fields = ["id", "kind", "owner", "queue", "params", "state", "progress", "progress_message", "eta_seconds",
                  "result", "error", "cancel_requested", "created_at", "started_at", "finished_at", "heartbeat_at",
                  "worker", "attempts", "celery_task_id"]
        read_only_fields = fields


class JobFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=JobState.choices, required=False)
    kind = serializers.ChoiceField(choices=JobKind.choices, required=False)


class ProbeRequestSerializer(serializers.Serializer):
    queue = serializers.ChoiceField(choices=QUEUES, default="gpu")
