"""``manage.py sweep_runs``: fail jobs whose worker vanished (run at start-up; the worker also
sweeps every minute, see ``projects.services.sweep``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from projects import services


class Command(BaseCommand):
    help = (
        "Mark runs, renders and previews failed whose worker was killed or lost (no heartbeat), "
        "so none blocks its project; remove a lost render's partial files and "
        "the temporary files and folders a crash left behind (older than an hour)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        swept = services.stale_sweep()
        self.stdout.write(
            f"{swept.runs} stale run(s) and {swept.renders} stale render(s) marked failed, "
            f"{swept.previews} stale preview(s)"
        )
        scratch = services.scratch_sweep()
        self.stdout.write(f"{scratch} temporary file(s) or folder(s) left by a crash removed")
