"""Video writes: validated upload, background preview (proxy + poster), delete."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import re
import secrets
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils.text import get_valid_filename

import syncengine
from projects import errors
from projects.models import Project, Video
from projects.queue import enqueue
from projects.services.cameras import video_camera_assign
from projects.services.errors import ServiceError
from syncengine.proxy import make_poster, make_proxy
from syncengine.waveform import draw_poster, waveform_of

logger = logging.getLogger(__name__)

#: A stored or linked file name keeps at most this many UTF-8 bytes of its stem, so that
#: ``{stem}_synced.{ext}``, ``{stem} (2).{ext}`` and temporary names stay far under the 255-byte
#: limit of the file system; the user's name is kept whole in ``Video.original_name``.
MAX_STEM_BYTES = 100
MAX_SUFFIX_BYTES = 16
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f/\\]")
#: A stored upload is written under this hidden name beside its final place, then renamed.
PART_PREFIX = ".syncsite-upload-"
PART_SUFFIX = ".part"
#: Scratch files and folders we make in the temporary folder (swept when left by a crash).
PROBE_PREFIX = "syncsite-probe-"
PREVIEW_PREFIX = "syncsite-preview-"
#: An audio-only file's waveform peaks (``syncengine.waveform``), stored beside its poster.
WAVEFORM_NAME = "waveform.json"
#: Errors that mean "no room to store it": answered 507 ``disk_full``, nothing kept.
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class StoredSizeMismatch(OSError):
    """Fewer (or more) bytes reached the disk than were uploaded: a silently short write."""

    def __init__(self, stored: int, declared: int) -> None:
        super().__init__(errno.ENOSPC, f"stored {stored} of {declared} bytes")


def safe_file_name(name: str) -> str:
    """``name`` NFC-normalised, without path separators or control characters, its stem cut to
    :data:`MAX_STEM_BYTES` UTF-8 bytes (on a character boundary), its extension kept."""
    name = _UNSAFE_CHARS.sub("_", unicodedata.normalize("NFC", name)).strip()
    path = Path(name)
    stem, suffix = path.stem, path.suffix
    if len(suffix.encode()) > MAX_SUFFIX_BYTES:
        stem, suffix = name, ""
    stem = stem.encode()[:MAX_STEM_BYTES].decode("utf-8", "ignore").strip() or "video"
    return stem + suffix


def _probe_upload(upload: UploadedFile, name: str) -> syncengine.MediaInfo:
    """Probe the uploaded bytes where they already are on disk (or spill them to a temp file).

    A media error names ``name`` (the user's file) wherever it named the temporary file.
    """
    temporary_path = getattr(upload, "temporary_file_path", None)
    if temporary_path is not None:
        return _probe_as(temporary_path(), name)
    suffix = Path(upload.name or "").suffix
    with tempfile.NamedTemporaryFile(prefix=PROBE_PREFIX, suffix=suffix) as tmp:
        for chunk in upload.chunks():
            tmp.write(chunk)
        tmp.flush()
        return _probe_as(tmp.name, name)


def _probe_as(path: str, name: str) -> syncengine.MediaInfo:
    try:
        return syncengine.probe(path)
    except syncengine.MediaError as exc:
        # The engine names what it read, with or without quotes or its folder (an FFmpeg
        # error quotes "file:/tmp/tmpXXXX.upload.mkv"): every form becomes the user's name.
        message = exc.message
        for form in (
            f"file:{Path(path).resolve()}",
            str(Path(path).resolve()),
            path,
            Path(path).name,
        ):
            message = message.replace(form, name)
        exc.message = message
        exc.filename = name
        exc.extra["filename"] = name
        raise


def video_add(*, project: Project, upload: UploadedFile) -> Video:
    """Check the upload (size, readable media) and store it; nothing is stored if it fails.

    Raises
    ------
    ServiceError
        Too large, not media we can read, or no space left; the message names the file.
    """
    name = Path(upload.name or "video").name[:255]
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ServiceError(
            errors.UPLOAD_TOO_LARGE.format(
                name=name, size=errors.human_size(upload.size), limit=errors.human_size(limit)
            ),
            code="upload_too_large",
        )
    try:
        info = _probe_upload(upload, name)
    except syncengine.MediaError as exc:
        # The user knows the file by its own name, never by our temporary one.
        raise ServiceError(exc.message, code=exc.code) from exc
    stored_name = safe_file_name(name)
    try:
        get_valid_filename(stored_name)  # what the storage keeps: letters, digits, "-_."
    except SuspiciousFileOperation:  # nothing left of an all-emoji name, say
        stored_name = "video" + Path(stored_name).suffix
    video = Video(
        project=project,
        original_name=name,
        size_bytes=upload.size or 0,
        container=info.container,
        duration_s=info.duration_s,
        has_audio=info.has_audio,
        creation_time=info.creation_time or "",
        timecode=info.timecode or "",
    )
    video.has_video = info.video is not None
    if info.video is not None:
        v = info.video
        video.fps, video.variable_fps, video.width, video.height = (
            v.fps,
            v.variable_fps,
            v.width,
            v.height,
        )
        video.rotation_deg, video.video_codec = v.rotation_deg, v.codec
    if info.audio is not None:
        a = info.audio
        video.audio_codec, video.sample_rate_hz, video.channels = (
            a.codec,
            a.sample_rate_hz,
            a.channels,
        )
    try:
        with transaction.atomic():
            # Written beside its place under a temporary name, checked, then renamed in.
            video.file.name = _store_upload(video, upload, stored_name)
            video.position = _position_take(project)
            video.full_clean(exclude=["file"])
            video.save()
            video_camera_assign(video=video, tags=info.tags)  # joins its camera, else a new one
            transaction.on_commit(lambda: enqueue("video_prepare_preview_task", video.pk))
    except OSError as exc:
        if video.file:
            video.file.storage.delete(video.file.name)
        if exc.errno in _NO_SPACE:
            logger.warning("upload of %r to project %s refused: %s", name, project.pk, exc)
            raise ServiceError(errors.DISK_FULL.format(name=name), code="disk_full") from exc
        raise
    logger.info("video %s added to project %s: %s", video.pk, project.pk, name)
    return video


def _position_take(project: Project) -> int:
    """The next upload position in ``project``, taken under a lock on the project row (held to
    the end of the caller's transaction), so concurrent uploads never share one: the first
    uploaded video is the default reference. Call it last before saving, to hold it briefly."""
    locked = Project.objects.select_for_update().only("next_position").get(pk=project.pk)
    last = project.videos.aggregate(m=Max("position"))["m"]
    position = max(locked.next_position, 0 if last is None else last + 1)
    Project.objects.filter(pk=project.pk).update(next_position=position + 1)
    return position


def _store_upload(video: Video, upload: UploadedFile, stored_name: str) -> str:
    """Store the upload's bytes for ``video`` and return the storage name; all or nothing.

    The bytes go to a hidden ``.part`` file in the final folder (a hard link to the upload's
    temporary file when both are on one file system, else a copy), are flushed to disk with
    fsync and their size checked against the upload's, and only then get their final name.
    On any error the partial file is removed and the OSError raised (ENOSPC for a short write).
    """
    field = video.file.field
    storage = field.storage
    name = field.generate_filename(video, stored_name)
    folder = Path(storage.path(name)).parent
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f"{PART_PREFIX}{secrets.token_hex(8)}{PART_SUFFIX}"
    declared = upload.size or 0
    try:
        temporary_path = getattr(upload, "temporary_file_path", None)
        linked = False
        if temporary_path is not None:
            try:
                os.link(temporary_path(), part)  # same file system: no copy, no new blocks
                linked = True
            except OSError as exc:
                if exc.errno in _NO_SPACE:
                    raise
        if not linked:
            with part.open("xb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
        with part.open("rb") as stored:
            os.fsync(stored.fileno())
            size = os.fstat(stored.fileno()).st_size
        if size != declared:
            raise StoredSizeMismatch(size, declared)
        if storage.file_permissions_mode is not None:
            part.chmod(storage.file_permissions_mode)
        # The folder is new for each upload (a random name), so nothing else is there.
        name = storage.get_available_name(name, max_length=field.max_length)
        os.rename(part, storage.path(name))
        _fsync_folder(folder)
        return name
    except BaseException:
        with contextlib.suppress(OSError):
            folder.rmdir()  # the upload's own folder, if nothing else is in it
        raise
    finally:
        with contextlib.suppress(FileNotFoundError):
            part.unlink()


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def video_prepare_preview(*, video_id: int) -> None:
    """Make the browser proxy and poster; the row says READY or FAILED with a message.

    An audio-only file (a sound recorder's) gets an AAC audio proxy, its waveform's peaks
    (:data:`WAVEFORM_NAME`, beside the poster) and a poster drawn from them.
    """
    video = Video.objects.filter(pk=video_id).first()
    if video is None or video.status != Video.Status.PROCESSING:
        return  # deleted meanwhile, or a redelivered task
    ffmpeg_bin = settings.FFMPEG_BIN or None
    waveform = None
    with tempfile.TemporaryDirectory(prefix=PREVIEW_PREFIX) as tmp:
        try:
            if video.has_video:
                proxy = make_proxy(
                    video.file.path,
                    Path(tmp) / "proxy.mp4",
                    max_height=settings.PROXY_MAX_HEIGHT,
                    ffmpeg_bin=ffmpeg_bin,
                )
                poster = make_poster(
                    video.file.path, Path(tmp) / "poster.jpg", ffmpeg_bin=ffmpeg_bin
                )
            else:
                proxy = make_proxy(video.file.path, Path(tmp) / "proxy.m4a", ffmpeg_bin=ffmpeg_bin)
                peaks = waveform_of(video.file.path, ffmpeg_bin=ffmpeg_bin)
                poster = draw_poster(peaks, Path(tmp) / "poster.jpg")
                waveform = peaks.write_json(Path(tmp) / WAVEFORM_NAME)
        except syncengine.SyncEngineError as exc:
            Video.objects.filter(pk=video_id).update(
                status=Video.Status.FAILED,
                error_message=f"The browser preview could not be made: {exc.message}",
            )
            return
        with proxy.open("rb") as fh:
            video.proxy.save(proxy.name, File(fh), save=False)
        if poster is not None:
            with poster.open("rb") as fh:
                video.poster.save("poster.jpg", File(fh), save=False)
            if waveform is not None:
                os.replace(waveform, _waveform_path(video))
    video.status = Video.Status.READY
    video.save(update_fields=["proxy", "poster", "status"])


def _waveform_path(video: Video) -> Path:
    return Path(video.poster.path).with_name(WAVEFORM_NAME)


def video_waveform(*, video: Video) -> dict[str, Any] | None:
    """An audio-only video's waveform peaks (``Waveform.to_json``); None if it has none."""
    if video.has_video or not video.poster:
        return None
    try:
        data: dict[str, Any] = json.loads(_waveform_path(video).read_text())
    except (OSError, ValueError):
        return None
    return data


def video_delete(*, video: Video) -> None:
    files = [f for f in (video.file, video.proxy, video.poster) if f]
    waveform = _waveform_path(video) if video.poster else None
    with transaction.atomic():
        video.delete()
    for f in files:
        f.storage.delete(f.name)
    if waveform is not None:
        waveform.unlink(missing_ok=True)
