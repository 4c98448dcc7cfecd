"""Fit the engine's pair confidence on labelled pairs of the tuning preset; check it held out.

Usage::

    python -m evaluation.calibrate [--preset tune,small] [--heldout heldout] [--windows 12]
        [--methods audio,visual] [--out evaluation/output] [--write]

Reads ``<out>/<preset>/manifest.json`` of each tuning preset (written by
:mod:`evaluation.offset_generation`), decodes every clip once through the engine, and measures
labelled pairs:

- every pair of clips of one case, whole, and ``--windows`` more per pair with the second clip
  (sometimes both) cut to a random window of 15-100 % of its length, so short clips, small
  overlaps and pieces that miss the other clip entirely are all represented;
- with probability ``REVERB_FRACTION``, both pieces of an audio pair are heard again through
  rooms of their own (a random impulse response: RT60 0.4-1.5 s, discrete early reflections
  5-40 ms, direct-to-reverberant ratio -10..+6 dB, direct path at lag 0), so the fit sees as
  many halls and distant microphones as a real shoot has, not only the preset's rooms;
- the windows that miss the other clip entirely share nothing and are negatives, with the
  preset's unrelated clips. (Clips of different cases are not used as negatives: every case of a
  preset is cut from one seeded world, so they may really share sound.)

A pair is *correct* when its lag is within one frame (``1 / fps`` of the clip being placed) of
the truth; a pair that shares nothing is never correct. The logistic model of
:mod:`syncengine.calibration` is fitted per method on :func:`syncengine.confidence.design_row`
of the pair features; ``--write`` rewrites :mod:`syncengine.calibration_fit`. The reliability
table (band -> observed fraction correct) and the expected calibration error are printed for the
tuning pairs and, with ``--heldout``, for the held-out preset's pairs measured the same way,
which the fit never sees. Tune only on the tuning preset; quote the held-out figures.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from syncengine import media
from syncengine.audio import estimate_audio_lag, prepare_audio
from syncengine.calibration import (
    BAND_EDGES,
    LogisticModel,
    expected_calibration_error,
    fit_logistic,
    reliability_table,
)
from syncengine.confidence import DESIGN, calibrated_confidence, design_row, repeat_guard
from syncengine.errors import SyncEngineError
from syncengine.types import AudioTrack, MotionSeries

__all__ = ["Labelled", "collect_pairs", "fit_models", "main"]

DEFAULT_OUT = Path(__file__).resolve().parent / "output"
FIT_PATH = Path(__file__).resolve().parents[1] / "syncengine" / "calibration_fit.py"
AUDIO_RATE_HZ = 8000
MOTION_RATE_HZ = 100.0
L2 = 1e-2
_MIN_WINDOW_S = 3.0
REVERB_FRACTION = 0.4


@dataclass(frozen=True)
class Labelled:
    """One measured pair: its method, features, whether it was within one frame, and where from."""

    method: str
    features: dict[str, float]
    correct: bool
    case: str
    kind: str  # "whole" or "window"
    error_s: float | None  # lag - truth; None for a pair that shares nothing


@dataclass(frozen=True)
class _Clip:
    case: str
    name: str
    truth_s: float | None  # against the case's reference; None: shares nothing
    picture_truth_s: float | None
    drift: float  # clock scale - 1
    fps: float
    audio: AudioTrack | None = None
    motion: MotionSeries | None = None


def _load(root: Path, methods: Sequence[str]) -> list[list[_Clip]]:
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    cases = []
    for case in manifest["cases"]:
        clips = []
        for c in case["clips"]:
            path = root / c["file"]
            info = media.probe(path)
            audio = motion = None
            if "audio" in methods and info.has_audio:
                try:
                    track = media.decode_audio(path, sample_rate_hz=AUDIO_RATE_HZ, info=info)
                    audio = prepare_audio(track, filename=info.filename).track
                except SyncEngineError:
                    audio = None  # silent or too short: the engine would not measure it
            if "visual" in methods and info.has_video:
                motion = _motion(path, info)
            syncable = bool(c["syncable"])
            clips.append(
                _Clip(
                    case=case["id"],
                    name=c["name"],
                    truth_s=c["true_offset_s"] if syncable else None,
                    picture_truth_s=c.get("picture_offset_s", c["true_offset_s"])
                    if syncable
                    else None,
                    drift=float(c.get("drift_ppm") or 0.0) * 1e-6,
                    fps=float(c.get("fps") or 30.0),
                    audio=audio,
                    motion=motion,
                )
            )
        cases.append(clips)
    return cases


def _motion(path: Path, info: Any) -> MotionSeries | None:
    from syncengine.motion import motion_series

    try:
        return motion_series(
            media.iter_gray_frames(path, info=info), rate_hz=MOTION_RATE_HZ, filename=info.filename
        )
    except SyncEngineError:
        return None  # a still picture or too few frames


def _cut_audio(track: AudioTrack, t0_s: float, t1_s: float) -> AudioTrack:
    rate = track.sample_rate_hz
    return AudioTrack(track.samples[int(t0_s * rate) : int(t1_s * rate)].copy(), rate)


def _cut_motion(series: MotionSeries, t0_s: float, t1_s: float) -> MotionSeries:
    """The series of a clip that starts at ``t0_s`` of this one: every per-sample array sliced."""
    n = len(series.values)
    k0, k1 = int(round(t0_s * series.rate_hz)), int(round(t1_s * series.rate_hz))
    cut = {}
    for f in fields(series):
        value = getattr(series, f.name)
        if isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[0] == n:
            cut[f.name] = value[k0:k1].copy()
    return replace(series, **cut)


def _room(track: AudioTrack, rng: np.random.Generator) -> AudioTrack:
    """``track`` heard through a random room (see the module docstring); the truth stays."""
    from scipy import signal

    rate = track.sample_rate_hz
    rt60 = rng.uniform(0.4, 1.5)
    t = np.arange(int(1.2 * rt60 * rate)) / rate
    tail = rng.standard_normal(t.size) * np.exp(-t * 6.9 / rt60) * (t > 0.004)
    tail *= np.sqrt(10 ** (-rng.uniform(-6.0, 10.0) / 10) / np.sum(tail**2))
    ir = tail
    ir[0] = 1.0
    for delay_s in rng.uniform(0.005, 0.04, size=int(rng.integers(2, 7))):
        ir[int(delay_s * rate)] += rng.uniform(0.2, 0.8) * rng.choice([-1.0, 1.0])
    wet = signal.oaconvolve(track.samples.astype(np.float64), ir)[: track.samples.size]
    wet *= np.std(track.samples) / (np.std(wet) + 1e-12)
    return AudioTrack(wet.astype(np.float32), rate)


def _truth(a: _Clip, b: _Clip, *, picture: bool, a0_s: float, b0_s: float) -> float | None:
    """Where ``b`` cut at ``b0_s`` starts on ``a`` cut at ``a0_s``'s timeline (clip clocks)."""
    ta, tb = (a.picture_truth_s, b.picture_truth_s) if picture else (a.truth_s, b.truth_s)
    if ta is None or tb is None or a.case != b.case:
        return None
    return (tb - ta + b0_s * (1 + b.drift)) / (1 + a.drift) - a0_s


