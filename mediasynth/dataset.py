"""Write a dataset of evaluation cases: sets of clips at known offsets, plus a manifest.

With videos in an originals folder, each case is cut from one of them with ffmpeg (accurate ``-ss``
seek, re-encoded) and each camera's room, microphone and viewpoint are ffmpeg filters (volume,
lowpass, aecho, an ``anoisesrc`` noise floor; crop, scale, eq, noise, perspective;
:mod:`mediasynth.degrade`). With none, cases are rendered from the seeded synthetic world of
:mod:`mediasynth.clips`. Speech cases use espeak-ng when it is installed (:mod:`mediasynth.speech`).
Which cases to write is the caller's (``evaluation.presets``); ``python -m
evaluation.offset_generation`` is the command.

Conventions
-----------
- Layout: ``<root>/cases/<case_id>/<camera>.<ext>`` and ``<root>/manifest.json``; file paths in
  the manifest are relative to the manifest's folder.
- ``true_offset_s`` is relative to the case's reference (its first clip), in seconds, positive when
  the clip started later (the engine's convention); ``null`` for a clip that shares nothing.
- From an original, world time ``w`` of a case is source time ``base_s + w``. A case longer than
  every original is shrunk (its start times and durations scaled together); one that would leave a
  clip under 3 s is skipped and listed under ``skipped`` in the manifest. Speech and unsyncable
  clips are always synthesised: the originals may all be cameras of one event. So are cases that
  use the harder conditions (layered sound, real rooms, cheap mics, viewpoints, shake...,
  ``CameraSpec.extended``), which ffmpeg filters on an original cannot reproduce.
- ``has_audio`` is False for a clip without an audio stream and for one whose stream is digital
  silence (a muted camera): neither has sound to sync on.
- ``picture_offset_s`` is the true offset as the picture carries it. Synthetic clips are rendered
  at their exact frame times, so it equals ``true_offset_s``; a clip cut from a source shows the
  source frame nearest to each of its frame times, so its picture can be off by up to half a
  source frame, and this field says by how much (the sound is cut to the sample).
- Reuse: each case folder holds ``spec.json`` with a sha256 of everything that determines its files
  (this package's code included); a case whose hash matches and whose files exist is not written
  again.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from mediasynth import speech
from mediasynth.clips import write_clip
from mediasynth.degrade import Source, cut_argv, picture_offsets_s, post_argv, run_ffmpeg, seed_key
from mediasynth.plan import CasePlan, ClipPlan
from syncengine import media

__all__ = ["GENERATOR_VERSION", "Source", "find_originals", "write_dataset"]

_HERE = Path(__file__).resolve().parent
GENERATOR_VERSION = 1
_SUFFIXES = {".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".mts", ".ts", ".mxf"}
_MARGIN_S, _MIN_CLIP_S = 1.0, 3.0
_SPEECH_LEVEL_DB = -26.0  # mediasynth.speech's level


@dataclass(frozen=True)
class _Job:
    """A case as it will be written: from the synthetic world, an original or a speech source."""

    case: CasePlan
    source: Source | None  # None: rendered from the synthetic world
    base_s: float = 0.0  # source time of world time 0
    speech: bool = False  # cut from an espeak-ng speech source made for this case


def find_originals(folder: Path, *, ffmpeg_bin: str | None = None) -> list[Source]:
    """The usable videos (with both picture and sound) in ``folder``, sorted by name."""
    sources = []
    for path in sorted(Path(folder).glob("*")):
        if path.suffix.lower() not in _SUFFIXES or not path.is_file():
            continue
        info = media.probe(path)
        if info.audio is None or info.video is None:
            print(f"skipping original {path.name}: it needs both picture and sound")
            continue
        samples = media.decode_audio(path, info=info, ffmpeg_bin=ffmpeg_bin).samples
        level_db = 10 * np.log10(max(float(np.mean(np.square(samples, dtype=np.float64))), 1e-12))
        v = info.video
        sources.append(Source(path.resolve(), info.duration_s, float(level_db), v.fps, v.start_s))
    return sources


def _span_s(case: CasePlan) -> tuple[float, float]:
    """First and last world time (seconds) any clip of ``case`` covers."""
    s = [c.spec for c in case.clips]
    return min(x.start_s for x in s), max(x.start_s + x.duration_s * x.clock_scale for x in s)


def _fit(case: CasePlan, sources: Sequence[Source], *, seed: int) -> _Job | None:
    """Place ``case`` in one original (shrinking it if needed); None when it cannot fit."""
    lo, hi = _span_s(case)
    usable = [s for s in sources if s.duration_s - 2 * _MARGIN_S >= hi - lo]
    if usable:
        source = usable[(case.number - 1) % len(usable)]
    else:
        source = max(sources, key=lambda s: s.duration_s)
    factor = min(1.0, (source.duration_s - 2 * _MARGIN_S) / (hi - lo))
    if factor < 1.0:
        clips = tuple(
            replace(
                c,
                spec=replace(
                    c.spec,
                    start_s=round(c.spec.start_s * factor, 7),
                    duration_s=round(c.spec.duration_s * factor, 3),
                ),
            )
            for c in case.clips
        )
        if min(c.spec.duration_s for c in clips) < _MIN_CLIP_S:
            return None
        case, lo, hi = replace(case, clips=clips), lo * factor, hi * factor
    slack_s = max(source.duration_s - 2 * _MARGIN_S - (hi - lo), 0.0)
    base_s = _MARGIN_S - lo + np.random.default_rng([seed, case.number, 7]).uniform(0, slack_s)
    return _Job(case, source, round(float(base_s), 6))


def _job(case: CasePlan, sources: Sequence[Source], *, espeak: bool, seed: int) -> _Job | None:
    if any(c.spec.extended for c in case.clips):  # the tune/heldout conditions are synthetic
        return _Job(case, None)
    if any(c.spec.audio_kind == "speech" for c in case.clips):
        return _Job(case, None, base_s=_MARGIN_S - _span_s(case)[0], speech=espeak)
    return _fit(case, sources, seed=seed) if sources else _Job(case, None)


def _code_hash() -> str:
    """sha256 of the modules that decide a clip's bytes: editing one regenerates every case."""
    names = (
        "audio.py",
        "clips.py",
        "dataset.py",
        "degrade.py",
        "plan.py",
        "room.py",
        "speech.py",
        "video.py",
        "view.py",
        "world.py",
    )
    return hashlib.sha256(b"".join((_HERE / n).read_bytes() for n in names)).hexdigest()


