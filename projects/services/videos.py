"""Video writes: validated upload, background preview (proxy + poster), delete."""

from __future__ import annotations

import errno
import logging
import re
import tempfile
import unicodedata
from pathlib import Path

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
from projects.services.errors import ServiceError
from projects.tasks import enqueue
from syncengine.proxy import make_poster, make_proxy

logger = logging.getLogger(__name__)

#: A stored or linked file name keeps at most this many UTF-8 bytes of its stem, so that
#: ``{stem}_synced.{ext}``, ``{stem} (2).{ext}`` and temporary names stay far under the 255-byte
#: limit of the file system; the user's name is kept whole in ``Video.original_name``.
MAX_STEM_BYTES = 100
MAX_SUFFIX_BYTES = 16
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f/\\]")


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


def _probe_upload(upload: UploadedFile) -> syncengine.MediaInfo:
    """Probe the uploaded bytes where they already are on disk (or spill them to a temp file)."""
    temporary_path = getattr(upload, "temporary_file_path", None)
    if temporary_path is not None:
        return syncengine.probe(temporary_path())
    with tempfile.NamedTemporaryFile(suffix=Path(upload.name or "").suffix) as tmp:
        for chunk in upload.chunks():
            tmp.write(chunk)
        tmp.flush()
        return syncengine.probe(tmp.name)


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
        info = _probe_upload(upload)
    except syncengine.MediaError as exc:
        # The engine names the temporary file; the user knows the file by its own name.
        message = exc.message.replace(f"'{exc.filename}'", f"'{name}'")
        raise ServiceError(message, code=exc.code) from exc
    stored_name = safe_file_name(name)
    try:
        get_valid_filename(stored_name)  # what the storage keeps: letters, digits, "-_."
    except SuspiciousFileOperation:  # nothing left of an all-emoji name, say
        stored_name = "video" + Path(stored_name).suffix
    video = Video(
        project=project, original_name=name, size_bytes=upload.size or 0,
        container=info.container, duration_s=info.duration_s, has_audio=info.has_audio,
        creation_time=info.creation_time or "", timecode=info.timecode or "",
    )  # fmt: skip
    if info.video is not None:
        v = info.video
        video.fps, video.variable_fps, video.width, video.height = (
            v.fps, v.variable_fps, v.width, v.height,
        )  # fmt: skip
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
            last = project.videos.aggregate(m=Max("position"))["m"]
            video.position = 0 if last is None else last + 1
            # Moves the temp file, no copy in memory.
            video.file.save(stored_name, upload, save=False)
            video.full_clean(exclude=["file"])
            video.save()
            transaction.on_commit(lambda: enqueue("video_prepare_preview_task", video.pk))
    except OSError as exc:
        if video.file:
            video.file.storage.delete(video.file.name)
        if exc.errno == errno.ENOSPC:
            raise ServiceError(errors.DISK_FULL.format(name=name), code="disk_full") from exc
        raise
    logger.info("video %s added to project %s: %s", video.pk, project.pk, name)
    return video


def video_prepare_preview(*, video_id: int) -> None:
    """Make the browser proxy and poster; the row says READY or FAILED with a message."""
    video = Video.objects.filter(pk=video_id).first()
    if video is None or video.status != Video.Status.PROCESSING:
        return  # deleted meanwhile, or a redelivered task
    ffmpeg_bin = settings.FFMPEG_BIN or None
    with tempfile.TemporaryDirectory() as tmp:
        try:
            proxy = make_proxy(
                video.file.path, Path(tmp) / "proxy.mp4", max_height=settings.PROXY_MAX_HEIGHT,
                ffmpeg_bin=ffmpeg_bin,
            )  # fmt: skip
            poster = make_poster(video.file.path, Path(tmp) / "poster.jpg", ffmpeg_bin=ffmpeg_bin)
        except syncengine.SyncEngineError as exc:
            Video.objects.filter(pk=video_id).update(
                status=Video.Status.FAILED,
                error_message=f"The browser preview could not be made: {exc.message}",
            )
            return
        with proxy.open("rb") as fh:
            video.proxy.save("proxy.mp4", File(fh), save=False)
        if poster is not None:
            with poster.open("rb") as fh:
                video.poster.save("poster.jpg", File(fh), save=False)
    video.status = Video.Status.READY
    video.save(update_fields=["proxy", "poster", "status"])


def video_delete(*, video: Video) -> None:
    files = [f for f in (video.file, video.proxy, video.poster) if f]
    with transaction.atomic():
        video.delete()
    for f in files:
        f.storage.delete(f.name)
