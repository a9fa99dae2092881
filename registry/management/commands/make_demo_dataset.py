"""`manage.py make_demo_dataset`: the deterministic synthetic detection dataset, as a folder, a zip, or registered."""
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from registry.datasets.demo_data import demo_dataset_zip, write_demo_dataset
from registry.datasets.services import DatasetRejected, dataset_ingest
from registry.models import Dataset


class Command(BaseCommand):
    help = ("Write the synthetic shapes dataset (circle, square, triangle) to a folder or a .zip, or register it "
            "through the same validation as an upload (--register). Nothing is downloaded.")

    def add_arguments(self, parser):
        parser.add_argument("--images", type=int, default=256)
        parser.add_argument("--imgsz", type=int, default=128)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--output", help="A folder to write the tree into, or a path ending in .zip.")
        parser.add_argument("--register", action="store_true", help="Validate and register it as a shared dataset.")
        parser.add_argument("--owner", default="engineer", help="Username that owns the registered dataset.")
        parser.add_argument("--name", default="shapes-demo")
        parser.add_argument("--if-missing", action="store_true",
                            help="With --register: do nothing when the owner already has a dataset of this name.")

    def handle(self, *args, images, imgsz, seed, output, register, owner, name, if_missing, **options):
        if images < 2 or not 16 <= imgsz <= 2048:
            raise CommandError("--images must be at least 2 and --imgsz between 16 and 2048.")
        if bool(output) == bool(register):
            raise CommandError("Give either --output DIR|FILE.zip or --register.")
        if output:
            target = Path(output)
            if target.suffix.lower() == ".zip":
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(demo_dataset_zip(images=images, imgsz=imgsz, seed=seed))
            else:
                write_demo_dataset(target, images=images, imgsz=imgsz, seed=seed)
            self.stdout.write(f"Wrote {images} images at {imgsz} px to {target}")
            return
        self._register(images=images, imgsz=imgsz, seed=seed, owner=owner, name=name, if_missing=if_missing)

    def _register(self, *, images, imgsz, seed, owner, name, if_missing):
        user = get_user_model().objects.filter(username=owner).first()
        if user is None:
            raise CommandError(f"No user {owner!r}: create it first (manage.py seed_demo_accounts).")
        if if_missing and Dataset.objects.filter(owner=user, name=name).exists():
            self.stdout.write(f"Dataset {name!r} of {owner} already exists; nothing to do.")
            return
        with tempfile.NamedTemporaryFile(suffix=".zip", dir=settings.SCRATCH_ROOT) as archive:
            archive.write(demo_dataset_zip(images=images, imgsz=imgsz, seed=seed))
            archive.flush()
            try:
                result = dataset_ingest(owner=user, name=name, archive_path=Path(archive.name), shared=True)
            except DatasetRejected as rejected:  # would be a bug in the generator
                raise CommandError(f"The demo dataset was rejected: {rejected}") from rejected
        dataset = result.dataset
        verb = "Registered" if result.created else "Already registered"
        self.stdout.write(f"{verb} dataset {dataset.name} v{dataset.version} (id {dataset.pk}): "
                          f"{dataset.num_images} images, {dataset.num_instances} objects")
