"""Is the artifact store usable from this host? Asked once at start (`manage.py storage_check`, run by the container
entrypoint and by `make run` with S3), so a wrong endpoint, a missing bucket or refused keys is one clear line at
start instead of a failed upload or job later.

The S3 store is asked with a client of its own, built from the same settings but with short timeouts and no retries
(the store's own client retries for minutes against an address that does not answer), then an object is written,
read back and deleted through core/storage.py, the way the platform itself stores artifacts.
"""
import time
import uuid

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError
from django.conf import settings
from django.core.files.storage import default_storage

from .errors import Unavailable
from .storage import artifact_delete, artifact_exists, artifact_put_bytes, artifact_read_bytes, storage_is_local

PROBE_PREFIX = ".storage-check"
_MISSING_BUCKET = ("NoSuchBucket", "404", "NotFound")
_BAD_KEYS = ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidClientTokenId", "AuthorizationHeaderMalformed")


class StoreUnusable(Unavailable):
    """The artifact store cannot be used from this host; the message names the store and what failed. `unreachable`:
    nothing answered (worth waiting for while the store starts), as opposed to an answer that refuses."""

    def __init__(self, message: str, *, unreachable: bool = False):
        super().__init__(message)
        self.unreachable = unreachable


def store_description() -> str:
    if storage_is_local():
        return f"the filesystem store {default_storage.location}"
    return f"bucket {default_storage.bucket_name!r} at {default_storage.endpoint_url or 'AWS S3'}"


def storage_check(*, create_bucket: bool = False, wait_seconds: float = 0.0) -> list[str]:
    """Check the store; returns what was done, one line each. Raises StoreUnusable naming what failed. With
    `create_bucket`, a missing bucket is created; `wait_seconds`: how long an endpoint that does not answer yet is
    asked again (a store starting beside this process)."""
    done: list[str] = []
    if not storage_is_local():
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                done += _bucket_ready(create_bucket=create_bucket)
                break
            except StoreUnusable as exc:
                if not exc.unreachable or time.monotonic() >= deadline:
                    raise
                time.sleep(1.0)
    done.append(_round_trip())
    return done


def _client():
    """An S3 client of the store's settings (endpoint, keys, region, addressing style) that fails fast."""
    quick = Config(connect_timeout=5, read_timeout=15, retries={"max_attempts": 1, "mode": "standard"})
    config = default_storage.client_config.merge(quick)
    return default_storage._create_session().client(
        "s3", region_name=default_storage.region_name, use_ssl=default_storage.use_ssl,
        endpoint_url=default_storage.endpoint_url, config=config, verify=default_storage.verify)


def _bucket_ready(*, create_bucket: bool) -> list[str]:
    bucket, where = default_storage.bucket_name, store_description()
    client = _client()
    try:
        client.list_objects_v2(Bucket=bucket, MaxKeys=1)  # a GET: its error names the cause, a HEAD's would not
        return [f"{where}: answers, the bucket exists"]
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code not in _MISSING_BUCKET:
            raise _refused(exc, where) from exc
    except (EndpointConnectionError, BotoCoreError) as exc:
        raise _unreachable(exc, where) from exc
    if not create_bucket:
        raise StoreUnusable(f"{where}: no such bucket. Create it (`manage.py storage_check --create-bucket`, or "
                            f"ARTIFACT_S3_CREATE_BUCKET=true), or set ARTIFACT_S3_BUCKET to one that exists")
    options = {} if default_storage.region_name in (None, "", "us-east-1") else {
        "CreateBucketConfiguration": {"LocationConstraint": default_storage.region_name}}
    try:
        client.create_bucket(Bucket=bucket, **options)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise StoreUnusable(f"{where}: no such bucket, and creating it failed: {_reason(exc)}") from exc
    return [f"{where}: answers, the bucket was missing and is created"]


def _round_trip() -> str:
    where = store_description()
    name = f"{PROBE_PREFIX}/{settings.HOST_NAME}-{uuid.uuid4().hex[:12]}"
    data = f"storage check {uuid.uuid4().hex}".encode()
    step = "write"
    try:
        artifact_put_bytes(name=name, data=data)
        step = "read back"
        if artifact_read_bytes(name) != data:
            raise StoreUnusable(f"{where}: the object {name} read back differs from what was written")
        step = "delete"
        artifact_delete(name)
        if artifact_exists(name):
            raise StoreUnusable(f"{where}: the object {name} is still there after its delete")
    except StoreUnusable:
        raise
    except ClientError as exc:
        raise StoreUnusable(f"{where}: could not {step} the test object {name}: {_reason(exc)}") from exc
    except (BotoCoreError, OSError) as exc:
        raise StoreUnusable(f"{where}: could not {step} the test object {name}: {exc}") from exc
    return f"{where}: an object was written, read back and deleted"


def _reason(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return f"{error.get('Code') or status} {error.get('Message') or ''}".strip()


def _refused(exc: ClientError, where: str) -> StoreUnusable:
    code = exc.response.get("Error", {}).get("Code", "")
    if code in _BAD_KEYS:
        return StoreUnusable(f"{where}: the keys are refused ({_reason(exc)}): check ARTIFACT_S3_ACCESS_KEY_ID and "
                             f"ARTIFACT_S3_SECRET_ACCESS_KEY")
    if code in ("AccessDenied", "403", "Forbidden"):
        return StoreUnusable(f"{where}: access denied ({_reason(exc)}): the keys may not use this bucket")
    return StoreUnusable(f"{where}: the store refused ({_reason(exc)})")


def _unreachable(exc: Exception, where: str) -> StoreUnusable:
    if isinstance(exc, NoCredentialsError):
        return StoreUnusable(f"{where}: no credentials: set ARTIFACT_S3_ACCESS_KEY_ID and ARTIFACT_S3_SECRET_ACCESS_KEY")
    return StoreUnusable(f"{where}: the endpoint does not answer ({exc}): check ARTIFACT_S3_ENDPOINT_URL and "
                         f"that the store runs and is reachable from this host", unreachable=True)
