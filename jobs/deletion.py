"""Deleting a row that owns a job: through its job, from which it cascades, and never while the job runs."""
from django.db import transaction

from accounts.visibility import check_can_modify
from core.deletion import delete_or_conflict, describe
from core.errors import Conflict

from .models import JobSubject


def job_subject_delete(subject: JobSubject, *, user, cancel_path: str | None = None, after_commit=None) -> None:
    """Delete a row that owns a job (a training run, a search, a conversion, a benchmark run, a report) by deleting
    its job, from which it cascades. The owner or an admin (403, by the subject's `owner_field`); 409 while the job
    is queued or running (`cancel_path` says how to stop it; default: the job's own cancel), or naming the rows
    that use the subject. `after_commit` cleans up outside the database (artifacts, a study) once the delete is
    committed."""
    check_can_modify(subject, user, action="delete", owner_field=subject.owner_field)
    job = subject.job
    if not job.is_terminal:
        label = describe(subject)
        cancel_path = cancel_path or f"/api/jobs/{job.pk}/cancel/"
        raise Conflict(f"{label[:1].upper()}{label[1:]} is {job.state.lower()}; cancel it (POST {cancel_path}) and "
                       "delete it once it has stopped.")
    with transaction.atomic():
        delete_or_conflict(job, subject=subject)
        if after_commit is not None:
            transaction.on_commit(after_commit)
