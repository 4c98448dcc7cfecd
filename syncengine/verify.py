"""Verify a render by measuring the outputs against each other again.

Conventions
-----------
A correct render puts every output on one timeline, so re-measured offsets (residuals) are ~0.
A render whose residual exceeds its tolerance is reported as failed, never silently shipped.
Besides the whole-file residual, the sound of each output is measured again in three windows
(``WINDOWS``: the start, the middle and the end of its overlap with the reference's output), so a
drift that the whole-file offset averages away still fails the render. A residual is the offset
measured minus the offset expected (positive: the output's content is late).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from syncengine import media
from syncengine.audio import estimate_audio_lag
from syncengine.errors import RenderVerificationFailed, SyncEngineError
from syncengine.master_audio import MasterPlan, master_lead_speed
from syncengine.render_shoot import Output, footage_span_s
from syncengine.types import AudioTrack, ProgressCallback, RenderResult

__all__ = [
    "VERIFY_MAX_LAG_S",
    "Checks",
    "check_outputs",
    "WINDOWS",
    "measure_master",
    "measure_outputs",
    "measure_segments",
    "measure_windows",
    "verification_error",
]

VERIFY_MAX_LAG_S = 2.0  # search window when verifying re-encoded outputs
WINDOWS = ("start", "middle", "end")
WINDOW_S = 10.0  # longest window; shorter overlaps get three windows of a third each
WINDOW_MIN_OVERLAP_S = 6.0  # shorter overlaps are measured only as a whole
_WINDOW_MAX_LAG_S = 0.5  # a window's search limit (plus the expected residual)
_WINDOW_INSET_S = 0.25  # kept clear of the overlap's ends (padding, encoder priming)
_WINDOW_RATE_HZ = 8000  # the analysis rate (syncengine.sync.ANALYSIS_RATE_HZ)
SHORT_WINDOW_MIN_S = 2.0  # a segment or master span under 6 s is measured whole from this long


def measure_outputs(
    outputs: Sequence[Path],
    *,
    method: str,
    max_lag_s: float | None,
    reference: int,
    narrow: bool,
    ffmpeg_bin: str | None,
    margin_s: float = 0.0,
    progress: ProgressCallback | None = None,
) -> tuple[list[float | None], SyncEngineError | None]:
    """Each output's offset against the reference's output, or why they could not be measured.

    ``method`` and ``max_lag_s`` are those of the sync that placed the videos.
    ``margin_s`` widens the narrow search by the largest offset the outputs are expected to
    show (videos placed by hand away from their estimates).
    """
    from syncengine.sync import estimate_offsets

    # Re-encoded outputs should line up within a frame: a narrow search keeps the padding's
    # black and silence from raising competing peaks, and an error larger than the window
    # shows up as "not measured", which fails verification too. Copy renders can be off by
    # whole seconds, which we want to report as measured.
    if narrow:
        max_lag_s = min(VERIFY_MAX_LAG_S, max_lag_s or VERIFY_MAX_LAG_S) + margin_s
    try:
        again = estimate_offsets(
            outputs,
            method=method,
            reference=reference,
            max_lag_s=max_lag_s,
            ffmpeg_bin=ffmpeg_bin,
            progress=progress,
        )
    except SyncEngineError as exc:
        return [None] * len(outputs), exc
    return [v.offset_s if v.synced else None for v in again.videos], None


def _windows_s(lo_s: float, hi_s: float) -> list[tuple[float, float]] | None:
    """``WINDOWS`` as ``(start_s, end_s)`` within ``[lo_s, hi_s]``; None if it is too short."""
    lo_s, hi_s = lo_s + _WINDOW_INSET_S, hi_s - _WINDOW_INSET_S
    if hi_s - lo_s < WINDOW_MIN_OVERLAP_S:
        return None
    w = min(WINDOW_S, (hi_s - lo_s) / 3)
    mid = (lo_s + hi_s) / 2
    return [(lo_s, lo_s + w), (mid - w / 2, mid + w / 2), (hi_s - w, hi_s)]


def measure_windows(
    outputs: Sequence[Path],
    *,
    spans_s: Sequence[tuple[float, float]],
    expected_s: Sequence[float | None],
    reference: int,
    ffmpeg_bin: str | None,
) -> list[tuple[float | None, ...]]:
    """Each output's residual at the start, the middle and the end of its overlap, seconds.

    Parameters
    ----------
    outputs : sequence of Path
        The rendered files, all on one timeline (their t=0 is the timeline's start).
    spans_s : sequence of (float, float)
        Where each output's own footage is on that timeline, seconds (the rest is padding).
    expected_s : sequence of float or None
        The offset each output should measure against the reference's output (None: not
        checked, nothing measured).
    reference : int
        Index of the reference's output.

    Returns
    -------
    list of tuple
        Per output, one residual per ``WINDOWS`` entry (``None`` where that window could not
        be measured), or ``()`` when the output is not measured in windows: it is the
        reference, is not checked, either side has no sound, or their overlap is shorter
        than ``WINDOW_MIN_OVERLAP_S``.
    """

    def decode(k: int) -> AudioTrack | None:
        try:
            return media.decode_audio(
                outputs[k], sample_rate_hz=_WINDOW_RATE_HZ, ffmpeg_bin=ffmpeg_bin
            )
        except SyncEngineError:  # no sound (a camera without a microphone): whole file only
            return None

    ref = decode(reference)
    out: list[tuple[float | None, ...]] = []
    for k in range(len(outputs)):
        windows = _windows_s(
            max(spans_s[k][0], spans_s[reference][0]), min(spans_s[k][1], spans_s[reference][1])
        )
        expected = expected_s[k]
        track = decode(k) if ref is not None and windows and expected is not None else None
        if k == reference or ref is None or track is None or not windows or expected is None:
            out.append(())
            continue
        out.append(tuple(_window_residual(ref, track, w, expected) for w in windows))
    return out


def _window_residual(
    ref: AudioTrack, other: AudioTrack, window_s: tuple[float, float], expected_s: float
) -> float | None:
    """The offset of ``other`` against ``ref`` within one window, minus the expected one."""
    a, b = (round(t * ref.sample_rate_hz) for t in window_s)
    if b > min(ref.samples.size, other.samples.size):
        return None
    try:
        lag = estimate_audio_lag(
            AudioTrack(ref.samples[a:b], ref.sample_rate_hz),
            AudioTrack(other.samples[a:b], other.sample_rate_hz),
            max_lag_s=_WINDOW_MAX_LAG_S + abs(expected_s),
            estimate_drift=False,
        )
    except SyncEngineError:  # a silent window: not measured, which fails the check
        return None
    return lag.lag_s - expected_s


def _span_windows(lo_s: float, hi_s: float) -> list[tuple[float, float]]:
    """``WINDOWS`` within ``[lo_s, hi_s]``; one window over it when shorter; none under 2 s."""
    windows = _windows_s(lo_s, hi_s)
    if windows is not None:
        return windows
    lo_s, hi_s = lo_s + _WINDOW_INSET_S, hi_s - _WINDOW_INSET_S
    return [(lo_s, hi_s)] if hi_s - lo_s >= SHORT_WINDOW_MIN_S else []


def _clip_windows(
    span: tuple[float, float], ref_spans: Sequence[tuple[float, float]]
) -> list[tuple[float, float]]:
    """The windows a clip is measured in: within its longest overlap with the reference's."""
    overlaps = [(max(span[0], a), min(span[1], b)) for a, b in ref_spans]
    lo, hi = max(overlaps, key=lambda o: o[1] - o[0], default=(0.0, 0.0))
    return _span_windows(lo, hi) if hi > lo else []


