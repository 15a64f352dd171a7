"""Every open item has a next follow-up time: items made in the admin or by an import before this
had none, and the reminders used to fall back to "last update (or creation) + cadence" for them.
That fallback becomes the stored value, so pages, admin and reminders read one field."""

import datetime as dt

from django.db import migrations

OPEN = ("not_started", "in_progress", "blocked")


def fill(apps, schema_editor):
    ActionItem = apps.get_model("tracker", "ActionItem")
    missing = ActionItem.objects.filter(status__in=OPEN, next_follow_up_at__isnull=True)
    for item in missing.only("pk", "created_at", "last_update_at", "cadence_days"):
        base = item.last_update_at or item.created_at
        ActionItem.objects.filter(pk=item.pk).update(
            next_follow_up_at=base + dt.timedelta(days=item.cadence_days)
        )


class Migration(migrations.Migration):
    dependencies = [("tracker", "0006_reminder_unsettled_index")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
