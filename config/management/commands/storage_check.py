"""`manage.py storage_check [--create-bucket] [--wait SECONDS]`: is the artifact store usable from this host? The
endpoint answers, the bucket exists (created with --create-bucket or ARTIFACT_S3_CREATE_BUCKET=true), and an object
can be written, read back and deleted (core/storage_check.py). Exits 1 with one line naming the store and what failed.
Run by platform/entrypoint.sh before every process that uses the store, and by `make run` with ARTIFACT_STORAGE=s3."""
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.storage_check import StoreUnusable, storage_check


class Command(BaseCommand):
    help = "Check that the artifact store answers, its bucket exists (or create it) and a write/read/delete works."

    def add_arguments(self, parser):
        parser.add_argument("--create-bucket", action="store_true",
                            help="create the bucket when it is missing (default: ARTIFACT_S3_CREATE_BUCKET)")
        parser.add_argument("--wait", type=float, default=None, metavar="SECONDS",
                            help="ask an endpoint that does not answer again for this long "
                                 "(default: ARTIFACT_S3_WAIT_SECONDS)")

    def handle(self, *args, create_bucket=False, wait=None, **options):
        try:
            done = storage_check(create_bucket=create_bucket or settings.ARTIFACT_S3_CREATE_BUCKET,
                                 wait_seconds=settings.ARTIFACT_S3_WAIT_SECONDS if wait is None else wait)
        except StoreUnusable as exc:
            raise CommandError(f"artifact store unusable: {exc}") from exc
        for line in done:
            self.stdout.write(f"storage check: {line}")
