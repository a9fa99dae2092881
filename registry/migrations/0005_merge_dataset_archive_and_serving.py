# Joins the storage branch (0004_dataset_archive) and the hosts branch (0004_serving_moved_to_serving_app).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0004_dataset_archive'),
        ('registry', '0004_serving_moved_to_serving_app'),
    ]

    operations = [
    ]
