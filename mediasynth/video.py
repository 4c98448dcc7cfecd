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

VIDEO_KINDS = ("blobs", "static", "loop", "stage", "party")

_N_BLOBS = 5
_N_TERMS = 3
_FLASH_SLOT_S = 3.0
_FLASH_LENGTH_S = 0.12
_FLASH_GAIN = 110.0
_INDEX_BIAS = 1 << 40  # SeedSequence entropy must be >= 0; flash slots may be negative
_PARTY_BLOBS = 9
_RADIUS = (0.07, 0.14)  # blob radius range, fraction of min(width, height)
_PARTY_TEXTURE = 777_777  # the party's background is another seed's texture
_LIGHT_RAMP_S = 0.04


@dataclass(frozen=True)
class _Lights:
    """Light switches: per ``slot_s`` slot, a switch (probability ``p``) to one of ``levels``."""

    slot_s: float
    levels: tuple[float, ...]
    p: float
    stream: int


_STAGE_LIGHTS = _Lights(slot_s=5.0, levels=(1.0, 0.75, 0.45, 0.3), p=0.7, stream=313)
_PARTY_LIGHTS = _Lights(slot_s=3.5, levels=(1.0, 0.6, 0.35, 0.2), p=0.8, stream=323)


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
        strict 1 s period and no flashes (repetitive motion). ``"stage"``: ``"blobs"`` under
        stage lights that switch between seeded levels (100/75/45/30 %) in most 5 s slots.
        ``"party"``: nine smaller blobs over another background, coloured lights that switch in
        most 3.5 s slots (down to 20 %) and strobe bursts of 3-5 flashes at 8 Hz.

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
    n_blobs = _PARTY_BLOBS if kind == "party" else _N_BLOBS
    scene = _party_scene(seed) if kind == "party" else _scene(seed)
    img = _texture(seed + (_PARTY_TEXTURE if kind == "party" else 0), width, height).copy()
    if kind == "static":
        xy = _positions(scene, 0.0)
    elif kind == "loop":
        xy = _loop_positions(scene, t_s)
    else:
        xy = _positions(scene, t_s) + _gestures(seed, t_s, n_blobs)
    size_px = min(width, height)
    for i in range(n_blobs):
        # Pixel i spans [i, i + 1) of the scene scaled to the frame, so its centre is i + 0.5.
        _draw_disc(
            img,
            x_px=xy[0, i] * width - 0.5,
            y_px=xy[1, i] * height - 0.5,
            radius_px=scene.radius[i] * size_px,
            color=scene.colors[i],
        )
    if kind in ("blobs", "stage"):
        img += _flash_level(seed, t_s)
    if kind == "stage":
        img *= np.float32(_light_level(seed, t_s, _STAGE_LIGHTS))
    elif kind == "party":
        level, tint = _party_light(seed, t_s)
        img *= (level * tint).astype(np.float32)
        img += np.float32(_strobe_level(seed, t_s))
    return img


@functools.lru_cache(maxsize=64)
def _party_scene(seed: int) -> _Scene:
    return _scene(seed, n_blobs=_PARTY_BLOBS, stream=111, radius=(0.04, 0.09))


