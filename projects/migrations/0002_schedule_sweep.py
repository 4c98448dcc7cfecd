"""Schedule the stale-run sweeper in django-q2 every 10 minutes."""

from __future__ import annotations

from django.db import migrations


def add_schedule(apps, schema_editor):  # noqa: ANN001, ANN201
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name="syncsite-sweep-stale-runs",
        defaults={"func": "projects.tasks.sweep_stale_runs_task", "schedule_type": "I",
                  "minutes": 10, "repeats": -1},
    )


def remove_schedule(apps, schema_editor):  # noqa: ANN001, ANN201
    apps.get_model("django_q", "Schedule").objects.filter(name="syncsite-sweep-stale-runs").delete()


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial"), ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more")]
    operations = [migrations.RunPython(add_schedule, remove_schedule)]
