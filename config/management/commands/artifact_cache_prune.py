"""`manage.py artifact_cache_prune`: remove from this host's artifact cache the entries whose object the store no
longer has (a deleted model or dataset), except those a running job holds. Run it on each host (the cache is per
host): after deleting models, or from cron; safe while jobs run. Without it such entries age out by LRU."""
from django.core.management.base import BaseCommand

from core.artifact_cache import host_artifact_cache
from core.storage import artifact_exists


class Command(BaseCommand):
    help = "Remove cached copies of deleted artifacts from this host's artifact cache."

    def handle(self, *args, **options):
        cache = host_artifact_cache()
        removed = cache.prune(exists=artifact_exists)
        for name, size in removed:
            self.stdout.write(f"removed {name} ({size} bytes): no longer in the store")
        freed = sum(size for _, size in removed)
        self.stdout.write(f"artifact cache {cache.root}: {len(removed)} entr(ies) of deleted artifacts removed, "
                          f"{freed} bytes freed, {cache.size()} bytes kept")