def _where(windows: Sequence[tuple[float, float]]) -> tuple[list[float], list[str]]:
    """Each window's centre (s) and name: ``WINDOWS`` for three, "middle" for one."""
    names = list(WINDOWS) if len(windows) == len(WINDOWS) else ["middle"] * len(windows)
    return [(a + b) / 2 for a, b in windows], names


def _decode(path: Path, ffmpeg_bin: str | None) -> AudioTrack | None:
    try:
        return media.decode_audio(path, sample_rate_hz=_WINDOW_RATE_HZ, ffmpeg_bin=ffmpeg_bin)
    except SyncEngineError:  # no sound (a camera without a microphone)
        return None


def measure_segments(
    outputs: Sequence[Path],
    *,
    segments_s: Sequence[Sequence[tuple[tuple[float, float], float | None]]],
    reference: int,
    ffmpeg_bin: str | None,
) -> list[tuple[tuple[float | None, ...], ...]]:
    """Each clip of each output measured against the reference's output over its own span.

    Parameters
    ----------
    outputs : sequence of Path
        The rendered files, all on one timeline; one per camera, each holding its clips.
    segments_s : sequence of sequences of ((float, float), float or None)
        Per output, per clip in time order: where its footage is on the timeline (seconds)
        and the offset it should measure (None: not checked).
    reference : int
        Index of the reference's output, whose clips' spans are its footage.

    Returns
    -------
    list of tuple of tuple
        Per output, per clip, its residuals (measured minus expected, seconds) at the start,
        the middle and the end of its overlap with the reference's footage (one residual over
        the overlap when it is shorter than ``WINDOW_MIN_OVERLAP_S``; ``None`` where a window
        could not be measured), or ``()`` when the clip is not measured: it belongs to the
        reference, is not checked, either side has no sound, or the clip overlaps less than
        ``SHORT_WINDOW_MIN_S`` of the reference's footage.
    """
    ref = _decode(outputs[reference], ffmpeg_bin)
    ref_spans = [span for span, _ in segments_s[reference]]
    out: list[tuple[tuple[float | None, ...], ...]] = []
    for k, segments in enumerate(segments_s):
        track = None if k == reference or ref is None else _decode(outputs[k], ffmpeg_bin)
        per_clip: list[tuple[float | None, ...]] = []
        for span, expected in segments:
            windows = _clip_windows(span, ref_spans)
            if track is None or ref is None or expected is None or not windows:
                per_clip.append(())
                continue
            per_clip.append(tuple(_window_residual(ref, track, w, expected) for w in windows))
        out.append(tuple(per_clip))
    return out


