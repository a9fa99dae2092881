"""Step: take the gpu slot. An exclusive benchmark (`exclusive: true`, the default) first waits, bounded by
BENCHMARK_EXCLUSIVE_WAIT_SECONDS, until no other job runs on this worker's other gpu slot; whatever else did run
during each timed loop is recorded on the run either way (state.note_concurrent). Then the run records where it
runs (host, libraries, the engines this worker can run) and this process's memory before any engine.
"""
import time

import psutil
from django.conf import settings

from core.hardware import host_info, library_versions
from inference.engines import engines_available
from jobs.models import Job, JobState


def others_running(*, job_id: int, worker: str) -> list[dict]:
    if not worker:
        return []
    return list(Job.objects.filter(state=JobState.RUNNING, queue__startswith="gpu", worker=worker)  # gpu.host.*
                .exclude(pk=job_id).values("id", "kind"))


def _wait_exclusive(*, ctx, worker: str, progress) -> dict:
    limit = settings.BENCHMARK_EXCLUSIVE_WAIT_SECONDS
    started = time.monotonic()
    others = waited_for = others_running(job_id=ctx.job_id, worker=worker)
    while others and time.monotonic() - started < limit:
        names = ", ".join(f"job {o['id']} ({o['kind']})" for o in others)
        progress(f"waiting for {names} on the other gpu slot to finish (exclusive benchmark, "
                 f"{time.monotonic() - started:.0f}/{limit} s)")
        ctx.checkpoint()
        time.sleep(1.0)
        others = others_running(job_id=ctx.job_id, worker=worker)
    return {"waited_s": round(time.monotonic() - started, 1), "timed_out": bool(others), "waited_for": waited_for,
            "still_running": others}


def slot_take(state) -> None:
    exclusive = {"requested": state.params["exclusive"]}
    if state.params["exclusive"]:
        exclusive.update(_wait_exclusive(ctx=state.ctx, worker=state.worker, progress=state.progress))
    state.available = engines_available()
    state.run.results = {"host": host_info(), "libraries": library_versions(), "worker": state.worker,
                         "exclusive": exclusive, "engines_available": state.available}
    state.run.save(update_fields=["results", "updated_at"])
    state.base_rss_mb = psutil.Process().memory_info().rss / 2**20
