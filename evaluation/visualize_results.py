"""PNG charts of a benchmark run: error distribution, error vs offset and confidence, cost.

Usage::

    python -m evaluation.visualize_results [--preset small|full] [--out evaluation/output]

Reads only ``<out>/<preset>/results.json`` and, when present, ``metrics.json`` (otherwise the
scores are computed in memory with :func:`evaluation.compute_metrics.evaluate_results`), and writes
``<out>/<preset>/plots/*.png`` (see :data:`PLOTS` for the names and sizes).

Conventions
-----------
- Errors are ``|est - true|`` in milliseconds on log axes; errors under 1 us (audio lags are often
  exact to the sample) are drawn at the axis floor, 0.001 ms. Only syncable, non-reference clips
  the method synced have an error.
- The error CDF's denominator is every syncable clip, so a method's failures show as a curve that
  levels off below 100 %.
- The one-frame line is drawn at 30 fps (33.3 ms); the metrics use each clip's own rate.
- Colours per method come from :data:`PALETTE` (the engine's, :mod:`syncengine.plots`, plus the
  peers'); charts are drawn with matplotlib through :mod:`syncengine.plots`.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from evaluation.compute_metrics import evaluate_results
from evaluation.report import add_dataset_arguments, clip_rows, json_ready, load_json
from syncengine.constants import AGREEMENT_S, BAND_EDGES, CONFIDENCE_BANDS
from syncengine.plots import PALETTE as METHOD_COLOURS
from syncengine.plots import new_figure, save_png

#: The confidence bands' inner edges (0.2, 0.5, 0.8), drawn on the calibration plot.
_EDGES = BAND_EDGES[1:-1]

__all__ = ["PALETTE", "PLOTS", "main", "write_plots"]

PLOTS = {
    "error_cdf.png": (1000, 640),
    "error_vs_true_offset.png": (1000, 640),
    "confidence_vs_error.png": (1000, 640),
    "audio_vs_visual.png": (1300, 660),
    "runtime_memory.png": (1100, 560),
    "mae_by_tag.png": (1400, 610),
}
#: The engine's method colours plus one per peer, so a method looks the same in every chart.
PALETTE = {
    **METHOD_COLOURS,
    "syncstart": "#9467bd",
    "audalign": "#8c564b",
    "audio-offset-finder": "#e377c2",
}
FLOOR_MS, FRAME_30_MS = 0.001, 1000 / 30
_MARKERS = {"audio": "o", "visual": "s", "auto": "x"}
_SIZE = {"audio": 7}  # auto often lands on audio's point: a larger disc stays visible under it
_GRID = "#e6e6e6"


def _color(method: str) -> str:
    return PALETTE.get(method, PALETTE["other"])


def _errors(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with an error: syncable and synced; adds ``error_ms`` (at least the floor)."""
    out = []
    for r in rows:
        if r["syncable_ok"] and r["synced_ok"]:
            err_ms = 1e3 * abs(r["est_offset_s"] - r["true_offset_s"])
            out.append({**r, "error_ms": max(err_ms, FLOOR_MS)})
    return out


def _error_ylim(errors_ms: Sequence[float]) -> tuple[float, float]:
    """Log limits from half the floor (so floor markers show whole) to a decade above the max."""
    top = max([100.0, *errors_ms])
    return FLOOR_MS / 2, 10.0 ** math.ceil(math.log10(top) + 1e-9)


def _reach(values: Sequence[float]) -> float:
    """Symmetric axis half-width: the largest magnitude plus 5 %, at least 1."""
    return 1.05 * max([1.0, *[abs(v) for v in values]])


def _axes(
    ax: Axes,
    *,
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    xlabel: str = "",
    ylabel: str = "",
    title: str = "",
    xlog: bool = False,
    ylog: bool = False,
) -> Axes:
    """Limits, scales, labels and a light grid under the data."""
    if xlog:
        ax.set_xscale("log")
    if ylog:
        ax.set_yscale("log")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(color=_GRID)
    ax.set_axisbelow(True)
    return ax


def _scatter(
    ax: Axes, x: Sequence[float], y: Sequence[float], *, color: str, marker: str, **kw: Any
) -> None:
    """Markers ``"o"`` (filled disc), ``"x"`` or ``"s"`` (hollow square)."""
    size = kw.pop("size", 5)
    if marker == "s":
        kw |= {"facecolors": "none", "edgecolors": color}
    else:
        kw |= {"color": color}
    ax.scatter(x, y, marker=marker, s=(2 * size) ** 2, linewidths=1.5, **kw)


