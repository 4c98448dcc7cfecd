"""Real-shoot cases: devices that record several files, audio-only recorders and phone footage.

A :class:`ShootCase` is a set of :class:`Recording` s of one synthetic world (see
:mod:`mediasynth.clips`). A recording is one device running once: a camera (one file, or
several back-to-back chapters cut by ffmpeg's segment muxer), or an external sound recorder (a
multichannel 24-bit or 32-bit float WAV). A device that stops and starts is two recordings with
the same ``camera`` key. What each file really is (its offset, its camera, its sound's skew
against its own picture, its clock's drift) is measured from what was written and recorded in
the case's manifest entry; :func:`write_shoots` writes cases and ``manifest.json`` in the layout
of :mod:`mediasynth.dataset`, so :mod:`evaluation.run_batch` reads both alike.

Conventions
-----------
- Clip 0 of a case (the first file of the first recording) is its reference. A file's
  ``true_offset_s`` is the world time of its own t=0 minus the reference's, seconds (positive:
  it started later): for a camera the world time its *picture* shows at t=0, for an audio-only
  recorder the world time its sound hears at t=0.
- Sound off its own picture: ``audio_lag_s`` > 0 makes the sound run that much late against the
  picture (an event is heard ``audio_lag_s`` after it is seen). The ground truth stays the
  picture's offset; ``sound_offset_s`` = ``true_offset_s - audio_lag_s`` is where the sound alone
  would place it and ``true_skew_s`` = ``audio_lag_s``.
- Drift: ``spec.drift_ppm`` > 0 runs the device's clock fast, as in :mod:`mediasynth.clips`: its
  own time ``u`` happens at ``true_offset_s + u * (1 + drift_ppm * 1e-6)`` on the reference's
  timeline (the engine's ``drift_ppm``); ``true_offset_s`` is at the file's t=0.
- Chapters: the recording is encoded once with keyframes forced at the chapter starts (each a
  multiple of 8/15 s, a whole number of 30/60 fps frames and of 1024-sample AAC packets at
  48 kHz), then cut with ``-f segment -c copy -reset_timestamps 1``. Each frame of the recording
  is in exactly one chapter, in order, so a chapter's first frame is recording time (frames in
  the chapters before it) / fps, and its t=0 is that minus the file time the probe finds the
  frame at (the first chapter keeps the encoder's 1024 priming samples as sound, so its picture
  starts ~21 ms in): measured from the files, not assumed. The sound is continuous
  across chapters: each chapter's samples end where the next chapter's t=0 is.
- Rotation: ``rotation_deg`` is the display-matrix rotation (counter-clockwise, as ffmpeg's
  ``-display_rotation``); ``spec.width x spec.height`` is the picture as it is shown, and the
  file stores it turned by ``-rotation_deg``.
- VFR: the picture is rendered at ``spec.fps`` and ffmpeg's ``select`` keeps an irregular ~55 %
  of the frames with their own timestamps (``-fps_mode passthrough``): every kept frame shows
  its exact time. The sound is untouched.
- ``creation_time`` is the file's true start plus the device's ``clock_error_s``, to the whole
  second, as cameras write it; ``make``/``model`` go in as QuickTime metadata.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.io import wavfile

from mediasynth.clips import CameraSpec, SynthError, _encode, camera_audio, camera_frames
from syncengine import media

__all__ = [
    "CHAPTER_GRID_S",
    "SHOOT_EPOCH",
    "Recording",
    "ShootCase",
    "chapter_starts_s",
    "long_audio",
    "write_shoot_case",
    "write_shoots",
]

CHAPTER_GRID_S = Fraction(8, 15)  # 16 frames at 30 fps, 32 at 60, 25 AAC packets at 48 kHz
SHOOT_EPOCH = dt.datetime(2026, 6, 13, 18, 0, 0, tzinfo=dt.UTC)  # world time 0
_HERE = Path(__file__).resolve().parent
_VERSION = 1
_TIMEOUT_S = 1800.0
_RECORDER_NOISE_DB = -72.0  # the recorder's own noise floor, per channel


@dataclass(frozen=True)
class Recording:
    """One device running once: written as ``files`` (several: back-to-back chapters).

    ``spec`` gives the world times (``start_s``, ``duration_s``), the scene, the sound and the
    microphone as in :class:`mediasynth.clips.CameraSpec`; the fields here say how the device
    writes it (see the module Conventions). ``recorder`` ("s24" or "f32") makes an audio-only
    WAV with one channel per ``channel_gains_db`` entry (one weak channel: a lavalier that
    slipped); ``spec.channels`` is then ignored.
    """

    camera: str
    spec: CameraSpec
    files: tuple[str, ...]
    audio_lag_s: float = 0.0
    video_codec: str = "h264"  # "h264" or "hevc10" (libx265, yuv420p10le, HLG tags)
    encode_size: tuple[int, int] | None = None  # scale the rendered picture to this size
    rotation_deg: int = 0
    vfr: bool = False
    recorder: str | None = None
    channel_gains_db: tuple[float, ...] = (0.0,)
    make: str = ""
    model: str = ""
    clock_error_s: float = 0.0

    def __post_init__(self) -> None:
        checks = {
            "files": bool(self.files) and all(f and "/" not in f for f in self.files),
            "video_codec": self.video_codec in ("h264", "hevc10"),
            "rotation_deg": self.rotation_deg in (0, 90, 180, 270),
            "recorder": self.recorder in (None, "s24", "f32"),
            "channel_gains_db": bool(self.channel_gains_db),
            "chapters": len(self.files) == 1
            or (self.recorder is None and self.spec.fps in (30.0, 60.0) and not self.vfr),
            "audio_lag_s": self.audio_lag_s == 0 or self.spec.audio == "world",
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"bad Recording.{name}: {getattr(self, name, self.files)!r}")

    @property
    def has_video(self) -> bool:
        return self.recorder is None

    @property
    def has_audio(self) -> bool:
        return self.spec.audio not in ("none", "silent")


@dataclass(frozen=True)
class ShootCase:
    """Recordings of one world; the first file of ``recordings[0]`` is the reference."""

    number: int
    tags: tuple[str, ...]
    recordings: tuple[Recording, ...]

    @property
    def case_id(self) -> str:
        return f"s{self.number:03d}_{self.tags[0]}"


def chapter_starts_s(duration_s: float, n: int) -> list[Fraction]:
    """Where ``n`` chapters of a ``duration_s`` recording start: equal parts on the 8/15 s grid."""
    step = max(1, round(Fraction(duration_s) / n / CHAPTER_GRID_S)) * CHAPTER_GRID_S
    return [k * step for k in range(n)]


def _run(argv: Sequence[str]) -> None:
    done = subprocess.run(list(argv), capture_output=True, timeout=_TIMEOUT_S, check=False)
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        raise SynthError(f"ffmpeg failed ({done.returncode}): {lines[-1] if lines else ''}")


def _rate(fps: float) -> str:
    return str(Fraction(fps).limit_denominator(1001))


def _stamp(seconds: float) -> str:
    t = SHOOT_EPOCH + dt.timedelta(seconds=int(np.floor(seconds)))
    return t.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def _tags(rec: Recording, start_s: float) -> list[str]:
    argv = ["-metadata", f"creation_time={_stamp(start_s + rec.clock_error_s)}"]
    if rec.make or rec.model:
        argv += ["-movflags", "+use_metadata_tags"]
        argv += ["-metadata", f"make={rec.make}", "-metadata", f"model={rec.model}"]
    return argv


def long_audio(spec: CameraSpec, *, seed: int) -> NDArray[np.float32] | None:
    """:func:`mediasynth.clips.camera_audio`, made in 60 s pieces past 90 s (memory stays small).

    Piece ``k`` starts at clip sample ``round(60 k rate)``, i.e. world time
    ``start_s + 60 k * clock_scale``: the same samples as one call, up to the pieces' own
    fractional start. A long recording must have no ``noise_db`` (each piece would repeat it).
    """
    if spec.duration_s <= 90.0:
        return camera_audio(spec, seed=seed)
    if spec.noise_db is not None:
        raise ValueError("a recording longer than 90 s takes no noise_db")
    rate, total = spec.sample_rate_hz, round(spec.duration_s * spec.sample_rate_hz)
    pieces, first = [], 0
    while first < total:
        last = min(first + 60 * rate, total)
        piece = replace(
            spec,
            start_s=spec.start_s + first / rate * spec.clock_scale,
            duration_s=(last - first) / rate,
        )
        audio = camera_audio(piece, seed=seed)
        if audio is None:
            return None
        pieces.append(audio[: last - first])
        first = last
    return np.concatenate(pieces, axis=0)


def _sound(rec: Recording, *, seed: int) -> NDArray[np.float32] | None:
    """What the device's sound track holds (the picture's start moved by ``audio_lag_s``)."""
    if rec.spec.audio == "none":
        return None
    return long_audio(replace(rec.spec, start_s=rec.spec.start_s - rec.audio_lag_s), seed=seed)


def _frames(rec: Recording, *, seed: int) -> Iterator[NDArray[np.uint8]]:
    turns = -(rec.rotation_deg // 90)
    for frame in camera_frames(rec.spec, seed=seed):
        yield np.ascontiguousarray(np.rot90(frame, k=turns)) if turns else frame


def _video_argv(rec: Recording, *, keyframes_s: Sequence[Fraction]) -> list[str]:
    fps = rec.spec.fps
    filters = []
    if rec.encode_size is not None:
        filters.append(f"scale={rec.encode_size[0]}:{rec.encode_size[1]}:flags=bicubic")
    if rec.vfr:
        filters.append("select='eq(n\\,0)+lt(random(0)\\,0.55)'")
    argv = ["-vf", ",".join(filters)] if filters else []
    if rec.vfr:
        argv += ["-fps_mode", "passthrough", "-video_track_timescale", "60000"]
    if keyframes_s:  # a quarter frame early, so that rounding never moves one to the next frame
        early = [float(t) - 0.25 / fps for t in keyframes_s]
        argv += ["-force_key_frames", ",".join(f"{t:.6f}" for t in early)]
    gop = str(max(1, round(2 * fps)))
    if rec.video_codec == "hevc10":
        argv += [
            "-c:v",
            "libx265",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p10le",
            "-tag:v",
            "hvc1",
            "-x265-params",
            f"log-level=error:keyint={gop}",
            "-color_primaries",
            "bt2020",
            "-color_trc",
            "arib-std-b67",
            "-colorspace",
            "bt2020nc",
        ]
    else:
        argv += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", gop]
    return argv


def _write_camera(
    rec: Recording, dst: Path, *, tmp: Path, seed: int, ffmpeg: str, keyframes_s: Sequence[Fraction]
) -> None:
    """Render the recording's picture and sound into one file ``dst`` (H.264/HEVC + AAC)."""
    s = rec.spec
    turned = rec.rotation_deg in (90, 270)
    w, h = (s.height, s.width) if turned else (s.width, s.height)
    argv = [ffmpeg, "-nostdin", "-v", "error", "-y", "-noautorotate"]
    if rec.rotation_deg:
        argv += ["-display_rotation", str(rec.rotation_deg)]
    argv += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-framerate", _rate(s.fps)]
    argv += ["-i", "pipe:0"]
    audio = _sound(rec, seed=seed)
    if audio is not None:
        wav = tmp / f"{dst.stem}.wav"
        wavfile.write(wav, s.sample_rate_hz, audio)
        argv += ["-i", str(wav), "-map", "0:v:0", "-map", "1:a:0"]
        argv += ["-c:a", "aac", "-b:a", "128k", "-ar", str(s.sample_rate_hz)]
        argv += ["-ac", str(s.channels)]
    else:
        argv += ["-map", "0:v:0", "-an"]
    argv += _video_argv(rec, keyframes_s=keyframes_s)
    argv += _tags(rec, s.start_s) + [str(dst)]
    _encode(argv, _frames(rec, seed=seed), stderr_path=tmp / f"{dst.stem}.stderr")


