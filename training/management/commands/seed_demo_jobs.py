"""`manage.py seed_demo_jobs`: queue the demo's first jobs, once: a training run on the demo dataset and an ONNX
conversion of the demo preset, so a new platform shows real work (progress in the API, Flower and the admin) and
ends with a model that really detects shapes."""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from registry.conversions.services import conversion_request
from registry.model_versions.serializers import ConversionRequestSerializer
from registry.models import Dataset, ModelVersion
from training.models import TrainingRun
from training.parameters import default_time_limit_seconds
from training.services import training_run_start

DEMO_RUN_NAME = "shapes-detector"


class Command(BaseCommand):
    help = "Queue a demo training run (15 epochs at 128 px on shapes-demo) and an ONNX conversion of yolov8n-demo."

    def add_arguments(self, parser):
        parser.add_argument("--owner", default="engineer")
        parser.add_argument("--epochs", type=int, default=15)

    def handle(self, *args, owner, epochs, **options):
        user = get_user_model().objects.filter(username=owner).first()
        dataset = Dataset.objects.filter(owner=user, name="shapes-demo").order_by("-version").first()
        preset = ModelVersion.objects.filter(owner=user, name="yolov8n-demo").order_by("-version").first()
        if user is None or dataset is None or preset is None:
            raise CommandError("Seed the demo accounts, dataset and model first (manage.py seed_demo).")
        if not TrainingRun.objects.filter(owner=user, name=DEMO_RUN_NAME).exists():
            run = training_run_start(owner=user, dataset=dataset, parent_model=None, preset="yolov8n",
                                     name=DEMO_RUN_NAME, epochs=epochs, imgsz=128, batch=16, seed=0, patience=50,
                                     time_limit_seconds=default_time_limit_seconds(), hyperparameters={})
            self.stdout.write(f"demo training run {run.pk} queued (job {run.job_id}): {epochs} epochs on {dataset}")
        request = ConversionRequestSerializer(data={"target": "onnx", "imgsz": 640, "dynamic": True})
        request.is_valid(raise_exception=True)
        conversion, created = conversion_request(user=user, source=preset, **request.validated_data)
        if created:
            self.stdout.write(f"demo ONNX conversion of {preset} queued (job {conversion.job_id})")
