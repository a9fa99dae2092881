# gunicorn settings for the web process; threads keep server-sent-event streams from blocking other requests.
import os
import shutil
from pathlib import Path

bind = f"{os.environ.get('WEB_BIND', '127.0.0.1')}:{os.environ.get('PLATFORM_WEB_PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "64"))  # a thread reading a slow body must not starve the rest
timeout = int(os.environ.get("WEB_TIMEOUT", "300"))
graceful_timeout = 10
accesslog = "-"
errorlog = "-"

# Several workers: /metrics adds up every worker's counters through prometheus-client's multiprocess mode, in a
# directory that starts empty with each server (set PROMETHEUS_MULTIPROC_DIR yourself to choose where).
_OWN_METRICS_DIR = workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _OWN_METRICS_DIR:
    _var = Path(os.environ.get("PLATFORM_VAR_DIR") or Path(__file__).resolve().parent.parent / "var")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_var / "prometheus")


def on_starting(server):
    if _OWN_METRICS_DIR:
        path = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def pre_request(worker, req):
    # gunicorn ignores an application's `Connection: close`: core/slow_clients.py closes a connection whose body it
    # left unread through this request object instead (else the rest of the body is parsed as the next request)
    from core.slow_clients import server_request_bind

    server_request_bind(req)
    worker.log.debug("%s %s", req.method, req.path)


def post_request(worker, req, environ, resp):
    from core.slow_clients import server_request_bind

    server_request_bind(None)


def post_worker_init(worker):
    # a worker killed mid-upload (OOM, SIGKILL) leaves its temporary upload file: each new worker sweeps them
    from registry.uploads import scratch_sweep

    try:
        scratch_sweep()
    except Exception:  # a sweep must never stop a worker from serving
        worker.log.exception("upload scratch sweep failed")
