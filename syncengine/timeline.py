"""Plan a render: which videos go on the common timeline, where, and how each is checked.

Conventions
-----------
- ``offset_s`` is the time on the reference's timeline at which a video's t=0 happens
  (positive: it started later). The output timeline starts at ``start_s`` on that timeline, so
  a video's ``lead_s = offset_s - start_s`` is added at its start (positive) or cut (negative).
- A video may be *placed* at another offset than the engine's estimate (a manual adjustment).
  Re-measuring its output against the reference's output then gives ``estimate - placed``
  (relative to the reference's own difference), its ``expected_residual_s``; the verification
  compares the measured residual with that. A video placed by hand without an estimate has no
  expected residual and is rendered but not checked.
- Clips come as :class:`~syncengine.types.Placement` (caller's key, path, offset, name): jobs,
  ``skipped`` and the reference are keyed by ``key``; notes and errors say ``name``, and an
  output is named ``{stem of name}_synced.{ext}`` with the container taken from the path.
- Drift: a placement's ``drift_ppm`` says its own time ``u`` happens at
  ``offset_s + u * (1 + drift_ppm * 1e-6)`` on the reference's timeline. A re-encoded job is
  retimed to the reference clock by ``speed = 1 + drift_ppm * 1e-6`` (its output lasts
  ``duration * speed``) under the rule of :func:`drift_retime`; copy jobs cannot be retimed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from syncengine import media
from syncengine.constants import FALLBACK_FPS, RENDER_MODES
from syncengine.errors import ParameterError, SyncEngineError
from syncengine.sync import renamed
from syncengine.types import MediaInfo, Placement

__all__ = [
    "MODES",
    "Job",
    "Plan",
    "drift_retime",
    "plan_jobs",
    "plan_timeline",
    "tolerances_s",
    "wav_as_mp4",
]

MODES = RENDER_MODES  # one owner: syncengine.constants
_NOMINAL_FPS = FALLBACK_FPS  # tolerance basis when no output has a picture
# Source suffix -> (output extension, ffmpeg muxer). Anything else becomes MP4. A sound
# recorder's WAV/W64 (no picture) stays a WAV: PCM at its own rate, channels and bit depth.
_CONTAINERS = {
    ".mp4": ("mp4", "mp4"),
    ".m4v": ("mp4", "mp4"),
    ".mov": ("mov", "mov"),
    ".mkv": ("mkv", "matroska"),
    ".wav": ("wav", "wav"),
    ".w64": ("wav", "wav"),
}
#: Sound is resampled to the reference clock once its drift adds up to this over the clip, a
#: quarter of the 2 ms the sound may be off (issue 11); below it the correction is lost in the
#: measurement.
DRIFT_SOUND_MIN_ERROR_S = 0.0005


@dataclass(frozen=True)
class Job:
    """One output: its source, where it goes on the timeline, and what verification expects."""

    info: MediaInfo
    offset_s: float
    lead_s: float
    output: Path
    muxer: str
    expected_residual_s: float | None = 0.0  # None: placed by hand, cannot be checked
    key: str = ""  # the placement's key (default: the source's file name)
    drift_ppm: float = 0.0  # the drift corrected; 0.0: not retimed
    retimed: tuple[str, ...] = ()  # what is retimed: "sound" and/or "picture", or nothing

    @property
    def speed(self) -> float:
        """Reference seconds per second of the source (1.0 when nothing is retimed)."""
        return 1.0 + self.drift_ppm * 1e-6 if self.retimed else 1.0

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", Path(self.info.path).name)


@dataclass(frozen=True)
class Plan:
    jobs: list[Job]
    start_s: float
    total_s: float
    reference: int  # index into jobs of the reference's output (re-measured against)
    skipped: list[str]  # keys
    notes: list[str]


def plan_timeline(
    offsets_s: Sequence[float], durations_s: Sequence[float], *, mode: str = "union"
) -> tuple[float, float]:
    """The common output timeline, as ``(start_s, duration_s)`` on the reference's timeline.

    Parameters
    ----------
    offsets_s : sequence of float
        Each video's offset in seconds (positive: started after the reference).
    durations_s : sequence of float
        Each video's duration in seconds, same length, all positive.
    mode : {"union", "reference"}
        ``union`` loses no footage: from the earliest start ``min(offset)`` to the latest end
        ``max(offset + duration)``. ``reference`` starts at the reference's t=0 (footage from
        before it is cut) and ends at the latest end.

    Returns
    -------
    start_s, duration_s : float
        Where the timeline starts on the reference's timeline, and how long it lasts.

    Raises
    ------
    ParameterError
        Unknown mode, mismatched or empty inputs, non-finite values, a duration <= 0, or (in
        ``reference`` mode) every video ending before the reference starts.
    """
    if mode not in MODES:
        raise ParameterError(f"mode must be one of {', '.join(MODES)}, got '{mode}'")
    if len(offsets_s) != len(durations_s) or not offsets_s:
        raise ParameterError(
            f"need one duration per offset, got {len(offsets_s)} offsets and "
            f"{len(durations_s)} durations"
        )
    for value in [*offsets_s, *durations_s]:
        if not math.isfinite(value):
            raise ParameterError(f"offsets and durations must be finite, got {value}")
    if min(durations_s) <= 0:
        raise ParameterError(f"durations must be positive, got {min(durations_s)}")
    end_s = max(o + d for o, d in zip(offsets_s, durations_s, strict=True))
    start_s = min(offsets_s) if mode == "union" else 0.0
    if end_s <= start_s:
        raise ParameterError(f"every video ends before the reference starts (latest end {end_s})")
    return float(start_s), float(end_s - start_s)


def drift_retime(drift_ppm: float | None, info: MediaInfo) -> tuple[str, ...]:
    """What of a clip to retime to the reference clock for its drift: "sound", "picture".

    The rule: over the clip's duration its clock drifts ``|drift_ppm| * 1e-6 * duration_s``.
    Its sound is resampled (by ``1 + drift_ppm * 1e-6``, pitch and all) once that error
    reaches ``DRIFT_SOUND_MIN_ERROR_S``; its picture is retimed only where the error exceeds
    half a frame (``0.5 / fps``), since below that every frame is already at the nearest
    frame of the reference clock. A clip with neither is not retimed (``()``).
    """
    if not drift_ppm or not math.isfinite(drift_ppm):
        return ()
    error_s = abs(drift_ppm) * 1e-6 * info.duration_s
    out = []
    if info.audio is not None and error_s >= DRIFT_SOUND_MIN_ERROR_S:
        out.append("sound")
    if info.video is not None and info.video.fps > 0 and error_s > 0.5 / info.video.fps:
        out.append("picture")
    return tuple(out)


def _drift_note(p: Placement, info: MediaInfo, retimed: tuple[str, ...], *, reencode: bool) -> str:
    error_ms = abs(p.drift_ppm or 0.0) * 1e-3 * info.duration_s
    drifts = f"'{p.name}' drifts {p.drift_ppm:+.1f} ppm ({error_ms:.1f} ms over the clip)"
    if not reencode:
        return f"{drifts}, which a copy cannot correct (it only cuts); re-encode to correct it"
    what = " and ".join(
        {"sound": "its sound is resampled", "picture": "its picture is retimed"}[r] for r in retimed
    )
    return f"{drifts}: {what} to the reference clock"


#: Longest output file name, UTF-8 bytes (the limit of common file systems).
MAX_NAME_BYTES = 255


def _output_for(p: Placement, out_dir: Path) -> tuple[Path, str, str | None]:
    """Where the placement's output goes, its muxer, and a note when it changes container."""
    ext, muxer = _CONTAINERS.get(p.path.suffix.lower(), ("mp4", "mp4"))
    note = None
    if p.path.suffix.lower() not in _CONTAINERS:
        note = f"'{p.name}' is written as MP4: its container is not MP4, MOV, MKV or WAV"
    elif p.path.suffix.lower() == ".w64":
        note = f"'{p.name}' is written as WAV (Sony Wave64 becomes RIFF WAV, RF64 past 4 GB)"
    output = f"{Path(p.name).stem}_synced.{ext}"
    if len(output.encode()) > MAX_NAME_BYTES:
        raise ParameterError(
            f"the synced copy of '{p.name}' would be named with {len(output.encode())} bytes, "
            f"more than the {MAX_NAME_BYTES} a file name may have; shorten the file name",
            filename=p.name,
        )
    return out_dir / output, muxer, note


