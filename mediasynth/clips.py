"""Deterministic synthetic multi-camera clips with known ground-truth offsets.

One seeded "world" (``world_audio`` + ``scene_frame``) exists in continuous time, including
negative times. Each camera (``CameraSpec``) records it from world time ``start_s`` for
``duration_s`` with its own frame rate, sample rate, microphone and lens effects, and
``write_clip`` encodes that recording to H.264/AAC with ffmpeg.

Conventions
-----------
- Ground truth: the offset of camera B relative to reference A is ``B.start_s - A.start_s``
  seconds; positive means B started later. This is the engine's ``offset_s`` sign convention.
- Clip sample ``k`` (audio) is world time ``start_s + k / sample_rate_hz * (1 + drift_ppm * 1e-6)``
  and frame ``k`` is world time ``start_s + k / fps * (1 + drift_ppm * 1e-6)``.
- Audio is cut from the 48 kHz world with sub-sample accuracy: a band-limited (FFT phase ramp)
  fractional shift places the start exactly, then ``scipy.signal.resample_poly`` converts the rate
  and applies drift (drift is approximated by a ratio with a denominator <= 10000, i.e. to ~1e-8).
- Camera effects act in world time at 48 kHz before the cut, with 0.5 s of world history so the
  reverb tail and filters are the same whatever the start. Lowpass is zero-phase and the reverb
  keeps its direct path at lag 0, so neither moves the true offset.
- Everything is seeded: the world by ``seed + world_seed``, camera noise and reverb by
  ``(seed + world_seed, name)``. ``"unrelated"`` audio or video comes from the world of another
  seed; ``"shared_music"`` audio too, except that its song (a layered ``audio_kind`` with a
  ``song_*`` layer, see :mod:`mediasynth.world`) is this world's, heard ``song_shift_s``
  later: another recording that shares only the background music.
- The harder microphone and picture fields (``world_seed`` ... ``blur_px``, see ``CameraSpec``)
  are applied by :mod:`mediasynth.room` and :mod:`mediasynth.view`; at their defaults
  a camera is rendered exactly as before they existed.
- Microphone chain (world time, 48 kHz): room (``rt60_s``/``drr_db``, or the short ``reverb``),
  lowpass, gain, band-pass (``band_hz``), wind and handling, AGC, clipping; then the cut and the
  noise floor.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
import time
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy import signal
from scipy.io import wavfile

from mediasynth.audio import (
    AUDIO_KINDS,
    WORLD_RATE_HZ,
    apply_microphone,
    fractional_advance,
    world_audio,
)
from mediasynth.room import agc, cheap_mic, clip, room_impulse_response, wind_and_handling
from mediasynth.video import VIDEO_KINDS, render_float, scene_frame
from mediasynth.view import view_frames
from mediasynth.world import is_layered, layered_audio

__all__ = [
    "WORLD_RATE_HZ",
    "CameraSpec",
    "SynthError",
    "camera_audio",
    "camera_frames",
    "scene_frame",
    "world_audio",
    "write_clip",
    "write_clips",
    "write_disguised_concat",
    "write_disguised_playlist",
    "write_not_media",
    "write_truncated",
]

_UNRELATED_SEED_OFFSET = 1_000_003
_PRE_MARGIN_S = 0.5  # world history before the cut: reverb (0.3 s) and filter start-up
_POST_MARGIN_S = 0.25
_RESAMPLE_PREROLL_S = 0.05  # resample_poly assumes zeros before its input; discard this much
_SECOND_CHANNEL_GAIN = 10.0 ** (-0.5 / 20.0)  # stereo: the right channel is 0.5 dB quieter
_FFMPEG_TIMEOUT_S = 600.0


class SynthError(RuntimeError):
    """ffmpeg failed or timed out while writing a synthetic clip; carries its last stderr line."""


@dataclass(frozen=True)
class CameraSpec:
    """One camera's recording of the world (see the module Conventions for the time mapping).

    ``audio``: ``"world"``, ``"none"`` (no audio stream), ``"silent"`` (digital silence: all
    microphone effects and noise are skipped), ``"unrelated"`` or ``"shared_music"`` (see the
    module Conventions); ``video``: one of ``mediasynth.video.VIDEO_KINDS`` or
    ``"unrelated"`` (the ``"blobs"`` scene of another seed). ``audio_kind`` is one of
    ``AUDIO_KINDS`` or a layered kind of :mod:`mediasynth.world`.
    ``noise_db`` is the RMS of an added white noise floor in dBFS; ``crop`` is the kept fraction of
    the frame (to the nearest pixel), scaled back to ``width x height``; ``brightness`` is added as
    a fraction of full scale; ``drift_ppm`` > 0 means the camera clock runs fast.

    Harder conditions (defaults: off): ``world_seed`` is added to the event seed; ``rt60_s`` and
    ``drr_db`` a real room (``room.room_impulse_response``); ``band_hz`` a cheap capsule's
    band-pass; ``agc`` automatic gain control; ``clip_mode`` ("soft"/"hard") clipping after
    ``drive_db``; ``wind_db`` wind gusts and ``handling`` handling noise. Picture
    (``mediasynth.view``): ``zoom`` (visible fraction of the scene height, with ``center``),
    ``roll_deg``, ``shake``, ``rolling_shutter``, ``exposure_lag_s`` and ``blur_px``;
    ``unrelated_scene`` is the scene kind that ``video="unrelated"`` shows (another seed's).
    """

    name: str
    start_s: float
    duration_s: float
    fps: float = 30.0
    width: int = 320
    height: int = 240
    sample_rate_hz: int = 48000
    channels: int = 1
    audio: str = "world"
    video: str = "blobs"
    audio_kind: str = "mixed"
    container: str = "mp4"
    gain_db: float = 0.0
    noise_db: float | None = None
    lowpass_hz: float | None = None
    reverb: bool = False
    crop: float = 1.0
    brightness: float = 0.0
    drift_ppm: float = 0.0
    world_seed: int = 0
    song_shift_s: float = 0.0
    rt60_s: float | None = None
    drr_db: float = 3.0
    band_hz: tuple[float, float] | None = None
    agc: bool = False
    clip_mode: str | None = None
    drive_db: float = 0.0
    wind_db: float | None = None
    handling: bool = False
    zoom: float = 1.0
    center: tuple[float, float] = (0.5, 0.5)
    roll_deg: float = 0.0
    shake: float = 0.0
    rolling_shutter: float = 0.0
    exposure_lag_s: float = 0.0
    blur_px: float = 0.0
    unrelated_scene: str = "blobs"

    def __post_init__(self) -> None:
        checks = {
            "name": bool(self.name) and not set(self.name) & set("/\\\0"),
            "duration_s": self.duration_s > 0,
            "fps": self.fps > 0,
            "width": self.width >= 16 and self.width % 2 == 0,
            "height": self.height >= 16 and self.height % 2 == 0,
            "sample_rate_hz": isinstance(self.sample_rate_hz, int)
            and 8000 <= self.sample_rate_hz <= 96000,
            "channels": self.channels in (1, 2),
            "audio": self.audio in ("world", "none", "silent", "unrelated", "shared_music"),
            "video": self.video in (*VIDEO_KINDS, "unrelated"),
            "audio_kind": self.audio_kind in AUDIO_KINDS or is_layered(self.audio_kind),
            "container": self.container in ("mp4", "mov", "mkv"),
            "lowpass_hz": self.lowpass_hz is None or 0 < self.lowpass_hz < WORLD_RATE_HZ / 2,
            "crop": 0 < self.crop <= 1,
            "brightness": -1 <= self.brightness <= 1,
            "drift_ppm": abs(self.drift_ppm) < 10_000,
            "world_seed": isinstance(self.world_seed, int) and self.world_seed >= 0,
            "song_shift_s": self.song_shift_s == 0
            or (self.audio == "shared_music" and "song_" in self.audio_kind),
            "rt60_s": self.rt60_s is None or 0.05 <= self.rt60_s <= 5.0,
            "band_hz": self.band_hz is None or 0 < self.band_hz[0] < self.band_hz[1] < 20000,
            "clip_mode": self.clip_mode in (None, "soft", "hard"),
            "zoom": 0.2 <= self.zoom <= 1,
            "center": all(0 <= c <= 1 for c in self.center),
            "shake": 0 <= self.shake <= 0.2,
            "rolling_shutter": 0 <= self.rolling_shutter <= 1,
            "exposure_lag_s": self.exposure_lag_s >= 0,
            "blur_px": self.blur_px >= 0,
            "unrelated_scene": self.unrelated_scene in VIDEO_KINDS,
        }
        for field, ok in checks.items():
            if not ok:
                raise ValueError(f"bad CameraSpec.{field}: {getattr(self, field)!r}")

    @property
    def clock_scale(self) -> float:
        """World seconds per clip second: ``1 + drift_ppm * 1e-6``."""
        return 1.0 + self.drift_ppm * 1e-6

    @property
    def extended_picture(self) -> bool:
        """True when a picture field of the harder conditions is set (``view`` renders)."""
        return (
            self.zoom,
            tuple(self.center),
            self.roll_deg,
            self.shake,
            self.rolling_shutter,
            self.exposure_lag_s,
            self.blur_px,
        ) != (1.0, (0.5, 0.5), 0.0, 0.0, 0.0, 0.0, 0.0)

    @property
    def extended(self) -> bool:
        """True when this camera needs the harder synthesis (it cannot be cut from an original)."""
        return (
            self.extended_picture
            or is_layered(self.audio_kind)
            or self.video in ("stage", "party")
            or self.audio == "shared_music"
            or self.world_seed != 0
            or self.unrelated_scene != "blobs"
            or (self.rt60_s, self.band_hz, self.agc, self.clip_mode, self.wind_db, self.handling)
            != (None, None, False, None, None, False)
        )

    @property
    def n_frames(self) -> int:
        """Number of video frames, ``round(duration_s * fps)``."""
        return round(self.duration_s * self.fps)


def camera_audio(spec: CameraSpec, *, seed: int = 0) -> NDArray[np.float32] | None:
    """What the camera's microphone records, or None when ``spec.audio == "none"``.

    Returns
    -------
    NDArray[np.float32] or None
        ``[shape=(round(duration_s * sample_rate_hz), channels)]`` samples in [-1, 1].
    """
    rate = spec.sample_rate_hz
    n_out = round(spec.duration_s * rate)
    if spec.audio == "none":
        return None
    if spec.audio == "silent":
        return np.zeros((n_out, spec.channels), dtype=np.float32)
    seed += spec.world_seed
    stranger = spec.audio in ("unrelated", "shared_music")
    world_seed = seed + (_UNRELATED_SEED_OFFSET if stranger else 0)
    # World 48 kHz samples per output sample; Fraction keeps 44.1 kHz exact (160/147).
    step = Fraction(WORLD_RATE_HZ, rate) * (1 + Fraction(spec.drift_ppm) / 1_000_000)
    step = step.limit_denominator(10_000)
    preroll = 0 if step == 1 else math.ceil(_RESAMPLE_PREROLL_S * rate)
    first_pos = spec.start_s * WORLD_RATE_HZ - preroll * float(step)  # world samples, fractional
    pre_s = _PRE_MARGIN_S if spec.rt60_s is None else max(_PRE_MARGIN_S, 1.05 * spec.rt60_s + 0.1)
    pre = round(pre_s * WORLD_RATE_HZ)
    first_world = math.floor(first_pos) - pre
    post = round(_POST_MARGIN_S * WORLD_RATE_HZ)
    n_world = pre + math.ceil((preroll + n_out) * float(step)) + post
    if is_layered(spec.audio_kind):
        x = layered_audio(
            spec.audio_kind,
            start_s=first_world / WORLD_RATE_HZ,
            duration_s=n_world / WORLD_RATE_HZ,
            seed=world_seed,
            song_seed=seed if spec.audio == "shared_music" else world_seed,
            song_shift_s=spec.song_shift_s,
        )
    else:
        x = world_audio(
            start_s=first_world / WORLD_RATE_HZ,
            duration_s=n_world / WORLD_RATE_HZ,
            seed=world_seed,
            kind=spec.audio_kind,
        ).astype(np.float64)
    if spec.rt60_s is not None:
        ir = room_impulse_response(
            rt60_s=spec.rt60_s, drr_db=spec.drr_db, seed=(seed, _name_key(spec.name))
        )
        x = signal.oaconvolve(x, ir)[: x.size]
    x = apply_microphone(
        x,
        gain_db=spec.gain_db,
        lowpass_hz=spec.lowpass_hz,
        reverb_seed=(seed, _name_key(spec.name)) if spec.reverb else None,
    )
    x = _capsule(x, spec, seed=seed)
    x = fractional_advance(x, frac=first_pos - math.floor(first_pos))[pre:]
    if step != 1:
        x = signal.resample_poly(x, step.denominator, step.numerator)
    mono = x[preroll : preroll + n_out]
    out = np.stack([mono, mono * _SECOND_CHANNEL_GAIN][: spec.channels], axis=1)
    if spec.noise_db is not None:
        rng = np.random.default_rng([seed, _name_key(spec.name), 1])
        out += 10.0 ** (spec.noise_db / 20.0) * rng.standard_normal(out.shape)
    return np.clip(out, -1.0, 1.0).astype(np.float32)


def _capsule(x: NDArray[np.float64], spec: CameraSpec, *, seed: int) -> NDArray[np.float64]:
    """The cheap-microphone part of the chain: band-pass, wind and handling, AGC, clipping."""
    if spec.band_hz is not None:
        x = cheap_mic(x, band_hz=spec.band_hz)
    if spec.wind_db is not None or spec.handling:
        x = x + wind_and_handling(
            x.size, wind_db=spec.wind_db, handling=spec.handling, seed=(seed, _name_key(spec.name))
        )
    if spec.agc:
        x = agc(x)
    if spec.clip_mode is not None:
        x = clip(x, drive_db=spec.drive_db, mode=spec.clip_mode)
    return x


def camera_frames(spec: CameraSpec, *, seed: int = 0) -> Iterator[NDArray[np.uint8]]:
    """The camera's RGB frames ``[shape=(height, width, 3)]``, lazily, ``spec.n_frames`` of them."""
    kind = spec.unrelated_scene if spec.video == "unrelated" else spec.video
    seed += spec.world_seed
    scene_seed = seed + (_UNRELATED_SEED_OFFSET if spec.video == "unrelated" else 0)
    if spec.extended_picture:
        yield from view_frames(
            start_s=spec.start_s,
            n_frames=spec.n_frames,
            fps=spec.fps,
            clock_scale=spec.clock_scale,
            width=spec.width,
            height=spec.height,
            seed=scene_seed,
            kind=kind,
            zoom=spec.zoom,
            center=spec.center,
            roll_deg=spec.roll_deg,
            shake=spec.shake,
            rolling_shutter=spec.rolling_shutter,
            exposure_lag_s=spec.exposure_lag_s,
            blur_px=spec.blur_px,
            brightness=spec.brightness,
            camera_seed=(seed, _name_key(spec.name)),
        )
        return
    # Crop = render the scene larger and keep the centre: a zoomed view with no resampling blur.
    full_w = max(spec.width, 2 * round(spec.width / spec.crop / 2))
    full_h = max(spec.height, 2 * round(spec.height / spec.crop / 2))
    x0, y0 = (full_w - spec.width) // 2, (full_h - spec.height) // 2
    for k in range(spec.n_frames):
        t_s = spec.start_s + k / spec.fps * spec.clock_scale
        frame = render_float(t_s, width=full_w, height=full_h, seed=scene_seed, kind=kind)
        frame = frame[y0 : y0 + spec.height, x0 : x0 + spec.width] + 255.0 * spec.brightness
        yield np.clip(frame + 0.5, 0, 255).astype(np.uint8)


def write_clip(
    spec: CameraSpec, out_dir: Path, *, seed: int = 0, ffmpeg_bin: str | None = None
) -> Path:
    """Render ``spec`` and encode it as H.264 (ultrafast, yuv420p) + AAC 128 kb/s.

    Parameters
    ----------
    spec : CameraSpec
        The camera. Output goes to ``out_dir / f"{spec.name}.{spec.container}"``.
    out_dir : Path
        Created if missing. The file appears only once ffmpeg has succeeded.
    seed : int
        World seed shared by all cameras of one event.
    ffmpeg_bin : str or None
        ffmpeg executable; None means ``imageio_ffmpeg.get_ffmpeg_exe()``.

    Returns
    -------
    Path
        The written clip.

    Raises
    ------
    SynthError
        If ffmpeg fails or takes longer than 600 s.
    """
    ffmpeg = ffmpeg_bin or _default_ffmpeg()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / f"{spec.name}.{spec.container}"
    rate = str(Fraction(spec.fps).limit_denominator(1001))  # 29.97... -> "30000/1001"
    with tempfile.TemporaryDirectory(prefix="synth-") as tmp:
        argv = [
            ffmpeg,
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            f"{spec.width}x{spec.height}",
            "-framerate",
            rate,
            "-i",
            "pipe:0",
        ]
        audio = camera_audio(spec, seed=seed)
        if audio is not None:
            wav = Path(tmp) / "audio.wav"
            wavfile.write(wav, spec.sample_rate_hz, audio)
            argv += [
                "-i",
                str(wav),
                "-map",
                "0:v:0",
                "-map",
                "1:a:0",
                "-c:a",
                "aac",
                "-b:a",
                "128k",
                "-ar",
                str(spec.sample_rate_hz),
                "-ac",
                str(spec.channels),
            ]
        else:
            argv += ["-map", "0:v:0", "-an"]
        staged = Path(tmp) / final.name
        argv += [
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-g",
            str(max(1, round(2 * spec.fps))),
            "-r",
            rate,
            str(staged),
        ]
        _encode(argv, camera_frames(spec, seed=seed), stderr_path=Path(tmp) / "stderr.txt")
        shutil.move(staged, final)
    return final


def write_clips(
    specs: Sequence[CameraSpec], out_dir: Path, *, seed: int = 0, ffmpeg_bin: str | None = None
) -> dict[str, Path]:
    """``write_clip`` for several cameras of one world (two at a time); maps name -> path."""
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"camera names must be unique, got {names}")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            spec.name: pool.submit(write_clip, spec, out_dir, seed=seed, ffmpeg_bin=ffmpeg_bin)
            for spec in specs
        }
        return {name: future.result() for name, future in futures.items()}