def _write_recorder(rec: Recording, dst: Path, *, tmp: Path, seed: int, ffmpeg: str) -> None:
    """An audio-only WAV: the sound on every channel at its gain, each over its own noise."""
    s = replace(rec.spec, channels=1)
    mono = long_audio(s, seed=seed)
    assert mono is not None  # a recorder always records
    rng = np.random.default_rng([seed, s.world_seed, len(rec.files[0]), 11])
    noise = 10.0 ** (_RECORDER_NOISE_DB / 20.0)
    channels = [
        mono[:, 0] * 10.0 ** (g / 20.0) + noise * rng.standard_normal(mono.shape[0])
        for g in rec.channel_gains_db
    ]
    raw = tmp / f"{dst.stem}.f32.wav"
    wavfile.write(raw, s.sample_rate_hz, np.clip(np.stack(channels, axis=1), -1, 1).astype("f4"))
    codec = {"s24": "pcm_s24le", "f32": "pcm_f32le"}[str(rec.recorder)]
    samples_since_midnight = round((s.start_s + rec.clock_error_s + 18 * 3600) * s.sample_rate_hz)
    _run(
        [ffmpeg, "-nostdin", "-v", "error", "-y", "-i", str(raw), "-c:a", codec]
        + ["-write_bext", "1", "-metadata", f"time_reference={samples_since_midnight}"]
        + ["-metadata", f"creation_time={_stamp(s.start_s + rec.clock_error_s)}", str(dst)]
    )


