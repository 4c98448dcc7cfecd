"""Editor interchange: a run's placed clips as one OpenTimelineIO timeline, written per editor.

``build_timeline(clips)`` makes the model (a track per camera, unplaced clips on a disabled
track), ``write(timeline, fmt)`` a file (:data:`FORMATS`: ``otio``, ``xml`` FCP7, ``fcpxml``
multicam, ``edl`` ZIP of one EDL per camera, ``aaf``), ``readback.compare`` checks a written
file against the clips by reading it back.
"""

from __future__ import annotations

from collections.abc import Sequence

from syncengine.editors.model import (
    UNPLACED_TRACK,
    TimelineClip,
    build_timeline,
    clip_from_media,
    clip_from_placement,
    rate_fraction,
    sequence_rate,
)
from syncengine.editors.writers import (
    FORMATS,
    TimelineFormat,
    camera_edls,
    clip_speed,
    format_for_path,
    write,
)

__all__ = [
    "FORMATS",
    "UNPLACED_TRACK",
    "TimelineClip",
    "TimelineFormat",
    "build_timeline",
    "camera_edls",
    "clip_speed",
    "clip_from_media",
    "clip_from_placement",
    "format_for_path",
    "rate_fraction",
    "sequence_rate",
    "timeline_file",
    "write",
]


def timeline_file(clips: Sequence[TimelineClip], fmt: str, *, name: str = "Syncsite") -> bytes:
    """The clips as a timeline file of format ``fmt``: :func:`build_timeline` then :func:`write`.

    Raises
    ------
    ParameterError
        Bad clips (see :func:`build_timeline`), an unknown format, or one that cannot hold them.
    """
    return write(build_timeline(clips, name=name), fmt)
