# gunicorn settings for the web process; threads keep server-sent-event streams from blocking other requests.
import os

bind = f"{os.environ.get('WEB_BIND', '0.0.0.0')}:{os.environ.get('PLATFORM_WEB_PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "8"))
timeout = int(os.environ.get("WEB_TIMEOUT", "300"))
graceful_timeout = 10
accesslog = "-"
errorlog = "-"
