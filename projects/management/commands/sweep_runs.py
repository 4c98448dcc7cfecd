"""``manage.py sweep_runs``: fail runs whose worker vanished (run at start-up and on a schedule)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from projects import services


class Command(BaseCommand):
    help = (
        "Mark runs failed whose worker was killed or lost, so none stays 'running' forever; "
        "remove temporary files and folders a crash left behind (older than an hour)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = services.sync_run_fail_stale()
        renders = services.render_fail_stale()
        self.stdout.write(f"{count} stale run(s) and {renders} stale render(s) marked failed")
        scratch = services.scratch_sweep()
        self.stdout.write(f"{scratch} temporary file(s) or folder(s) left by a crash removed")
