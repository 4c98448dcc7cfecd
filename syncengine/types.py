"""Frozen result types shared by the engine modules.

Conventions
-----------
A ``curve`` is ``(lags_s, values)``: |correlation| against lag in seconds, at most 2000 points
(max-pooled, so the peak survives). ``SyncResult.motion`` holds per video ``(times_s, energy)``
in the video's own file time, at most 2000 points (mean-pooled). Neither is in ``to_dict()``.
Times are seconds (``_s``), rates Hz (``_hz``). ``offset_s`` of a video is the time on the
reference's timeline at which the video's own t=0 happens: positive means it started later.
A pair lag ``lag_s`` between videos ``i`` and ``j`` is ``offset_j - offset_i``.

Clips are named by the caller's ``key`` (the file name when plain paths are given): results and
placements are keyed by it, and the clip's display name (``filename``, ``name``) is only what
messages and output files say.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "AudioStreamInfo",
    "AudioTrack",
    "ClipInput",
    "Curve",
    "LagEstimate",
    "MediaInfo",
    "MotionSeries",
    "PairEstimate",
    "Placement",
    "ProgressCallback",
    "RenderResult",
    "RenderedFile",
    "SyncResult",
    "VideoOffset",
    "VideoStreamInfo",
]

#: ``(x, values)``, both float32 of the same length: a correlation curve or a motion series.
Curve = tuple[NDArray[np.float32], NDArray[np.float32]]
#: ``progress(stage, fraction)``: stage is a slug such as "extracting_audio", fraction in [0, 1].
ProgressCallback = Callable[[str, float], None]


@dataclass(frozen=True)
class VideoStreamInfo:
    codec: str
    width: int
    height: int
    fps: float
    variable_fps: bool
    rotation_deg: int
    start_s: float  # relative to the container start (the file's t=0)
    duration_s: float
    frame_count: int  # 0 when the container does not say


@dataclass(frozen=True)
class AudioStreamInfo:
    codec: str
    sample_rate_hz: int
    channels: int
    start_s: float  # relative to the container start (the file's t=0)
    duration_s: float


@dataclass(frozen=True)
class MediaInfo:
    path: str
    filename: str
    container: str
    size_bytes: int
    duration_s: float
    video: VideoStreamInfo | None
    audio: AudioStreamInfo | None
    creation_time: str | None = None
    timecode: str | None = None
    #: What else the file says (strings): device tags ``make``, ``model``, ``serial``; a BWF
    #: recorder's ``time_reference`` (samples since midnight) and iXML fields (``ixml_*``).
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def has_audio(self) -> bool:
        return self.audio is not None

    @property
    def has_video(self) -> bool:
        return self.video is not None

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


@dataclass(frozen=True)
class ClipInput:
    """One clip to sync: the caller's ``key`` for it, where it is, and the name a user knows.

    Results are keyed by ``key``; ``display_name`` (default: the file name of ``path``) is the
    only name messages use, so a clip stored under another name is still reported as the user's.
    """

    key: str
    path: Path
    display_name: str = ""
    #: The caller's key for the device that recorded it: clips with the same ``camera`` never
    #: overlap each other (the solver uses that); ``None``: a camera of its own.
    camera: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        if not self.display_name:
            object.__setattr__(self, "display_name", self.path.name)


@dataclass(frozen=True)
class Placement:
    """One clip placed on the reference's timeline, as rendering and timeline writers take it.

    ``offset_s`` is where the clip's t=0 goes on the reference's timeline (positive: later), the
    effective offset (a manual adjustment, else the estimate); ``None``: not placed (rendering
    skips it with a note). ``estimate_s`` is the engine's own estimate, which verification
    expects the output to measure relative to ``offset_s``; ``None`` (placed by hand without
    an estimate): rendered but not checked. ``name`` is the file name shown in messages and
    the output's base name (``{stem of name}_synced.{ext}``): a bare file name, no folders.
    ``fps`` and ``duration_s`` are informative (rendering probes ``path`` itself).
    ``drift_ppm`` is the clip's clock against the reference's (``VideoOffset.drift_ppm``): the
    clip's own time ``u`` happens at ``offset_s + u * (1 + drift_ppm * 1e-6)`` on the
    reference's timeline; ``None``: not measured (rendered as if 0).
    """

    key: str
    path: Path
    offset_s: float | None
    name: str
    estimate_s: float | None = None
    is_reference: bool = False
    fps: float | None = None
    duration_s: float | None = None
    drift_ppm: float | None = None
    #: The caller's key for the clip's camera (``ClipInput.camera``); ``None``: its own.
    camera: str | None = None
    #: How late the clip's own sound runs against its own picture (seconds; the engine's
    #: sound/picture skew for this clip alone); a render asked to correct skew moves the
    #: sound back by it. ``None``: no skew measured.
    sound_skew_s: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))


@dataclass(frozen=True)
class AudioTrack:
    """Mono analysis audio: ``samples[k]`` plays at ``start_s + k / sample_rate_hz`` (file time)."""

    samples: NDArray[np.float32] = field(repr=False)
    sample_rate_hz: int
    start_s: float = 0.0

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate_hz


@dataclass(frozen=True)
class MotionSeries:
    """Motion energy on a uniform grid: ``values[k]`` is at file time ``start_s + k / rate_hz``.

    ``values`` is the whole picture's motion (for plots and the single-curve fallback);
    ``regions`` [shape=(len(values), n_regions)], when present, holds the motion of each cell
    of a grid over the frame with the camera's own shake removed, and ``brightness``
    [shape=(len(values),)] the signed change of the frame's mean level per second (light
    switches, flashes). Both are on the same grid as ``values``.
    """

    values: NDArray[np.float32] = field(repr=False)
    rate_hz: float
    start_s: float
    fps: float
    frame_count: int
    regions: NDArray[np.float32] | None = field(default=None, repr=False, compare=False)
    brightness: NDArray[np.float32] | None = field(default=None, repr=False, compare=False)

    @property
    def duration_s(self) -> float:
        return len(self.values) / self.rate_hz


@dataclass(frozen=True)
class LagEstimate:
    """Lag of ``other`` against ``reference``: where other's t=0 falls on reference's timeline.

    Positive means ``other`` started later. ``confidence`` in [0, 1] is computed from ``peak_z``
    and ``margin_z`` by :func:`syncengine.confidence.confidence_from_stats`; ``overlap_s`` is the
    time both clips share at that lag.
    """

    lag_s: float
    confidence: float
    peak_z: float
    margin_z: float
    overlap_s: float
    drift_ppm: float | None = None
    curve: Curve | None = field(default=None, repr=False, compare=False)
    #: The drift fit's windows ``((time in reference s, measured lag s), ...)``: what the drift
    #: plot shows beside the fitted line; empty when drift was not measured.
    drift_points: tuple[tuple[float, float], ...] = field(default=(), compare=False)
    #: The calibrated map's inputs (:func:`syncengine.confidence.pair_features`).
    features: dict[str, float] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class PairEstimate:
    """Lag between videos ``i`` and ``j``: ``lag_s = offset_j - offset_i``.

    ``confidence`` is in [0, 1] (see :mod:`syncengine.confidence`); ``peak_z`` is the peak's height
    in robust standard deviations of the correlation, ``margin_z`` its lead over the best competing
    peak in the same units, ``overlap_s`` the length both clips share at that lag.
    """

    i: int
    j: int
    lag_s: float
    confidence: float
    method: str
    peak_z: float = 0.0
    margin_z: float = 0.0
    overlap_s: float = 0.0
    curve: Curve | None = field(default=None, repr=False, compare=False)
    features: dict[str, float] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class VideoOffset:
    """One video's place on the reference timeline, with how sure we are and why.

    ``key`` is the caller's key for the clip (its file name when plain paths were given);
    ``filename`` is its display name, what messages call it.
    """

    filename: str
    path: str
    offset_s: float | None
    confidence: float
    band: str
    synced: bool
    is_reference: bool = False
    audio_offset_s: float | None = None
    audio_confidence: float | None = None
    visual_offset_s: float | None = None
    visual_confidence: float | None = None
    audio_video_diff_s: float | None = None
    drift_ppm: float | None = None
    residual_s: float | None = None
    duration_s: float = 0.0
    notes: tuple[str, ...] = ()
    #: Largest disagreement around the loops of three clips through this one (A->B + B->C vs
    #: A->C) among the pairs kept, seconds; None when no loop could be checked.
    loop_residual_s: float | None = None
    loops_closed: int = 0
    key: str = ""  # empty: the file name
    #: How the clip got its place: "content" (its sound or picture against others), "camera"
    #: (its own camera's neighbouring clips), "metadata" (creation time, timecode, BWF
    #: TimeReference), "" (not placed).
    placed_by: str = ""
    #: The measured offset along the overlap, ``((reference time s, offset s), ...)``, for the
    #: drift plot; empty when drift was not measured.
    drift_points: tuple[tuple[float, float], ...] = ()
    #: How late the clip's own sound runs against its own picture (seconds, positive: late),
    #: when its two placements disagree and the other clips' agree; ``None``: not seen.
    sound_skew_s: float | None = None

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", self.filename)


@dataclass(frozen=True)
class SyncResult:
    """Every video's offset, keyed by the caller's keys; ``reference`` is the reference's key."""

    method: str
    reference: str
    max_lag_s: float | None
    videos: tuple[VideoOffset, ...]
    pairs: tuple[PairEstimate, ...] = ()
    elapsed_s: float = 0.0
    motion: tuple[Curve | None, ...] = field(default=(), repr=False, compare=False)

    def offsets(self) -> dict[str, float | None]:
        """The seed's mapping: key (file name) -> offset in seconds, ``None`` when not synced."""
        return {v.key: (v.offset_s if v.synced else None) for v in self.videos}

    def by_key(self) -> dict[str, VideoOffset]:
        """Key -> that video's result."""
        return {v.key: v for v in self.videos}

    def video(self, key: str) -> VideoOffset:
        """The video with this key, else the first with this display name."""
        for v in self.videos:
            if v.key == key:
                return v
        for v in self.videos:
            if v.filename == key:
                return v
        raise KeyError(key)

    def placements(
        self, placed_offsets_s: Mapping[str, float] | None = None
    ) -> tuple[Placement, ...]:
        """Every video at its estimate, or at ``placed_offsets_s[key]`` where given (by hand).

        Unsynced videos without a placed offset get ``offset_s=None`` (not placed).
        """
        placed = placed_offsets_s or {}
        out = []
        for v in self.videos:
            estimate_s = float(v.offset_s) if v.synced and v.offset_s is not None else None
            offset_s = placed.get(v.key, estimate_s)
            out.append(
                Placement(
                    key=v.key,
                    path=Path(v.path),
                    offset_s=None if offset_s is None else float(offset_s),
                    name=v.filename,
                    estimate_s=estimate_s,
                    is_reference=v.is_reference,
                    duration_s=v.duration_s or None,
                    drift_ppm=v.drift_ppm,
                    sound_skew_s=v.sound_skew_s,
                )
            )
        return tuple(out)

    @property
    def all_synced(self) -> bool:
        return all(v.synced for v in self.videos)

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        videos = {}
        for v in self.videos:
            d = asdict(v)
            d.pop("key")
            if v.filename == v.key:  # plain paths: the key is the file name
                d.pop("filename")
            d["notes"] = list(v.notes)
            videos[v.key] = d
        return {
            "method": self.method,
            "reference": self.reference,
            "max_offset_s": self.max_lag_s,
            "offsets": self.offsets(),
            "videos": videos,
            # The curves are debug data for plots: they stay out of the stored JSON.
            "pairs": [{k: v for k, v in asdict(p).items() if k != "curve"} for p in self.pairs],
            "elapsed_s": round(self.elapsed_s, 3),
        }


