"""Job shapes for the API."""
from rest_framework import serializers

from core.queues import CELERY_QUEUES

from .models import Job, JobKind, JobState


class JobSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)

    class Meta:
        model = Job
        fields = ["id", "kind", "owner", "queue", "params", "state", "progress", "progress_message", "eta_seconds",
                  "result", "error", "cancel_requested", "created_at", "started_at", "finished_at", "heartbeat_at",
                  "worker", "attempts", "celery_task_id", "resends"]
        read_only_fields = fields


class JobFilterSerializer(serializers.Serializer):
    # allow_blank: an empty filter (`?state=`) is no filter, and the schema must not call it invalid
    state = serializers.ChoiceField(choices=JobState.choices, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=JobKind.choices, required=False, allow_blank=True)


PROBE_QUEUES = CELERY_QUEUES  # a probe needs a Celery worker (core/queues.py)


class ProbeRequestSerializer(serializers.Serializer):
    queue = serializers.ChoiceField(choices=PROBE_QUEUES, default="gpu", error_messages={
        "invalid_choice": "\"{input}\" has no worker to run a probe; choose one of: " + ", ".join(PROBE_QUEUES) + "."})
