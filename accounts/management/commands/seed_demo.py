"""Everything `make run` seeds: the demo accounts, the demo dataset and model, and the first demo jobs."""
import os

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Seed the demo accounts and demo data used by `make run`."

    def handle(self, *args, **options):
        call_command("seed_demo_accounts", stdout=self.stdout)
        # registry: the shared demo dataset (256 images at 128 px, a few seconds), only the first time
        call_command("make_demo_dataset", register=True, if_missing=True, owner="engineer", name="shapes-demo",
                     images=256, imgsz=128, stdout=self.stdout)
        # registry: a shared yolov8n preset (random initial weights, built from its YAML), only the first time
        call_command("make_demo_model", preset="yolov8n", owner="engineer", name="yolov8n-demo", if_missing=True,
                     stdout=self.stdout)
        if os.environ.get("PLATFORM_DEMO_JOBS", "1") != "0":
            call_command("seed_demo_jobs", stdout=self.stdout)