def _scatter_method(ax: Axes, x: Sequence[float], y: Sequence[float], method: str) -> None:
    marker = _MARKERS.get(method, "o")
    _scatter(ax, x, y, color=_color(method), marker=marker, size=_SIZE.get(method, 5), label=method)


def _by_method(rows: list[dict[str, Any]], methods: Sequence[str]) -> dict[str, list[dict]]:
    return {m: [r for r in rows if r["method"] == m] for m in methods}


def _dashed(ax: Axes, *, x: float | None = None, y: float | None = None, **kw: Any) -> None:
    """A dashed reference line across the plot at ``x`` (vertical) or ``y`` (horizontal)."""
    if x is not None:
        ax.axvline(x, linestyle="--", linewidth=1.5, **kw)
    else:
        ax.axhline(y, linestyle="--", linewidth=1.5, **kw)  # type: ignore[arg-type]


def plot_error_cdf(rows: list[dict[str, Any]], methods: Sequence[str], path: Path) -> Path:
    """Share of syncable clips within each error, per method (log x)."""
    figure = new_figure(*PLOTS[path.name], title="How close is each method? (cumulative error)")
    errs = _errors(rows)
    xlim = _error_ylim([e["error_ms"] for e in errs])
    ax = _axes(
        figure.subplots(),
        xlim=xlim,
        ylim=(0, 100),
        xlog=True,
        xlabel="|estimated - true offset| (ms, log scale; under 0.001 drawn at 0.001)",
        ylabel="% of syncable clips within",
    )
    for k, (method, mrows) in enumerate(_by_method(rows, methods).items()):
        n = sum(r["syncable_ok"] for r in mrows)
        e = np.sort([x["error_ms"] for x in errs if x["method"] == method])
        if not n:
            continue
        xs = [xlim[0], *np.repeat(e, 2), xlim[1]]
        ys = [0.0, *[100 * k / n for i in range(e.size) for k in (i, i + 1)], 100 * e.size / n]
        # earlier methods drawn wider, so a curve that coincides with a later one shows at its edges
        ax.plot(
            xs,
            ys,
            color=_color(method),
            linewidth=2 + 2 * (len(methods) - 1 - k),
            label=f"{method}: {e.size}/{n} synced",
            clip_on=False,  # a curve at 100 % is drawn whole on the frame, not half under it
        )
    _dashed(ax, x=10.0, color="#555555", label="10 ms")
    _dashed(ax, x=FRAME_30_MS, color="#d62728", label="one frame at 30 fps")
    ax.legend(loc="lower right")
    return save_png(figure, path)


def plot_error_vs_offset(rows: list[dict[str, Any]], methods: Sequence[str], path: Path) -> Path:
    """|error| against the true offset: is any part of the search range worse?"""
    figure = new_figure(*PLOTS[path.name], title="Error against true offset")
    errs = _errors(rows)
    reach = _reach([e["true_offset_s"] for e in errs])
    ax = _axes(
        figure.subplots(),
        xlim=(-reach, reach),
        ylim=_error_ylim([e["error_ms"] for e in errs]),
        ylog=True,
        xlabel="true offset (s; positive: the clip started after the reference)",
        ylabel="|error| (ms, log scale)",
    )
    for method in methods:
        pts = [e for e in errs if e["method"] == method]
        _scatter_method(ax, [p["true_offset_s"] for p in pts], [p["error_ms"] for p in pts], method)
    _dashed(ax, y=FRAME_30_MS, color="#d62728", label="one frame at 30 fps")
    ax.legend(loc="upper right")
    return save_png(figure, path)