def wav_as_mp4(plan: Plan) -> Plan:
    """The plan with WAV outputs written as MP4 (AAC) instead, as the real-shoot chains write."""
    jobs, notes = [], list(plan.notes)
    for job in plan.jobs:
        if job.muxer == "wav":
            job = replace(job, output=job.output.with_suffix(".mp4"), muxer="mp4")
            notes.append(
                f"'{job.info.filename}' is written as MP4: one file per camera, the master "
                "audio and a corrected skew are written with AAC sound"
            )
        jobs.append(job)
    return replace(plan, jobs=jobs, notes=notes)


def _check(placements: Sequence[Placement]) -> None:
    keys = [p.key for p in placements]
    if len(set(keys)) != len(keys):
        raise ParameterError("two placements share a key; give each clip its own key")
    for p in placements:
        if not p.name or p.name in (".", "..") or any(c in p.name for c in "/\0"):
            raise ParameterError(
                f"placement '{p.key}' needs a bare file name as its name, got {p.name!r}"
            )
        if p.offset_s is not None and not math.isfinite(p.offset_s):
            raise ParameterError(f"placed offset of '{p.name}' must be finite, got {p.offset_s}")


def _probe(p: Placement) -> MediaInfo:
    """Probe the placement's file; the info and any error say its name, never its path."""
    try:
        info = media.probe(p.path)
    except SyncEngineError as exc:
        raise renamed(exc, p.path, p.name) from None
    return replace(info, filename=p.name)


