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
from pathlib import Path

from syncengine import media
from syncengine.audio import estimate_audio_lag
from syncengine.errors import RenderVerificationFailed, SyncEngineError
from syncengine.types import AudioTrack, ProgressCallback, RenderResult

__all__ = [
    "VERIFY_MAX_LAG_S",
    "WINDOWS",
    "measure_outputs",
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
        for where, r in zip(WINDOWS, f.window_residuals_s, strict=False):
            if r is None:
                problems.append(f"'{name}' could not be measured at the {where} of its overlap")
            elif abs(r) > tol_s:
                problems.append(
                    f"'{name}' is off by {r * 1e3:+.1f} ms at the {where} of its overlap "
                    f"(allowed {tol_s * 1e3:.1f} ms)"
                )
    reason = f" ({failure.message})" if failure is not None else ""
    exc = RenderVerificationFailed(
        f"The synced files did not pass verification{reason}: {'; '.join(problems)}. "
        "Check these files before using them.",
        filename=Path(result.files[bad[0][0]].output).name,
        residuals_s={Path(f.output).name: f.residual_s for f in result.files},
    )
    exc.result = result
    return exc