_Span = tuple[float, float]
_Job = tuple[_Clip, _Clip, _Span, _Span, str]  # clip a, clip b, their windows, kind


def _jobs(
    cases: list[list[_Clip]], *, windows: int, rng: np.random.Generator, method: str
) -> list[_Job]:
    def length(c: _Clip) -> float:
        feature = c.audio if method == "audio" else c.motion
        return 0.0 if feature is None else feature.duration_s

    def window(c: _Clip) -> tuple[float, float]:
        d = length(c)
        w = min(d, max(_MIN_WINDOW_S, rng.uniform(0.15, 1.0) * d))
        t0 = rng.uniform(0.0, d - w)
        return t0, t0 + w

    usable = [[c for c in clips if length(c) >= _MIN_WINDOW_S] for clips in cases]
    jobs = []
    for clips in usable:
        for i in range(len(clips)):
            for j in range(i + 1, len(clips)):
                a, b = clips[i], clips[j]
                if a.truth_s is None and b.truth_s is None:
                    continue  # two strangers may share their own world: no truth to score
                jobs.append((a, b, (0.0, length(a)), (0.0, length(b)), "whole"))
                for _ in range(windows):
                    wa = window(a) if rng.random() < 0.3 else (0.0, length(a))
                    jobs.append((a, b, wa, window(b), "window"))
    return jobs


