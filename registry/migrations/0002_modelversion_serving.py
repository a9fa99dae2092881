# The serving engine's version and the benchmark it came from (benchmarks app, issue 10).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('benchmarks', '0001_initial'),
        ('registry', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='modelversion',
            name='serving_benchmark',
            field=models.ForeignKey(blank=True, help_text='The benchmark whose selection set the engine; empty: by hand.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='benchmarks.benchmarkrun'),
        ),
        migrations.AddField(
            model_name='modelversion',
            name='serving_version',
            field=models.ForeignKey(blank=True, help_text="The version the selected engine serves (e.g. this model's ONNX or INT8 conversion); empty: this version itself.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='served_for', to='registry.modelversion'),
        ),
    ]
