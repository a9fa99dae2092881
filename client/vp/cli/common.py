"""What every `vp` command shares: the client from the stored credentials, `--json` output, and exit codes.

Exit codes: 0 success; 1 a job failed or was cancelled, or the platform failed (5xx, unreachable); 2 bad usage
(a wrong option, or a request the API refused as invalid: 400, 404, 409, 413); 3 authentication (no, bad, expired
or revoked credentials: 401; a role that forbids it: 403).
"""
from __future__ import annotations

import functools
import json
import os
import sys
from typing import Annotated, Any, Optional

import typer
from rich.console import Console

from .. import config
from ..client import Client
from ..errors import ApiError, AuthError, JobFailed, TransportError

OK, JOB_FAILED, USAGE, AUTH = 0, 1, 2, 3

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the answer as JSON (for scripts), nothing else.")]
TARGET_HELP = ("Where to run: host=NAME (that host), gpu=MODEL (a live host whose GPU name contains it) or "
               "cpu=FEATURE (a live host with that CPU feature, e.g. AMX); default: any gpu worker.")
TargetOpt = Annotated[Optional[str], typer.Option("--target", metavar="host=NAME|gpu=MODEL|cpu=FEATURE",
                                                  help=TARGET_HELP)]
TARGET_KEYS = ("host", "gpu", "cpu")


def parse_target(value: str | None, option: str = "--target") -> dict | None:
    """`host=gpu-2`, `gpu=NVIDIA H100` or `cpu=AMX` as the API's routing target (`{"gpu": "NVIDIA H100"}`)."""
    if not value:
        return None
    key, sep, wanted = value.partition("=")
    if not sep or key.strip() not in TARGET_KEYS or not wanted.strip():
        raise typer.BadParameter(f"{value!r} is not host=NAME, gpu=MODEL or cpu=FEATURE", param_hint=option)
    return {key.strip(): wanted.strip()}


def out() -> Console:
    return Console(highlight=False, soft_wrap=False)


def err() -> Console:
    return Console(stderr=True, highlight=False)


def client() -> Client:
    """A client from VP_URL / VP_TOKEN or `vp login`'s credentials; a refreshed JWT pair is saved back."""
    creds = config.load()
    if not creds.access:
        err().print("[red]error:[/] not logged in: run `vp login`, or set VP_TOKEN (a personal API token)")
        raise typer.Exit(AUTH)
    from_env = bool(os.environ.get("VP_TOKEN"))
    return Client(credentials=creds, on_refresh=None if from_env else config.save)


def emit(data: Any) -> None:
    """The JSON answer on stdout, one document."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    sys.stdout.flush()


def _field_errors(errors) -> str:
    if isinstance(errors, dict):
        return "; ".join(f"{k}: {v if isinstance(v, str) else ' '.join(map(str, v)) if isinstance(v, list) else v}"
                         for k, v in errors.items())
    return ""


def handled(fn):
    """Turn the client's exceptions into a message on stderr (the JSON body on stdout under --json) and an exit code."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        as_json = kwargs.get("as_json", False)
        try:
            return fn(*args, **kwargs)
        except AuthError as exc:
            hint = "" if exc.status == 403 else " (log in again with `vp login`, or check VP_TOKEN)"
            _fail(as_json, {"status": exc.status, **exc.body}, f"authentication failed: {exc.detail}{hint}", AUTH)
        except JobFailed as exc:
            job = exc.job
            _fail(as_json, job, f"job {job.get('id')} {job.get('state')}: {job.get('error') or 'no error recorded'}",
                  JOB_FAILED)
        except ApiError as exc:
            code = JOB_FAILED if exc.status >= 500 else USAGE
            detail = exc.detail
            extra = _field_errors(exc.errors)
            message = f"{exc.status}: {detail}" + (f" ({extra})" if extra and extra not in detail else "")
            _fail(as_json, {"status": exc.status, **exc.body}, message, code)
        except TransportError as exc:
            _fail(as_json, {"detail": str(exc)}, f"cannot reach the platform: {exc}", JOB_FAILED)
        except FileNotFoundError as exc:
            _fail(as_json, {"detail": str(exc)}, f"no such file: {exc.filename}", USAGE)

    return wrapper


def _fail(as_json: bool, body: dict, message: str, code: int):
    if as_json:
        emit({"error": message, **body})
    from rich.text import Text

    err().print(Text.assemble(("error: ", "red"), message))  # the API's text is not rich markup
    raise typer.Exit(code)


def short(value, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def eta(seconds) -> str:
    if seconds is None:
        return ""
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"
