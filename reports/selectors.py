"""Reads for reports: the ones a user may read (their own, shared ones, all for admins)."""
from django.db.models import QuerySet

from accounts.visibility import visible_to
from core.errors import Invalid, NotFound

from .collectors import SubjectUnavailable, collector_for
from .models import Report


def report_list(*, user) -> QuerySet[Report]:
    return visible_to(Report.objects.select_related("owner", "job"), user)


def report_get(*, user, report_id: int) -> Report:
    """The report if `user` may read it; 404 otherwise (never 403, so others' ids are not confirmed)."""
    report = report_list(user=user).filter(pk=report_id).first()
    if report is None:
        raise NotFound("No report with this id is visible to you.")
    return report


def report_get_by_link(*, report_id: int) -> Report:
    """The report a valid signed link names, whoever follows it (the signature is the permission)."""
    report = Report.objects.select_related("owner", "job").filter(pk=report_id).first()
    if report is None:
        raise NotFound("This report no longer exists.")
    return report


def subject_get_visible(*, user, kind: str, object_id: int, field: str):
    """The subject (or baseline) object if `user` may see it: 404 when not, 400 naming `field` when its kind
    cannot be reported on here."""
    try:
        collector = collector_for(kind)
    except SubjectUnavailable as exc:
        raise Invalid(errors={field: [str(exc)]}) from exc
    return collector.resolve(user=user, object_id=object_id)
