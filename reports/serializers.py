"""Report request and response shapes. The request is explicit: a known subject kind, an id, an optional baseline."""
from rest_framework import serializers

from accounts.visibility import can_modify
from core.serializers import StrictSerializer

from .collectors import KINDS
from .links import report_links
from .models import Report


class BaselineSerializer(StrictSerializer):
    subject = serializers.ChoiceField(choices=KINDS)
    id = serializers.IntegerField(min_value=1, max_value=2**62)


class ReportCreateSerializer(StrictSerializer):
    """Visibility of the subject and baseline is checked by the API (404, not 400)."""

    subject = serializers.ChoiceField(choices=KINDS)
    id = serializers.IntegerField(min_value=1, max_value=2**62)
    baseline = BaselineSerializer(required=False, allow_null=True, default=None)
    title = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    shared = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        baseline = attrs.get("baseline")
        if baseline and baseline["subject"] == attrs["subject"] and baseline["id"] == attrs["id"]:
            raise serializers.ValidationError({"baseline": ["the baseline is the subject itself; name another one"]})
        return attrs


class ReportUpdateSerializer(StrictSerializer):
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    shared = serializers.BooleanField(required=False)


class ReportListSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    state = serializers.CharField(source="job.state", read_only=True)
    error = serializers.CharField(source="job.error", read_only=True)
    subject = serializers.SerializerMethodField()
    baseline = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = ["id", "job", "owner", "title", "subject", "baseline", "shared", "state", "error", "created_at",
                  "rendered_at", "render_seconds"]
        read_only_fields = fields

    def get_subject(self, report) -> dict:
        return {"subject": report.subject_kind, "id": report.subject_id}

    def get_baseline(self, report) -> dict | None:
        return {"subject": report.baseline_kind, "id": report.baseline_id} if report.baseline_kind else None


class ReportDetailSerializer(ReportListSerializer):
    links = serializers.SerializerMethodField()
    report = serializers.SerializerMethodField()

    class Meta(ReportListSerializer.Meta):
        fields = [*ReportListSerializer.Meta.fields, "links", "report"]
        read_only_fields = fields

    def get_links(self, report) -> dict:
        """The downloads; the signed share links only for whoever may change the report (its owner or an admin):
        a reader of a shared report must not be able to hand it on beyond the owner's control."""
        request = self.context["request"]
        links = report_links(request=request, report_id=report.pk) if can_modify(report, request.user) else {}
        base = f"/api/reports/{report.pk}/"
        links.update({name: request.build_absolute_uri(base + name)
                      for name in ("report.json", "tables.zip", "report.pdf")})
        return links

    def get_report(self, report) -> dict | None:
        return report.snapshot or None