def measure_master(
    outputs: Sequence[Path],
    scratches: Sequence[Path | None],
    *,
    spans_s: Sequence[Sequence[tuple[tuple[float, float], float | None]]],
    ffmpeg_bin: str | None,
) -> list[tuple[float | None, ...]]:
    """The master track of each output against the camera's own scratch sound, in windows.

    Parameters
    ----------
    outputs : sequence of Path
        Rendered files whose first sound track is the master's.
    scratches : sequence of Path or None
        Per output, its clips' own sound on the same timeline (None: the camera has none).
    spans_s : sequence of sequences of ((float, float), float or None)
        Per output, per clip: where both its footage and the master's sound are (seconds) and
        the offset the master should measure against the scratch sound (None: not checked).

    Returns
    -------
    list of tuple
        Per output, the residuals (master against scratch, minus expected, seconds) at the
        start, the middle and the end of each clip's span in turn (one residual for a span
        under ``WINDOW_MIN_OVERLAP_S``, none under ``SHORT_WINDOW_MIN_S``; ``None`` where a
        window could not be measured); ``()`` when nothing could be measured.
    """
    out: list[tuple[float | None, ...]] = []
    for output, scratch, spans in zip(outputs, scratches, spans_s, strict=True):
        own = None if scratch is None else _decode(scratch, ffmpeg_bin)
        master = None if own is None else _decode(output, ffmpeg_bin)
        residuals: list[float | None] = []
        for (lo, hi), expected in spans:
            if own is None or master is None or expected is None:
                continue
            residuals += [_window_residual(own, master, w, expected) for w in _span_windows(lo, hi)]
        out.append(tuple(residuals))
    return out


def verification_error(
    result: RenderResult, bad: Sequence[tuple[int, float]], failure: SyncEngineError | None
) -> RenderVerificationFailed:
    problems = []
    for k, tol_s in bad:
        f = result.files[k]
        name = Path(f.output).name
        if f.residual_s is None:
            problems.append(f"'{name}' could not be measured")
        elif abs(f.residual_s) > tol_s:
            problems.append(
                f"'{name}' is off by {f.residual_s * 1e3:+.1f} ms (allowed {tol_s * 1e3:.1f} ms)"
            )
        labels = WINDOWS if len(f.keys) <= 1 else [f"window {i}" for i in range(1, 100)]
        for where, r in zip(labels, f.window_residuals_s, strict=False):
            if r is None:
                problems.append(f"'{name}' could not be measured at the {where} of its overlap")
            elif abs(r) > tol_s:
                problems.append(
                    f"'{name}' is off by {r * 1e3:+.1f} ms at the {where} of its overlap "
                    f"(allowed {tol_s * 1e3:.1f} ms)"
                )
        for r in f.master_residuals_s:
            if r is None or abs(r) > tol_s:
                what = "could not be measured" if r is None else f"is off by {r * 1e3:+.1f} ms"
                problems.append(
                    f"the master audio in '{name}' {what} against the camera's own sound"
                )
                break
    reason = f" ({failure.message})" if failure is not None else ""
    exc = RenderVerificationFailed(
        f"The synced files did not pass verification{reason}: {'; '.join(problems)}. "
        "Check these files before using them.",
        filename=Path(result.files[bad[0][0]].output).name,
        residuals_s={Path(f.output).name: f.residual_s for f in result.files},
    )
    exc.result = result
    return exc


