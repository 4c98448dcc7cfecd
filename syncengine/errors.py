"""Typed engine errors. Each carries a stable ``code`` slug and a user-safe ``message``.

Hierarchy::

    SyncEngineError
      MediaError            the file itself is the problem
        UnreadableMedia     not media, corrupt, truncated
          TruncatedMedia    the data stops well before the declared end (a cut-off copy)
        DecoderCrashed      the decoder process died (a signal) while reading the file
        MemoryLimitExceeded a decoder needed more memory than its limit
        UnsupportedMedia    a container we refuse to open (playlists, concat scripts, ...)
          PictureTooLarge   a picture above the limits in syncengine.limits
          MediaTooLong      a duration above the limit in syncengine.limits
        NoAudioStream       audio method on a file without an audio track
        NoVideoStream       visual method on a file without a picture
      InsufficientSignal    the media is fine but cannot be analysed
        SilentAudio, StaticPicture, ClipTooShort
      ParameterError        a caller passed a bad argument
      RenderError           ffmpeg failed while rendering, or the render failed verification
        RenderMemoryLimit   ffmpeg needed more memory than its limit while rendering
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ClipTooShort",
    "DecoderCrashed",
    "InsufficientSignal",
    "MediaTooLong",
    "MediaError",
    "MemoryLimitExceeded",
    "NoAudioStream",
    "NoVideoStream",
    "ParameterError",
    "PictureTooLarge",
    "RenderError",
    "RenderMemoryLimit",
    "RenderVerificationFailed",
    "SilentAudio",
    "StaticPicture",
    "SyncEngineError",
    "TruncatedMedia",
    "UnreadableMedia",
    "UnsupportedMedia",
]


class SyncEngineError(Exception):
    """Base class: ``code`` is stable for programs, ``message`` is safe to show a user."""

    code = "sync_error"

    def __init__(self, message: str, *, filename: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.filename = filename
        self.extra: dict[str, Any] = dict(extra)
        if filename is not None:
            self.extra["filename"] = filename


class MediaError(SyncEngineError):
    code = "media_error"


class UnreadableMedia(MediaError):
    code = "unreadable_media"


class TruncatedMedia(UnreadableMedia):
    """A stream's data stops well before the end its header declares: a cut-off copy."""

    code = "truncated"


class DecoderCrashed(MediaError):
    """The decoder process died (killed by a signal: a crash, an abort) while reading the file."""

    code = "decoder_crashed"


class MemoryLimitExceeded(MediaError):
    """A decoder process needed more memory than its limit (``SYNCENGINE_FFMPEG_MEMORY_MB``)."""

    code = "memory_limit"


class UnsupportedMedia(MediaError):
    code = "unsupported_media"


class PictureTooLarge(UnsupportedMedia):
    """The stream header declares a picture above ``MAX_PICTURE_PIXELS``/``MAX_PICTURE_SIDE``."""

    code = "picture_too_large"


class MediaTooLong(UnsupportedMedia):
    """The container or a stream declares a duration above ``MAX_DURATION_S``."""

    code = "too_long"


class NoAudioStream(MediaError):
    code = "no_audio_stream"


class NoVideoStream(MediaError):
    code = "no_video_stream"


class InsufficientSignal(SyncEngineError):
    code = "insufficient_signal"


class SilentAudio(InsufficientSignal):
    code = "silent_audio"


class StaticPicture(InsufficientSignal):
    code = "static_picture"


class ClipTooShort(InsufficientSignal):
    code = "clip_too_short"


class ParameterError(SyncEngineError, ValueError):
    code = "bad_parameter"


class RenderError(SyncEngineError):
    code = "render_failed"


class RenderMemoryLimit(RenderError):
    """ffmpeg needed more memory than its limit (``SYNCENGINE_FFMPEG_MEMORY_MB``) to render."""

    code = "render_memory_limit"


class RenderVerificationFailed(RenderError):
    """Raised after every output was written; ``result`` holds the measured render."""

    code = "render_not_verified"
    result: Any = None
