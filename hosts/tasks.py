"""Thin Celery task for the reaper: `jobs.reap_lost_jobs` (beat, default queue) fails or re-sends the jobs whose
worker, message or host is gone. It keeps the name it had in jobs/ (the beat schedule names it); it lives here
because it composes the jobs app's reapers with the hosts app's, and jobs sits below hosts."""
from celery import shared_task

from jobs.lost_messages import jobs_reap_lost_messages
from jobs.rerun import jobs_reap_lost

from .reaping import jobs_fail_on_gone_hosts


@shared_task(name="jobs.reap_lost_jobs")
def reap_lost_jobs():
    return {"reaped": jobs_reap_lost(), "lost_messages": jobs_reap_lost_messages(),
            "gone_hosts": jobs_fail_on_gone_hosts()}
