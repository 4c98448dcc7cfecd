"""Project writes."""

from __future__ import annotations

import shutil
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from projects.models import Project


def project_create(*, owner: AbstractBaseUser, name: str, notes: str = "") -> Project:
    project = Project(owner=owner, name=name.strip(), notes=notes)
    project.full_clean()
    project.save()
    return project


def project_update(
    *, project: Project, name: str | None = None, notes: str | None = None
) -> Project:
    if name is not None:
        project.name = name.strip()
    if notes is not None:
        project.notes = notes
    project.full_clean()
    project.save()
    return project


def project_delete(*, project: Project) -> None:
    """Delete the project and, once the rows are gone, its files (uploads, previews, plots)."""
    files = []
    for video in project.videos.all():
        files += [f for f in (video.file, video.proxy, video.poster) if f]
    folder = Path(settings.MEDIA_ROOT, "projects", str(project.pk))
    with transaction.atomic():
        project.delete()
    for f in files:
        f.storage.delete(f.name)
    shutil.rmtree(folder, ignore_errors=True)  # what remains: run plots, empty folders
