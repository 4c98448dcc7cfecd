"""ffmpeg command lines that cut a camera out of a source video and give it its own room and lens.

Used by :mod:`mediasynth.dataset`: ``cut_argv`` makes a whole camera from an original
(accurate seek, drift, frame rate, sample rate, channels, room, microphone and viewpoint as ffmpeg
filters); ``post_argv`` adds only the degradations the synthetic renderer cannot (lossy audio
re-encode, picture softness, sensor noise, perspective) to a clip it already wrote.

Conventions
-----------
- World time ``w`` of a case is source time ``base_s + w``; a camera's t=0 is world time
  ``spec.start_s``, so it is cut at source time ``base_s + spec.start_s`` (``-ss`` before ``-i``,
  which ffmpeg honours to the audio sample when it re-encodes).
- Drift: clip second ``k`` covers ``clock_scale`` source seconds, as in :mod:`mediasynth.clips`:
  ``setpts=PTS/clock_scale`` for the picture, ``asetrate=48000*clock_scale`` for the sound.
- The sound is cut to the sample; the picture to the source's frame grid (``picture_shift_s``).
- Loops (``music_loop`` audio, ``loop``/``static`` video) are anchored at world time 0, so every
  camera of a case hears and sees the same periodic world.
- The room: ``aecho`` keeps the direct path strongest; ``lowpass`` is a causal 2-pole filter, so it
  delays the sound by tens of microseconds, like a real microphone. The noise floor is a seeded
  ``anoisesrc`` mixed in at ``noise_db`` dBFS RMS.
"""

from __future__ import annotations

import subprocess
import zlib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from mediasynth.clips import CameraSpec
from mediasynth.plan import CasePlan, ClipPlan

__all__ = [
    "WORLD_LEVEL_DB",
    "Source",
    "cut_argv",
    "picture_offsets_s",
    "picture_shift_s",
    "post_argv",
    "run_ffmpeg",
    "seed_key",
]

WORLD_LEVEL_DB = -28.0  # RMS of the synthetic world; originals louder than this are turned down
_LOOP_S = {"audio": 0.5, "video": 1.0}  # the synth's music and motion loop periods
_LOOP_FPS = 30
_TIMEOUT_S = 1800.0


@dataclass(frozen=True)
class Source:
    """A video that cameras are cut from: audio RMS ``level_db`` (dBFS), constant ``fps``."""

    path: Path
    duration_s: float
    level_db: float
    fps: float = 30.0
    video_start_s: float = 0.0  # first frame's time in the file, seconds


def picture_offsets_s(
    case: CasePlan, source: Source | None, *, base_s: float
) -> list[float | None]:
    """Each clip's true offset as its picture carries it, seconds (None where unsyncable).

    ``source`` None means the clips were rendered frame by frame at their exact times, so the
    picture offsets equal the true offsets; otherwise see ``picture_shift_s``.
    """
    true_s = [case.true_offset_s(k) for k in range(len(case.clips))]
    if source is None:
        return true_s
    shifts_s = [picture_shift_s(c.spec, source, base_s=base_s) for c in case.clips]
    return [
        None if o is None else round(o + s - shifts_s[0], 9)
        for o, s in zip(true_s, shifts_s, strict=True)
    ]


def picture_shift_s(spec: CameraSpec, source: Source, *, base_s: float) -> float:
    """Mean time (seconds) by which the cut camera's picture shows the scene ahead of its sound.

    ffmpeg's ``fps`` filter shows, at each output frame time, the source frame nearest to it, so
    a picture cut from a source can only be true to the source's frame grid: within half a source
    frame. This is the mean of (time of the source frame shown - time wanted) over the clip's
    frames. Adding ``picture_shift_s(clip) - picture_shift_s(reference)`` to a true offset gives
    the offset that the picture carries, which is what the visual method can measure.
    """
    ss_s = base_s + spec.start_s
    t_s = ss_s + np.arange(spec.n_frames) / spec.fps * spec.clock_scale  # source times wanted
    grid_s = source.video_start_s + np.round((t_s - source.video_start_s) * source.fps) / source.fps
    return float(np.mean(grid_s - t_s))


