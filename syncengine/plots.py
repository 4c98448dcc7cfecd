"""Debug plots of one sync result as PNG files, drawn with matplotlib (Agg, no display).

Five images of what :class:`syncengine.SyncResult` exposes: the pair matrix (per method, colour =
confidence, text = lag), the clips on the reference timeline, the pair statistics behind the
confidence (``confidence``, ``peak_z``, ``margin_z``), the (pooled) correlation curves and each
video's motion energy. :func:`run_plots_write` writes them all; the portal shows them on the run
page. :func:`new_figure` and :func:`save_png` are the shared figure helpers (the evaluation's
charts use them too).

Conventions
-----------
- Times are seconds on the reference's timeline; a pair's lag ``lag_s = offset_j - offset_i``, so
  the matrix cell in row ``r``, column ``c`` reads "column's offset minus row's offset".
- Figures are made with ``matplotlib.figure.Figure`` and the Agg canvas (never ``pyplot``: no
  global state, safe in worker threads) and laid out by matplotlib's constrained layout, so
  titles, labels and legends never overlap. A figure of ``width`` x ``height`` pixels is saved at
  100 dpi, so the PNG has exactly that size.
- Colours: :data:`PALETTE` gives each method one colour; :data:`BAND_COLOURS` are the bands'
  colours on the web pages (static/css).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from syncengine.types import Curve, PairEstimate, SyncResult, VideoOffset

__all__ = [
    "BAND_COLOURS",
    "PALETTE",
    "PLOT_FILES",
    "confidence_matrix_png",
    "correlation_curves_png",
    "motion_energy_png",
    "new_figure",
    "pair_stats_png",
    "run_plots_write",
    "save_png",
    "timeline_png",
]

#: The run page titles each plot after its file stem ("pair_confidence_matrix" -> words).
PLOT_FILES = (
    "pair_confidence_matrix.png",
    "timeline.png",
    "pair_statistics.png",
    "correlation_curves.png",
    "motion_energy.png",
)
MAX_CURVE_PANELS = 12
#: One colour per method, the same in every chart.
PALETTE = {"audio": "#1f77b4", "visual": "#ff7f0e", "auto": "#2ca02c", "other": "#7f7f7f"}
#: The same colours as the bands on the web pages (static/css).
BAND_COLOURS = {"excellent": "#1b873f", "good": "#5a9e1c", "fair": "#d98e04", "poor": "#c8372d"}
_NOT_SYNCED, _TEXT, _GRID = "#9e9e9e", "#222222", "#e6e6e6"
_DPI = 100
# Pale red (confidence 0) -> pale yellow (0.5) -> green (1): dark text stays readable on all.
_SCALE = LinearSegmentedColormap.from_list(
    "confidence", [(0.0, "#f8d0cc"), (0.5, "#fdf0b0"), (1.0, "#7cc47f")]
)


def new_figure(width: int, height: int, *, title: str = "", caption: str = "") -> Figure:
    """An empty ``width`` x ``height`` pixel figure with constrained layout, title and caption.

    The title is the figure's suptitle and the caption (how to read the chart) its supxlabel, at
    the bottom: the constrained layout keeps both clear of the axes.
    """
    figure = Figure(figsize=(width / _DPI, height / _DPI), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    if title:
        figure.suptitle(title, fontsize=15, fontweight="bold", color=_TEXT)
    if caption:
        figure.supxlabel(caption, fontsize=10, color="#555555")
    return figure


def save_png(figure: Figure, path: Path) -> Path:
    """Write ``figure`` as a PNG at its pixel size (parent folders created); returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=_DPI, facecolor="white")
    return path


def _short(name: str, limit: int = 28) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _colour(method: str) -> str:
    return PALETTE.get(method, PALETTE["other"])


def _methods(pairs: Sequence[PairEstimate]) -> list[str]:
    return [m for m in ("audio", "visual") if any(p.method == m for p in pairs)]


