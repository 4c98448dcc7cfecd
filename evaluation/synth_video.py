"""Seeded synthetic continuous-time scenes: soft coloured blobs over a textured background.

Conventions
-----------
- A frame is a pure function of ``(t_s, seed, kind, width, height)``: no state is carried between
  frames, so a camera that samples the scene at ``start_s + k / fps`` sees sub-frame-exact times.
- Positions are in normalised scene coordinates (0..1 of the width and height) and the blob radius
  is a fraction of ``min(width, height)``, so a larger render of the same scene is a zoomed-in view
  once centre-cropped (which is how cameras mimic another viewpoint).
- Frames are RGB, ``[shape=(height, width, 3)]``; ``scene_frame`` returns uint8 and
  ``render_float`` the float32 frame (0..255) before rounding, so camera effects quantise once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["VIDEO_KINDS", "render_float", "scene_frame"]

VIDEO_KINDS = ("blobs", "static", "loop")

_N_BLOBS = 5
_N_TERMS = 3
_FLASH_SLOT_S = 3.0
_FLASH_LENGTH_S = 0.12
_FLASH_GAIN = 110.0
_INDEX_BIAS = 1 << 40  # SeedSequence entropy must be >= 0; flash slots may be negative


@dataclass(frozen=True)
class _Scene:
    colors: NDArray[np.float32]  # [shape=(n_blobs, 3)], 0..255
    radius: NDArray[np.float64]  # [shape=(n_blobs,)], fraction of min(width, height)
    amp: NDArray[np.float64]  # [shape=(2, n_blobs, n_terms)], x then y
    freq_hz: NDArray[np.float64]  # [shape=(2, n_blobs, n_terms)]
    phase: NDArray[np.float64]  # [shape=(2, n_blobs, n_terms)], radians
    warp_amp: NDArray[np.float64]  # [shape=(n_terms,)], speed modulation depths
    warp_freq_hz: NDArray[np.float64]  # [shape=(n_terms,)]
    warp_phase: NDArray[np.float64]  # [shape=(n_terms,)]


def scene_frame(
    t_s: float, *, width: int, height: int, seed: int = 0, kind: str = "blobs"
) -> NDArray[np.uint8]:
    """The scene at world time ``t_s`` as an RGB image.

    Parameters
    ----------
    t_s : float
        World time, seconds; may be negative.
    width, height : int
        Frame size, pixels.
    seed : int
        Scene seed (>= 0).
    kind : str
        ``"blobs"``: five soft discs on smooth trajectories whose common speed swings between
        ~5 % and ~195 % of nominal (so motion energy varies non-periodically), plus a ~0.12 s global
        brightness flash at a seeded time in most 3 s slots. ``"static"``: the same picture frozen
        at ``t_s = 0`` without flashes (zero motion). ``"loop"``: blobs on trajectories with a
        strict 1 s period and no flashes (repetitive motion).

    Returns
    -------
    NDArray[np.uint8]
        ``[shape=(height, width, 3)]`` RGB frame.

    Raises
    ------
    ValueError
        On an unknown ``kind``, a negative seed or a non-positive size.
    """
    frame = render_float(t_s, width=width, height=height, seed=seed, kind=kind)
    return np.clip(frame + 0.5, 0, 255).astype(np.uint8)


def render_float(
    t_s: float, *, width: int, height: int, seed: int = 0, kind: str = "blobs"
) -> NDArray[np.float32]:
    """``scene_frame`` before rounding: float32 RGB, nominally 0..255 (flashes may exceed it)."""
    if kind not in VIDEO_KINDS:
        raise ValueError(f"unknown video kind {kind!r}; expected one of {VIDEO_KINDS}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    if width <= 0 or height <= 0:
        raise ValueError(f"frame size must be positive, got {width}x{height}")
    scene = _scene(seed)
    img = _texture(seed, width, height).copy()
    if kind == "static":
        xy = _positions(scene, 0.0)
    elif kind == "loop":
        xy = _loop_positions(scene, t_s)
    else:
        xy = _positions(scene, t_s) + _gestures(seed, t_s)
    size_px = min(width, height)
    for i in range(_N_BLOBS):
        # Pixel i spans [i, i + 1) of the scene scaled to the frame, so its centre is i + 0.5.
        _draw_disc(
            img,
            x_px=xy[0, i] * width - 0.5,
            y_px=xy[1, i] * height - 0.5,
            radius_px=scene.radius[i] * size_px,
            color=scene.colors[i],
        )
    if kind == "blobs":
        img += _flash_level(seed, t_s)
    return img


@functools.lru_cache(maxsize=64)
def _scene(seed: int) -> _Scene:
    rng = np.random.default_rng([seed, 101])
    amp = rng.uniform(0.3, 1.0, size=(2, _N_BLOBS, _N_TERMS))
    # Keep every centre inside [0.1, 0.9] of the frame: the amplitudes sum to 0.4 per axis.
    amp *= 0.4 / amp.sum(axis=2, keepdims=True)
    hues = rng.permutation(_N_BLOBS) / _N_BLOBS + rng.uniform(0, 1)
    colors = 255.0 * (0.5 + 0.5 * np.cos(2 * np.pi * (hues[:, None] + [0.0, 1 / 3, 2 / 3])))
    warp_amp = rng.uniform(0.5, 1.0, size=_N_TERMS)
    return _Scene(
        colors=colors.astype(np.float32),
        radius=rng.uniform(0.07, 0.14, size=_N_BLOBS),
        amp=amp,
        freq_hz=rng.uniform(0.08, 0.35, size=(2, _N_BLOBS, _N_TERMS)),
        phase=rng.uniform(0, 2 * np.pi, size=(2, _N_BLOBS, _N_TERMS)),
        # Speed factor 1 + sum(warp_amp * cos(...)) stays in [0.05, 1.95].
        warp_amp=warp_amp * 0.95 / warp_amp.sum(),
        warp_freq_hz=rng.uniform(0.04, 0.25, size=_N_TERMS) * [1.0, 1.618, 2.414],
        warp_phase=rng.uniform(0, 2 * np.pi, size=_N_TERMS),
    )


def _positions(scene: _Scene, t_s: float) -> NDArray[np.float64]:
    """Blob centres ``[shape=(2, n_blobs)]`` at a warped time whose rate (speed) varies smoothly.

    The warped time is the closed-form integral of the speed factor, so it is exact at any t.
    """
    w = 2 * np.pi * scene.warp_freq_hz
    tau_s = t_s + np.sum(
        scene.warp_amp / w * (np.sin(w * t_s + scene.warp_phase) - np.sin(scene.warp_phase))
    )
    arg = 2 * np.pi * scene.freq_hz * tau_s + scene.phase
    return 0.5 + np.sum(scene.amp * np.sin(arg), axis=2)


def _loop_positions(scene: _Scene, t_s: float) -> NDArray[np.float64]:
    """Blob centres on integer-Hz harmonics only: the motion repeats exactly every second."""
    harmonics_hz = np.arange(1, _N_TERMS + 1)
    arg = 2 * np.pi * harmonics_hz * np.mod(t_s, 1.0) + scene.phase
    return 0.5 + np.sum(scene.amp * np.sin(arg), axis=2)


@functools.lru_cache(maxsize=16)
def _texture(seed: int, width: int, height: int) -> NDArray[np.float32]:
    """A smooth colour field plus fine grain, so the background is not flat (read-only cache)."""
    # The coarse field is resolution-independent (a zoomed render shows the same scene); only the
    # pixel grain depends on the size.
    coarse = np.random.default_rng([seed, 202]).uniform(40.0, 150.0, size=(7, 9, 3))
    # Bilinear upsampling as two interpolation matrices: field = Wy @ coarse @ Wx.T per channel.
    w_y = _linear_weights(coarse.shape[0], height)
    w_x = _linear_weights(coarse.shape[1], width)
    field = np.einsum("hi,ijc,wj->hwc", w_y, coarse, w_x)
    grain = np.random.default_rng([seed, 203, width, height]).normal(0.0, 8.0, (height, width, 1))
    out = (field + grain).astype(np.float32)
    out.flags.writeable = False
    return out


def _linear_weights(n_in: int, n_out: int) -> NDArray[np.float64]:
    """``[shape=(n_out, n_in)]`` linear-interpolation weights spanning the same extent."""
    x = (np.arange(n_out) + 0.5) / n_out * (n_in - 1)  # pixel centres, as for the blobs
    return np.stack([np.interp(x, np.arange(n_in), e) for e in np.eye(n_in)], axis=1)


def _draw_disc(
    img: NDArray[np.float32],
    *,
    x_px: float,
    y_px: float,
    radius_px: float,
    color: NDArray[np.float32],
) -> None:
    """Alpha-blend a disc with a soft edge (width 30 % of the radius) in place, sub-pixel exact."""
    height, width = img.shape[:2]
    x0, x1 = max(int(x_px - radius_px) - 1, 0), min(int(x_px + radius_px) + 2, width)
    y0, y1 = max(int(y_px - radius_px) - 1, 0), min(int(y_px + radius_px) + 2, height)
    if x0 >= x1 or y0 >= y1:
        return
    dx = np.arange(x0, x1, dtype=np.float32) - np.float32(x_px)
    dy = np.arange(y0, y1, dtype=np.float32)[:, None] - np.float32(y_px)
    dist = np.sqrt(dx * dx + dy * dy)
    soft = np.float32(0.3 * radius_px)
    alpha = np.clip((np.float32(radius_px) - dist) / soft, 0.0, 1.0)[..., None]
    patch = img[y0:y1, x0:x1]
    patch += alpha * (color - patch)


@functools.lru_cache(maxsize=256)
@functools.lru_cache(maxsize=4096)
def _gesture_slot(seed: int, slot: int) -> tuple[NDArray[np.float64], ...]:
    """Per 1 s slot: (onset_s, duration_s, displacement [shape=(2, n_blobs)], active mask)."""
    rng = np.random.default_rng([seed, 404, slot + _INDEX_BIAS])
    onset = slot + rng.uniform(0.0, 0.7, size=_N_BLOBS)
    duration = rng.uniform(0.2, 0.5, size=_N_BLOBS)
    angle = rng.uniform(0, 2 * np.pi, size=_N_BLOBS)
    size = rng.uniform(0.04, 0.12, size=_N_BLOBS)
    active = rng.random(_N_BLOBS) < 0.45
    disp = np.stack([size * np.cos(angle), size * np.sin(angle)])
    return onset, duration, disp, active


def _gestures(seed: int, t_s: float) -> NDArray[np.float64]:
    """Quick out-and-back moves (like a hand gesture) at seeded times: sharp motion events.

    Each blob makes a ``sin^2`` excursion of 0.04-0.12 frame sizes lasting 0.2-0.5 s in about
    half of the 1 s slots, so motion energy has distinct, non-periodic onsets, as real scenes do.
    """
    out = np.zeros((2, _N_BLOBS))
    slot = int(np.floor(t_s))
    for k in (slot - 1, slot):  # a gesture starts in its slot and ends within 1.2 s
        onset, duration, disp, active = _gesture_slot(seed, k)
        u = (t_s - onset) / duration
        live = active & (u >= 0.0) & (u < 1.0)
        out += disp * np.where(live, np.sin(np.pi * np.clip(u, 0.0, 1.0)) ** 2, 0.0)
    return out


def _flash_time_s(seed: int, slot: int) -> float | None:
    """Onset of the flash in a 3 s slot (world seconds), or None for a slot without one."""
    rng = np.random.default_rng([seed, 303, slot + _INDEX_BIAS])
    if rng.random() < 0.2:
        return None
    return slot * _FLASH_SLOT_S + rng.uniform(0.2, _FLASH_SLOT_S - 0.2 - _FLASH_LENGTH_S)


def _flash_level(seed: int, t_s: float) -> float:
    """Brightness added at ``t_s``: a raised-cosine pulse, entirely inside its slot."""
    onset_s = _flash_time_s(seed, int(np.floor(t_s / _FLASH_SLOT_S)))
    if onset_s is None or not 0.0 <= t_s - onset_s < _FLASH_LENGTH_S:
        return 0.0
    x = (t_s - onset_s) / _FLASH_LENGTH_S
    return float(_FLASH_GAIN * 0.5 * (1.0 - np.cos(2 * np.pi * x)))