def plot_confidence_vs_error(
    rows: list[dict[str, Any]], methods: Sequence[str], path: Path
) -> Path:
    """|error| against confidence, with the band edges; unsyncable clips marked at the top."""
    figure = new_figure(*PLOTS[path.name], title="Does confidence predict the error?")
    errs = _errors(rows)
    ylim = _error_ylim([e["error_ms"] for e in errs])
    ax = _axes(
        figure.subplots(),
        xlim=(0.0, 1.0),
        ylim=ylim,
        ylog=True,
        xlabel=f"confidence (band edges {' / '.join(f'{e:g}' for e in _EDGES)}: "
        f"{', '.join(name for _, name in reversed(CONFIDENCE_BANDS))})",
        ylabel="|error| (ms, log scale)",
    )
    for method in methods:
        pts = [e for e in errs if e["method"] == method]
        _scatter_method(
            ax, [p["confidence"] or 0.0 for p in pts], [p["error_ms"] for p in pts], method
        )
    top = ylim[1] / 2  # unsyncable clips have no error: draw their confidence along the top
    unsync = [r for r in rows if not r["syncable_ok"]]
    _scatter(
        ax,
        [r["confidence"] or 0.0 for r in unsync],
        [top] * len(unsync),
        color="#000000",
        marker="x",
        label="unsyncable clip (any method)",
    )
    for edge in _EDGES:
        _dashed(ax, x=edge, color="#888888", label="band edges" if edge == _EDGES[0] else None)
    _dashed(ax, y=FRAME_30_MS, color="#d62728", label="one frame at 30 fps")
    ax.legend(loc="lower left")
    return save_png(figure, path)


def _audio_visual_pairs(rows: list[dict[str, Any]]) -> list[tuple[float, float, bool]]:
    """(audio s, visual s, syncable) per clip: the run's own pair, else audio vs visual runs."""
    pairs: dict[tuple[str, str], tuple[float, float, bool]] = {}
    for r in rows:
        if r.get("audio_offset_s") is not None and r.get("visual_offset_s") is not None:
            pairs[(r["case_id"], r["name"])] = (
                r["audio_offset_s"],
                r["visual_offset_s"],
                r["syncable_ok"],
            )
    est = {(r["method"], r["case_id"], r["name"]): r for r in rows if r["synced_ok"]}
    for (method, case_id, name), r in est.items():
        other = est.get(("visual", case_id, name))
        if method == "audio" and other is not None and (case_id, name) not in pairs:
            pairs[(case_id, name)] = (r["est_offset_s"], other["est_offset_s"], r["syncable_ok"])
    return list(pairs.values())


def plot_audio_vs_visual(rows: list[dict[str, Any]], path: Path) -> Path:
    """Left: audio against visual estimate per clip (diagonal: agreement). Right: their gap."""
    figure = new_figure(*PLOTS[path.name], title="Audio and visual estimates of the same clip")
    pairs = _audio_visual_pairs(rows)
    reach = _reach([v for a, b, _ in pairs for v in (a, b)])
    left_ax, right_ax = figure.subplots(1, 2)
    left = _axes(
        left_ax,
        xlim=(-reach, reach),
        ylim=(-reach, reach),
        xlabel="audio offset (s)",
        ylabel="visual offset (s)",
        title="estimates",
    )
    gaps_ms = [max(1e3 * abs(a - b), FLOOR_MS) for a, b, _ in pairs]
    right = _axes(
        right_ax,
        xlim=(-reach, reach),
        ylim=_error_ylim(gaps_ms),
        ylog=True,
        xlabel="audio offset (s)",
        ylabel="|audio - visual| (ms, log)",
        title="disagreement",
    )
    left.plot((-reach, reach), (-reach, reach), color="#888888", label="agreement (y = x)")
    groups = (
        (
            f"within {AGREEMENT_S:g} s",
            "#2ca02c",
            "o",
            lambda a, b, s: s and abs(a - b) <= AGREEMENT_S,
        ),
        (
            f"more than {AGREEMENT_S:g} s apart",
            "#d62728",
            "o",
            lambda a, b, s: s and abs(a - b) > AGREEMENT_S,
        ),
        ("unsyncable clip", "#000000", "x", lambda a, b, s: not s),
    )
    for label, color, marker, keep in groups:
        pts = [(a, b) for a, b, s in pairs if keep(a, b, s)]
        _scatter(
            left,
            [p[0] for p in pts],
            [p[1] for p in pts],
            color=color,
            marker=marker,
            label=f"{label} ({len(pts)})",
        )
        _scatter(
            right,
            [p[0] for p in pts],
            [max(1e3 * abs(p[0] - p[1]), FLOOR_MS) for p in pts],
            color=color,
            marker=marker,
        )
    _dashed(right, y=AGREEMENT_S * 1e3, color="#d62728", label=f"{AGREEMENT_S:g} s agreement limit")
    _dashed(right, y=FRAME_30_MS, color="#888888", label="one frame at 30 fps")
    left.legend(loc="upper left")
    right.legend(loc="upper right")
    return save_png(figure, path)