def plan_jobs(
    placements: Sequence[Placement],
    out_dir: Path,
    *,
    mode: str,
    reencode: bool,
    correct_drift: bool = True,
) -> Plan:
    """Probe the placed videos and put each on the timeline; unplaced ones are skipped.

    With ``reencode`` and ``correct_drift`` each placement's ``drift_ppm`` is corrected under
    :func:`drift_retime`'s rule (said in ``notes``); copies cannot be retimed, and a drift
    that rule would correct is said in ``notes`` instead.

    Raises
    ------
    ParameterError
        Fewer than two videos to render or on the timeline, two outputs colliding (or an output
        name too long), two placements sharing a key, a name that is not a bare file name, or
        an offset that is not finite.
    """
    _check(placements)
    chosen: list[tuple[Placement, MediaInfo, float, tuple[str, ...]]] = []
    skipped, notes = [], []
    for p in placements:
        if p.offset_s is None:
            skipped.append(p.key)
            notes.append(f"'{p.name}' is not synced, so no synced copy was written")
            continue
        if p.estimate_s is None:
            notes.append(f"'{p.name}' was placed by hand; its placement cannot be verified")
        info = _probe(p)
        retimed = drift_retime(p.drift_ppm, info) if correct_drift or not reencode else ()
        if retimed:
            notes.append(_drift_note(p, info, retimed, reencode=reencode))
        chosen.append((p, info, float(p.offset_s), retimed if reencode else ()))
    if len(chosen) < 2:
        raise ParameterError(f"at least two synced videos are needed to render, got {len(chosen)}")
    speeds = [1.0 + (p.drift_ppm or 0.0) * 1e-6 if r else 1.0 for p, _, _, r in chosen]
    start_s, total_s = plan_timeline(
        [o for _, _, o, _ in chosen],
        [i.duration_s * v for (_, i, _, _), v in zip(chosen, speeds, strict=True)],
        mode=mode,
    )
    if not reencode:
        latest_s = max(o for _, _, o, _ in chosen)
        total_s -= latest_s - start_s
        start_s = latest_s
        notes.append(
            "without re-encoding the files can only be cut, so they start when the last "
            "camera started"
        )
    ref_key = next((p.key for p in placements if p.is_reference), placements[0].key)
    ref_shift_s = next(
        (
            p.estimate_s - o
            for p, _, o, _ in chosen
            if p.key == ref_key and p.estimate_s is not None
        ),
        0.0,
    )
    jobs = []
    for (p, info, offset_s, retimed), speed in zip(chosen, speeds, strict=True):
        if offset_s + info.duration_s * speed <= start_s:
            skipped.append(p.key)
            notes.append(f"'{p.name}' ends before the reference starts, so it was left out")
            continue
        output, muxer, note = _output_for(p, out_dir)
        notes += [note] if note else []
        expected = None if p.estimate_s is None else (p.estimate_s - offset_s) - ref_shift_s
        drift_ppm = float(p.drift_ppm or 0.0) if retimed else 0.0
        lead_s = offset_s - start_s
        jobs.append(Job(info, offset_s, lead_s, output, muxer, expected, p.key, drift_ppm, retimed))
    if len(jobs) < 2:
        raise ParameterError(f"at least two videos must overlap the timeline, got {len(jobs)}")
    sources = {Path(j.info.path).resolve() for j in jobs}
    outputs = [j.output for j in jobs]
    for out in outputs:
        if outputs.count(out) > 1 or out.resolve() in sources:
            raise ParameterError(f"two videos would both be written to (or over) '{out.name}'")
    keys = [j.key for j in jobs]
    reference = keys.index(ref_key) if ref_key in keys else 0
    return Plan(jobs, start_s, total_s, reference, skipped, notes)


def _keyframe_snap_s(job: Job) -> float:
    """How far before a copy-mode cut the kept video really starts (its previous keyframe)."""
    if job.lead_s >= 0 or job.info.video is None:
        return 0.0
    cut_s = -job.lead_s
    keyframe_s = media.keyframe_at_or_before(job.info.path, cut_s)
    return cut_s if keyframe_s is None else max(0.0, cut_s - keyframe_s)


def tolerances_s(jobs: Sequence[Job], *, reencode: bool, tolerance_s: float | None) -> list[float]:
    """Per output: one frame of the slowest camera, plus in copy mode its own keyframe snap."""
    if tolerance_s is not None:
        return [tolerance_s] * len(jobs)
    fps = [j.info.video.fps for j in jobs if j.info.video is not None and j.info.video.fps > 0]
    frame_s = 1.0 / min(fps, default=_NOMINAL_FPS)
    return [frame_s + (0.0 if reencode else _keyframe_snap_s(j)) for j in jobs]
