# Serving moved to the serving app (serving.ServingChoice); its data was copied by serving 0002.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0003_explicit_usage_protect'),
        ('serving', '0002_choices_from_registry_fields'),  # copied there before the fields go
    ]

    operations = [
        migrations.RemoveField(
            model_name='modelversion',
            name='selected_engine',
        ),
        migrations.RemoveField(
            model_name='modelversion',
            name='serving_benchmark',
        ),
        migrations.RemoveField(
            model_name='modelversion',
            name='serving_version',
        ),
    ]
