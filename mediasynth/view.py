"""Harder camera pictures of the synthetic scene: real viewpoints, handheld shake, auto exposure.

``view_frames`` renders what one camera sees of the scene of :mod:`mediasynth.video`:

- Viewpoint: the scene is a 4:3 canvas; the camera sees a rectangle of it ``zoom`` of the canvas
  height tall (its width follows the camera's aspect, so a 180x320 portrait phone sees a vertical
  slice), centred at ``center`` (canvas fractions), rolled by ``roll_deg``. The canvas is rendered
  at about one canvas pixel per camera pixel and resampled once (bilinear).
- Handheld shake: a smooth mean-reverting random walk (twice-smoothed Ornstein-Uhlenbeck) of the
  view centre, RMS ``shake`` of the frame height per axis, plus a rotation of RMS ``30 * shake``
  degrees; seeded per camera, a function of the frame index.
- Rolling shutter: rows are read out top to bottom over ``rolling_shutter`` of a frame, so a pan of
  ``v`` px/frame shears the picture by ``v * rolling_shutter`` px over its height (only the
  camera's own motion is skewed, not the scene's).
- Auto exposure: a gain that brings the mean level to 115/255 with a first-order lag of
  ``exposure_lag_s``: after a light switch the picture is too dark (or bright) and recovers.
- Lens blur: a Gaussian of ``blur_px`` pixels.

None of these moves a frame in time, so the picture's true offset is the camera's ``start_s``.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
from numpy.typing import NDArray

from mediasynth.video import render_float

__all__ = ["shake_path", "view_frames"]

_CANVAS_ASPECT = 4 / 3
_AE_TARGET = 115.0
_AE_GAIN = (0.4, 3.0)


def shake_path(n: int, *, fps: float, amount: float, seed: tuple[int, ...]) -> NDArray[np.float64]:
    """``[shape=(n, 3)]`` per-frame (dx, dy) in frame heights and roll in degrees; RMS ``amount``.

    A mean-reverting random walk with a ~0.4 s correlation time, smoothed twice over ~60 ms.
    """
    out = np.zeros((n, 3))
    if amount == 0 or n == 0:
        return out
    rng = np.random.default_rng([*seed, 707])
    theta = 1.0 - np.exp(-1.0 / (0.4 * fps))
    steps = rng.standard_normal((n + 40, 3))
    walk = np.zeros_like(steps)
    for k in range(1, steps.shape[0]):
        walk[k] = walk[k - 1] * (1.0 - theta) + steps[k]
    width = max(1, round(0.06 * fps))
    kernel = np.ones(width) / width
    for _ in range(2):
        walk = np.stack([np.convolve(walk[:, i], kernel, mode="same") for i in range(3)], axis=1)
    walk = walk[40:]
    walk /= walk.std(axis=0) + 1e-12
    return walk * [amount, amount, 30.0 * amount]


def view_frames(
    *,
    start_s: float,
    n_frames: int,
    fps: float,
    clock_scale: float,
    width: int,
    height: int,
    seed: int,
    kind: str,
    zoom: float,
    center: tuple[float, float],
    roll_deg: float,
    shake: float,
    rolling_shutter: float,
    exposure_lag_s: float,
    blur_px: float,
    brightness: float,
    camera_seed: tuple[int, ...],
) -> Iterator[NDArray[np.uint8]]:
    """The camera's RGB uint8 frames ``[shape=(height, width, 3)]`` (see the module docstring)."""
    canvas_h = 2 * round(height / zoom / 2)
    canvas_w = 2 * round(canvas_h * _CANVAS_ASPECT / 2)
    scale = zoom * canvas_h / height  # canvas pixels per camera pixel (~1)
    path = shake_path(n_frames, fps=fps, amount=shake, seed=camera_seed)
    velocity_x = np.gradient(path[:, 0]) * canvas_h if n_frames > 1 else np.zeros(n_frames)
    ae_alpha = 1.0 - np.exp(-1.0 / (fps * exposure_lag_s)) if exposure_lag_s > 0 else 1.0
    ae_level = None
    for k in range(n_frames):
        t_s = start_s + k / fps * clock_scale
        canvas = render_float(t_s, width=canvas_w, height=canvas_h, seed=seed, kind=kind)
        dx, dy, droll = path[k]
        angle = np.deg2rad(roll_deg + droll)
        cos, sin = np.cos(angle), np.sin(angle)
        shear = rolling_shutter * velocity_x[k] / height  # canvas px of x per camera row
        # Camera pixel (u, v) -> canvas pixel: centre + scale * R(angle) @ shear @ (p - centre).
        a = scale * np.array([[cos, -sin], [sin, cos]]) @ np.array([[1.0, shear], [0.0, 1.0]])
        c = np.array([center[0] * canvas_w + dx * canvas_h, center[1] * canvas_h + dy * canvas_h])
        p0 = np.array([0.5 - width / 2, 0.5 - height / 2])
        m = np.hstack([a, (c - 0.5 + a @ p0)[:, None]])
        frame = cv2.warpAffine(
            canvas,
            m,
            (width, height),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REFLECT101,
        )
        if blur_px > 0:
            frame = cv2.GaussianBlur(frame, (0, 0), sigmaX=blur_px)
        if exposure_lag_s > 0:
            mean = float(frame.mean())
            ae_level = mean if ae_level is None else ae_level + ae_alpha * (mean - ae_level)
            frame = frame * np.float32(np.clip(_AE_TARGET / max(ae_level, 1.0), *_AE_GAIN))
        frame = frame + np.float32(255.0 * brightness)
        yield np.clip(frame + 0.5, 0, 255).astype(np.uint8)