def _split(
    rec: Recording, whole: Path, folder: Path, *, tmp: Path, ffmpeg: str
) -> list[tuple[float, float]]:
    """Cut ``whole`` into ``rec.files`` with the segment muxer; each chapter's (start, end) s."""
    starts = chapter_starts_s(rec.spec.duration_s, len(rec.files))
    h = 0.5 / rec.spec.fps  # the muxer cuts at the first keyframe at or after each time
    listing = tmp / f"{whole.stem}.csv"
    pattern = tmp / f"{whole.stem}_%02d.mp4"
    _run(
        [ffmpeg, "-nostdin", "-v", "error", "-y", "-i", str(whole), "-map", "0", "-c", "copy"]
        + ["-f", "segment", "-segment_times", ",".join(f"{float(t) - h:.6f}" for t in starts[1:])]
        + ["-reset_timestamps", "1", "-segment_list", str(listing)]
        + ["-segment_list_type", "csv", str(pattern)]
    )
    with listing.open(newline="") as fh:
        rows = [(str(r[0]), float(r[1]), float(r[2])) for r in csv.reader(fh) if r]
    if len(rows) != len(rec.files):
        raise SynthError(f"the segment muxer wrote {len(rows)} chapters, {len(rec.files)} asked")
    spans, frames_before = [], 0
    for name, file in zip((r[0] for r in rows), rec.files, strict=True):
        first_s = frames_before / rec.spec.fps  # recording time of the chapter's first frame
        # A remux only to stamp each chapter's own creation time, as a camera does.
        _run(
            [ffmpeg, "-nostdin", "-v", "error", "-y", "-i", str(tmp / name)]
            + ["-map", "0", "-c", "copy"]
            + _tags(rec, rec.spec.start_s + first_s)
            + [str(folder / file)]
        )
        # Every frame of the recording is in exactly one chapter, in order; the first frame
        # sits at the file time the probe says (the first chapter's AAC priming moves it ~21 ms
        # in), so the chapter's t=0 is that much before it.
        info = media.probe(folder / file)
        if info.video is None or info.video.frame_count <= 0:
            raise SynthError(f"chapter {file} has no frame count")
        start = first_s - info.video.start_s
        spans.append((start, start + info.duration_s))
        frames_before += info.video.frame_count
    if frames_before != rec.spec.n_frames:
        raise SynthError(f"the chapters hold {frames_before} frames of {rec.spec.n_frames}")
    return spans