def seed_key(*parts: object) -> int:
    """A stable 31-bit seed from ``parts`` (``hash`` is salted per process)."""
    return zlib.crc32("/".join(map(str, parts)).encode()) % 2**31


def _fps_arg(fps: float) -> str:
    return str(Fraction(fps).limit_denominator(1001))  # 29.97... -> "30000/1001"


def _video_filters(plan: ClipPlan, *, cut: bool, seed: int) -> list[str]:
    s, f = plan.spec, []
    if cut:  # the synthetic renderer applies these itself
        f += [f"setpts=PTS/{s.clock_scale!r}"] if s.drift_ppm else []
        f += [f"crop=iw*{s.crop}:ih*{s.crop}"] if s.crop < 1 else []
        f += [f"scale={s.width}:{s.height}"]
        f += [f"eq=brightness={s.brightness}"] if s.brightness else []
    if plan.scale < 1:
        w, h = (2 * round(n * plan.scale / 2) for n in (s.width, s.height))
        f += [f"scale={w}:{h}", f"scale={s.width}:{s.height}"]
    if plan.perspective:
        p = plan.perspective
        f.append(
            f"perspective=x0=W*{p}:y0=0:x1=W*{1 - p}:y1=0:x2=0:y2=H:x3=W:y3=H:interpolation=linear"
        )
    if plan.video_noise:
        f.append(f"noise=alls={plan.video_noise}:allf=t:all_seed={seed}")
    return f + ([f"fps={_fps_arg(s.fps)}:start_time=0"] if cut else []) + ["format=yuv420p"]


def _audio_filters(plan: ClipPlan, *, level_db: float, seed: int) -> list[str]:
    s, f = plan.spec, ["aresample=48000"]
    if s.drift_ppm:  # presets keep 48000 * clock_scale a whole number
        f += [f"asetrate={round(48000 * s.clock_scale)}", "aresample=48000"]
    if s.audio == "silent":
        return [*f, "volume=0"]
    if s.reverb:
        rng = np.random.default_rng([seed, 11])
        delays = "|".join(str(int(d)) for d in np.sort(rng.uniform(15, 90, size=3)))
        f.append(f"aecho=in_gain=1:out_gain=0.8:delays={delays}:decays=0.35|0.25|0.15")
    f += [f"lowpass=f={s.lowpass_hz}:poles=2"] if s.lowpass_hz else []
    f.append(f"volume={s.gain_db + min(WORLD_LEVEL_DB - level_db, 0.0):.2f}dB")
    return f


def _audio_codec(plan: ClipPlan) -> list[str]:
    s = plan.spec
    codec = {"aac": "aac", "mp3": "libmp3lame"}[plan.audio_codec]
    return [
        "-c:a",
        codec,
        "-b:a",
        f"{plan.audio_bitrate_kbps}k",
        "-ar",
        str(s.sample_rate_hz),
        "-ac",
        str(s.channels),
    ]


def _video_codec(plan: ClipPlan) -> list[str]:
    fps = plan.spec.fps
    crf = [] if plan.crf is None else ["-crf", str(plan.crf)]
    return [
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        *crf,
        "-pix_fmt",
        "yuv420p",
        "-g",
        str(max(1, round(2 * fps))),
        "-r",
        _fps_arg(fps),
    ]


def _audio_graph(plan: ClipPlan, source: Source, *, base_s: float, seed: int) -> list[str]:
    """Filter-graph chains from the source's sound to ``[a]``."""
    s = plan.spec
    graph, a_in = [], "[0:a]"
    if s.audio_kind == "music_loop":
        size = round(_LOOP_S["audio"] * 48000)
        graph.append(
            f"[1:a]aresample=48000,atrim=start={base_s}:duration={_LOOP_S['audio']},"
            f"asetpts=PTS-STARTPTS,aloop=loop=-1:size={size},"
            f"atrim=start={base_s + s.start_s},asetpts=PTS-STARTPTS[al]"
        )
        a_in = "[al]"
    chain = ",".join(_audio_filters(plan, level_db=source.level_db, seed=seed))
    out = f"aresample={s.sample_rate_hz}[a]"
    if s.noise_db is None or s.audio == "silent":
        return [*graph, f"{a_in}{chain},{out}"]
    amplitude = 10 ** (s.noise_db / 20) * 3**0.5  # uniform white noise: RMS = amplitude / sqrt(3)
    return [
        *graph,
        f"{a_in}{chain}[a0]",
        f"anoisesrc=color=white:amplitude={amplitude:.6g}:seed={seed}:sample_rate=48000[n]",
        f"[a0][n]amix=inputs=2:duration=first:normalize=0,{out}",
    ]


