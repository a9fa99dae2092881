"""The lock that keeps two controller steps of one search from running at once (searches/controller.py).

A Redis lock with a short expiry, renewed by a thread for as long as the step runs: one pass over a population of
100 can outlast any fixed expiry, and a second step would then fill the generation again (more individuals than
the population). A step killed with its worker stops renewing, so the search is free again LOCK_SECONDS later.
"""
import logging
import threading
from contextlib import contextmanager

from core.redis import redis_client

log = logging.getLogger(__name__)

LOCK_SECONDS = 20


@contextmanager
def step_locked(job_id: int):
    """Yields True while holding the step lock of the search with job `job_id` (renewed all along), False when
    another step holds it."""
    # thread_local=False: redis-py keeps a lock's token per thread by default, and the renewing thread needs it
    lock = redis_client().lock(f"vp:searches:step:{job_id}", timeout=LOCK_SECONDS, thread_local=False)
    if not lock.acquire(blocking=False):
        yield False
        return
    done = threading.Event()

    def renew():
        while not done.wait(LOCK_SECONDS / 3):
            try:
                lock.reacquire()
            except Exception:  # lost (Redis restarted empty): the step finishes; another may start meanwhile
                log.warning("could not renew the step lock of search job %s", job_id)
                return

    renewer = threading.Thread(target=renew, name=f"search-step-lock-{job_id}", daemon=True)
    renewer.start()
    try:
        yield True
    finally:
        done.set()
        renewer.join()
        try:
            lock.release()
        except Exception:  # lost meanwhile (see renew): nothing to undo
            log.warning("the step lock of search job %s was lost", job_id)
