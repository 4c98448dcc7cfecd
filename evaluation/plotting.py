"""A small chart helper on Pillow: axes with ticks and labels, scatter, lines, bars and a legend.

Matplotlib is not in the stack; these charts need only ``PIL.ImageDraw``. A :class:`Canvas` holds
one or more :class:`Axes`; each axes draws its data on its own plot-area image, so points and
lines outside the limits are clipped at the frame, and is pasted onto the canvas on save.

Conventions
-----------
- Coordinates are data units; ``xlog`` / ``ylog`` axes take positive values (smaller ones are
  drawn at the lower limit) and get ticks at powers of ten.
- Sizes are pixels; colours are Pillow colour strings. ``PALETTE`` gives each method and peer
  one colour, so a method looks the same in every chart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

__all__ = ["PALETTE", "Axes", "Canvas", "linear_ticks", "log_ticks", "tick_label"]

PALETTE = {
    "audio": "#1f77b4",
    "visual": "#ff7f0e",
    "auto": "#2ca02c",
    "syncstart": "#9467bd",
    "audalign": "#8c564b",
    "audio-offset-finder": "#e377c2",
    "other": "#7f7f7f",
}
_GRID, _FRAME, _TEXT = "#e6e6e6", "#333333", "#222222"


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def linear_ticks(lo: float, hi: float, *, count: int = 6) -> list[float]:
    """Round tick values (1, 2, 2.5, 5 x 10^k steps) covering ``[lo, hi]``."""
    if not hi > lo:
        raise ValueError(f"empty axis range: [{lo}, {hi}]")
    raw = (hi - lo) / max(count - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    n = int(math.floor((hi - first) / step + 1e-9)) + 1
    return [round(first + i * step, 12) for i in range(n)]


def log_ticks(lo: float, hi: float) -> list[float]:
    """Powers of ten within ``[lo, hi]`` (both > 0)."""
    if not 0 < lo < hi:
        raise ValueError(f"log axis needs 0 < lo < hi, got [{lo}, {hi}]")
    return [
        10.0**k
        for k in range(math.ceil(math.log10(lo) - 1e-9), math.floor(math.log10(hi) + 1e-9) + 1)
    ]


def tick_label(value: float) -> str:
    """Short label: ``0.001``, ``2.5``, ``10000``, ``1e+05``."""
    if value == 0:
        return "0"
    if abs(value) >= 1e5 or abs(value) < 1e-3:
        return f"{value:.0e}"
    return f"{value:.3f}".rstrip("0").rstrip(".")


class Canvas:
    """A white image with an optional title; add :class:`Axes` with :meth:`axes`, then save."""

    def __init__(self, width: int = 1000, height: int = 640, *, title: str | None = None) -> None:
        self.image = Image.new("RGB", (width, height), "white")
        self.draw = ImageDraw.Draw(self.image)
        self._axes: list[Axes] = []
        if title:
            font = _font(22)
            w = self.draw.textlength(title, font=font)
            self.draw.text(((width - w) / 2, 10), title, fill=_TEXT, font=font)

    def axes(self, box: tuple[int, int, int, int], **kwargs: object) -> Axes:
        """New axes whose plot area is ``box`` = (left, top, right, bottom) pixels."""
        ax = Axes(self, box, **kwargs)  # type: ignore[arg-type]
        self._axes.append(ax)
        return ax

    def save(self, path: Path) -> Path:
        """Paste every axes (with its legend) and write a PNG."""
        for ax in self._axes:
            ax.finish()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.image.save(path, format="PNG")
        return path


class Axes:
    """One plot area with a frame, grid, ticks, axis labels and a legend."""

    def __init__(
        self,
        canvas: Canvas,
        box: tuple[int, int, int, int],
        *,
        xlim: tuple[float, float],
        ylim: tuple[float, float],
        xlabel: str = "",
        ylabel: str = "",
        title: str = "",
        xlog: bool = False,
        ylog: bool = False,
        xticks: Sequence[float] | None = None,
        xticklabels: Sequence[str] | None = None,
        legend_loc: str = "upper left",
    ) -> None:
        self.canvas, self.box, self.xlog, self.ylog = canvas, box, xlog, ylog
        self.xlim, self.ylim, self.legend_loc = xlim, ylim, legend_loc
        left, top, right, bottom = box
        self.plot = Image.new("RGB", (right - left, bottom - top), "white")
        self.draw = ImageDraw.Draw(self.plot)
        self._legend: list[tuple[str, str, str]] = []  # label, colour, kind
        xt = (
            list(xticks)
            if xticks is not None
            else (log_ticks(*xlim) if xlog else linear_ticks(*xlim))
        )
        yt = log_ticks(*ylim) if ylog else linear_ticks(*ylim)
        labels = list(xticklabels) if xticklabels is not None else [tick_label(v) for v in xt]
        self.xlabel_pad = 14 + 16 * max(label.count("\n") + 1 for label in labels) if labels else 30
        self._ticks(xt, labels, yt)
        self._labels(xlabel, ylabel, title)

    def _px(self, x: float, y: float) -> tuple[float, float]:
        """Data -> pixel position inside the plot-area image."""
        w, h = self.plot.size

        def frac(v: float, lim: tuple[float, float], log: bool) -> float:
            if log:
                v, lim = math.log10(max(v, lim[0] * 1e-3)), (math.log10(lim[0]), math.log10(lim[1]))
            return (v - lim[0]) / (lim[1] - lim[0])

        fx, fy = frac(x, self.xlim, self.xlog), frac(y, self.ylim, self.ylog)
        return fx * (w - 1), (1 - fy) * (h - 1)

    def _ticks(self, xt: Sequence[float], xlabels: Sequence[str], yt: Sequence[float]) -> None:
        d, font = self.canvas.draw, _font(14)
        left, top, _, bottom = self.box
        for v, label in zip(xt, xlabels, strict=True):
            px = left + self._px(v, self.ylim[0])[0]
            self.draw.line([(px - left, 0), (px - left, self.plot.height)], fill=_GRID)
            d.line([(px, bottom), (px, bottom + 5)], fill=_FRAME)
            for i, part in enumerate(label.split("\n")):  # multi-line category labels
                x = px - d.textlength(part, font=font) / 2
                d.text((x, bottom + 8 + 16 * i), part, fill=_TEXT, font=font)
        for v in yt:
            py = top + self._px(self.xlim[0], v)[1]
            self.draw.line([(0, py - top), (self.plot.width, py - top)], fill=_GRID)
            d.line([(left - 5, py), (left, py)], fill=_FRAME)
            label = tick_label(v)
            x = left - 8 - d.textlength(label, font=font)
            d.text((x, py - 8), label, fill=_TEXT, font=font)

    def _labels(self, xlabel: str, ylabel: str, title: str) -> None:
        d, font = self.canvas.draw, _font(16)
        left, top, right, bottom = self.box
        d.text(
            ((left + right - d.textlength(xlabel, font=font)) / 2, bottom + self.xlabel_pad),
            xlabel,
            fill=_TEXT,
            font=font,
        )
        if title:
            bold = _font(18)
            d.text(
                ((left + right - d.textlength(title, font=bold)) / 2, top - 28),
                title,
                fill=_TEXT,
                font=bold,
            )
        if ylabel:
            w = int(d.textlength(ylabel, font=font)) + 4
            strip = Image.new("RGB", (w, 22), "white")
            ImageDraw.Draw(strip).text((2, 2), ylabel, fill=_TEXT, font=font)
            strip = strip.rotate(90, expand=True)
            x = max(left - 80, 2)
            self.canvas.image.paste(strip, (x, int((top + bottom - strip.height) / 2)))

    def scatter(
        self,
        x: Sequence[float],
        y: Sequence[float],
        *,
        color: str,
        label: str | None = None,
        marker: str = "o",
        size: int = 4,
    ) -> None:
        """Markers ``"o"`` (filled disc), ``"x"`` or ``"s"`` (hollow square)."""
        for xv, yv in zip(x, y, strict=True):
            if not (math.isfinite(xv) and math.isfinite(yv)):
                continue
            px, py = self._px(xv, yv)
            box = [px - size, py - size, px + size, py + size]
            if marker == "x":
                self.draw.line(box, fill=color, width=2)
                self.draw.line([box[0], box[3], box[2], box[1]], fill=color, width=2)
            elif marker == "s":
                self.draw.rectangle(box, outline=color, width=2)
            else:
                self.draw.ellipse(box, fill=color, outline="white")
        if label:
            self._legend.append((label, color, marker))

    def line(
        self,
        x: Sequence[float],
        y: Sequence[float],
        *,
        color: str,
        label: str | None = None,
        width: int = 2,
        dashed: bool = False,
    ) -> None:
        """A polyline through finite points (``dashed`` draws 8 px on, 6 px off)."""
        pts = [
            self._px(a, b)
            for a, b in zip(x, y, strict=True)
            if math.isfinite(a) and math.isfinite(b)
        ]
        for p, q in zip(pts, pts[1:], strict=False):
            if not dashed:
                self.draw.line([p, q], fill=color, width=width)
                continue
            length = math.dist(p, q)
            for start in range(0, int(length), 14):
                t0, t1 = start / length, min(start + 8, length) / length
                self.draw.line(
                    [
                        (p[0] + (q[0] - p[0]) * t0, p[1] + (q[1] - p[1]) * t0),
                        (p[0] + (q[0] - p[0]) * t1, p[1] + (q[1] - p[1]) * t1),
                    ],
                    fill=color,
                    width=width,
                )
        if label:
            self._legend.append((label, color, "--" if dashed else "-"))

    def hline(self, y: float, *, color: str, label: str | None = None, dashed: bool = True) -> None:
        """A horizontal reference line across the plot."""
        self.line(self.xlim, (y, y), color=color, label=label, dashed=dashed)

    def vline(self, x: float, *, color: str, label: str | None = None, dashed: bool = True) -> None:
        """A vertical reference line across the plot."""
        self.line((x, x), self.ylim, color=color, label=label, dashed=dashed)

    def bars(
        self,
        positions: Sequence[float],
        heights: Sequence[float],
        *,
        color: str,
        width: float = 0.6,
        label: str | None = None,
        annotate: str | None = None,
    ) -> None:
        """Bars centred on ``positions`` (x units) rising from the lower y limit.

        ``annotate`` is a format string (``"{:.1f}"``) for the value written above each bar.
        """
        font = _font(13)
        for pos, h in zip(positions, heights, strict=True):
            if not math.isfinite(h):
                continue
            x0, y0 = self._px(pos - width / 2, h)
            x1, y1 = self._px(pos + width / 2, self.ylim[0])
            self.draw.rectangle([x0, y0, x1, y1], fill=color)
            if annotate:
                text = annotate.format(h)
                tw = self.draw.textlength(text, font=font)
                self.draw.text(((x0 + x1 - tw) / 2, max(y0 - 17, 2)), text, fill=_TEXT, font=font)
        if label:
            self._legend.append((label, color, "bar"))

    def text(self, x: float, y: float, s: str, *, color: str = _TEXT, size: int = 13) -> None:
        """Text whose top-left corner is at data point (x, y)."""
        self.draw.text(self._px(x, y), s, fill=color, font=_font(size))

    def finish(self) -> None:
        """Draw the legend and frame, paste the plot area onto the canvas."""
        if self._legend:
            self._draw_legend()
        left, top, right, bottom = self.box
        self.canvas.image.paste(self.plot, (left, top))
        self.canvas.draw.rectangle([left - 1, top - 1, right, bottom], outline=_FRAME)

    def _draw_legend(self) -> None:
        font, row = _font(14), 20
        w = 40 + max(int(self.draw.textlength(t, font=font)) for t, _, _ in self._legend)
        h = 8 + row * len(self._legend)
        x0 = 10 if "left" in self.legend_loc else self.plot.width - w - 10
        y0 = 10 if "upper" in self.legend_loc else self.plot.height - h - 10
        self.draw.rectangle([x0, y0, x0 + w, y0 + h], fill="white", outline="#999999")
        for i, (label, color, kind) in enumerate(self._legend):
            cy = y0 + 4 + row * i + row / 2
            if kind in ("-", "--"):
                dashes = [(6, 28)] if kind == "-" else [(6, 13), (19, 27)]
                for a, b in dashes:
                    self.draw.line([(x0 + a, cy), (x0 + b, cy)], fill=color, width=3)
            elif kind == "x":
                self.draw.line([x0 + 12, cy - 5, x0 + 22, cy + 5], fill=color, width=2)
                self.draw.line([x0 + 12, cy + 5, x0 + 22, cy - 5], fill=color, width=2)
            elif kind == "s":
                self.draw.rectangle([x0 + 12, cy - 5, x0 + 22, cy + 5], outline=color, width=2)
            elif kind == "bar":
                self.draw.rectangle([x0 + 8, cy - 6, x0 + 26, cy + 6], fill=color)
            else:
                self.draw.ellipse([x0 + 12, cy - 5, x0 + 22, cy + 5], fill=color)
            self.draw.text((x0 + 34, cy - 8), label, fill=_TEXT, font=font)
