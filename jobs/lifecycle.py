"""Every Job state transition happens here, as a conditional update; illegal transitions are refused.

QUEUED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED, and QUEUED -> CANCELLED | FAILED; RUNNING -> QUEUED sends a gpu
job whose host was lost again (jobs/rerun.py decides, job_requeue_lost moves it).
Progress is pushed best-effort over Redis pub/sub; the database row is the authoritative state.
"""
import logging

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.redis import redis_available

from .models import TERMINAL_STATES, Job, JobState, JobTransition
from .progress import publish
from .signals import job_finished

log = logging.getLogger(__name__)

ALLOWED_TRANSITIONS = {
    JobState.QUEUED: {JobState.RUNNING, JobState.CANCELLED, JobState.FAILED, JobState.QUEUED},  # re-routed
    JobState.RUNNING: {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.QUEUED},
}


class IllegalTransition(Exception):
    pass


def _sources_for(target: str) -> list[str]:
    return [source for source, targets in ALLOWED_TRANSITIONS.items() if target in targets]


def transition(*, job_id: int, to_state: str, from_states: list[str] | None = None, message: str = "",
               where: dict | None = None, **fields) -> bool:
    """Move a job to `to_state` if it is in one of `from_states` (default: every legal source) and matches the
    lookups in `where`, setting `fields`. True if it moved."""
    legal = _sources_for(to_state)
    if not legal:
        raise IllegalTransition(f"no state may move to {to_state}")
    sources = legal if from_states is None else [s for s in from_states if s in legal]
    if from_states is not None and len(sources) != len(from_states):
        raise IllegalTransition(f"{from_states} -> {to_state} is not a legal transition")
    with transaction.atomic():
        previous = Job.objects.filter(pk=job_id).values_list("state", flat=True).first()
        moved = Job.objects.filter(pk=job_id, state__in=sources, **(where or {})).update(
            state=to_state, updated_at=timezone.now(), **fields)
        if moved:
            JobTransition.objects.create(job_id=job_id, from_state=previous or "", to_state=to_state,
                                         message=message[:2000])
    if moved:
        publish(job_id, {"state": to_state})
        if to_state in TERMINAL_STATES:
            _announce_finished(job_id, to_state)
    return bool(moved)


def _announce_finished(job_id: int, state: str) -> None:
    """Tell listeners (jobs/signals.py) that a job ended; their errors are logged, never raised into a transition."""
    try:
        kind = Job.objects.filter(pk=job_id).values_list("kind", flat=True).first() or ""
        for receiver, outcome in job_finished.send_robust(sender=Job, job_id=job_id, state=state, kind=kind):
            if isinstance(outcome, Exception):
                log.error("job_finished receiver %r failed for job %s: %r", receiver, job_id, outcome)
    except Exception:
        log.exception("could not announce the end of job %s", job_id)


def job_claim(*, job_id: int, worker: str, task_id: str) -> bool:
    """QUEUED -> RUNNING for the task the job was sent with. A message that is not the job's own task (a stale
    message left in Redis by another database, say) never claims it."""
    if not Job.objects.filter(pk=job_id, celery_task_id=task_id).exists():
        return False
    now = timezone.now()
    return transition(job_id=job_id, to_state=JobState.RUNNING, from_states=[JobState.QUEUED],
                      message=f"claimed by {worker}", started_at=now, heartbeat_at=now, worker=worker[:255],
                      attempts=F("attempts") + 1)


def job_heartbeat(*, job_id: int) -> bool:
    """Stamp the heartbeat of a running job. Returns whether cancellation has been requested."""
    Job.objects.filter(pk=job_id, state=JobState.RUNNING).update(heartbeat_at=timezone.now())
    return bool(Job.objects.filter(pk=job_id, cancel_requested=True).exists())


def job_set_progress(*, job_id: int, fraction: float, message: str = "", eta_seconds: float | None = None) -> None:
    fraction = min(max(float(fraction), 0.0), 1.0)
    Job.objects.filter(pk=job_id, state=JobState.RUNNING).update(
        progress=fraction, progress_message=message[:500], eta_seconds=eta_seconds,
        heartbeat_at=timezone.now(), updated_at=timezone.now())
    publish(job_id, {"progress": fraction, "message": message, "eta_seconds": eta_seconds})


def job_succeed(*, job_id: int, result: dict) -> bool:
    return transition(job_id=job_id, to_state=JobState.SUCCEEDED, from_states=[JobState.RUNNING],
                      message="succeeded", result=result, progress=1.0, finished_at=timezone.now())


