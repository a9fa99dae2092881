"""Jobs sent to a host's own queue (a training, conversion or benchmark with a target) whose host has no gpu worker
any more: nothing would ever take them. One aimed at a hardware class (`{"gpu": ...}`, `{"cpu": ...}`) is routed again
to another live host that matches; one aimed at the host by name, or whose class no live host has now, is failed with
the reason instead of being left QUEUED for ever. This covers a job sent again after its host was lost mid-run
(jobs/rerun.py sends it back to the queue it had, that of the dead host) as well as one that never started."""
import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.errors import Invalid
from jobs.lifecycle import job_fail, job_reroute, job_send_on_commit
from jobs.models import Job, JobKind, JobState
from jobs.services import HOST_QUEUE_PREFIX

from .liveness import processes_live
from .routing import host_queue, target_describe, target_host

log = logging.getLogger(__name__)

# The job parameter that holds a job's routing target: a conversion's `target` is its output format.
TARGET_PARAM = {JobKind.CONVERSION: "run_on"}


def job_target(*, kind: str, params: dict) -> dict | None:
    """The routing target recorded in a job's params (`{"host": ...}`, `{"gpu": ...}`, `{"cpu": ...}`), if any."""
    target = (params or {}).get(TARGET_PARAM.get(kind, "target"))
    return target if isinstance(target, dict) and len(target) == 1 else None


def jobs_reroute_on_gone_hosts(*, now=None) -> dict[str, list[int]]:
    """Route again or fail the QUEUED jobs whose host's queue has no gpu worker left; {"rerouted": [...],
    "failed": [...]} (job ids)."""
    now = now or timezone.now()
    # A job younger than one TTL may have been routed while its host's key was still being refreshed.
    queued = list(Job.objects.filter(state=JobState.QUEUED, queue__startswith=HOST_QUEUE_PREFIX,
                                     created_at__lt=now - timedelta(seconds=settings.HOST_TTL_SECONDS))
                  .values("pk", "kind", "queue", "params", "attempts", "task_name", "task_limits"))
    done = {"rerouted": [], "failed": []}
    if not queued:
        return done
    live = {process["host"] for process in processes_live() if process["role"] == "gpu"}
    for job in queued:
        gone = job["queue"].removeprefix(HOST_QUEUE_PREFIX)
        if gone in live:
            continue
        moved, error = _reroute(job, gone)
        if moved:
            done["rerouted"].append(job["pk"])
        elif error and job_fail(job_id=job["pk"], error=error):
            done["failed"].append(job["pk"])
    return done


def _reroute(job: dict, gone: str) -> tuple[bool, str]:
    """(True, "") when the job was sent to another live host that matches its target; else (False, why it fails)."""
    target = job_target(kind=job["kind"], params=job["params"])
    ran = "it did not finish" if job["attempts"] else "nothing ran"
    if target is None or "host" in target:
        return False, (f"its target host {gone!r} is gone (no gpu worker heartbeat) and no other host takes its "
                       f"queue; {ran}. Start it again with another target.")
    try:
        host = target_host(target=target).name
    except Invalid:
        return False, (f"its host {gone!r} is gone (no gpu worker heartbeat) and no other live host has "
                       f"{target_describe(target)}; {ran}. Start it again when one is live (GET /api/hosts/).")
    message = f"routed again to {host!r}: its host {gone!r} is gone and {host!r} has {target_describe(target)}"
    params = {**job["params"], "routed_to": host}
    task_id, queue = str(uuid.uuid4()), host_queue(host)
    with transaction.atomic():
        if not job_reroute(job_id=job["pk"], from_queue=job["queue"], to_queue=queue, params=params, task_id=task_id,
                           message=message):
            return False, ""  # it moved meanwhile (claimed, cancelled): nothing to do
        job_send_on_commit(job_id=job["pk"], task_name=job["task_name"], queue=queue, task_id=task_id,
                           limits=job["task_limits"])
    log.warning("job %s: %s", job["pk"], message)
    return True, ""