def cut_argv(
    plan: ClipPlan, source: Source, dst: Path, *, base_s: float, ffmpeg_bin: str, seed: int
) -> list[str]:
    """ffmpeg argv that cuts camera ``plan`` out of ``source`` with all of its degradations.

    Parameters
    ----------
    plan : ClipPlan
        The camera; ``plan.spec.start_s`` is its world start time, seconds.
    source : Source
        The video to cut from.
    dst : Path
        Output file (its suffix picks the container).
    base_s : float
        Source time of world time 0, seconds.
    ffmpeg_bin : str
        ffmpeg executable.
    seed : int
        Seed (0 <= seed < 2**31) of this camera's noise and room.

    Returns
    -------
    list of str
        The command line (``-ss`` seek, ``-filter_complex`` graph, ``-t`` duration, codecs).
    """
    s = plan.spec
    ss = base_s + s.start_s
    loops = s.audio_kind == "music_loop" or s.video in ("loop", "static")
    graph, v_in = [], "[0:v]"
    if s.video in ("loop", "static"):
        n = 1 if s.video == "static" else round(_LOOP_S["video"] * _LOOP_FPS)
        graph.append(
            f"[1:v]fps={_LOOP_FPS},trim=start={base_s}:duration={n / _LOOP_FPS},"
            f"setpts=PTS-STARTPTS,loop=loop=-1:size={n},trim=start={ss},"
            "setpts=PTS-STARTPTS[vl]"
        )
        v_in = "[vl]"
    graph.append(v_in + ",".join(_video_filters(plan, cut=True, seed=seed)) + "[v]")
    maps = ["-map", "[v]"]
    if plan.has_track:
        graph += _audio_graph(plan, source, base_s=base_s, seed=seed)
        maps += ["-map", "[a]", *_audio_codec(plan)]
    inputs = ["-ss", f"{ss:.6f}", "-i", str(source.path)]
    inputs += ["-i", str(source.path)] if loops else []
    return [
        ffmpeg_bin,
        "-nostdin",
        "-v",
        "error",
        "-y",
        *inputs,
        "-filter_complex",
        ";".join(graph),
        *maps,
        "-t",
        f"{s.duration_s:.6f}",
        *_video_codec(plan),
        str(dst),
    ]


def post_argv(plan: ClipPlan, src: Path, dst: Path, *, ffmpeg_bin: str, seed: int) -> list[str]:
    """ffmpeg argv that adds ``plan``'s lossy audio and picture effects to a rendered clip.

    The picture is copied when ``plan`` has no picture effect and no ``crf``; the audio, when
    there is some, is re-encoded with ``plan.audio_codec`` at ``plan.audio_bitrate_kbps``.
    """
    vf = _video_filters(plan, cut=False, seed=seed)
    reencode = len(vf) > 1 or plan.crf is not None
    video = ["-vf", ",".join(vf), *_video_codec(plan)] if reencode else ["-c:v", "copy"]
    audio = _audio_codec(plan) if plan.has_track else []
    return [
        ffmpeg_bin,
        "-nostdin",
        "-v",
        "error",
        "-y",
        "-i",
        str(src),
        "-map",
        "0",
        *video,
        *audio,
        str(dst),
    ]


def run_ffmpeg(argv: list[str]) -> None:
    """Run an ffmpeg command; raise RuntimeError with its last stderr line when it fails."""
    done = subprocess.run(argv, capture_output=True, timeout=_TIMEOUT_S, check=False)
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"ffmpeg failed ({done.returncode}): {lines[-1] if lines else ''}")