@dataclass(frozen=True)
class Checks:
    """What the verification measured, per output (see :func:`check_outputs`)."""

    residuals: list[float | None]
    windows: list[tuple[float | None, ...]]
    segments: list[tuple[float | None, ...]]
    master: list[tuple[float | None, ...]]
    expected: list[float | None]
    unmeasured: list[tuple[str, ...]]  # keys of clips that could not be checked on their own
    failure: SyncEngineError | None = None
    #: Per output, where each of ``windows`` / ``master`` was measured: the window's centre
    #: on the output (seconds) and its name ("start", "middle", "end").
    window_times: list[tuple[float, ...]] = field(default_factory=list)
    window_at: list[tuple[str, ...]] = field(default_factory=list)
    master_times: list[tuple[float, ...]] = field(default_factory=list)
    master_at: list[tuple[str, ...]] = field(default_factory=list)

    @classmethod
    def none(cls, n: int) -> Checks:
        empty: list[tuple[Any, ...]] = [()] * n
        return cls(
            [None] * n, empty, empty, empty, [None] * n, empty, None, empty, empty, empty, empty
        )

    def measured(self, k: int) -> tuple[float | None, ...]:
        return (*self.windows[k], *self.master[k])

    def failed(self, k: int, tolerance_s: float) -> bool:
        """True when output ``k`` was checked and something was off or could not be measured."""
        values = [*([self.residuals[k]] if self.expected[k] is not None else []), *self.measured(k)]
        return any(v is None or abs(v) > tolerance_s for v in values)


def _expected(o: Output) -> float | None:
    """The offset a whole output should measure: its clips' one expectation, else None."""
    values = [j.expected_residual_s for j in o.jobs]
    if any(v is None for v in values):
        return None
    first = values[0]
    assert first is not None
    return first if all(abs(v - first) < 1e-6 for v in values if v is not None) else None


def _clip_spans(o: Output, total_s: float) -> list[tuple[float, float]]:
    """Each clip's footage on its output, cut where the next clip of the camera starts."""
    spans = []
    for k, job in enumerate(o.jobs):
        lo, hi = footage_span_s(job, total_s)
        if k + 1 < len(o.jobs):
            hi = max(lo, min(hi, o.jobs[k + 1].lead_s))
        spans.append((lo, hi))
    return spans


def _master_spans(
    o: Output, master: MasterPlan, total_s: float
) -> list[tuple[tuple[float, float], float | None]]:
    m_offset, m_estimate = master.placement.offset_s, master.placement.estimate_s
    duration_s = master.info.audio.duration_s if master.info.audio else master.info.duration_s
    out = []
    for (lo, hi), job, clip in zip(_clip_spans(o, total_s), o.jobs, o.placements, strict=True):
        lead_s, speed = master_lead_speed(job, clip, master)
        span = (max(lo, lead_s), min(hi, lead_s + duration_s * speed))
        known = None not in (clip.estimate_s, m_estimate, m_offset)
        expected = (
            (job.offset_s - clip.estimate_s) - (m_offset - m_estimate)  # type: ignore[operator]
            if known
            else None
        )
        out.append((span, expected))
    return out