def collect_pairs(
    root: Path,
    *,
    methods: Sequence[str] = ("audio", "visual"),
    windows: int = 12,
    seed: int = 0,
    workers: int = 2,
    rooms: bool = True,
    log: Any = print,
) -> list[Labelled]:
    """Measure labelled pairs of the preset at ``root`` (see the module docstring).

    ``rooms=False`` measures the clips as they are (no added rooms): for checking held out.
    """
    started = time.monotonic()
    cases = _load(root, methods)
    log(
        f"decoded {sum(len(c) for c in cases)} clips of {len(cases)} cases in "
        f"{time.monotonic() - started:.0f} s"
    )
    out: list[Labelled] = []
    for method in methods:
        jobs = _jobs(
            cases, windows=windows, rng=np.random.default_rng([seed, len(method)]), method=method
        )

        def one(job: _Job, method: str = method) -> Labelled | None:
            a, b, (a0, a1), (b0, b1), kind = job
            truth = _truth(a, b, picture=method == "visual", a0_s=a0, b0_s=b0)
            try:
                if method == "audio":
                    assert a.audio is not None and b.audio is not None
                    pa, pb = _cut_audio(a.audio, a0, a1), _cut_audio(b.audio, b0, b1)
                    room = np.random.default_rng([seed, int(1e3 * (a0 + b0 + a1)), len(a.name)])
                    if rooms and room.random() < REVERB_FRACTION:
                        pa, pb = _room(pa, room), _room(pb, room)
                    e = estimate_audio_lag(
                        pa,
                        pb,
                        max_lag_s=None,
                        estimate_drift=kind == "whole",
                    )
                else:
                    from syncengine.motion import estimate_visual_lag

                    assert a.motion is not None and b.motion is not None
                    e = estimate_visual_lag(
                        _cut_motion(a.motion, a0, a1),
                        _cut_motion(b.motion, b0, b1),
                        max_lag_s=None,
                    )
            except SyncEngineError:
                return None  # too short to overlap: the engine reports no pair
            if not e.features:
                return None
            error = None if truth is None else e.lag_s - truth
            ok = error is not None and abs(error) <= 1.0 / b.fps
            return Labelled(method, dict(e.features), ok, a.case, kind, error)

        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            measured = [r for r in pool.map(one, jobs) if r is not None]
        out += measured
        log(
            f"{method}: {len(measured)} pairs ({sum(r.correct for r in measured)} within one "
            f"frame) in {time.monotonic() - t0:.0f} s"
        )
    return out


def fit_models(pairs: Sequence[Labelled], *, l2: float = L2) -> dict[str, LogisticModel]:
    """One logistic model per method present in ``pairs``."""
    models = {}
    for method in sorted({p.method for p in pairs}):
        mine = [p for p in pairs if p.method == method]
        x = np.array([design_row(p.features) for p in mine])
        y = np.array([p.correct for p in mine], dtype=float)
        models[method] = fit_logistic(x, y, l2=l2, feature_names=DESIGN)
    return models


def _predict(pairs: Sequence[Labelled], models: dict[str, LogisticModel] | None) -> np.ndarray:
    """Each pair's confidence as the engine reports it (audio: times the strict-repeat guard)."""
    if models is None:  # the engine's own (installed) calibration
        conf = np.array([calibrated_confidence(p.method, p.features) for p in pairs])
    else:
        conf = np.array([models[p.method].predict([design_row(p.features)])[0] for p in pairs])
    guard = [repeat_guard(p.features["plain_ratio"]) if p.method == "audio" else 1.0 for p in pairs]
    return conf * np.array(guard)


