"""Presentation: model rows -> the plain values the pages and the API show.

Templates only display; the formatting and the plain-language warnings are decided here, once,
so the run page and the API's results (``OffsetOutputSerializer.warnings``) always agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from django.urls import reverse

from projects.models import SyncRun, VideoOffset
from projects.services.check_sheets import check_sheet_path
from syncengine.constants import (
    AGREEMENT_S,
    CONFIDENCE_BANDS,
    FALLBACK_FPS,
    SYNCED_THRESHOLD,
    band,
)

__all__ = [
    "DISAGREEMENT_S",
    "LOW_CONFIDENCE",
    "DriftPlot",
    "OffsetRow",
    "RunOutcome",
    "band_legend",
    "check_sheet_item",
    "confidence_text",
    "drift_plot",
    "not_synced_reason",
    "offset_rows",
    "plot_items",
    "run_outcome",
    "run_page_extras",
    "stage_label",
]

#: Below the engine's "good" band an offset gets the low-confidence warning.
LOW_CONFIDENCE = next(edge for edge, name in CONFIDENCE_BANDS if name == "good")
PLAYER_DEFAULT_FPS = FALLBACK_FPS  # frame step when the reference's frame rate is unknown
DISAGREEMENT_S = AGREEMENT_S  # the engine's: sound and picture further apart disagree
WARN_LOW_CONFIDENCE = (
    "Low confidence ({confidence:.2f}): this offset may be wrong. Check the video by eye in the "
    "player before using it."
)
WARN_DISAGREE = (
    "Sound and picture disagree by {diff_s:.3f} s. One of them matched the wrong moment; "
    "try 'Sound only' or 'Picture only' and compare."
)
WARN_NOT_SYNCED = (
    "This video could not be placed on the timeline. It may not overlap the others, or it "
    "has too little sound or movement in common with them."
)
NO_ESTIMATE = "no estimate"
SIGN_CONVENTION = (
    "Offset = the time on the reference video's timeline at which this video starts. "
    "Positive: it started later than the reference; negative: it started earlier."
)
_STAGES = {
    "": "Waiting for a worker",
    "probing": "Reading the files",
    "extracting_audio": "Extracting audio",
    "correlating_audio": "Correlating sound",
    "motion_analysis": "Analysing motion",
    "correlating_motion": "Correlating motion",
    "correlating": "Correlating",
    "solving": "Solving offsets",
    "rendering": "Rendering",
    "verifying": "Verifying",
    "done": "Done",
}


def stage_label(stage: str) -> str:
    return _STAGES.get(stage, stage.replace("_", " ").capitalize())


def confidence_text(confidence: float) -> str:
    """Two decimals rounded *down*, so a number shown is never in a higher band than its label.

    (0.4996 rounded to nearest would read "0.50" beside "fair", while good starts at 0.5.)
    """
    return f"{math.floor(confidence * 100 + 1e-9) / 100:.2f}"


def band_legend() -> list[dict[str, str]]:
    """The engine's confidence bands as the run page's legend, highest first."""
    poor = f"< {SYNCED_THRESHOLD:g} (not synced)"
    return [
        {"name": name, "text": f"{name} ≥ {edge:g}" if edge > 0 else f"{name} {poor}"}
        for edge, name in CONFIDENCE_BANDS
    ]


def _seconds(value: float | None, *, signed: bool = True, digits: int = 3) -> str:
    if value is None:
        return "—"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


@dataclass(frozen=True)
class DriftPlot:
    """A clip's measured offset along the overlap and the fitted line, as SVG coordinates.

    ``points`` are ``(x, y)`` in the plot's ``width x height`` box (y down); ``fit`` the fitted
    line's two ends; the labels are the axes' ends (reference time, offset minus the estimate).
    """

    width: int
    height: int
    left: int
    bottom: int
    points: list[tuple[float, float]]
    fit: tuple[tuple[float, float], tuple[float, float]]
    x_labels: tuple[str, str]
    y_labels: tuple[str, str]
    title: str
    drift_ms: float


_PLOT_W, _PLOT_H = 360, 150
_MARGIN_L, _MARGIN_R, _MARGIN_T, _MARGIN_B = 58, 10, 10, 24
_INSET = 8  # the first and last dots clear the axes


def _clock(seconds: float) -> str:
    sign = "−" if seconds < 0 else ""
    minutes, rest = divmod(abs(seconds), 60)
    return f"{sign}{int(minutes)}:{rest:04.1f}"


def drift_plot(o: VideoOffset) -> DriftPlot | None:
    """The drift plot of one clip: its ``drift_points`` (reference time s, measured offset s)
    beside the line its offset and drift give; None without two points, an estimate or drift.

    The line is the engine's fit (``syncengine.audio._fit_drift``): offset ``o + d * u`` at the
    clip's own time ``u = t - offset``, so at reference time ``t`` it is ``(o + d t) / (1 + d)``
    with ``d = drift_ppm / 1e6``. The y axis is the offset minus the estimate, in ms.
    """
    points = [(float(t), float(v)) for t, v in (o.drift_points or [])]
    if len(points) < 2 or o.offset_s is None or o.drift_ppm is None:
        return None
    d = o.drift_ppm * 1e-6
    base = o.offset_s

    def line_ms(t: float) -> float:
        return ((base + d * t) / (1 + d) - base) * 1000

    t0, t1 = min(t for t, _ in points), max(t for t, _ in points)
    if t1 - t0 <= 0:
        return None
    measured = [(t, (v - base) * 1000) for t, v in points]
    ys = [y for _, y in measured] + [line_ms(t0), line_ms(t1)]
    lo, hi = min(ys), max(ys)
    pad = max(0.1 * (hi - lo), 0.5)  # at least +-0.5 ms: a flat line is not blown up
    lo, hi = lo - pad, hi + pad
    inner_w = _PLOT_W - _MARGIN_L - _MARGIN_R
    inner_h = _PLOT_H - _MARGIN_T - _MARGIN_B

    def xy(t: float, y_ms: float) -> tuple[float, float]:
        x = _MARGIN_L + _INSET + (t - t0) / (t1 - t0) * (inner_w - 2 * _INSET)
        return round(x, 2), round(_MARGIN_T + (hi - y_ms) / (hi - lo) * inner_h, 2)

    drift_ms = line_ms(t1) - line_ms(t0)
    return DriftPlot(
        width=_PLOT_W,
        height=_PLOT_H,
        left=_MARGIN_L,
        bottom=_PLOT_H - _MARGIN_B,
        points=[xy(t, y) for t, y in measured],
        fit=(xy(t0, line_ms(t0)), xy(t1, line_ms(t1))),
        x_labels=(_clock(t0), _clock(t1)),
        y_labels=(f"{lo:+.1f} ms", f"{hi:+.1f} ms"),
        title=(
            f"{o.video.original_name}: {o.drift_ppm:+.1f} ppm, {drift_ms:+.1f} ms from "
            f"{_clock(t0)} to {_clock(t1)} on the reference's timeline"
        ),
        drift_ms=drift_ms,
    )


@dataclass(frozen=True)
class OffsetRow:
    """One video's line in the results table."""

    video_id: int
    name: str
    is_reference: bool
    synced: bool
    offset_s: float | None
    offset: str
    manual_offset: str
    confidence: float
    confidence_text: str
    band: str
    audio_offset: str
    visual_offset: str
    audio_visual_diff: str
    drift_ppm: str
    residual: str
    loop_residual_s: float | None
    loop_residual: str
    loops_closed: int
    low_confidence: bool
    disagree: bool
    placed_by_hand: bool = False
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reason: str | None = None
    drift_plot: DriftPlot | None = None


