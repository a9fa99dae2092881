"""A prefork pool tuned for `--max-tasks-per-child 1` (the gpu queue: a fresh child process per job).

Celery's stock async pool adds up to a few seconds between one job finishing and the next starting, and can
even run two queued jobs one after the other instead of side by side. Measured (tests.sleep jobs, `-c 2`):

1. It marks a child available as soon as the child reports its task done, although a child that has used up
   its task budget is about to exit; the fair scheduler may write the next job into that child's pipe, where it
   sits until the exit is noticed. Here such a child stays busy until its pipe closes.
2. The exit is noticed through the child's sentinel fd, which sometimes fires only with the next unrelated event
   (observed: 2.5 s late), with a 5 s `maintain_pool` timer as the fallback. Here the timer runs every 0.1 s
   (a `waitpid(WNOHANG)` per child).
3. Before forking a replacement the pool runs `gc.collect()`, which walks every object of a parent that has
   torch and ultralytics loaded: about 0.3 s. The parent freezes what it has at pool start (`gc.freeze()`), so
   the collection only walks what came after.

4. Its children may have children. billiard starts each pool child as a daemon process, and multiprocessing
   refuses to start processes from a daemon ("daemonic processes are not allowed to have children"), so every
   training job failed on a GPU host, where ultralytics' DataLoader starts worker processes. Each child clears
   its own daemon flag when it starts (`worker_process_init`). What the flag protected still holds: a child's
   loader workers are daemons themselves (torch makes them so, and they exit when their parent dies, through
   torch's parent watchdog), a hard time limit or a SIGKILL of the child leaves no worker behind for longer than
   that watchdog's poll, and the parent still terminates its children on shutdown.

Every worker uses it (`CELERY_WORKER_POOL`); without a task budget it behaves like `prefork`.
"""
import gc
import multiprocessing

from billiard import process as billiard_process
from celery.concurrency import asynpool, prefork
from celery.signals import worker_process_init

MAINTAIN_POOL_INTERVAL_SECONDS = 0.1


class RecyclingAwareAsynPool(asynpool.AsynPool):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._tasks_done_by_pid: dict[int, int] = {}

    def on_job_ready(self, job, i, obj, inqW_fd):
        budget = self._maxtasksperchild
        process = self._fileno_to_inq.get(inqW_fd)
        if not budget or process is None:
            return super().on_job_ready(job, i, obj, inqW_fd)
        done = self._tasks_done_by_pid.pop(process.pid, 0) + 1
        if done >= budget:
            return None  # stays in _busy_workers until on_inqueue_close drops the exited child's fd
        if len(self._tasks_done_by_pid) > 4 * len(self._pool):  # forget children that were killed early
            live = {p.pid for p in self._pool}
            self._tasks_done_by_pid = {pid: n for pid, n in self._tasks_done_by_pid.items() if pid in live}
        self._tasks_done_by_pid[process.pid] = done
        return super().on_job_ready(job, i, obj, inqW_fd)

    @property
    def timers(self):
        if not self._maxtasksperchild:
            return super().timers
        return {self.maintain_pool: MAINTAIN_POOL_INTERVAL_SECONDS}


@worker_process_init.connect
def _allow_children(**kwargs) -> None:
    """Run in each pool child as it starts: it may start processes (billiard and multiprocessing share the object)."""
    for current in {id(p): p for p in (billiard_process.current_process(), multiprocessing.current_process())}.values():
        current._config["daemon"] = False


class TaskPool(prefork.TaskPool):
    Pool = RecyclingAwareAsynPool

    def on_start(self):
        gc.collect()
        gc.freeze()  # what the parent imported so far stays out of the collection before each fork
        return super().on_start()