def report(pairs: Sequence[Labelled], confidence: np.ndarray, *, title: str) -> list[str]:
    """Reliability per band and per 10 bins, ECE, and confidently-wrong counts, per method."""
    lines = [f"## {title}"]
    for method in sorted({p.method for p in pairs}):
        sel = np.array([p.method == method for p in pairs])
        conf = confidence[sel]
        ok = np.array([p.correct for p, s in zip(pairs, sel, strict=True) if s])
        wrong = int(np.sum((conf >= 0.5) & ~ok))
        lines.append(
            f"{method}: {sel.sum()} pairs, {ok.mean():.1%} within one frame, ECE "
            f"{expected_calibration_error(conf, ok):.3f}, confidently wrong (>= 0.5) "
            f"{wrong}"
        )
        lines.append("| band | pairs | mean confidence | observed correct |")
        lines.append("| --- | ---: | ---: | ---: |")
        for row in reliability_table(conf, ok, BAND_EDGES):
            lines.append(
                f"| {row.lo:.1f}-{row.hi:.1f} | {row.count} | "
                f"{_pct(row.mean_confidence)} | "
                f"{_pct(row.fraction_correct)} |"
            )
    return lines


def _pct(x: float) -> str:
    return "-" if math.isnan(x) else f"{100 * x:.1f} %"


def _model_source(model: LogisticModel) -> str:
    """``LogisticModel(...)`` source with 9 significant digits, lines within 100 columns."""

    def tup(values: Sequence[float] | Sequence[str], fmt: str) -> str:
        items = [format(v, fmt) if not isinstance(v, str) else repr(v) for v in values]
        lines, line = [], ""
        for item in items:
            if len(line) + len(item) > 80:
                lines.append(line.rstrip())
                line = ""
            line += item + ", "
        lines.append(line.rstrip())
        return "(\n" + "".join(f"            {x}\n" for x in lines) + "        )"

    return (
        "LogisticModel(\n"
        f"        feature_names={tup(model.feature_names, '')},\n"
        f"        coef={tup(model.coef, '.9g')},\n"
        f"        intercept={model.intercept:.9g},\n"
        f"        mean={tup(model.mean, '.9g')},\n"
        f"        scale={tup(model.scale, '.9g')},\n"
        "    )"
    )


def write_fit(models: dict[str, LogisticModel], *, command: str, path: Path = FIT_PATH) -> None:
    """Rewrite :mod:`syncengine.calibration_fit` with ``models`` (kept methods stay)."""
    from syncengine.calibration_fit import MODELS

    merged = dict(MODELS) | models
    body = "".join(f"    {m!r}: {_model_source(merged[m])},\n" for m in sorted(merged))
    path.write_text(
        '"""Fitted calibration of pair confidence: written by ``python -m evaluation.calibrate``.\n'
        "\n"
        "Do not edit by hand; refit with::\n\n"
        f"    {command}\n\n"
        "Each model maps :func:`syncengine.confidence.design_row` of a pair's features to\n"
        "P(the pair's lag is within one frame of the truth), fitted on the tuning preset only.\n"
        '"""\n\n'
        "from syncengine.calibration import LogisticModel\n\n"
        f"MODELS: dict[str, LogisticModel] = {{\n{body}}}\n",
        encoding="utf-8",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--preset",
        default="tune,small",
        help="tuning presets to fit on, comma-separated (default tune,small: "
        "the hard tuning preset and the classic conditions)",
    )
    parser.add_argument("--heldout", default=None, help="held-out preset to check on")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--windows", type=int, default=12, help="random windows per clip pair")
    parser.add_argument("--methods", default="audio,visual")
    parser.add_argument("--write", action="store_true", help="rewrite syncengine/calibration_fit")
    args = parser.parse_args(argv)
    methods = [m for m in args.methods.split(",") if m]
    pairs = [
        p
        for preset in args.preset.split(",")
        for p in collect_pairs(args.out / preset, methods=methods, windows=args.windows)
    ]
    models = fit_models(pairs)
    for line in report(pairs, _predict(pairs, models), title=f"{args.preset} (fitted on these)"):
        print(line)
    if args.write:
        write_fit(
            models,
            command=f"python -m evaluation.calibrate --preset {args.preset} "
            f"--windows {args.windows} --write",
        )
        print(f"wrote {FIT_PATH}")
    if args.heldout:
        held = collect_pairs(
            args.out / args.heldout, methods=methods, windows=args.windows, seed=1, rooms=False
        )
        for line in report(held, _predict(held, models), title=f"{args.heldout} (held out)"):
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