def plot_runtime_memory(metrics: dict[str, Any], path: Path) -> Path:
    """Two bar panels: runtime per video minute and peak memory, per method."""
    figure = new_figure(*PLOTS[path.name], title="Cost per method")
    methods = list(metrics["methods"])
    pos = list(range(len(methods)))
    panels = (
        ("runtime_s_per_video_min", "seconds per video minute", "{:.2f} s"),
        ("peak_memory_mb", "peak memory (MB)", "{:.0f} MB"),
    )
    for ax, (key, label, fmt) in zip(figure.subplots(1, 2), panels, strict=True):
        values = [metrics["methods"][m].get(key) or 0.0 for m in methods]
        _axes(
            ax,
            xlim=(-0.6, len(methods) - 0.4),
            ylim=(0, max([*values, 1e-6]) * 1.2),
            ylabel=label,
            title=label,
        )
        bars = ax.bar(pos, values, width=0.6, color=[_color(m) for m in methods])
        ax.bar_label(bars, labels=[fmt.format(v) for v in values], padding=2)
        ax.set_xticks(pos, methods)
    return save_png(figure, path)


def plot_mae_by_tag(metrics: dict[str, Any], path: Path) -> Path:
    """Grouped bars: MAE (ms, log) per tag and method; a missing bar means nothing was synced."""
    figure = new_figure(*PLOTS[path.name], title="MAE by condition (missing bar: no clip synced)")
    methods = list(metrics["by_tag"])
    tags = sorted({t for m in methods for t in metrics["by_tag"][m]})
    values = [metrics["by_tag"][m].get(t, {}).get("mae_ms") for m in methods for t in tags]
    finite = [v for v in values if v is not None and math.isfinite(v)]
    ylim = _error_ylim(finite)
    ax = _axes(
        figure.subplots(),
        xlim=(-0.6, len(tags) - 0.4),
        ylim=ylim,
        ylog=True,
        ylabel="MAE (ms, log; floor 0.001)",
    )
    width = 0.8 / max(len(methods), 1)
    for k, m in enumerate(methods):
        xs = [i - 0.4 + width * (k + 0.5) for i in range(len(tags))]
        ys = [metrics["by_tag"][m].get(t, {}).get("mae_ms") for t in tags]
        heights = [math.nan if v is None else max(v, FLOOR_MS) for v in ys]
        # Bars rise from the axis floor (a log axis has no zero).
        tops = [h - ylim[0] for h in heights]
        ax.bar(xs, tops, bottom=ylim[0], width=width * 0.9, color=_color(m), label=m)
    ax.set_xticks(range(len(tags)), [t.replace("_", "\n", 1) for t in tags], fontsize=9)
    _dashed(ax, y=FRAME_30_MS, color="#d62728", label="one frame at 30 fps")
    ax.legend(loc="upper right")
    return save_png(figure, path)


def write_plots(results: dict[str, Any], metrics: dict[str, Any], plots_dir: Path) -> list[Path]:
    """Write every chart of :data:`PLOTS` into ``plots_dir``; returns the paths."""
    rows = clip_rows(results["runs"])
    methods = list(metrics["methods"])
    plots_dir = Path(plots_dir)
    return [
        plot_error_cdf(rows, methods, plots_dir / "error_cdf.png"),
        plot_error_vs_offset(rows, methods, plots_dir / "error_vs_true_offset.png"),
        plot_confidence_vs_error(rows, methods, plots_dir / "confidence_vs_error.png"),
        plot_audio_vs_visual(rows, plots_dir / "audio_vs_visual.png"),
        plot_runtime_memory(metrics, plots_dir / "runtime_memory.png"),
        plot_mae_by_tag(metrics, plots_dir / "mae_by_tag.png"),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(
        prog="python -m evaluation.visualize_results",
        description="Draw PNG charts from results.json.",
    )
    add_dataset_arguments(parser)
    args = parser.parse_args(argv)
    root = args.out / args.preset
    results = load_json(root / "results.json")
    metrics_path = root / "metrics.json"
    metrics = (
        load_json(metrics_path) if metrics_path.is_file() else json_ready(evaluate_results(results))
    )
    for path in write_plots(results, metrics, root / "plots"):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
