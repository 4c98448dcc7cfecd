"""Per-frame-pair measurements for visual sync: shake-compensated motion per grid cell.

Conventions
-----------
Frames are 2-D float32 gray images (0-255). :class:`FramePairMeter` holds nothing between calls
but its per-size scratch (window, grid); the caller keeps the previous frame. All measures are
in gray levels per frame pair (the caller divides by the frame interval).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft
from numpy.typing import NDArray

__all__ = ["GRID", "NOISE_LEVEL", "FramePairMeter"]

#: Per-pixel change, in gray levels, below which a pixel counts as noise (sensor noise, and the
#: re-quantisation of a whole picture at each keyframe, which would otherwise tick like a clock).
NOISE_LEVEL = 2.0
#: Cells across and down the frame (whatever its orientation).
GRID = (4, 4)
#: Global shifts below this (pixels) are left alone: resampling a still picture by a fraction of
#: a pixel softens its grain, which would read as motion everywhere.
_MIN_SHIFT_PX = 0.15
#: Shifts beyond this fraction of the frame are not shake but a cut or a whip pan: not removed.
_MAX_SHIFT_FRACTION = 0.2
#: Phase-correlation response below which a cell's shift is not trusted (no common texture).
_MIN_RESPONSE = 0.02
#: The shift is estimated on frames at most this wide (a 2x2 box-averaged level if larger)...
_SHIFT_WIDTH = 160
#: ... in each cell of a grid of this many cells across and down, ...
_SHIFT_CELLS = 3
#: ... and the cells within this many pixels (of that level) of their median must be a majority.
_AGREE_PX = 0.5


class FramePairMeter:
    """Measure what changed between two frames once the camera's own shift is removed.

    For ``prev`` and ``cur`` (same shape): the global translation ``s`` of the picture is
    estimated by phase correlation in each cell of a 3 x 3 grid (on a level at most 160 pixels
    wide), as the mean of the cells that agree with the cells' median, provided they are a
    majority, and ``prev`` is shifted onto ``cur``; then with ``d = cur - shifted(prev)`` and
    ``m = mean(cur) - mean(prev)``::

        excess = max(|d - m| - NOISE_LEVEL, 0)      (0 in the border band the shift uncovers)
        cells  = mean of excess over each cell of a GRID over the frame
        local  = mean(excess)

    :meth:`measure` returns ``(local, m, cells)``: ``local + |m|`` is the whole picture's change,
    ``m`` the signed brightness change (a flash, a light switch) and ``cells`` [shape=(n_cells,)]
    float32 the local motion per cell, row by row.
    """

    def __init__(self, shape: tuple[int, int]) -> None:
        self.shape = shape
        h, w = shape
        self._levels = 0
        while w > _SHIFT_WIDTH and h >= 2 * _SHIFT_CELLS * 12:
            w, h, self._levels = w // 2, h // 2, self._levels + 1
        self._small = (w, h)
        # cells tile the middle of the level, their sides multiples of 8 (fast FFT sizes)
        ch, cw = h // _SHIFT_CELLS // 8 * 8, w // _SHIFT_CELLS // 8 * 8
        self._cell = (ch, cw)
        self._origin = ((h - ch * _SHIFT_CELLS) // 2, (w - cw * _SHIFT_CELLS) // 2)
        self._window = (
            np.outer(np.hanning(ch), np.hanning(cw)).astype(np.float32)
            if min(ch, cw) >= 8
            else None
        )
        self._prev_spec: NDArray[np.complex64] | None = None
        self._cells = (GRID[0], GRID[1])
        self.last_shift = (0.0, 0.0)

    def _spectrum(self, img: NDArray[np.float32]) -> NDArray[np.complex64] | None:
        """Windowed spectra of the shift cells of ``img``'s small level [shape=(n, ch, cw//2+1)]."""
        import cv2

        if self._window is None:
            return None
        for _ in range(self._levels):
            img = cv2.resize(
                img, (img.shape[1] // 2, img.shape[0] // 2), interpolation=cv2.INTER_AREA
            )
        (ch, cw), (y0, x0), k = self._cell, self._origin, _SHIFT_CELLS
        cells = img[y0 : y0 + ch * k, x0 : x0 + cw * k].reshape(k, ch, k, cw).transpose(0, 2, 1, 3)
        cells = cells.reshape(k * k, ch, cw)
        cells = (cells - cells.mean(axis=(1, 2), keepdims=True)) * self._window
        return scipy.fft.rfft2(cells).astype(np.complex64)

    def _shift(
        self, prev_spec: NDArray[np.complex64] | None, cur_spec: NDArray[np.complex64] | None
    ) -> tuple[float, float]:
        """The camera's shift: the median of the cells' phase-correlation shifts, so things that
        move in less than half of the picture do not count, and only when most cells agree."""
        if prev_spec is None or cur_spec is None:
            return 0.0, 0.0
        ch, cw = self._cell
        cross = cur_spec * np.conj(prev_spec)
        cross /= np.abs(cross) + np.float32(1e-9)
        surface = scipy.fft.irfft2(cross, s=(ch, cw))
        flat = surface.reshape(surface.shape[0], -1).argmax(axis=1)
        py, px = np.divmod(flat, cw)
        rows = (py[:, None] + np.arange(-1, 2)[None, :]) % ch
        cols = (px[:, None] + np.arange(-1, 2)[None, :]) % cw
        n = np.arange(surface.shape[0])[:, None, None]
        patch = surface[n, rows[:, :, None], cols[:, None, :]]  # [cells, 3, 3] around each peak
        response = patch.sum(axis=(1, 2))
        weight = np.maximum(response, 1e-12)
        offs = np.arange(-1, 2, dtype=np.float64)
        dy = py + (patch.sum(axis=2) @ offs) / weight
        dx = px + (patch.sum(axis=1) @ offs) / weight
        dy = np.where(dy > ch / 2, dy - ch, dy)
        dx = np.where(dx > cw / 2, dx - cw, dx)
        good = response >= _MIN_RESPONSE
        n_cells = surface.shape[0]
        if 2 * int(good.sum()) <= n_cells:
            return 0.0, 0.0
        shifts = np.stack([dx[good], dy[good]], axis=1)
        med = np.median(shifts, axis=0)
        agree = np.hypot(*(shifts - med).T) <= _AGREE_PX
        if 2 * int(agree.sum()) <= n_cells:
            return 0.0, 0.0
        sx, sy = (shifts[agree].mean(axis=0) * float(1 << self._levels)).tolist()
        size = math.hypot(sx, sy)
        if size > _MAX_SHIFT_FRACTION * min(self.shape) or size < _MIN_SHIFT_PX:
            return 0.0, 0.0
        return float(sx), float(sy)

    def measure(
        self, prev: NDArray[np.float32], cur: NDArray[np.float32]
    ) -> tuple[float, float, NDArray[np.float32]]:
        import cv2

        cur_spec = self._spectrum(cur)
        prev_spec = self._prev_spec if self._prev_spec is not None else self._spectrum(prev)
        self._prev_spec = cur_spec
        dx, dy = self._shift(prev_spec, cur_spec)
        self.last_shift = (dx, dy)
        mean_change = float(cur.mean()) - float(prev.mean())
        h, w = cur.shape
        if dx or dy:
            warp = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]], dtype=np.float32)
            prev = cv2.warpAffine(
                prev, warp, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
            )
        diff = cur - prev
        diff -= np.float32(mean_change)
        np.abs(diff, out=diff)
        diff -= np.float32(NOISE_LEVEL)
        np.maximum(diff, 0.0, out=diff)
        if dx or dy:  # the band the shift uncovered holds no picture of prev
            bx, by = min(w, math.ceil(abs(dx)) + 1), min(h, math.ceil(abs(dy)) + 1)
            if dx > 0:
                diff[:, :bx] = 0.0
            elif dx < 0:
                diff[:, w - bx :] = 0.0
            if dy > 0:
                diff[:by] = 0.0
            elif dy < 0:
                diff[h - by :] = 0.0
        cells = cv2.resize(diff, self._cells, interpolation=cv2.INTER_AREA).reshape(-1)
        return float(diff.mean()), mean_change, cells.astype(np.float32)
