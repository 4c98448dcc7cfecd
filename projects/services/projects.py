"""Project writes."""

from __future__ import annotations

import shutil
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from projects import errors
from projects.models import Project, Video
from projects.services.errors import ServiceError

#: "Leave as it is" for an optional field whose ``None`` means something (no master audio).
UNSET: object = object()


def project_create(*, owner: AbstractBaseUser, name: str, notes: str = "") -> Project:
    project = Project(owner=owner, name=name.strip(), notes=notes)
    project.full_clean()
    project.save()
    return project


def project_update(
    *,
    project: Project,
    name: str | None = None,
    notes: str | None = None,
    master_audio: Video | None | object = UNSET,
    master_channel: int | None | object = UNSET,
) -> Project:
    """Change what is given; ``master_audio``/``master_channel`` take ``None`` to clear them.

    A new master audio resets the channel to "by energy" unless a channel is given with it.

    Raises
    ------
    ServiceError
        The master audio is another project's clip or has no sound, or the channel is out of
        its range (or given without a master audio); the field is named in ``extra.fields``.
    """
    if name is not None:
        project.name = name.strip()
    if notes is not None:
        project.notes = notes
    if master_audio is not UNSET:
        project.master_audio = _master_audio_check(project, master_audio)  # type: ignore[arg-type]
        if master_channel is UNSET:
            master_channel = None
    if master_channel is not UNSET:
        project.master_channel = _master_channel_check(project, master_channel)  # type: ignore[arg-type]
    project.full_clean()
    project.save()
    return project


def _bad(field: str, message: str, code: str) -> ServiceError:
    return ServiceError(message, code=code, fields={field: [message]})


def _master_audio_check(project: Project, video: Video | None) -> Video | None:
    if video is None:
        return None
    if video.project_id != project.pk:
        raise _bad(
            "master_audio", errors.MASTER_AUDIO_NOT_IN_PROJECT, "master_audio_not_in_project"
        )
    if not video.has_audio:
        message = errors.MASTER_AUDIO_NO_SOUND.format(name=video.original_name)
        raise _bad("master_audio", message, "master_audio_no_sound")
    return video


def _master_channel_check(project: Project, channel: int | None) -> int | None:
    if channel is None:
        return None
    master = project.master_audio
    if master is None:
        raise _bad("master_channel", errors.MASTER_CHANNEL_WITHOUT_MASTER, "master_channel_invalid")
    channels = master.channels or 1
    if not 0 <= channel < channels:
        message = errors.MASTER_CHANNEL_OUT_OF_RANGE.format(
            name=master.original_name, channels=channels, last=channels - 1
        )
        raise _bad("master_channel", message, "master_channel_invalid")
    return channel


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