def _spec_hash(job: _Job, *, seed: int, code_hash: str) -> str:
    src = job.source
    described = {
        "version": GENERATOR_VERSION,
        "code": code_hash,
        "seed": seed,
        "case": asdict(job.case),
        "source": None if src is None else [src.path.name, src.path.stat().st_size],
        "base_s": job.base_s,
        "speech": job.speech,
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()


def _write_clip(plan: ClipPlan, job: _Job, folder: Path, *, ffmpeg: str, seed: int) -> Path:
    s = plan.spec
    dst = folder / f"{s.name}.{s.container}"
    clip_seed = seed_key(seed, job.case.case_id, s.name)
    if job.source is not None and plan.syncable:
        run_ffmpeg(
            cut_argv(plan, job.source, dst, base_s=job.base_s, ffmpeg_bin=ffmpeg, seed=clip_seed)
        )
        return dst
    raw = write_clip(replace(s, name=f"_{s.name}"), folder, seed=seed, ffmpeg_bin=ffmpeg)
    if plan.post_processed:
        run_ffmpeg(post_argv(plan, raw, dst, ffmpeg_bin=ffmpeg, seed=clip_seed))
        raw.unlink()
    else:
        raw.rename(dst)
    return dst


def _write_case(job: _Job, case_dir: Path, spec_hash: str, *, ffmpeg: str, seed: int) -> None:
    """Write the case into a staging folder, then swap it in: a failure leaves no half case."""
    staging = case_dir.with_name(case_dir.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    if job.speech:
        lo, hi = _span_s(job.case)
        length_s, ref = hi - lo + 2 * _MARGIN_S, job.case.clips[0].spec
        src = speech.write_speech_source(
            staging / "_source.mkv",
            start_s=lo - _MARGIN_S,
            duration_s=length_s,
            width=ref.width,
            height=ref.height,
            seed=seed_key(seed, job.case.case_id),
            espeak_bin=str(speech.espeak_executable()),
            ffmpeg_bin=ffmpeg,
        )
        job = replace(job, source=Source(src, length_s, _SPEECH_LEVEL_DB))
    with ThreadPoolExecutor(max_workers=2) as pool:
        write = [
            pool.submit(_write_clip, c, job, staging, ffmpeg=ffmpeg, seed=seed)
            for c in job.case.clips
        ]
        for future in write:
            future.result()
    (staging / "_source.mkv").unlink(missing_ok=True)
    (staging / "spec.json").write_text(json.dumps({"spec_hash": spec_hash}) + "\n")
    shutil.rmtree(case_dir, ignore_errors=True)
    staging.rename(case_dir)


def _is_current(case_dir: Path, case: CasePlan, spec_hash: str) -> bool:
    try:
        stored = json.loads((case_dir / "spec.json").read_text())["spec_hash"]
    except (OSError, ValueError, KeyError):
        return False
    files = (case_dir / f"{c.spec.name}.{c.spec.container}" for c in case.clips)
    return stored == spec_hash and all(f.is_file() and f.stat().st_size > 0 for f in files)


def _entry(job: _Job, spec_hash: str) -> dict[str, Any]:
    """The manifest's record of one case (a JSON object, hence a dict)."""
    case = job.case
    source = Source(Path("speech"), 0.0, _SPEECH_LEVEL_DB) if job.speech else job.source
    picture_s = picture_offsets_s(case, source, base_s=job.base_s)
    clips = [
        {
            "file": f"cases/{case.case_id}/{c.spec.name}.{c.spec.container}",
            "name": f"{c.spec.name}.{c.spec.container}",
            "true_offset_s": case.true_offset_s(k),
            "picture_offset_s": picture_s[k],
            "syncable": c.syncable,
            "has_audio": c.has_audio,
            "fps": round(c.spec.fps, 6),
            "sample_rate_hz": c.spec.sample_rate_hz,
            "channels": c.spec.channels,
            "duration_s": c.spec.duration_s,
            "drift_ppm": c.spec.drift_ppm,
            "distinct_motion": c.distinct_motion,
        }
        for k, c in enumerate(case.clips)
    ]
    source_file = None if job.source is None or job.speech else job.source.path.name
    return {
        "id": case.case_id,
        "tags": list(case.tags),
        "reference": clips[0]["name"],
        "spec_hash": spec_hash,
        "source_file": source_file,
        "clips": clips,
    }


def write_dataset(
    plans: Sequence[CasePlan],
    root: Path,
    *,
    name: str,
    seed: int = 0,
    originals_dir: Path | None = None,
    ffmpeg_bin: str | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Write the cases ``plans`` under ``root`` and ``<root>/manifest.json``.

    Parameters
    ----------
    plans : sequence of CasePlan
        The cases, in manifest order.
    root : Path
        Dataset folder (created): ``cases/<case_id>/`` and ``manifest.json`` go inside it.
    name : str
        The dataset's name, recorded as the manifest's ``preset``.
    seed : int
        World seed: the same seed gives the same manifest and files.
    originals_dir : Path, optional
        Folder of original videos; when it is missing or has none, cases are synthesised.
    ffmpeg_bin : str, optional
        ffmpeg executable (default: the imageio-ffmpeg build).
    log : callable
        Receives one progress line per case.

    Returns
    -------
    dict
        The manifest, as written (see the module Conventions).
    """
    ffmpeg = media.ffmpeg_executable(ffmpeg_bin)
    folder = None if originals_dir is None else Path(originals_dir)
    sources = find_originals(folder, ffmpeg_bin=ffmpeg) if folder and folder.is_dir() else []
    espeak, code_hash = speech.espeak_executable() is not None, _code_hash()
    root = Path(root)
    started, entries, skipped = time.monotonic(), [], []
    for k, case in enumerate(plans, start=1):
        job, t0 = _job(case, sources, espeak=espeak, seed=seed), time.monotonic()
        if job is None:
            skipped.append(case.case_id)
            log(f"[{k}/{len(plans)}] {case.case_id:<24} skipped: longer than every original")
            continue
        spec_hash = _spec_hash(job, seed=seed, code_hash=code_hash)
        case_dir = root / "cases" / case.case_id
        reused = _is_current(case_dir, job.case, spec_hash)
        if not reused:
            _write_case(job, case_dir, spec_hash, ffmpeg=ffmpeg, seed=seed)
        log(
            f"[{k}/{len(plans)}] {case.case_id:<24} {len(case.clips)} clips "
            f"{'reused' if reused else 'written'} in {time.monotonic() - t0:5.1f} s  "
            f"tags={','.join(case.tags)}"
        )
        entries.append(_entry(job, spec_hash))
    manifest = {
        "preset": name,
        "seed": seed,
        "source": "originals" if sources else "synthetic",
        "speech": "espeak-ng" if espeak else "synthetic",
        "generator_version": GENERATOR_VERSION,
        "cases": entries,
        "skipped": skipped,
    }
    root.mkdir(parents=True, exist_ok=True)
    staged = root / "manifest.json.partial"
    staged.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    staged.replace(root / "manifest.json")
    log(
        f"wrote {len(entries)} cases ({manifest['source']}, speech: {manifest['speech']}) and "
        f"{root / 'manifest.json'} in {time.monotonic() - started:.1f} s"
    )
    return manifest
