"""`manage.py storage_check` against a real S3 server (SeaweedFS): a missing bucket, refused keys and an endpoint
that does not answer are each one clear error naming the store; --create-bucket creates the bucket; a usable store
passes a write/read/delete round trip. No mock of S3."""
import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from core.embedded_redis import free_port
from tests.s3_server import ACCESS_KEY, SECRET_KEY, S3Server


def _use_store(settings, *, endpoint: str, bucket: str, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "endpoint_url": endpoint, "bucket_name": bucket, "access_key": access_key, "secret_key": secret_key,
        "region_name": "us-east-1", "addressing_style": "path", "file_overwrite": True}}}


def _check(*args) -> str:
    out = StringIO()
    call_command("storage_check", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def guarded_s3(tmp_path):
    """A server that, like compose's, accepts only its own keys."""
    with S3Server(tmp_path / "s3", credentials=True) as server:
        yield server


def test_a_usable_bucket_passes_the_round_trip_and_leaves_nothing_behind(s3_server, settings):
    bucket = s3_server.bucket()
    _use_store(settings, endpoint=s3_server.endpoint, bucket=bucket)
    out = _check()
    assert f"bucket '{bucket}' at {s3_server.endpoint}: answers, the bucket exists" in out
    assert "written, read back and deleted" in out
    assert s3_server.client().list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_a_missing_bucket_is_an_error_naming_the_bucket_and_the_endpoint(s3_server, settings):
    bucket = f"vp-missing-{uuid.uuid4().hex[:8]}"
    _use_store(settings, endpoint=s3_server.endpoint, bucket=bucket)
    with pytest.raises(CommandError) as error:
        _check()
    message = str(error.value)
    assert f"bucket '{bucket}' at {s3_server.endpoint}: no such bucket" in message and "--create-bucket" in message
    assert bucket not in [b["Name"] for b in s3_server.client().list_buckets()["Buckets"]]


def test_create_bucket_creates_a_missing_bucket_and_then_uses_it(s3_server, settings):
    bucket = f"vp-created-{uuid.uuid4().hex[:8]}"
    _use_store(settings, endpoint=s3_server.endpoint, bucket=bucket)
    out = _check("--create-bucket")
    assert "the bucket was missing and is created" in out and "written, read back and deleted" in out
    s3_server.client().head_bucket(Bucket=bucket)
    assert "the bucket exists" in _check()  # a second start finds it


def test_the_setting_creates_the_bucket_as_the_flag_does(s3_server, settings):
    bucket = f"vp-setting-{uuid.uuid4().hex[:8]}"
    _use_store(settings, endpoint=s3_server.endpoint, bucket=bucket)
    settings.ARTIFACT_S3_CREATE_BUCKET = True
    assert "is created" in _check()


def test_wrong_keys_are_an_error_that_says_the_keys_are_refused(guarded_s3, settings):
    bucket = guarded_s3.bucket()
    _use_store(settings, endpoint=guarded_s3.endpoint, bucket=bucket, access_key="nobody", secret_key="wrong-secret")
    with pytest.raises(CommandError) as error:
        _check("--create-bucket")  # refused keys never create anything
    message = str(error.value)
    assert f"bucket '{bucket}' at {guarded_s3.endpoint}: the keys are refused" in message
    assert "ARTIFACT_S3_ACCESS_KEY_ID" in message
    _use_store(settings, endpoint=guarded_s3.endpoint, bucket=bucket)  # the right keys pass
    assert "written, read back and deleted" in _check()


def test_an_endpoint_that_does_not_answer_is_an_error_after_the_wait(settings):
    endpoint = f"http://127.0.0.1:{free_port()}"
    _use_store(settings, endpoint=endpoint, bucket="vision-platform")
    with pytest.raises(CommandError) as error:
        _check("--wait", "0")
    message = str(error.value)
    assert f"bucket 'vision-platform' at {endpoint}: the endpoint does not answer" in message
    assert "ARTIFACT_S3_ENDPOINT_URL" in message


def test_the_filesystem_store_is_checked_with_the_same_round_trip(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "store")}}}
    out = _check()
    assert f"the filesystem store {tmp_path / 'store'}: an object was written, read back and deleted" in out
    assert not any(p.is_file() for p in (tmp_path / "store").rglob("*"))