def job_fail(*, job_id: int, error: str, result: dict | None = None) -> bool:
    fields = {"error": error[:10000], "finished_at": timezone.now()}
    if result is not None:
        fields["result"] = result
    return transition(job_id=job_id, to_state=JobState.FAILED, message=error, **fields)


def job_mark_cancelled(*, job_id: int, result: dict | None = None, message: str = "cancelled") -> bool:
    fields = {"finished_at": timezone.now(), "error": ""}
    if result is not None:
        fields["result"] = result
    return transition(job_id=job_id, to_state=JobState.CANCELLED, message=message, **fields)


def job_requeue_lost(*, job_id: int, stale_before, task_id: str, message: str) -> bool:
    """RUNNING -> QUEUED for a job whose host was lost, if its heartbeat is still older than `stale_before` (a worker
    that came back keeps its job). It is to be sent as the new task `task_id`: a late redelivery of the dead host's
    message no longer claims it."""
    return transition(job_id=job_id, to_state=JobState.QUEUED, from_states=[JobState.RUNNING], message=message,
                      where={"heartbeat_at__lt": stale_before}, celery_task_id=task_id, worker="", heartbeat_at=None,
                      progress_message=message[:500])


def job_reroute(*, job_id: int, from_queue: str, to_queue: str, params: dict, task_id: str, message: str) -> bool:
    """QUEUED -> QUEUED in `to_queue` for a job still waiting in `from_queue` (its host is gone: hosts/reaping.py),
    with `params`; it is to be sent as the new task `task_id`, so a late delivery of the old message no longer claims
    it. True if it moved."""
    return transition(job_id=job_id, to_state=JobState.QUEUED, from_states=[JobState.QUEUED], message=message,
                      where={"queue": from_queue}, queue=to_queue, params=params, celery_task_id=task_id,
                      progress_message=message[:500])


def job_send_on_commit(*, job_id: int, task_name: str, queue: str, task_id: str, limits: dict | None) -> None:
    """Send a job moved back to QUEUED (re-run, re-routed) as task `task_id` once the caller's transaction commits
    (now, outside one). A send that fails is left to the lost-message sweep (jobs/lost_messages.py), which sends a
    QUEUED job whose message is missing."""
    def send():
        try:
            current_app.send_task(task_name, args=[job_id], queue=queue, task_id=task_id, **(limits or {}))
        except Exception:
            log.warning("could not send job %s to %s now; the lost-message sweep will", job_id, queue, exc_info=True)

    transaction.on_commit(send)


def job_request_cancel(*, job: Job) -> Job:
    """A queued job is cancelled at once and never starts; a running one stops at its next checkpoint."""
    if job.state == JobState.QUEUED and job_mark_cancelled(job_id=job.pk, message="cancelled before it started"):
        _revoke(job.celery_task_id)
    elif job.state == JobState.RUNNING or job.state == JobState.QUEUED:
        Job.objects.filter(pk=job.pk, state__in=[JobState.RUNNING, JobState.QUEUED]).update(cancel_requested=True)
        publish(job.pk, {"cancel_requested": True})
    job.refresh_from_db()
    return job


def job_fail_worker_lost(*, task_id: str, detail: str) -> int | None:
    """Celery saw the process running `task_id` die (SIGKILL, out of memory): fail its job now, not a stale
    heartbeat later. Only the job sent with this very task id; returns its id if it was failed. A RUNNING job that
    no worker claimed (a search's job: its first controller step was sent with the job's task id, and every step is
    idempotent, resumed by the sweep) did not die with the process."""
    job_id = Job.objects.filter(celery_task_id=task_id, state__in=[JobState.QUEUED, JobState.RUNNING]) \
        .exclude(state=JobState.RUNNING, worker="").values_list("pk", flat=True).first() if task_id else None
    message = (f"worker lost: the process running the job died ({detail}); it was killed, or ran out of memory. "
               "Start the job again.")
    if job_id is not None and job_fail(job_id=job_id, error=message):
        log.warning("failed job %s: %s", job_id, message)
        return job_id
    return None


def _revoke(task_id: str) -> None:
    if not task_id or not redis_available():  # Celery's broadcast would retry for minutes against a dead Redis
        return
    try:
        current_app.control.revoke(task_id)
    except Exception:  # best effort: the claim refuses a cancelled job anyway
        log.info("could not revoke task %s", task_id, exc_info=True)