def _distinct(spec: CameraSpec) -> bool:
    return spec.video in ("blobs", "stage", "party")


def write_shoot_case(
    case: ShootCase, folder: Path, *, seed: int = 0, ffmpeg_bin: str | None = None
) -> list[dict[str, Any]]:
    """Write every file of ``case`` into ``folder``; return each file's ground truth (the
    manifest's ``clips``, file paths relative to ``folder``'s parent's parent)."""
    ffmpeg = media.ffmpeg_executable(ffmpeg_bin)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="shoot-") as tmp_name:
        tmp = Path(tmp_name)
        for rec in case.recordings:
            s = rec.spec
            if rec.recorder is not None:
                _write_recorder(rec, folder / rec.files[0], tmp=tmp, seed=seed, ffmpeg=ffmpeg)
                spans = [(0.0, s.duration_s)]
            elif len(rec.files) == 1:
                _write_camera(
                    rec, folder / rec.files[0], tmp=tmp, seed=seed, ffmpeg=ffmpeg, keyframes_s=()
                )
                spans = [(0.0, s.duration_s)]
            else:
                starts = chapter_starts_s(s.duration_s, len(rec.files))
                whole = tmp / f"_{rec.camera}_whole.mp4"
                _write_camera(rec, whole, tmp=tmp, seed=seed, ffmpeg=ffmpeg, keyframes_s=starts[1:])
                spans = _split(rec, whole, folder, tmp=tmp, ffmpeg=ffmpeg)
            for chapter, (file, (start, end)) in enumerate(zip(rec.files, spans, strict=True)):
                out.append(_truth(case, rec, file, chapter, start, end))
    ref = out[0]["world_start_s"]
    fps_ref = out[0]["fps"]
    for clip in out:
        clip["true_offset_s"] = round(clip.pop("world_start_s") - ref, 9)
        clip["picture_offset_s"] = clip["true_offset_s"]
        clip["sound_offset_s"] = round(clip["true_offset_s"] - clip["true_skew_s"], 9)
        if clip["fps"] is None:  # an audio-only file: one frame of the reference's rate
            clip["fps"] = fps_ref
        clip["file"] = f"cases/{case.case_id}/{clip['name']}"
    return out


