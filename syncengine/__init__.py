"""Syncsite's sync engine: find multi-camera offsets from sound and picture, render synced files.

Sign convention (used everywhere in this package): a video's ``offset_s`` is the time on the
reference's timeline at which the video's own t=0 happens. Positive means the video started
after the reference; the reference's offset is 0.0. For two signals this is
``lags[argmax(correlate(reference, other))] / rate``; a camera started 1.25 s after the
reference gives +1.25.

Clips are named by the caller's keys: :func:`estimate_offsets` takes paths (keyed by file name),
a mapping ``key -> path`` or :class:`ClipInput` (key, path, display name), and its result is
keyed the same way; :func:`syncengine.render.render_synced` takes :class:`Placement` values
(key, path, effective offset, output name). Messages name a clip by its display name only.
"""

from __future__ import annotations

from syncengine.confidence import band
from syncengine.errors import (
    ClipTooShort,
    InsufficientSignal,
    MediaError,
    NoAudioStream,
    NoVideoStream,
    ParameterError,
    RenderError,
    RenderVerificationFailed,
    SilentAudio,
    StaticPicture,
    SyncEngineError,
    UnreadableMedia,
    UnsupportedMedia,
)
from syncengine.media import probe
from syncengine.sync import METHODS, estimate_offsets
from syncengine.types import (
    ClipInput,
    MediaInfo,
    Placement,
    RenderResult,
    SyncResult,
    VideoOffset,
)

__version__ = "0.1.0"

__all__ = [
    "METHODS",
    "ClipInput",
    "ClipTooShort",
    "InsufficientSignal",
    "MediaError",
    "MediaInfo",
    "NoAudioStream",
    "NoVideoStream",
    "ParameterError",
    "Placement",
    "RenderError",
    "RenderResult",
    "RenderVerificationFailed",
    "SilentAudio",
    "StaticPicture",
    "SyncEngineError",
    "SyncResult",
    "UnreadableMedia",
    "UnsupportedMedia",
    "VideoOffset",
    "band",
    "estimate_offsets",
    "probe",
]
