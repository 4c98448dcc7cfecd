"""Camera writes: a project's devices and which clips each holds.

An upload joins the camera its file says it belongs to (``syncengine.grouping``: device tags,
chapter names, back-to-back creation times) or gets a camera of its own; the user regroups by
moving a clip to another camera or to a new one, renaming, merging. A camera left without clips
is deleted. Projects from before cameras existed get one camera per video on first use
(:func:`cameras_ensure`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from django.db import transaction
from django.db.models import Max

from projects import errors
from projects.models import Camera, Project, Video
from projects.services.errors import ServiceError
from syncengine.grouping import ClipFacts, Group, group_clips, order_clips

logger = logging.getLogger(__name__)

__all__ = [
    "camera_create",
    "camera_delete",
    "camera_merge",
    "camera_update",
    "cameras_ensure",
    "clip_facts",
    "clips_in_time_order",
    "video_camera_assign",
    "video_camera_set",
]

_NAME_MAX = Camera._meta.get_field("name").max_length


def clip_facts(video: Video) -> ClipFacts:
    """What grouping reads of a stored video (its probed facts)."""
    tags = video.metadata if isinstance(video.metadata, dict) else {}
    return ClipFacts(
        key=str(video.pk),
        file_name=video.original_name,
        duration_s=video.duration_s,
        has_video=video.has_video,
        fps=video.fps,
        width=video.width,
        height=video.height,
        video_codec=video.video_codec,
        audio_codec=video.audio_codec,
        sample_rate_hz=video.sample_rate_hz,
        creation_time=video.creation_time or None,
        tags={str(k): str(v) for k, v in tags.items()},
    )


def clips_in_time_order(videos: Sequence[Video]) -> list[Video]:
    """A camera's clips in time order (creation time, chapter number, file name)."""
    by_key = {str(v.pk): v for v in videos}
    return [by_key[f.key] for f in order_clips(clip_facts(v) for v in videos)]


def video_camera_assign(*, video: Video, tags: Mapping[str, str] | None = None) -> Camera:
    """Put a just-stored upload in its camera: the one the files say it joins, else a new one.

    ``tags`` are the probe's (device make/model/serial, recorder fields), kept in
    ``video.metadata``. Call it inside the upload's transaction, after the row is saved and
    the project row locked (``videos._position_take``), so concurrent uploads take turns.
    """
    if tags and not video.metadata:
        video.metadata = {str(k): str(v) for k, v in tags.items()}
        video.save(update_fields=["metadata"])
    project = video.project
    cameras_ensure(project=project, exclude=video)
    others = list(project.videos.exclude(pk=video.pk).select_related("camera"))
    facts = [clip_facts(v) for v in others] + [clip_facts(video)]
    group = next(g for g in group_clips(facts) if str(video.pk) in g.keys)
    by_key = {str(v.pk): v for v in others}
    camera = _camera_to_join(group, str(video.pk), by_key)
    if camera is None:
        camera = _camera_new(project, _name_for(project, group, video), group=group)
    else:
        if camera.grouped_by == Camera.GroupedBy.SINGLE:
            camera.grouped_by = group.reason
            camera.device = camera.device or group.device[:300]
            camera.save(update_fields=["grouped_by", "device"])
        # Cameras made earlier for other clips of this group (a chapter uploaded before the
        # one that links it) join too, unless the user grouped them.
        members = {int(k) for k in group.keys}
        for other in {by_key[k].camera for k in group.keys if k in by_key} - {camera, None}:
            if (
                other is not None
                and other.grouped_by != Camera.GroupedBy.USER
                and set(other.clips.values_list("pk", flat=True)) <= members
            ):
                camera_merge(camera=other, into=camera, by_user=False)
    video.camera = camera
    video.save(update_fields=["camera"])
    logger.info("video %s joins camera %s (%s)", video.pk, camera.pk, camera.grouped_by)
    return camera


def _camera_to_join(group: Group, key: str, by_key: Mapping[str, Video]) -> Camera | None:
    """The camera of the group's clip just before ``key`` (else just after), if any."""
    keys = list(group.keys)
    i = keys.index(key)
    for k in [*reversed(keys[:i]), *keys[i + 1 :]]:
        if k in by_key and by_key[k].camera is not None:
            return by_key[k].camera
    return None


def cameras_ensure(*, project: Project, exclude: Video | None = None) -> None:
    """Give every video without a camera one of its own (rows from before cameras) and drop
    cameras left without clips (their last clip deleted). Cheap when nothing is missing."""
    missing = project.videos.filter(camera__isnull=True)
    if exclude is not None:
        missing = missing.exclude(pk=exclude.pk)
    empty = project.cameras.filter(clips__isnull=True)
    if not missing.exists() and not empty.exists():
        return
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=project.pk).first()  # one at a time
        empty.delete()
        for video in missing.order_by("position", "pk"):
            group = group_clips([clip_facts(video)])[0]
            camera = _camera_new(project, _name_for(project, group, video), group=group)
            Video.objects.filter(pk=video.pk).update(camera=camera)


