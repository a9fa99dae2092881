# The serving selections that lived on registry.ModelVersion (selected_engine, serving_version, serving_benchmark)
# become ServingChoice rows for every hardware class (""), which is what they meant: one engine wherever it serves.
from django.db import migrations


def forwards(apps, schema_editor):
    ModelVersion = apps.get_model("registry", "ModelVersion")
    ServingChoice = apps.get_model("serving", "ServingChoice")
    for model in ModelVersion.objects.exclude(selected_engine="").iterator():
        ServingChoice.objects.update_or_create(
            model_id=model.pk, hardware_class="",
            defaults={"engine": model.selected_engine, "version_id": model.serving_version_id or model.pk,
                      "benchmark_id": model.serving_benchmark_id})


def backwards(apps, schema_editor):
    ModelVersion = apps.get_model("registry", "ModelVersion")
    ServingChoice = apps.get_model("serving", "ServingChoice")
    # Back to one selection per model: the every-class choice, else the latest of the per-class ones.
    for choice in ServingChoice.objects.order_by("model_id", "-hardware_class", "updated_at").iterator():
        ModelVersion.objects.filter(pk=choice.model_id).update(
            selected_engine=choice.engine,
            serving_version_id=None if choice.version_id == choice.model_id else choice.version_id,
            serving_benchmark_id=choice.benchmark_id)


class Migration(migrations.Migration):

    dependencies = [
        ("serving", "0001_initial"),
        ("registry", "0003_explicit_usage_protect"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
