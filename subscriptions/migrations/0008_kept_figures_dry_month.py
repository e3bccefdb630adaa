"""The kept figures' pool rows now carry the month their pool runs dry (the dashboard's
chart reads it): rows kept before lack it, so the next read rebuilds them all."""

from django.db import migrations


def rebuild_on_next_read(apps, schema_editor):
    # Without a state the kept rows are of no day: the next read rebuilds them.
    apps.get_model("subscriptions", "FiguresState").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0007_kept_figures")]

    operations = [migrations.RunPython(rebuild_on_next_read, migrations.RunPython.noop)]
