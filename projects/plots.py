"""Debug plots of one sync run as PNG files: pair matrix, clip timeline, pair statistics,
correlation curves and motion energy.

They draw what :class:`syncengine.SyncResult` exposes: per pair and method the lag, confidence,
``peak_z``, ``margin_z`` and the (pooled) correlation curve; per video the offset, duration,
confidence, band and the (pooled) motion-energy series when the visual method ran.

Conventions
-----------
Times are seconds on the reference's timeline; a pair's lag ``lag_s = offset_j - offset_i``, so
the matrix cell in row ``r``, column ``c`` reads "column's offset minus row's offset".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from evaluation.plotting import PALETTE, Axes, Canvas, linear_ticks, tick_label
from syncengine import SyncResult, VideoOffset
from syncengine.types import Curve, PairEstimate

__all__ = [
    "BAND_COLOURS",
    "PLOT_FILES",
    "confidence_matrix_png",
    "correlation_curves_png",
    "motion_energy_png",
    "pair_stats_png",
    "run_plots_write",
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
#: The same colours as the bands on the web pages (static/css).
BAND_COLOURS = {"excellent": "#1b873f", "good": "#5a9e1c", "fair": "#d98e04", "poor": "#c8372d"}
_NOT_SYNCED, _TEXT, _GRID, _FRAME = "#9e9e9e", "#222222", "#e6e6e6", "#333333"
_PANEL_H = 170  # pixels per pair-statistics panel
# Pale red (confidence 0) -> pale yellow (0.5) -> green (1): dark text stays readable on all.
_SCALE = ((0.0, (248, 208, 204)), (0.5, (253, 240, 176)), (1.0, (124, 196, 127)))


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _short(name: str, limit: int = 28) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _confidence_colour(confidence: float) -> tuple[int, int, int]:
    c = min(1.0, max(0.0, confidence))
    for (c0, rgb0), (c1, rgb1) in zip(_SCALE, _SCALE[1:], strict=False):
        if c <= c1:
            t = (c - c0) / (c1 - c0)
            return tuple(round(a + (b - a) * t) for a, b in zip(rgb0, rgb1, strict=True))  # type: ignore[return-value]
    return _SCALE[-1][1]


def _centred(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int) -> None:
    font = _font(size)
    draw.text((xy[0] - draw.textlength(text, font=font) / 2, xy[1]), text, fill=_TEXT, font=font)


def confidence_matrix_png(
    pairs: Sequence[PairEstimate], *, names: Sequence[str], path: Path
) -> Path:
    """One heatmap per method: cell colour = pair confidence, text = lag in seconds."""
    methods = [m for m in ("audio", "visual") if any(p.method == m for p in pairs)] or ["audio"]
    n = len(names)
    cell = max(56, min(110, 560 // max(n, 1)))
    label_w = 40 + max(
        (int(_font(14).getlength(f"{k + 1}  {_short(s)}")) for k, s in enumerate(names)), default=0
    )
    panel_w = label_w + n * cell + 30
    width, top = max(40 + panel_w * len(methods), 620), 110
    height = top + n * cell + 90
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    _centred(draw, (width / 2, 10), "Pair confidence (colour) and lag (text)", 22)
    _centred(draw, (width / 2, 40), "cell = column's offset minus row's offset, seconds", 14)
    for m, method in enumerate(methods):
        x0 = 20 + m * panel_w + label_w
        _centred(draw, (x0 + n * cell / 2, top - 46), f"{method} pairs", 18)
        by_cell = {}
        for p in pairs:
            if p.method == method:
                by_cell[(p.i, p.j)] = (p.lag_s, p.confidence)
                by_cell[(p.j, p.i)] = (-p.lag_s, p.confidence)
        for r in range(n):
            font = _font(14)
            label = f"{r + 1}  {_short(names[r])}"
            ty = top + r * cell + cell / 2 - 8
            draw.text(
                (x0 - 10 - draw.textlength(label, font=font), ty), label, fill=_TEXT, font=font
            )
            _centred(draw, (x0 + r * cell + cell / 2, top - 22), str(r + 1), 14)
            for c in range(n):
                box = (x0 + c * cell, top + r * cell, x0 + (c + 1) * cell, top + (r + 1) * cell)
                _matrix_cell(draw, box, by_cell.get((r, c)), diagonal=r == c)
    _colour_bar(draw, (width / 2 - 150, height - 50), 300)
    return _save(image, path)


def _matrix_cell(
    draw: ImageDraw.ImageDraw,
    box: tuple[float, float, float, float],
    value: tuple[float, float] | None,
    *,
    diagonal: bool,
) -> None:
    fill = "#f0f0f0" if value is None else _confidence_colour(value[1])
    draw.rectangle(box, fill=fill, outline="white", width=2)
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    if diagonal:
        return
    if value is None:
        _centred(draw, (cx, cy - 8), "not measured" if box[2] - box[0] > 90 else "—", 12)
        return
    lag_s, confidence = value
    _centred(draw, (cx, cy - 18), f"{lag_s:+.3f}", 15)
    _centred(draw, (cx, cy + 2), f"conf {confidence:.2f}", 12)


def _colour_bar(draw: ImageDraw.ImageDraw, origin: tuple[float, float], length: int) -> None:
    x, y = origin
    for k in range(length):
        draw.line([(x + k, y), (x + k, y + 14)], fill=_confidence_colour(k / (length - 1)))
    draw.rectangle([x, y, x + length, y + 14], outline=_FRAME)
    for value in (0.0, 0.5, 1.0):
        _centred(draw, (x + value * length, y + 18), f"{value:.1f}", 12)
    font = _font(13)
    draw.text(
        (x - 10 - draw.textlength("confidence", font=font), y), "confidence", fill=_TEXT, font=font
    )


def timeline_png(videos: Sequence[VideoOffset], *, names: Sequence[str], path: Path) -> Path:
    """Each clip as a bar from its offset to offset + duration, coloured by its band."""
    placed = [(v.offset_s, v.offset_s + v.duration_s) for v in videos if v.offset_s is not None]
    lo = min((a for a, _ in placed), default=0.0)
    hi = max((b for _, b in placed), default=1.0)
    pad = max((hi - lo) * 0.03, 0.5)
    lo, hi = lo - pad, hi + pad
    row, label_w = 44, 60 + max((int(_font(14).getlength(_short(s))) for s in names), default=0)
    left, right, top = label_w, 1160, 80
    width, height = right + 40, top + row * len(videos) + 110
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    _centred(draw, (width / 2, 10), "Clips on the reference timeline", 22)
    _centred(
        draw, (width / 2, 40), "bar = offset to offset + duration; colour = confidence band", 14
    )
    bottom = top + row * len(videos)

    px = _reference_time_axis(draw, lo=lo, hi=hi, left=left, right=right, top=top, bottom=bottom)
    for k, (v, name) in enumerate(zip(videos, names, strict=True)):
        y = top + k * row
        font = _font(14)
        label = _short(name) + (" (ref)" if v.is_reference else "")
        draw.text(
            (left - 10 - draw.textlength(label, font=font), y + row / 2 - 8),
            label,
            fill=_TEXT,
            font=font,
        )
        if v.offset_s is None:
            draw.text((left + 8, y + row / 2 - 8), "not synced", fill=_NOT_SYNCED, font=font)
            continue
        colour = BAND_COLOURS.get(v.band, _NOT_SYNCED) if v.synced else _NOT_SYNCED
        box = (px(v.offset_s), y + 8, px(v.offset_s + v.duration_s), y + row - 8)
        draw.rectangle(box, fill=colour)
        text = f"{v.offset_s:+.3f} s  conf {v.confidence:.2f} ({v.band or '-'})"
        if draw.textlength(text, font=font) + 12 <= box[2] - box[0]:
            draw.text((box[0] + 6, y + row / 2 - 8), text, fill="white", font=font)
        else:  # a short clip: the label goes after its bar
            draw.text((box[2] + 6, y + row / 2 - 8), text, fill=_TEXT, font=font)
    draw.rectangle([left, top, right, bottom], outline=_FRAME)
    _band_legend(draw, (left, height - 36))
    return _save(image, path)


def _band_legend(draw: ImageDraw.ImageDraw, origin: tuple[float, float]) -> None:
    x, y = origin
    font = _font(13)
    for name, colour in [*BAND_COLOURS.items(), ("not synced", _NOT_SYNCED)]:
        draw.rectangle([x, y, x + 16, y + 14], fill=colour)
        draw.text((x + 22, y), name, fill=_TEXT, font=font)
        x += 40 + draw.textlength(name, font=font)


def pair_stats_png(pairs: Sequence[PairEstimate], *, names: Sequence[str], path: Path) -> Path:
    """Per pair and method: confidence, peak_z and margin_z (the statistics behind confidence)."""
    keys = sorted({(p.i, p.j) for p in pairs})
    methods = [m for m in ("audio", "visual") if any(p.method == m for p in pairs)]
    by_key = {(p.i, p.j, p.method): p for p in pairs}
    width = max(900, 160 + 90 * len(keys))
    canvas = Canvas(width, 900, title="Pair statistics per method")
    xlim = (-0.6, max(len(keys), 1) - 0.4)
    # The default font has no en dash; "1-2" reads as "videos 1 and 2".
    labels = [
        f"{i + 1}-{j + 1}\n{max(p.overlap_s for p in pairs if (p.i, p.j) == (i, j)):.1f} s"
        for i, j in keys
    ]
    rows = (
        ("confidence", "confidence", False),
        ("peak_z", "peak height (robust z)", True),
        ("margin_z", "lead over next peak (z)", True),
    )
    for r, (attr, ylabel, log) in enumerate(rows):
        values = [getattr(p, attr) for p in pairs]
        top = 80 + r * 260
        if log:
            hi = max([v for v in values if v > 0], default=10.0)
            # Headroom above the tallest bar for its value label.
            ylim = (0.1, 10.0 ** math.ceil(math.log10(hi * 3)))
        else:
            ylim = (0.0, 1.2)
        ax = canvas.axes(
            (110, top, width - 30, top + _PANEL_H),
            xlim=xlim,
            ylim=ylim,
            ylog=log,
            ylabel=ylabel,
            xticks=list(range(len(keys))),
            xticklabels=labels,
        )
        width_bar = 0.7 / max(len(methods), 1)
        for m, method in enumerate(methods):
            shift = (m - (len(methods) - 1) / 2) * width_bar
            heights = [
                getattr(by_key[(i, j, method)], attr) if (i, j, method) in by_key else float("nan")
                for i, j in keys
            ]
            _bars(
                ax,
                [k + shift for k in range(len(keys))],
                heights,
                width=width_bar * 0.9,
                color=PALETTE.get(method, PALETTE["other"]),
                log=log,
            )
    x = 20
    for method in methods:  # one legend for the three panels, under the title
        canvas.draw.rectangle([x, 50, x + 16, 64], fill=PALETTE.get(method, PALETTE["other"]))
        canvas.draw.text((x + 22, 50), method, fill=_TEXT, font=_font(14))
        x += 40 + int(canvas.draw.textlength(method, font=_font(14)))
    legend = "pairs: " + ", ".join(f"{k + 1} = {_short(s, 40)}" for k, s in enumerate(names))
    canvas.draw.text((20, 870), legend + "; under each pair: overlap", fill=_TEXT, font=_font(13))
    return canvas.save(Path(path))


def _bars(
    ax: Axes, xs: list[float], values: list[float], *, width: float, color: str, log: bool
) -> None:
    """Bars with their true values above; on a log axis a value under the floor sits on it."""
    if not log:
        ax.bars(xs, values, width=width, color=color, annotate="{:.2f}")
        return
    floor, ceiling = ax.ylim
    ax.bars(xs, [max(v, floor) for v in values], width=width, color=color)  # nan stays nan
    lift = (ceiling / floor) ** (18 / _PANEL_H)  # 18 px up on this log axis
    for x, v in zip(xs, values, strict=True):
        if math.isfinite(v):
            ax.text(x - width / 2, max(v, floor) * lift, f"{v:.1f}")


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
    panel_w, panel_h = 440, 250
    title = "Correlation curves per pair"
    if len(shown) < sum(p.curve is not None for p in pairs):
        title += f" (the {len(shown)} most confident)"
    canvas = Canvas(cols * panel_w + 40, 110 + rows * panel_h, title=title)
    canvas.draw.text(
        (20, 44),
        "y = |correlation| / its peak; x = lag = second clip's offset minus "
        "first clip's, s; dot and dashed line = chosen lag",
        fill=_TEXT,
        font=_font(14),
    )
    for k, p in enumerate(shown):
        assert p.curve is not None
        lags_s, values = (np.asarray(a, dtype=np.float64) for a in p.curve)
        peak = float(np.max(values)) or 1.0
        x0, y0 = 20 + (k % cols) * panel_w + 70, 110 + (k // cols) * panel_h
        lo, hi = float(lags_s[0]), float(lags_s[-1])
        if hi <= lo:
            lo, hi = lo - 1.0, hi + 1.0
        colour = PALETTE.get(p.method, PALETTE["other"])
        ax = canvas.axes(
            (x0, y0, x0 + panel_w - 90, y0 + panel_h - 80),
            xlim=(lo, hi),
            ylim=(0.0, 1.1),
            xlabel=f"lag, s (chosen {p.lag_s:+.3f} s)",
            title=f"{_short(names[p.i], 14)} vs {_short(names[p.j], 14)} "
            f"({p.method}) conf {p.confidence:.2f}",
        )
        ax.vline(p.lag_s, color="#999999")  # under the curve: a needle peak stays visible
        ax.line(list(lags_s), list(values / peak), color=colour, width=1)
        # The curve is pooled in blocks: the chosen lag's height is the best value within one.
        block_s = float(np.max(np.diff(lags_s))) if lags_s.size > 1 else 0.0
        near = values[np.abs(lags_s - p.lag_s) <= block_s]
        at = (float(near.max()) if near.size else float(np.interp(p.lag_s, lags_s, values))) / peak
        ax.scatter([p.lag_s], [at], color="#c8372d", size=5)
    if not shown:
        canvas.draw.text((20, 120), "no correlation curve was returned", fill=_TEXT, font=_font(16))
    return canvas.save(Path(path))


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
        lanes.append(
            (
                name,
                v,
                times_s + (shift_s or 0.0),
                np.minimum(energy / scale, 1.0),
                shift_s is not None,
            )
        )
    lo = min((float(t[0]) for _, _, t, _, _ in lanes if t is not None), default=0.0)
    hi = max((float(t[-1]) for _, _, t, _, _ in lanes if t is not None), default=1.0)
    pad = max((hi - lo) * 0.02, 0.2)
    lo, hi = lo - pad, hi + pad
    row = 80
    label_w = 50 + max((int(_font(14).getlength(_short(n) + " (ref)")) for n in names), default=0)
    left, right, top = label_w, label_w + 1000, 80
    bottom = top + row * max(len(lanes), 1)
    image = Image.new("RGB", (right + 40, bottom + 80), "white")
    draw = ImageDraw.Draw(image)
    _centred(draw, ((right + 40) / 2, 10), "Motion energy on the reference timeline", 22)
    _centred(
        draw,
        ((right + 40) / 2, 40),
        "each lane scaled to its 99th percentile; grey = not synced, drawn on its own time",
        14,
    )

    px = _reference_time_axis(draw, lo=lo, hi=hi, left=left, right=right, top=top, bottom=bottom)
    font = _font(14)
    for k, (name, v, times_s, level, synced) in enumerate(lanes):
        y = top + k * row
        if k:
            draw.line([(left, y), (right, y)], fill="#bbbbbb")
        label = _short(name) + (" (ref)" if v.is_reference else "")
        sub = f"{v.offset_s:+.3f} s" if synced and v.offset_s is not None else "not synced"
        draw.text(
            (left - 10 - draw.textlength(label, font=font), y + row / 2 - 18),
            label,
            fill=_TEXT,
            font=font,
        )
        draw.text(
            (left - 10 - draw.textlength(sub, font=font), y + row / 2 + 2),
            sub,
            fill=_TEXT if synced else _NOT_SYNCED,
            font=font,
        )
        if times_s is None or level is None:
            draw.text(
                (left + 8, y + row / 2 - 8),
                "no motion energy (no usable picture)",
                fill=_NOT_SYNCED,
                font=font,
            )
            continue
        points = [
            (px(t), y + row - 6 - e * (row - 14)) for t, e in zip(times_s, level, strict=True)
        ]
        draw.line(points, fill=PALETTE["visual"] if synced else _NOT_SYNCED, width=1)
    if not lanes:
        draw.text((left + 8, top + 30), "no motion energy was returned", fill=_TEXT, font=font)
    draw.rectangle([left, top, right, bottom], outline=_FRAME)
    return _save(image, path)


def _save(image: Image.Image, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG")
    return path


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


def _reference_time_axis(
    draw: ImageDraw.ImageDraw,
    *,
    lo: float,
    hi: float,
    left: float,
    right: float,
    top: float,
    bottom: float,
) -> Callable[[float], float]:
    """Grid, ticks and label of the reference timeline, a dashed line at its t=0; returns x(t)."""

    def px(t: float) -> float:
        return left + (t - lo) / (hi - lo) * (right - left)

    for t in linear_ticks(lo, hi, count=10):
        draw.line([(px(t), top), (px(t), bottom)], fill=_GRID)
        _centred(draw, (px(t), bottom + 6), tick_label(t), 13)
    _centred(draw, ((left + right) / 2, bottom + 26), "seconds on the reference timeline", 14)
    for y in range(int(top), int(bottom), 6):  # the reference's t=0, dashed
        draw.line([(px(0.0), y), (px(0.0), min(y + 3, bottom))], fill=_FRAME)
    return px
