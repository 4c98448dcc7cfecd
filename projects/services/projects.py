"""Project writes."""

from __future__ import annotations

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
    """Delete the project and, once the rows are gone, its files."""
    files = []
    for video in project.videos.all():
        files += [f for f in (video.file, video.proxy, video.poster) if f]
    with transaction.atomic():
        project.delete()
    for f in files:
        f.storage.delete(f.name)