def not_synced_reason(o: VideoOffset) -> str | None:
    """Why the engine could not place this clip (``None`` when it did).

    The engine's notes on a clip list its most specific reason first (an error such as "no
    audio track" before its closing "not synced" note), so the first note is the reason.
    """
    if o.synced:
        return None
    return str(o.notes[0]) if o.notes else "no reliable match with the other clips"


def _disagree(o: VideoOffset) -> bool:
    return o.audio_video_diff_s is not None and o.audio_video_diff_s > DISAGREEMENT_S


def _warnings(o: VideoOffset) -> list[str]:
    warnings = []
    if not o.synced:
        if o.manual_offset_s is None:  # placed by hand: the user has dealt with it
            warnings.append(WARN_NOT_SYNCED)
    elif not o.is_reference and o.confidence < LOW_CONFIDENCE:
        warnings.append(WARN_LOW_CONFIDENCE.format(confidence=o.confidence))
    if _disagree(o):
        warnings.append(WARN_DISAGREE.format(diff_s=o.audio_video_diff_s))
    return warnings


def offset_rows(offsets: list[VideoOffset]) -> list[OffsetRow]:
    return [
        OffsetRow(
            video_id=o.video_id,
            name=o.video.original_name,
            is_reference=o.is_reference,
            synced=o.synced,
            offset_s=o.offset_s,
            offset=NO_ESTIMATE if o.offset_s is None else _seconds(o.offset_s),
            manual_offset=_seconds(o.manual_offset_s) if o.manual_offset_s is not None else "",
            confidence=o.confidence,
            confidence_text="" if o.is_reference else confidence_text(o.confidence),
            # The engine's band; the page shows "reference" for the reference (no rating).
            band=(o.band or band(o.confidence)) if o.is_reference else band(o.confidence),
            audio_offset=_seconds(o.audio_offset_s),
            visual_offset=_seconds(o.visual_offset_s),
            audio_visual_diff=_seconds(o.audio_video_diff_s, signed=False),
            drift_ppm="—" if o.drift_ppm is None else f"{o.drift_ppm:+.1f}",
            residual=_seconds(o.residual_s, signed=False, digits=4),
            loop_residual_s=o.loop_residual_s,
            loop_residual=_seconds(o.loop_residual_s, signed=False, digits=4),
            loops_closed=o.loops_closed,
            low_confidence=not o.is_reference and o.confidence < LOW_CONFIDENCE,
            disagree=_disagree(o),
            placed_by_hand=not o.synced and o.manual_offset_s is not None,
            warnings=_warnings(o),
            notes=[str(n) for n in o.notes],
            reason=not_synced_reason(o),
            drift_plot=None if o.is_reference else drift_plot(o),
        )
        for o in offsets
    ]


