"""Deleting a row that owns a job: through its job, from which it cascades, and never while the job runs."""
from django.db import transaction
from django.db.models import Model

from accounts.visibility import check_can_modify
from core.deletion import delete_or_conflict, describe
from core.errors import Conflict


def job_subject_delete(subject: Model, *, user, cancel_path: str, owner_field: str = "owner",
                       after_commit=None) -> None:
    """Delete a row that owns a job (a training run, a search, a conversion, a benchmark run) by deleting its job,
    from which it cascades. The owner or an admin (403); 409 while the job is queued or running (`cancel_path`
    says how to stop it), or naming the rows that use the subject. `after_commit` cleans up outside the database
    (artifacts, a study) once the delete is committed."""
    check_can_modify(subject, user, action="delete", owner_field=owner_field)
    job = subject.job
    if not job.is_terminal:
        label = describe(subject)
        raise Conflict(f"{label[:1].upper()}{label[1:]} is {job.state.lower()}; cancel it (POST {cancel_path}) and "
                       "delete it once it has stopped.")
    with transaction.atomic():
        delete_or_conflict(job, subject=subject)
        if after_commit is not None:
            transaction.on_commit(after_commit)
