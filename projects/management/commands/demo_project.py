"""``manage.py demo_project --user NAME``: a project of three generated clips with known offsets.

The clips come from :func:`mediasynth.demo.write_demo` (a seeded synthetic event) and are added
through :func:`projects.services.video_add`, exactly like browser uploads, so they are probed
and get their previews from the worker.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from mediasynth.demo import write_demo
from projects import services
from projects.services import ServiceError

DEFAULT_NAME = "Demo shoot"


class Command(BaseCommand):
    help = "Create a demo project (three generated clips with known offsets) for a user."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="owner's username")
        parser.add_argument(
            "--create-user",
            action="store_true",
            help="create the user if missing (needs --password)",
        )
        parser.add_argument("--password", help="password for a user created here")
        parser.add_argument("--name", default=DEFAULT_NAME, help=f"default: {DEFAULT_NAME!r}")
        parser.add_argument("--seed", type=int, default=0, help="clip generator seed")
        parser.add_argument(
            "--skip-existing",
            action="store_true",
            help="do nothing if the user has a project of that name",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = self._user(options)
        if options["skip_existing"] and user.projects.filter(name=options["name"]).exists():
            self.stdout.write(f"{user} already has a project named {options['name']!r}; skipped.")
            return
        with tempfile.TemporaryDirectory(prefix="syncsite-demo-") as tmp:
            self.stdout.write("Generating three demo clips ...")
            truth = write_demo(Path(tmp), seed=options["seed"])
            project = services.project_create(
                owner=user,
                name=options["name"],
                notes="Generated clips of one event with known offsets (mediasynth.demo).",
            )
            try:
                for name in truth:
                    path = Path(tmp) / name
                    with path.open("rb") as fh:
                        upload = UploadedFile(fh, name=name, size=path.stat().st_size)
                        services.video_add(project=project, upload=upload)
            except ServiceError as exc:
                services.project_delete(project=project)
                raise CommandError(f"demo upload failed: {exc.message}") from exc
        self.stdout.write(self.style.SUCCESS(f"Created project {project.pk} for {user}"))
        self.stdout.write(f"url: {reverse('project-detail', args=[project.pk])}")
        self.stdout.write("true offsets against the first clip (positive: started later):")
        for name, offset_s in truth.items():
            self.stdout.write(f"  {name:<12} {offset_s:+.3f} s")

    def _user(self, options: dict[str, Any]) -> Any:
        users = get_user_model().objects
        user = users.filter(username=options["user"]).first()
        if user is not None:
            return user
        if not options["create_user"]:
            raise CommandError(f"no user {options['user']!r}; pass --create-user --password P")
        if not options["password"]:
            raise CommandError("--create-user needs --password")
        user = users.create_user(options["user"], password=options["password"])
        self.stdout.write(f"Created user {user}")
        return user
