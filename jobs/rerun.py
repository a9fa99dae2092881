"""Jobs that survive their host: a gpu job whose worker stopped heart-beating is sent again to another worker.

When a host dies (power, network, a SIGKILL of the whole worker) no process is left to say so: the reaper sees the
stale heartbeat (jobs_reap_lost). A training, conversion or benchmark then goes back to QUEUED as a new Celery task
(a new task id: a late redelivery of the dead host's message no longer claims it), up to JOB_MAX_ATTEMPTS attempts
in all; a training resumes from its last stored checkpoint (training/checkpoints.py), the others start again.
Cancelled jobs, and jobs whose attempts are used up, are failed as before. A worker child killed while its worker
lives (out of memory, say) is not a lost host: that job fails at once (jobs/tasks.py), as re-running would repeat
what killed it.
"""
import logging
import uuid

from django.conf import settings
from django.db import transaction

from .lifecycle import job_requeue_lost
from .models import Job, JobKind

log = logging.getLogger(__name__)

RERUN_KINDS = (JobKind.TRAINING, JobKind.CONVERSION, JobKind.BENCHMARK)


def job_rerun_if_host_lost(*, job_id: int, cutoff, reason: str) -> bool:
    """Send the stale job `job_id` again if its kind survives a host; True if it was sent again."""
    job = Job.objects.filter(pk=job_id).values("kind", "attempts", "cancel_requested", "task_name", "queue",
                                               "task_limits", "worker").first()
    if (job is None or job["kind"] not in RERUN_KINDS or job["cancel_requested"] or not job["task_name"]
            or job["attempts"] >= settings.JOB_MAX_ATTEMPTS):
        return False
    task_id = str(uuid.uuid4())
    message = (f"{reason}; sent again to another worker (attempt {job['attempts'] + 1} of "
               f"{settings.JOB_MAX_ATTEMPTS}; it ran on {job['worker'] or '?'})")
    if not job_requeue_lost(job_id=job_id, stale_before=cutoff, task_id=task_id, message=message):
        return False
    transaction.on_commit(lambda: _send(job, job_id, task_id))  # now, unless the caller holds a transaction open
    log.warning("job %s: %s", job_id, message)
    return True


def _send(job: dict, job_id: int, task_id: str) -> None:
    from config.celery import app

    try:
        app.send_task(job["task_name"], args=[job_id], queue=job["queue"], task_id=task_id,
                      **(job["task_limits"] or {}))
    except Exception:  # the lost-message sweep (jobs/lost_messages.py) sends a QUEUED job whose message is missing
        log.warning("could not send job %s again now; the lost-message sweep will", job_id, exc_info=True)