def plot_items(run: SyncRun) -> list[dict[str, str]]:
    """The run's debug plots as ``{url, title}``; the files themselves are checked when served."""
    return [
        {
            "url": reverse("run-plot", args=[run.pk, index]),
            "title": PurePath(str(path)).stem.replace("_", " "),
        }
        for index, path in enumerate(run.plots or [])
    ]


@dataclass(frozen=True)
class RunOutcome:
    """The run page's one-line answer to "what happened, and what now?"."""

    tone: str  # "ok", "warn" or "bad": the line's colour, and the status badge's
    text: str
    next_step: str
    badge: str  # the status badge's label


_OTHER_METHOD = {"audio": "Picture only", "visual": "Sound only"}


def _retry_hint(run: SyncRun) -> str:
    other = _OTHER_METHOD.get(run.method)
    if other:
        return f"or run again with '{other}'"
    return "or run again with another reference"


def run_outcome(run: SyncRun, offsets: list[VideoOffset]) -> RunOutcome | None:
    """What a finished run achieved, counted over its clips (the reference included).

    A clip counts as placed when the engine placed it or the user placed it by hand. ``None``
    while the run is unfinished, failed or cancelled (its status and error say enough).
    """
    if run.status != SyncRun.Status.DONE or not offsets:
        return None
    total = len(offsets)
    placed = [o for o in offsets if o.synced or o.manual_offset_s is not None]
    missing = total - len(placed)
    doubtful = [o for o in placed if o.synced and _warnings(o)]
    clips = "clip" if total == 1 else "clips"
    if len(placed) <= 1:
        others = f"{total - 1} other clip" + ("" if total == 2 else "s")
        return RunOutcome(
            tone="bad",
            text=f"None of the {others} could be placed against the reference.",
            next_step="Place them by hand in the player below, " + _retry_hint(run) + ".",
            badge="Done: nothing placed",
        )
    if missing:
        who = "1 needs you" if missing == 1 else f"{missing} need you"
        it = "it" if missing == 1 else "them"
        return RunOutcome(
            tone="warn",
            text=f"{len(placed)} of {total} {clips} placed; {who}.",
            next_step=f"Place {it} by hand in the player below, {_retry_hint(run)}.",
            badge="Done: partly placed",
        )
    if doubtful:
        n = len(doubtful)
        return RunOutcome(
            tone="warn",
            text=f"All {total} {clips} placed; {n} {'is' if n == 1 else 'are'} uncertain.",
            next_step="Check the flagged clips by eye in the player below before exporting.",
            badge=run.get_status_display(),
        )
    return RunOutcome(
        tone="ok",
        text=f"All {total} {clips} placed.",
        next_step="Check them by eye in the player or the check sheet, then export below.",
        badge=run.get_status_display(),
    )


def check_sheet_item(run: SyncRun) -> dict[str, Any] | None:
    """The run's check sheet for the page: ``{available, url}``; None until the run is done."""
    if run.status != SyncRun.Status.DONE:
        return None
    available = check_sheet_path(run).is_file()
    return {
        "available": available,
        "url": reverse("run-check-sheet", args=[run.pk]) if available else "",
    }


def run_page_extras(run: SyncRun, offsets: list[VideoOffset]) -> dict[str, Any]:
    """The run page's outcome line, band legend and check sheet (template context)."""
    return {
        "outcome": run_outcome(run, offsets),
        "band_legend": band_legend(),
        "check_sheet": check_sheet_item(run),
    }