def _truth(
    case: ShootCase, rec: Recording, file: str, chapter: int, start: float, end: float
) -> dict[str, Any]:
    s = rec.spec
    return {
        "name": file,
        "camera": rec.camera,
        "chapter": chapter if len(rec.files) > 1 else None,
        "world_start_s": s.start_s + start * s.clock_scale,
        "true_skew_s": rec.audio_lag_s,
        "syncable": True,
        "has_audio": rec.has_audio,
        "has_video": rec.has_video,
        "fps": round(s.fps, 6) if rec.has_video else None,
        "vfr": rec.vfr,
        "sample_rate_hz": s.sample_rate_hz,
        "channels": len(rec.channel_gains_db) if rec.recorder else s.channels,
        "duration_s": round(end - start, 6),
        "drift_ppm": s.drift_ppm,
        "distinct_motion": rec.has_video and _distinct(s),
        "video_codec": rec.video_codec if rec.has_video else None,
        "recorder": rec.recorder,
        "rotation_deg": rec.rotation_deg,
    }


def _code_hash() -> str:
    names = ("audio.py", "clips.py", "room.py", "shoots.py", "video.py", "view.py", "world.py")
    return hashlib.sha256(b"".join((_HERE / n).read_bytes() for n in names)).hexdigest()


def write_shoots(
    cases: Sequence[ShootCase],
    root: Path,
    *,
    name: str,
    seed: int = 0,
    ffmpeg_bin: str | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Write ``cases`` under ``root/cases/<case_id>/`` and ``root/manifest.json``.

    A case whose ``spec.json`` holds the same hash (case, seed, this package's code) and whose
    files exist is reused, with the ground truth measured when it was written.

    Returns
    -------
    dict
        The manifest (``preset``, ``seed``, ``kind="shoots"``, ``cases``: id, tags, reference,
        clips with the module Conventions' fields).
    """
    root = Path(root)
    code, started, entries = _code_hash(), time.monotonic(), []
    for k, case in enumerate(cases, start=1):
        t0 = time.monotonic()
        described = {"version": _VERSION, "code": code, "seed": seed, "case": asdict(case)}
        spec_hash = hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()
        case_dir = root / "cases" / case.case_id
        clips = _reuse(case_dir, spec_hash)
        reused = clips is not None
        if clips is None:
            staging = case_dir.with_name(case_dir.name + ".partial")
            shutil.rmtree(staging, ignore_errors=True)
            clips = write_shoot_case(case, staging, seed=seed, ffmpeg_bin=ffmpeg_bin)
            (staging / "spec.json").write_text(
                json.dumps({"spec_hash": spec_hash, "clips": clips}, indent=1) + "\n"
            )
            shutil.rmtree(case_dir, ignore_errors=True)
            staging.rename(case_dir)
        entries.append(
            {
                "id": case.case_id,
                "tags": list(case.tags),
                "reference": clips[0]["name"],
                "spec_hash": spec_hash,
                "source_file": None,
                "clips": clips,
            }
        )
        minutes = sum(c["duration_s"] for c in clips) / 60
        log(
            f"[{k}/{len(cases)}] {case.case_id:<22} {len(clips)} files ({minutes:.1f} min) "
            f"{'reused' if reused else 'written'} in {time.monotonic() - t0:5.1f} s"
        )
    manifest = {
        "preset": name,
        "seed": seed,
        "kind": "shoots",
        "source": "synthetic",
        "generator_version": _VERSION,
        "cases": entries,
        "skipped": [],
    }
    root.mkdir(parents=True, exist_ok=True)
    staged = root / "manifest.json.partial"
    staged.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    staged.replace(root / "manifest.json")
    log(
        f"wrote {len(entries)} cases and {root / 'manifest.json'} in "
        f"{time.monotonic() - started:.1f} s"
    )
    return manifest


def _reuse(case_dir: Path, spec_hash: str) -> list[dict[str, Any]] | None:
    try:
        stored = json.loads((case_dir / "spec.json").read_text())
    except (OSError, ValueError):
        return None
    clips = stored.get("clips") if stored.get("spec_hash") == spec_hash else None
    if not clips or not all((case_dir / c["name"]).is_file() for c in clips):
        return None
    return list(clips)
