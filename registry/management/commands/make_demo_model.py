"""`manage.py make_demo_model`: register a preset (random initial weights, built offline) as a shared demo model."""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from registry.model_versions.presets import PRESETS
from registry.model_versions.services import model_preset_create
from registry.models import ModelVersion


class Command(BaseCommand):
    help = "Build a preset from its YAML (random initial weights, nothing downloaded) and register it, shared."

    def add_arguments(self, parser):
        parser.add_argument("--preset", default="yolov8n", choices=sorted(PRESETS))
        parser.add_argument("--owner", default="engineer", help="Username that owns the model.")
        parser.add_argument("--name", default="yolov8n-demo")
        parser.add_argument("--if-missing", action="store_true",
                            help="Do nothing when the owner already has a model of this name.")

    def handle(self, *args, preset, owner, name, if_missing, **options):
        user = get_user_model().objects.filter(username=owner).first()
        if user is None:
            raise CommandError(f"No user {owner!r}: create it first (manage.py seed_demo_accounts).")
        if if_missing and ModelVersion.objects.filter(owner=user, name=name).exists():
            self.stdout.write(f"Model {name!r} of {owner} exists: nothing to do.")
            return
        model, _ = model_preset_create(owner=user, name=name, preset=preset, shared=True)
        self.stdout.write(f"Registered {model} (id {model.pk}): {preset}, random initial weights, shared.")
