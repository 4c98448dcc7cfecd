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
        import cv2

        self.shape = shape
        h, w = shape
        self._levels = 0
        while w > _SHIFT_WIDTH and h >= 2 * _SHIFT_CELLS * 12:
            w, h, self._levels = w // 2, h // 2, self._levels + 1
        self._small = (w, h)
        cw, ch = w // _SHIFT_CELLS, h // _SHIFT_CELLS
        self._boxes = [(slice(r * ch, (r + 1) * ch), slice(c * cw, (c + 1) * cw))
                       for r in range(_SHIFT_CELLS) for c in range(_SHIFT_CELLS)]  # fmt: skip
        self._window = cv2.createHanningWindow((cw, ch), cv2.CV_32F) if min(cw, ch) >= 8 else None
        self._prev_small: NDArray[np.float32] | None = None
        self._cells = (GRID[0], GRID[1])
        self.last_shift = (0.0, 0.0)

    def _pyramid(self, img: NDArray[np.float32]) -> NDArray[np.float32]:
        import cv2

        for _ in range(self._levels):
            img = cv2.resize(img, (img.shape[1] // 2, img.shape[0] // 2),
                             interpolation=cv2.INTER_AREA)  # fmt: skip
        return img

    def _shift(self, small_prev: NDArray[np.float32], small_cur: NDArray[np.float32]
               ) -> tuple[float, float]:  # fmt: skip
        """The camera's shift: the median of the cells' phase-correlation shifts, so things that
        move in less than half of the picture do not count, and only when most cells agree."""
        import cv2

        if self._window is None:
            return 0.0, 0.0
        found = []
        for rows, cols in self._boxes:
            (dx, dy), response = cv2.phaseCorrelate(
                np.ascontiguousarray(small_prev[rows, cols]),
                np.ascontiguousarray(small_cur[rows, cols]), self._window)  # fmt: skip
            if response >= _MIN_RESPONSE and math.isfinite(dx) and math.isfinite(dy):
                found.append((dx, dy))
        if 2 * len(found) <= len(self._boxes):
            return 0.0, 0.0
        shifts = np.asarray(found)
        med = np.median(shifts, axis=0)
        agree = np.hypot(*(shifts - med).T) <= _AGREE_PX
        if 2 * int(agree.sum()) <= len(self._boxes):
            return 0.0, 0.0
        dx, dy = (shifts[agree].mean(axis=0) * float(1 << self._levels)).tolist()
        size = math.hypot(dx, dy)
        if size > _MAX_SHIFT_FRACTION * min(self.shape) or size < _MIN_SHIFT_PX:
            return 0.0, 0.0
        return float(dx), float(dy)

    def measure(
        self, prev: NDArray[np.float32], cur: NDArray[np.float32]
    ) -> tuple[float, float, NDArray[np.float32]]:
        import cv2

        small_cur = self._pyramid(cur)
        small_prev = self._prev_small if self._prev_small is not None else self._pyramid(prev)
        self._prev_small = small_cur
        dx, dy = self._shift(small_prev, small_cur)
        self.last_shift = (dx, dy)
        mean_change = float(cur.mean()) - float(prev.mean())
        h, w = cur.shape
        if dx or dy:
            warp = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]], dtype=np.float32)
            prev = cv2.warpAffine(prev, warp, (w, h), flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
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

