"""Jobs sent to a host's own queue (a benchmark target) whose host has no gpu worker any more: nothing would ever
take them, so the reaper fails them with the reason instead of leaving them QUEUED for ever."""
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from jobs.lifecycle import job_fail
from jobs.models import Job, JobState
from jobs.services import HOST_QUEUE_PREFIX

from .liveness import processes_live


def jobs_fail_on_gone_hosts(*, now=None) -> list[int]:
    now = now or timezone.now()
    # A job younger than one TTL may have been routed while its host's key was still being refreshed.
    queued = list(Job.objects.filter(state=JobState.QUEUED, queue__startswith=HOST_QUEUE_PREFIX,
                                     created_at__lt=now - timedelta(seconds=settings.HOST_TTL_SECONDS))
                  .values_list("pk", "queue"))
    if not queued:
        return []
    live = {process["host"] for process in processes_live() if process["role"] == "gpu"}
    failed = []
    for job_id, queue in queued:
        host = queue.removeprefix(HOST_QUEUE_PREFIX)
        if host not in live and job_fail(job_id=job_id, error=f"its target host {host!r} is gone (no gpu worker "
                                                               "heartbeat) and no other host takes its queue; nothing "
                                                               "ran. Start it again with another target."):
            failed.append(job_id)
    return failed
