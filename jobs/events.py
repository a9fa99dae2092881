"""Live job progress as server-sent events: one `job` event per change, until the job finishes.

Redis pub/sub wakes the stream as soon as a worker publishes; the database row is re-read for the truth,
and a periodic re-read covers lost messages. A client reconnects (EventSource does so by itself) after
`max_seconds`.
"""
import json
import math
import time

from django.http import JsonResponse, StreamingHttpResponse
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication

from accounts.authentication import ApiTokenAuthentication
from core.redis import redis_client

from . import selectors
from .models import Job
from .progress import channel
from .serializers import JobSerializer

POLL_SECONDS = 2.0


def _authenticate(request):
    try:
        found = ApiTokenAuthentication().authenticate(request) or JWTAuthentication().authenticate(request)
    except AuthenticationFailed as exc:
        return None, str(exc.detail)
    if found is None:
        if request.user.is_authenticated:  # an admin signed in to the browsable pages
            return request.user, None
        return None, "Authentication credentials were not provided."
    return found[0], None


def job_events(request, job_id: int):
    user, problem = _authenticate(request)
    if user is None:
        return JsonResponse({"detail": problem}, status=401)
    job = selectors.job_get(user=user, job_id=job_id)  # NotFound: a JSON 404 (core/security.ApiErrorMiddleware)
    try:
        max_seconds = float(request.GET.get("max_seconds", 300))
        if not math.isfinite(max_seconds):
            raise ValueError(max_seconds)
        max_seconds = min(max(max_seconds, 1.0), 3600.0)
    except ValueError:
        return JsonResponse({"detail": "max_seconds: must be a number of seconds"}, status=400)
    response = StreamingHttpResponse(_stream(job.pk, max_seconds), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


def _stream(job_id: int, max_seconds: float):
    pubsub = None
    try:
        pubsub = redis_client().pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(channel(job_id))
    except Exception:
        pubsub = None  # fall back to polling the database
    deadline = time.monotonic() + max_seconds
    last = None
    try:
        while True:
            job = Job.objects.select_related("owner").get(pk=job_id)
            payload = json.dumps(JobSerializer(job).data, default=str)
            if payload != last:
                yield f"event: job\ndata: {payload}\n\n"
                last = payload
            if job.is_terminal:
                yield "event: end\ndata: {}\n\n"
                return
            if time.monotonic() > deadline:
                yield "event: timeout\ndata: {}\n\n"
                return
            if pubsub is not None:
                try:
                    pubsub.get_message(timeout=POLL_SECONDS)
                    continue
                except Exception:
                    pubsub = None
            time.sleep(POLL_SECONDS / 4)
            yield ": keep-alive\n\n"
    finally:
        if pubsub is not None:
            pubsub.close()