def check_outputs(
    outputs: Sequence[Output],
    scratches: Sequence[Path | None],
    *,
    total_s: float,
    reference: int,
    method: str,
    max_lag_s: float | None,
    reencode: bool,
    layout: str,
    master: MasterPlan | None,
    ffmpeg_bin: str | None,
    progress: ProgressCallback | None = None,
) -> Checks:
    """Measure every output again: as a whole, in windows (per clip for a camera), the master.

    The whole file against the reference's output (:func:`measure_outputs`); re-encoded
    outputs with sound (unless ``method`` is "visual") also in windows: a per-clip output over
    its overlap (:func:`measure_windows`), a per-camera output clip by clip
    (:func:`measure_segments`); with a ``master``, its track against each camera's own sound
    (``scratches``, :func:`measure_master`).
    """
    paths = [o.output for o in outputs]
    # A single output (one camera under the master's sound) has nothing to be measured
    # against as a whole; its master track still is.
    expected: list[float | None] = [_expected(o) for o in outputs] if len(outputs) > 1 else [None]
    margin_s = max((abs(j.expected_residual_s or 0.0) for o in outputs for j in o.jobs), default=0)
    measured, failure = (
        measure_outputs(
            paths,
            method=method,
            max_lag_s=max_lag_s,
            reference=reference,
            narrow=reencode,
            ffmpeg_bin=ffmpeg_bin,
            margin_s=margin_s,
            progress=progress,
        )
        if len(outputs) > 1
        else ([None], None)
    )
    residuals = [
        None if m is None or e is None else m - e for m, e in zip(measured, expected, strict=True)
    ]
    n = len(outputs)
    windows: list[tuple[float | None, ...]] = [()] * n
    segments: list[tuple[float | None, ...]] = [()] * n
    unmeasured: list[tuple[str, ...]] = [()] * n
    placed: list[list[list[tuple[float, float]]]] = [[] for _ in range(n)]  # per clip
    if reencode and method != "visual" and layout == "clip":
        spans = [footage_span_s(o.jobs[0], total_s) for o in outputs]
        windows = measure_windows(
            paths,
            spans_s=spans,
            expected_s=expected,
            reference=reference,
            ffmpeg_bin=ffmpeg_bin,
        )
        for k in range(n):
            lo, hi = max(spans[k][0], spans[reference][0]), min(spans[k][1], spans[reference][1])
            placed[k] = [(_windows_s(lo, hi) or []) if windows[k] else []]
    elif reencode and method != "visual":
        per_clip = measure_segments(
            paths,
            segments_s=[
                list(
                    zip(
                        _clip_spans(o, total_s),
                        [j.expected_residual_s for j in o.jobs],
                        strict=True,
                    )
                )
                for o in outputs
            ],
            reference=reference,
            ffmpeg_bin=ffmpeg_bin,
        )
        windows = [tuple(r for clip in clips for r in clip) for clips in per_clip]
        ref_spans = _clip_spans(outputs[reference], total_s)
        for k, o in enumerate(outputs):
            for span, clip in zip(_clip_spans(o, total_s), per_clip[k], strict=True):
                placed[k].append(_clip_windows(span, ref_spans) if clip else [])
        segments = [tuple(_worst(clip) for clip in clips) for clips in per_clip]
        unmeasured = [
            ()
            if k == reference
            else tuple(
                key for key, clip in zip(outputs[k].keys, per_clip[k], strict=True) if not clip
            )
            for k in range(n)
        ]
    master_residuals: list[tuple[float | None, ...]] = [()] * n
    master_placed: list[list[list[tuple[float, float]]]] = [[] for _ in range(n)]
    if master is not None:
        master_spans = [_master_spans(o, master, total_s) for o in outputs]
        master_residuals = measure_master(
            paths,
            [s if s is not None and s.exists() else None for s in scratches],
            spans_s=master_spans,
            ffmpeg_bin=ffmpeg_bin,
        )
        for k in range(n):
            if master_residuals[k]:
                for (lo, hi), wanted in master_spans[k]:
                    master_placed[k].append(_span_windows(lo, hi) if wanted is not None else [])
    where = [_where_per_clip(w) for w in placed]
    master_where = [_where_per_clip(w) for w in master_placed]
    return Checks(
        residuals,
        windows,
        segments,
        master_residuals,
        expected,
        unmeasured,
        failure,
        window_times=[tuple(t) for t, _ in where],
        window_at=[tuple(a) for _, a in where],
        master_times=[tuple(t) for t, _ in master_where],
        master_at=[tuple(a) for _, a in master_where],
    )


def _where_per_clip(
    clips: list[list[tuple[float, float]]],
) -> tuple[list[float], list[str]]:
    """``_where`` for the windows of several clips in turn."""
    times: list[float] = []
    names: list[str] = []
    for windows in clips:
        t, a = _where(windows)
        times += t
        names += a
    return times, names


def _worst(values: tuple[float | None, ...]) -> float | None:
    if not values or any(v is None for v in values):
        return None
    return max(values, key=lambda v: abs(v or 0.0))