def camera_create(*, project: Project, videos: Sequence[Video], name: str = "") -> Camera:
    """A new camera (grouped by hand) holding ``videos``, which leave their cameras."""
    if not videos:
        raise ServiceError(errors.CAMERA_NEEDS_CLIPS, code="camera_needs_clips")
    _check_same_project(project, videos)
    with transaction.atomic():
        cameras_ensure(project=project)
        first = videos[0]
        group = group_clips([clip_facts(first)])[0]
        camera = _camera_new(
            project,
            name.strip()[:_NAME_MAX] or _name_for(project, group, first),
            group=group,
            grouped_by=Camera.GroupedBy.USER,
        )
        for video in videos:
            _move(video, camera)
    return camera


def video_camera_set(*, video: Video, camera: Camera | None) -> Camera:
    """Move ``video`` to ``camera`` (of its project), or to a new camera of its own (None)."""
    if camera is not None and camera.project_id != video.project_id:
        raise ServiceError(
            errors.CAMERA_NOT_IN_PROJECT,
            code="camera_not_in_project",
            fields={"camera": [errors.CAMERA_NOT_IN_PROJECT]},
        )
    if camera is None:
        return camera_create(project=video.project, videos=[video])
    with transaction.atomic():
        cameras_ensure(project=video.project)
        video.refresh_from_db(fields=["camera"])
        if video.camera_id != camera.pk:
            _move(video, camera)
            Camera.objects.filter(pk=camera.pk).update(grouped_by=Camera.GroupedBy.USER)
            camera.grouped_by = Camera.GroupedBy.USER
    return camera


def camera_update(
    *, camera: Camera, name: str | None = None, position: int | None = None
) -> Camera:
    """Rename a camera and/or give it another place in the project's order."""
    if name is not None:
        name = name.strip()
        if not name:
            raise ServiceError(
                errors.CAMERA_NAME_EMPTY,
                code="invalid",
                fields={"name": [errors.CAMERA_NAME_EMPTY]},
            )
        camera.name = name[:_NAME_MAX]
    if position is not None:
        camera.position = position
    camera.full_clean()
    camera.save(update_fields=["name", "position"])
    return camera


def camera_merge(*, camera: Camera, into: Camera, by_user: bool = True) -> Camera:
    """Move every clip of ``camera`` into ``into`` (same project) and delete ``camera``."""
    if camera.project_id != into.project_id:
        raise ServiceError(
            errors.CAMERA_NOT_IN_PROJECT,
            code="camera_not_in_project",
            fields={"camera": [errors.CAMERA_NOT_IN_PROJECT]},
        )
    if camera.pk == into.pk:
        raise ServiceError(errors.CAMERA_MERGE_SELF, code="invalid")
    with transaction.atomic():
        Video.objects.filter(camera=camera).update(camera=into)
        camera.delete()
        if by_user:
            Camera.objects.filter(pk=into.pk).update(grouped_by=Camera.GroupedBy.USER)
            into.grouped_by = Camera.GroupedBy.USER
    return into


def camera_delete(*, camera: Camera) -> None:
    """Ungroup: each of the camera's clips gets a camera of its own, and the camera goes."""
    with transaction.atomic():
        clips = list(camera.clips.order_by("position", "pk"))
        Video.objects.filter(camera=camera).update(camera=None)
        camera.delete()
        for video in clips:
            group = group_clips([clip_facts(video)])[0]
            new = _camera_new(video.project, _name_for(video.project, group, video), group=group)
            Video.objects.filter(pk=video.pk).update(camera=new)


# --- helpers -----------------------------------------------------------------------------


def _check_same_project(project: Project, videos: Sequence[Video]) -> None:
    if any(v.project_id != project.pk for v in videos):
        raise ServiceError(
            errors.CAMERA_VIDEO_NOT_IN_PROJECT,
            code="video_not_in_project",
            fields={"video_ids": [errors.CAMERA_VIDEO_NOT_IN_PROJECT]},
        )


def _move(video: Video, camera: Camera) -> None:
    """``video`` into ``camera``; the camera it leaves is deleted once it holds no clip."""
    old_id = Video.objects.filter(pk=video.pk).values_list("camera_id", flat=True).first()
    Video.objects.filter(pk=video.pk).update(camera=camera)
    video.camera = camera
    if old_id is not None and old_id != camera.pk:
        Camera.objects.filter(pk=old_id, clips__isnull=True).delete()


def _camera_new(
    project: Project, name: str, *, group: Group, grouped_by: str | None = None
) -> Camera:
    last = project.cameras.aggregate(m=Max("position"))["m"]
    camera = Camera(
        project=project,
        name=name[:_NAME_MAX],
        position=0 if last is None else last + 1,
        device=group.device[:300],
        grouped_by=grouped_by or (group.reason if len(group.keys) > 1 else "single"),
    )
    camera.full_clean()
    camera.save()
    return camera


def _name_for(project: Project, group: Group, video: Video) -> str:
    """ "GoPro HERO11 (GX010042.MP4)", "Recorder (ZOOM0001.WAV)", else "Camera 3"."""
    first = Path(video.original_name).name
    if group.label:
        return f"{group.label} ({first})"
    names = set(project.cameras.values_list("name", flat=True))
    n = project.cameras.count() + 1
    while f"Camera {n}" in names:
        n += 1
    return f"Camera {n}"