def _default_ffmpeg() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _name_key(name: str) -> int:
    """A stable per-camera seed component (``hash`` is salted per process)."""
    return zlib.crc32(name.encode("utf-8"))


def _encode(argv: list[str], frames: Iterator[NDArray[np.uint8]], *, stderr_path: Path) -> None:
    """Run ffmpeg, feeding raw frames on stdin; raise ``SynthError`` on failure or timeout."""
    deadline = time.monotonic() + _FFMPEG_TIMEOUT_S
    with open(stderr_path, "wb") as err:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err)
        try:
            try:
                with proc.stdin:  # type: ignore[union-attr]
                    for frame in frames:
                        if time.monotonic() > deadline:
                            raise SynthError(f"ffmpeg timed out after {_FFMPEG_TIMEOUT_S:.0f} s")
                        proc.stdin.write(frame.tobytes())  # type: ignore[union-attr]
            except BrokenPipeError:
                pass  # ffmpeg quit early; its exit code and stderr say why
            returncode = proc.wait(timeout=max(deadline - time.monotonic(), 1.0))
        except subprocess.TimeoutExpired as exc:
            raise SynthError(f"ffmpeg timed out after {_FFMPEG_TIMEOUT_S:.0f} s") from exc
        finally:
            if proc.poll() is None:  # never leave ffmpeg running behind an exception
                proc.kill()
                proc.wait()
    if returncode != 0:
        lines = stderr_path.read_text(errors="replace").strip().splitlines()
        raise SynthError(f"ffmpeg failed ({returncode}): {lines[-1] if lines else 'no output'}")