def confidence_matrix_png(
    pairs: Sequence[PairEstimate], *, names: Sequence[str], path: Path
) -> Path:
    """One heatmap per method: cell colour = pair confidence, text = lag in seconds."""
    methods = _methods(pairs) or ["audio"]
    n = max(len(names), 1)
    cell = max(56, min(110, 560 // n))
    label_w = 60 + 7 * max((len(_short(s)) for s in names), default=0)
    width = max(620, 40 + (label_w + n * cell + 30) * len(methods))
    figure = new_figure(
        width,
        180 + n * cell,
        title="Pair confidence (colour) and lag (text)",
        caption="cell = column's offset minus row's offset, seconds",
    )
    axes = figure.subplots(1, len(methods), squeeze=False)[0]
    image = None
    for ax, method in zip(axes, methods, strict=True):
        grid = np.full((n, n), np.nan)
        lags = np.full((n, n), np.nan)
        for p in pairs:
            if p.method == method:
                grid[p.i, p.j] = grid[p.j, p.i] = p.confidence
                lags[p.i, p.j], lags[p.j, p.i] = p.lag_s, -p.lag_s
        ax.set_facecolor("#f0f0f0")
        image = ax.imshow(grid, cmap=_SCALE, vmin=0.0, vmax=1.0, aspect="equal")
        for r in range(n):
            for c in range(n):
                if r != c:
                    _matrix_text(ax, r, c, lags[r, c], grid[r, c], wide=cell > 90)
        ax.set_title(f"{method} pairs", fontsize=12)
        ax.set_xticks(range(n), [str(k + 1) for k in range(n)])
        ax.set_yticks(range(n), [f"{k + 1}  {_short(s)}" for k, s in enumerate(names)])
        ax.xaxis.tick_top()
        ax.set_xticks(np.arange(-0.5, n), minor=True)
        ax.set_yticks(np.arange(-0.5, n), minor=True)
        ax.grid(which="minor", color="white", linewidth=2)
        ax.tick_params(which="minor", length=0)
    if image is not None:
        bar = figure.colorbar(image, ax=list(axes), orientation="horizontal", shrink=0.5)
        bar.set_label("confidence")
        bar.set_ticks([0.0, 0.5, 1.0])
    return save_png(figure, path)


def _matrix_text(ax: Axes, r: int, c: int, lag_s: float, confidence: float, *, wide: bool) -> None:
    if math.isnan(confidence):
        ax.text(c, r, "not measured" if wide else "—", ha="center", va="center", fontsize=8)
        return
    label = f"{lag_s:+.3f}\nconf {confidence:.2f}"
    ax.text(c, r, label, ha="center", va="center", fontsize=9, color=_TEXT)


def timeline_png(videos: Sequence[VideoOffset], *, names: Sequence[str], path: Path) -> Path:
    """Each clip as a bar from its offset to offset + duration, coloured by its band."""
    placed = [(v.offset_s, v.offset_s + v.duration_s) for v in videos if v.offset_s is not None]
    lo = min((a for a, _ in placed), default=0.0)
    hi = max((b for _, b in placed), default=1.0)
    pad = max((hi - lo) * 0.03, 0.5)
    lo, hi = lo - pad, hi + pad
    figure = new_figure(
        1200,
        190 + 44 * len(videos),
        title="Clips on the reference timeline",
        caption="bar = offset to offset + duration; colour = confidence band",
    )
    ax = figure.subplots()
    rows = range(len(videos))
    for k, v in zip(rows, videos, strict=True):
        if v.offset_s is None:
            ax.text(lo + 0.01 * (hi - lo), k, "not synced", va="center", color=_NOT_SYNCED)
            continue
        colour = BAND_COLOURS.get(v.band, _NOT_SYNCED) if v.synced else _NOT_SYNCED
        ax.barh(k, v.duration_s, left=v.offset_s, height=0.64, color=colour)
        text = f"{v.offset_s:+.3f} s  conf {v.confidence:.2f} ({v.band or '-'})"
        inside = v.duration_s >= 0.012 * len(text) * (hi - lo)  # ~7 px a character of 1100
        ax.text(
            v.offset_s + (0.005 * (hi - lo) if inside else v.duration_s + 0.005 * (hi - lo)),
            k,
            text,
            va="center",
            color="white" if inside else _TEXT,
            fontsize=10,
        )
    ax.axvline(0.0, color="#333333", linestyle="--", linewidth=1)
    labels = [
        _short(n) + (" (ref)" if v.is_reference else "") for n, v in zip(names, videos, strict=True)
    ]
    ax.set_yticks(list(rows), labels)
    ax.set_ylim(len(videos) - 0.5, -0.5)
    ax.set_xlim(lo, hi)
    ax.set_xlabel("seconds on the reference timeline")
    ax.grid(axis="x", color=_GRID)
    ax.set_axisbelow(True)
    bands = [*BAND_COLOURS.items(), ("not synced", _NOT_SYNCED)]
    figure.legend(
        handles=[Patch(color=c, label=b) for b, c in bands],
        loc="outside right upper",
        title="band",
    )
    return save_png(figure, path)


def pair_stats_png(pairs: Sequence[PairEstimate], *, names: Sequence[str], path: Path) -> Path:
    """Per pair and method: confidence, peak_z and margin_z (the statistics behind confidence)."""
    keys = sorted({(p.i, p.j) for p in pairs})
    methods = _methods(pairs)
    by_key = {(p.i, p.j, p.method): p for p in pairs}
    figure = new_figure(
        max(900, 160 + 90 * len(keys)),
        900,
        title="Pair statistics per method",
        caption="pairs: "
        + ", ".join(f"{k + 1} = {_short(s, 40)}" for k, s in enumerate(names))
        + "; under each pair: overlap",
    )
    axes = figure.subplots(3, 1, sharex=True)
    labels = [
        f"{i + 1}-{j + 1}\n{max(p.overlap_s for p in pairs if (p.i, p.j) == (i, j)):.1f} s"
        for i, j in keys
    ]
    rows = (
        ("confidence", "confidence", False),
        ("peak_z", "peak height (robust z)", True),
        ("margin_z", "lead over next peak (z)", True),
    )
    width = 0.7 / max(len(methods), 1)
    for ax, (attr, ylabel, log) in zip(axes, rows, strict=True):
        values = [getattr(p, attr) for p in pairs]
        if log:
            top = max([v for v in values if v > 0], default=10.0)
            floor, ceiling = 0.1, 10.0 ** math.ceil(math.log10(top * 3))  # room for value labels
            ax.set_yscale("log")
        else:
            floor, ceiling = 0.0, 1.2
        for m, method in enumerate(methods):
            shift = (m - (len(methods) - 1) / 2) * width
            heights = [
                getattr(by_key[(i, j, method)], attr) if (i, j, method) in by_key else math.nan
                for i, j in keys
            ]
            bars = ax.bar(
                [k + shift for k in range(len(keys))],
                [max(h, floor) if log else h for h in heights],  # on a log axis: floor, not gone
                width=width * 0.9,
                color=_colour(method),
                label=method,
            )
            shown = ["" if math.isnan(h) else f"{h:.1f}" if log else f"{h:.2f}" for h in heights]
            ax.bar_label(bars, labels=shown, fontsize=8, padding=2)
        ax.set_ylim(floor, ceiling)
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", color=_GRID)
        ax.set_axisbelow(True)
    axes[-1].set_xticks(range(len(keys)), labels)
    axes[-1].set_xlim(-0.6, max(len(keys), 1) - 0.4)
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside right upper", title="method")
    return save_png(figure, path)


def correlation_curves_png(
    pairs: Sequence[PairEstimate], *, names: Sequence[str], path: Path
) -> Path:
    """One panel per pair and method: |correlation| / peak against lag, the chosen lag marked.

    With more than ``MAX_CURVE_PANELS`` curves, the most confident ones are drawn.
    """
    shown = sorted((p for p in pairs if p.curve is not None), key=lambda p: -p.confidence)
    shown = sorted(shown[:MAX_CURVE_PANELS], key=lambda p: (p.i, p.j, p.method))
    cols = min(3, max(len(shown), 1))
    rows = max(1, math.ceil(len(shown) / cols))
    title = "Correlation curves per pair"
    if len(shown) < sum(p.curve is not None for p in pairs):
        title += f" (the {len(shown)} most confident)"
    figure = new_figure(
        cols * 440 + 40,
        110 + rows * 250,
        title=title,
        caption="y = |correlation| / its peak; x = lag = second clip's offset minus first "
        "clip's, s; dot and dashed line = chosen lag",
    )
    if not shown:
        figure.text(0.5, 0.5, "no correlation curve was returned", ha="center", fontsize=14)
        return save_png(figure, path)
    axes = figure.subplots(rows, cols, squeeze=False).ravel()
    for ax, p in zip(axes, shown, strict=False):
        _curve_panel(ax, p, names)
    for ax in axes[len(shown) :]:
        ax.set_axis_off()
    return save_png(figure, path)


def _curve_panel(ax: Axes, p: PairEstimate, names: Sequence[str]) -> None:
    assert p.curve is not None
    lags_s, values = (np.asarray(a, dtype=np.float64) for a in p.curve)
    peak = float(np.max(values)) or 1.0
    lo, hi = float(lags_s[0]), float(lags_s[-1])
    if hi <= lo:
        lo, hi = lo - 1.0, hi + 1.0
    ax.axvline(p.lag_s, color="#999999", linestyle="--", linewidth=1)  # under the curve
    ax.plot(lags_s, values / peak, color=_colour(p.method), linewidth=0.8)
    # The curve is pooled in blocks: the chosen lag's height is the best value within one.
    block_s = float(np.max(np.diff(lags_s))) if lags_s.size > 1 else 0.0
    near = values[np.abs(lags_s - p.lag_s) <= block_s]
    at = (float(near.max()) if near.size else float(np.interp(p.lag_s, lags_s, values))) / peak
    ax.plot([p.lag_s], [at], "o", color="#c8372d", markersize=5)
    ax.set_xlim(lo, hi)
    ax.set_ylim(0.0, 1.1)
    ax.set_xlabel(f"lag, s (chosen {p.lag_s:+.3f} s)", fontsize=9)
    ax.set_title(
        f"{_short(names[p.i], 14)} vs {_short(names[p.j], 14)} ({p.method}) conf "
        f"{p.confidence:.2f}",
        fontsize=10,
    )
    ax.grid(color=_GRID)
    ax.tick_params(labelsize=8)


def motion_energy_png(
    motion: Sequence[Curve | None],
    videos: Sequence[VideoOffset],
    *,
    names: Sequence[str],
    path: Path,
) -> Path:
    """Each video's motion energy in its own lane, shifted onto the reference timeline.

    A video that was not synced is drawn grey on its own file time, labelled "not synced"; one
    without a motion series gets a lane that says so.
    """
    lanes: list[tuple[str, VideoOffset, np.ndarray | None, np.ndarray | None, bool]] = []
    for series, v, name in zip(motion, videos, names, strict=True):
        if series is None:  # still a lane: a missing picture is worth seeing
            lanes.append((name, v, None, None, v.synced))
            continue
        times_s, energy = (np.asarray(a, dtype=np.float64) for a in series)
        shift_s = v.offset_s if v.synced and v.offset_s is not None else None
        scale = float(np.percentile(energy, 99)) or float(np.max(energy)) or 1.0
        level = np.minimum(energy / scale, 1.0)
        lanes.append((name, v, times_s + (shift_s or 0.0), level, shift_s is not None))
    lo = min((float(t[0]) for _, _, t, _, _ in lanes if t is not None), default=0.0)
    hi = max((float(t[-1]) for _, _, t, _, _ in lanes if t is not None), default=1.0)
    pad = max((hi - lo) * 0.02, 0.2)
    figure = new_figure(
        1300,
        190 + 80 * max(len(lanes), 1),
        title="Motion energy on the reference timeline",
        caption="each lane scaled to its 99th percentile; grey = not synced, drawn on its own time",
    )
    if not lanes:
        figure.text(0.5, 0.5, "no motion energy was returned", ha="center", fontsize=14)
        return save_png(figure, path)
    axes = figure.subplots(len(lanes), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (name, v, lane_s, lane_level, synced) in zip(axes, lanes, strict=True):
        sub = f"{v.offset_s:+.3f} s" if synced and v.offset_s is not None else "not synced"
        label = _short(name) + (" (ref)" if v.is_reference else "")
        ax.set_ylabel(f"{label}\n{sub}", rotation=0, ha="right", va="center", fontsize=10)
        ax.set_yticks([])
        ax.set_ylim(-0.05, 1.1)
        ax.axvline(0.0, color="#333333", linestyle="--", linewidth=1)
        ax.grid(axis="x", color=_GRID)
        if lane_s is None or lane_level is None:
            ax.text(lo, 0.5, " no motion energy (no usable picture)", va="center", color=_TEXT)
            continue
        ax.plot(
            lane_s, lane_level, color=PALETTE["visual"] if synced else _NOT_SYNCED, linewidth=0.8
        )
    axes[-1].set_xlim(lo - pad, hi + pad)
    axes[-1].set_xlabel("seconds on the reference timeline")
    return save_png(figure, path)


def run_plots_write(result: SyncResult, *, names: Sequence[str], out_dir: Path) -> list[Path]:
    """Write every debug plot of ``result`` into ``out_dir``; ``names`` label the videos in order.

    The pair statistics plot is skipped when the engine measured no pair, the correlation
    curves when no pair has a curve, the motion energy when no video has a motion series.
    """
    if len(names) != len(result.videos):
        raise ValueError(f"{len(names)} names for {len(result.videos)} videos")
    out_dir = Path(out_dir)
    matrix, timeline, stats, curves, motion = (out_dir / name for name in PLOT_FILES)
    written = [
        confidence_matrix_png(result.pairs, names=names, path=matrix),
        timeline_png(result.videos, names=names, path=timeline),
    ]
    if result.pairs:
        written.append(pair_stats_png(result.pairs, names=names, path=stats))
    if any(p.curve is not None for p in result.pairs):
        written.append(correlation_curves_png(result.pairs, names=names, path=curves))
    if any(m is not None for m in result.motion):
        written.append(motion_energy_png(result.motion, result.videos, names=names, path=motion))
    return written
