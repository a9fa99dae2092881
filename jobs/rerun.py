"""Jobs that survive their host: a gpu job whose worker stopped heart-beating is sent again to another worker.

When a host dies (power, network, a SIGKILL of the whole worker) no process is left to say so: the reaper sees the
stale heartbeat (jobs_reap_lost). A training, conversion or benchmark then goes back to QUEUED as a new Celery task
(a new task id: a late redelivery of the dead host's message no longer claims it), up to JOB_MAX_ATTEMPTS attempts
in all; a training resumes from its last stored checkpoint (training/checkpoints.py), the others start again.
A job with a routing target goes back to the queue it had, its host's: jobs sit below hosts, so the hosts app's
reaper (hosts/reaping.py, in the same sweep) routes it again to another live host when its target is a hardware
class, and fails it with the reason when it named the dead host.
Cancelled jobs, and jobs whose attempts are used up, are failed as before. A worker child killed while its worker
lives (out of memory, say) is not a lost host: that job fails at once (jobs/tasks.py), as re-running would repeat
what killed it.
"""
import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .lifecycle import job_fail, job_requeue_lost, job_send_on_commit
from .models import Job, JobKind, JobState

log = logging.getLogger(__name__)

RERUN_KINDS = (JobKind.TRAINING, JobKind.CONVERSION, JobKind.BENCHMARK)


def jobs_reap_lost(*, now=None) -> list[int]:
    """RUNNING jobs whose heartbeat went stale (their worker died without finishing them): a gpu job is sent again
    to another worker while it has attempts left (job_rerun_if_host_lost), any other is failed. Returns the jobs
    handled."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS)
    stale = list(Job.objects.filter(state=JobState.RUNNING, heartbeat_at__lt=cutoff).values_list("pk", flat=True))
    reaped = []
    for job_id in stale:
        message = (f"worker lost: no heartbeat for more than {settings.JOB_STALE_AFTER_SECONDS:g} s "
                   "(the worker process was killed or lost its connection)")
        if job_rerun_if_host_lost(job_id=job_id, cutoff=cutoff, reason=message):
            reaped.append(job_id)
            continue
        if Job.objects.filter(pk=job_id, heartbeat_at__lt=cutoff).exists() and job_fail(job_id=job_id, error=message):
            reaped.append(job_id)
            log.warning("reaped job %s: %s", job_id, message)
    return reaped


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
    job_send_on_commit(job_id=job_id, task_name=job["task_name"], queue=job["queue"], task_id=task_id,
                       limits=job["task_limits"])
    log.warning("job %s: %s", job_id, message)
    return True