# Bad files for error-path tests -------------------------------------------------------------


def write_truncated(src: Path, dst: Path, *, keep_fraction: float) -> Path:
    """Copy the first ``keep_fraction`` (0..1) of ``src``'s bytes to ``dst``: a cut-off download."""
    if not 0.0 <= keep_fraction <= 1.0:
        raise ValueError(f"keep_fraction must be in [0, 1], got {keep_fraction}")
    data = Path(src).read_bytes()
    Path(dst).write_bytes(data[: int(len(data) * keep_fraction)])
    return Path(dst)


def write_not_media(dst: Path) -> Path:
    """A plain text file (name it ``*.mp4``): not media at all."""
    Path(dst).write_text("This is not a video file, whatever its name says.\n", encoding="utf-8")
    return Path(dst)


def write_disguised_playlist(dst: Path, *, target: Path) -> Path:
    """An HLS playlist that points at ``target`` (name it ``*.mp4``): must not be followed."""
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        "#EXT-X-TARGETDURATION:10",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXTINF:10.0,",
        Path(target).resolve().as_uri(),
        "#EXT-X-ENDLIST",
    ]
    Path(dst).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Path(dst)


def write_disguised_concat(dst: Path, *, target: Path) -> Path:
    """An ffconcat script that includes ``target`` (name it ``*.mp4``): must not be followed."""
    quoted = str(Path(target).resolve()).replace("'", "'\\''")
    Path(dst).write_text(f"ffconcat version 1.0\nfile '{quoted}'\n", encoding="utf-8")
    return Path(dst)
