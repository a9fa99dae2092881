"""`python manage.py inference_pool`: one inference pool process (start several, on several hosts, to scale)."""
import logging
import signal
import socket

from django.conf import settings
from django.core.management.base import BaseCommand

from inference import channel
from inference.pool import InferencePool


def _this_host_serves() -> bool:
    return any(pool.get("host") == socket.gethostname() for pool in channel.pools_live(max_age=0))


class Command(BaseCommand):
    help = "Serve predictions from Redis with warm models, dynamic batching and heartbeats."

    def add_arguments(self, parser):
        parser.add_argument("--id", default=None, help="Pool process id (default host-pid-random).")
        parser.add_argument("--preload", default="", help="Comma-separated model ids to load at start "
                                                          "(adds to INFERENCE_PRELOAD).")
        parser.add_argument("--check", action="store_true",
                            help="Health check: exit 0 if a pool process of this host has a live heartbeat, else 1.")

    def handle(self, *args, **options):
        if options["check"]:
            raise SystemExit(0 if _this_host_serves() else 1)
        logging.getLogger("inference").setLevel(logging.INFO)
        pool = InferencePool(pool_id=options["id"])

        def stop(signum, frame):
            pool.stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        preload = list(settings.INFERENCE_PRELOAD) + [int(i) for i in options["preload"].split(",") if i.strip()]
        if preload:
            pool.preload(preload)
        pool.serve_forever()
