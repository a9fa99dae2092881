"""Thin Celery task for the reaper: `jobs.reap_lost_jobs` (beat, default queue) fails, re-sends or routes again the
jobs whose worker, message or host is gone. It keeps the name it had in jobs/ (the beat schedule names it); it lives
here because it composes the jobs app's reapers with the hosts app's, and jobs sits below hosts. The order matters:
a job sent again to its dead host's queue (jobs_reap_lost) is routed again in the same sweep (a host is gone after
HOST_TTL_SECONDS, sooner than a job is stale after JOB_STALE_AFTER_SECONDS)."""
from celery import shared_task

from jobs.lost_messages import jobs_reap_lost_messages
from jobs.rerun import jobs_reap_lost

from .reaping import jobs_reroute_on_gone_hosts


@shared_task(name="jobs.reap_lost_jobs")
def reap_lost_jobs():
    return {"reaped": jobs_reap_lost(), "lost_messages": jobs_reap_lost_messages(),
            "gone_hosts": jobs_reroute_on_gone_hosts()}
