"""Runs Flower with every page behind its authentication, /metrics and /healthcheck included.

Flower 2.x checks credentials only in the handlers marked @authenticated; its /metrics (task names, worker names,
counts) and /healthcheck answer anyone. This wrapper makes every Flower handler, static files included, refuse a
request without valid credentials (401), then starts `celery flower` with the arguments it was given. It refuses
to start without --basic-auth/FLOWER_BASIC_AUTH or --auth (an open Flower can also revoke and kill tasks).

    python platform/secure_flower.py -A config flower --port=5555 --basic-auth=user:password
"""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `-A config`; this file's own folder is not a package


def require_authentication() -> None:
    import tornado.web
    from flower.views import BaseHandler

    def prepare(self):
        if self.request.method != "OPTIONS" and not BaseHandler.get_current_user(self):
            raise tornado.web.HTTPError(401)  # get_current_user itself raises 401 on bad basic-auth credentials

    # Every Flower page and API handler derives from BaseHandler; static files from tornado's StaticFileHandler.
    original = BaseHandler.prepare

    def base_prepare(self):
        prepare(self)
        return original(self)

    BaseHandler.prepare = base_prepare
    tornado.web.StaticFileHandler.prepare = prepare


def main() -> None:
    args = sys.argv[1:]
    configured = os.environ.get("FLOWER_BASIC_AUTH") or os.environ.get("FLOWER_AUTH") or any(
        arg.startswith(("--basic-auth=", "--basic_auth=", "--auth=")) and arg.split("=", 1)[1] for arg in args)
    if not configured:
        sys.exit("secure_flower: refusing to start Flower without authentication (set FLOWER_BASIC_AUTH=user:password)")
    require_authentication()
    from celery.__main__ import main as celery_main

    sys.argv = ["celery", *args]
    celery_main()


if __name__ == "__main__":
    main()