@functools.lru_cache(maxsize=64)
def _scene(
    seed: int, n_blobs: int = _N_BLOBS, stream: int = 101, radius: tuple[float, float] = _RADIUS
) -> _Scene:
    rng = np.random.default_rng([seed, stream])
    amp = rng.uniform(0.3, 1.0, size=(2, n_blobs, _N_TERMS))
    # Keep every centre inside [0.1, 0.9] of the frame: the amplitudes sum to 0.4 per axis.
    amp *= 0.4 / amp.sum(axis=2, keepdims=True)
    hues = rng.permutation(n_blobs) / n_blobs + rng.uniform(0, 1)
    colors = 255.0 * (0.5 + 0.5 * np.cos(2 * np.pi * (hues[:, None] + [0.0, 1 / 3, 2 / 3])))
    warp_amp = rng.uniform(0.5, 1.0, size=_N_TERMS)
    return _Scene(
        colors=colors.astype(np.float32),
        radius=rng.uniform(*radius, size=n_blobs),
        amp=amp,
        freq_hz=rng.uniform(0.08, 0.35, size=(2, n_blobs, _N_TERMS)),
        phase=rng.uniform(0, 2 * np.pi, size=(2, n_blobs, _N_TERMS)),
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


@functools.lru_cache(maxsize=4096)
def _gesture_slot(
    seed: int, slot: int, n: int = _N_BLOBS
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Per 1 s slot: (onset_s, duration_s, displacement [shape=(2, n_blobs)], active mask)."""
    rng = np.random.default_rng([seed, 404, slot + _INDEX_BIAS])
    onset = slot + rng.uniform(0.0, 0.7, size=n)
    duration = rng.uniform(0.2, 0.5, size=n)
    angle = rng.uniform(0, 2 * np.pi, size=n)
    size = rng.uniform(0.04, 0.12, size=n)
    active = rng.random(n) < 0.45
    disp = np.stack([size * np.cos(angle), size * np.sin(angle)])
    return onset, duration, disp, active


def _gestures(seed: int, t_s: float, n: int = _N_BLOBS) -> NDArray[np.float64]:
    """Quick out-and-back moves (like a hand gesture) at seeded times: sharp motion events.

    Each blob makes a ``sin^2`` excursion of 0.04-0.12 frame sizes lasting 0.2-0.5 s in about
    half of the 1 s slots, so motion energy has distinct, non-periodic onsets, as real scenes do.
    """
    out = np.zeros((2, n))
    slot = int(np.floor(t_s))
    for k in (slot - 1, slot):  # a gesture starts in its slot and ends within 1.2 s
        onset, duration, disp, active = _gesture_slot(seed, k, n)
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


@functools.lru_cache(maxsize=4096)
def _light_slot(seed: int, slot: int, lights: _Lights) -> tuple[float, float | None, int]:
    """(level, switch time or None, colour index) of a slot: the level after its switch."""
    rng = np.random.default_rng([seed, lights.stream, slot + _INDEX_BIAS])
    switch = rng.random() < lights.p
    level = float(rng.choice(lights.levels))
    at_s = slot * lights.slot_s + rng.uniform(0.3, lights.slot_s - 0.3)
    return level, (at_s if switch else None), int(rng.integers(0, 4))


def _light_state(seed: int, t_s: float, lights: _Lights) -> tuple[float, int, float]:
    """(level, colour index, seconds since the last switch) at ``t_s``; 1.0 before any switch."""
    slot = int(np.floor(t_s / lights.slot_s))
    for k in range(slot, slot - 12, -1):  # the latest switch at or before t_s
        level, at_s, colour = _light_slot(seed, k, lights)
        if at_s is not None and at_s <= t_s:
            return level, colour, t_s - at_s
    return 1.0, 0, np.inf


def _light_level(seed: int, t_s: float, lights: _Lights) -> float:
    """Illumination at ``t_s``: the last switch's level, ramped over 40 ms from the one before."""
    level, _, since_s = _light_state(seed, t_s, lights)
    if since_s >= _LIGHT_RAMP_S:
        return level
    before, _, _ = _light_state(seed, t_s - since_s - 1e-6, lights)
    u = since_s / _LIGHT_RAMP_S
    return before + u * (level - before)


_TINTS = np.array([[1.0, 1.0, 1.0], [1.0, 0.7, 0.55], [0.6, 0.75, 1.0], [1.0, 0.55, 0.9]])


def _party_light(seed: int, t_s: float) -> tuple[float, NDArray[np.float64]]:
    """The party's light level and RGB tint (the tint switches with the level)."""
    _, colour, _ = _light_state(seed, t_s, _PARTY_LIGHTS)
    return _light_level(seed, t_s, _PARTY_LIGHTS), _TINTS[colour]


def _strobe_level(seed: int, t_s: float) -> float:
    """Strobe bursts: in a quarter of the 4 s slots, 3-5 flashes of 40 ms at 8 Hz."""
    slot = int(np.floor(t_s / 4.0))
    rng = np.random.default_rng([seed, 333, slot + _INDEX_BIAS])
    if rng.random() > 0.25:
        return 0.0
    onset_s, count = slot * 4.0 + rng.uniform(0.2, 3.0), int(rng.integers(3, 6))
    u = (t_s - onset_s) * 8.0
    if not 0.0 <= u < count or u % 1.0 >= 0.32:
        return 0.0
    return 150.0