@dataclass(frozen=True)
class RenderedFile:
    source: str  # the source's path
    output: str
    offset_s: float
    lead_s: float  # time added (positive) or cut (negative) at the start
    duration_s: float  # measured duration of the output
    residual_s: float | None = None  # offset measured again on the output, should be ~0
    key: str = ""  # the placement's key (the source's file name when rendered from paths)
    #: The residual measured again at the start, the middle and the end of the output's overlap
    #: with the reference's output (``verify.WINDOWS``), seconds; ``None`` where a window could
    #: not be measured, empty when not measured (no sound on either side, overlap too short).
    window_residuals_s: tuple[float | None, ...] = ()
    #: The clock drift corrected (ppm, the placement's), 0.0 when none; ``retimed`` says what
    #: was retimed to the reference clock: ``()``, ``("sound",)`` or ``("sound", "picture")``.
    drift_ppm: float = 0.0
    retimed: tuple[str, ...] = ()
    #: The placements' keys in this file: one for a per-clip file, every clip of the camera in
    #: time order for a per-camera file (``key`` is then the first's).
    keys: tuple[str, ...] = ()
    camera: str | None = None
    #: Where the file's first sound track comes from: "camera" (its own) or "master".
    audio_source: str = "camera"
    #: With the master's sound: the master track measured against the camera's own scratch
    #: sound at the start, the middle and the end (seconds; ``None`` where not measured).
    master_residuals_s: tuple[float | None, ...] = ()
    #: Per clip in ``keys`` (a per-camera file): its residual against the reference's output,
    #: the largest of its windows (seconds); ``None`` where the clip was not measured (see
    #: ``RenderResult.notes``) or a window could not be measured.
    segment_residuals_s: tuple[float | None, ...] = ()
    #: The start timecode stamped into the file (``HH:MM:SS:FF``, ``;`` drop-frame), if any.
    #: A WAV's is the timeline's label too; the file holds it as its BWF TimeReference.
    timecode: str | None = None
    #: Where each of ``window_residuals_s`` was measured: the window's centre on the output
    #: (seconds) and its name ("start", "middle", "end"; a window over a short span is
    #: "middle"); a per-camera file's clips in turn.
    window_times_s: tuple[float, ...] = ()
    window_at: tuple[str, ...] = ()
    #: The same for ``master_residuals_s``.
    master_window_times_s: tuple[float, ...] = ()
    master_window_at: tuple[str, ...] = ()


@dataclass(frozen=True)
class RenderResult:
    files: tuple[RenderedFile, ...]
    timeline_start_s: float
    timeline_duration_s: float
    verified: bool
    max_residual_s: float | None
    tolerance_s: float
    mode: str
    zip_path: str | None = None
    skipped: tuple[str, ...] = ()  # keys not rendered (not placed, or off the timeline)
    notes: tuple[str, ...] = ()  # one sentence per skipped file or container fallback
    layout: str = "clip"  # "clip": one file per clip; "camera": one per camera
    audio: str = "camera"  # "camera", "master" or "master_and_camera"
    start_timecode: str | None = None  # stamped into every file, at the timeline's rate
