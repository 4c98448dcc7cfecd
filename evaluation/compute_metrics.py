"""Accuracy, confidence, agreement and efficiency metrics of a ``run_batch`` results file.

Usage::

    python -m evaluation.compute_metrics [--preset small|full] [--out evaluation/output]

Reads ``<out>/<preset>/results.json``, writes ``<out>/<preset>/metrics.json`` and prints one table
over the methods and one per method over the tags. For a real-shoot preset (``shoots-*``) it
also writes the per-condition table of :mod:`evaluation.shoots_metrics` (with and without the
camera grouping given) to ``<out>/<preset>/shoots.md`` and ``metrics.json`` (``conditions``,
``misses``). The shape follows mir_eval: :func:`validate`
checks the arrays, pure metric functions score them, :func:`evaluate` returns named scores and
:func:`evaluate_results` applies it per method and per tag.

Conventions
-----------
- Offsets are seconds on the reference's timeline, positive when the clip started after the
  reference (the engine's ``offset_s``). Inputs are seconds; scores name their unit (``_ms``,
  ``_pct`` in [0, 100], ``_n`` a count, ``_s_per_video_min``).
- Clip arrays hold every non-reference clip: ``NaN`` in ``true_offsets_s`` marks an unsyncable
  clip, ``NaN`` in ``est_offsets_s`` a clip the engine did not place (refused or failed).
- Accuracy (MAE, RMSE, median, max, within one frame, within 10 ms) is over the syncable clips the
  method placed; ``failure_pct`` is the share of syncable clips it did not place. Failures are
  reported next to the MAE, never folded into it.
- One frame is ``1 / fps`` of the clip being placed. Confidence bands are the engine's: poor < 0.2
  <= fair < 0.5 <= good < 0.8 <= excellent. A metric over no clips is NaN (``null`` in JSON).
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from evaluation.report import (
    add_dataset_arguments,
    clip_arrays,
    json_ready,
    load_json,
    run_arrays,
    summary_text,
)
from syncengine.constants import CONFIDENCE_BANDS, SYNCED_THRESHOLD

__all__ = [
    "BANDS",
    "agreement",
    "confident_but_wrong_count",
    "efficiency",
    "error_by_band",
    "evaluate",
    "evaluate_results",
    "evaluate_runs",
    "failure_pct",
    "mae_s",
    "max_abs_error_s",
    "median_abs_error_s",
    "refused_pct",
    "rmse_s",
    "validate",
    "within_one_frame_pct",
    "within_tolerance_pct",
    "main",
]

#: ``(name, lo, hi)`` per band, ascending, from the engine's bands (the last one includes 1.0).
BANDS = tuple(
    (name, lo, hi)
    for (lo, name), hi in zip(
        CONFIDENCE_BANDS[::-1], [e for e, _ in CONFIDENCE_BANDS[::-1]][1:] + [1.01], strict=True
    )
)
CONFIDENT = 0.5  # "confident" for confident-but-wrong
REFUSED_BELOW = SYNCED_THRESHOLD
ACCURACY_NOTE = (
    "accuracy (mae..within_10ms) is over syncable non-reference clips the method "
    "synced; failure_pct is the share of syncable clips it did not sync"
)
F64 = NDArray[np.float64]


def _array(values: ArrayLike, name: str) -> F64:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    return arr


def validate(
    true_offsets_s: ArrayLike, est_offsets_s: ArrayLike, *, allow_missing: bool = False
) -> tuple[F64, F64]:
    """Check two offset arrays and return them as float64.

    Parameters
    ----------
    true_offsets_s, est_offsets_s : array_like [shape=(n_clips,)]
        True and estimated offsets, seconds.
    allow_missing : bool
        Accept ``NaN`` (unsyncable / not placed). Infinities are always rejected.

    Raises
    ------
    ValueError
        Not 1-D, different lengths, or a non-finite value (named with its index).
    """
    true_s, est_s = _array(true_offsets_s, "true_offsets_s"), _array(est_offsets_s, "est_offsets_s")
    if true_s.shape != est_s.shape:
        raise ValueError(f"length mismatch: {true_s.size} true offsets, {est_s.size} estimates")
    for name, arr in (("true_offsets_s", true_s), ("est_offsets_s", est_s)):
        bad = np.flatnonzero(np.isinf(arr) if allow_missing else ~np.isfinite(arr))
        if bad.size:
            raise ValueError(f"{name}[{bad[0]}] = {arr[bad[0]]} is not finite")
    return true_s, est_s


def _abs_errors_s(true_offsets_s: ArrayLike, est_offsets_s: ArrayLike) -> F64:
    true_s, est_s = validate(true_offsets_s, est_offsets_s)
    return np.abs(est_s - true_s)


def _stat(errors_s: F64, reduce: Any) -> float:
    return float(reduce(errors_s)) if errors_s.size else float("nan")


def mae_s(true_offsets_s: ArrayLike, est_offsets_s: ArrayLike) -> float:
    """Mean absolute error, seconds (NaN for no clips)."""
    return _stat(_abs_errors_s(true_offsets_s, est_offsets_s), np.mean)


def rmse_s(true_offsets_s: ArrayLike, est_offsets_s: ArrayLike) -> float:
    """Root-mean-square error, seconds (NaN for no clips)."""
    return _stat(_abs_errors_s(true_offsets_s, est_offsets_s), lambda e: np.sqrt(np.mean(e * e)))


def median_abs_error_s(true_offsets_s: ArrayLike, est_offsets_s: ArrayLike) -> float:
    """Median absolute error, seconds (NaN for no clips)."""
    return _stat(_abs_errors_s(true_offsets_s, est_offsets_s), np.median)


def max_abs_error_s(true_offsets_s: ArrayLike, est_offsets_s: ArrayLike) -> float:
    """Largest absolute error, seconds (NaN for no clips)."""
    return _stat(_abs_errors_s(true_offsets_s, est_offsets_s), np.max)


def _check_fps(fps: ArrayLike, n: int) -> F64:
    arr = _array(fps, "fps")
    if arr.size != n:
        raise ValueError(f"length mismatch: {arr.size} fps values for {n} clips")
    bad = np.flatnonzero(~(np.isfinite(arr) & (arr > 0)))
    if bad.size:
        raise ValueError(f"fps[{bad[0]}] = {arr[bad[0]]} must be positive and finite")
    return arr


def within_tolerance_pct(
    true_offsets_s: ArrayLike, est_offsets_s: ArrayLike, *, tolerance_s: float = 0.010
) -> float:
    """Percentage of clips with ``|est - true| <= tolerance_s`` (NaN for no clips)."""
    if not (np.isfinite(tolerance_s) and tolerance_s >= 0):
        raise ValueError(f"tolerance_s must be >= 0, got {tolerance_s}")
    errors_s = _abs_errors_s(true_offsets_s, est_offsets_s)
    return _stat(errors_s <= tolerance_s, lambda ok: 100.0 * np.mean(ok))


def within_one_frame_pct(
    true_offsets_s: ArrayLike, est_offsets_s: ArrayLike, *, fps: ArrayLike
) -> float:
    """Percentage of clips within one frame of their own rate: ``|est - true| <= 1 / fps``."""
    errors_s = _abs_errors_s(true_offsets_s, est_offsets_s)
    frame_s = 1.0 / _check_fps(fps, errors_s.size)
    return _stat(errors_s <= frame_s, lambda ok: 100.0 * np.mean(ok))


def error_by_band(
    true_offsets_s: ArrayLike, est_offsets_s: ArrayLike, *, confidences: ArrayLike
) -> dict[str, tuple[int, float]]:
    """Clip count and MAE (seconds) per confidence band: does the error fall as confidence rises?

    Returns
    -------
    dict[str, tuple[int, float]]
        Band name (see :data:`BANDS`) -> (clips, MAE in seconds; NaN for an empty band).
    """
    errors_s = _abs_errors_s(true_offsets_s, est_offsets_s)
    conf = _array(confidences, "confidences")
    if conf.size != errors_s.size:
        raise ValueError(f"length mismatch: {conf.size} confidences for {errors_s.size} clips")
    out = {}
    for name, lo, hi in BANDS:
        sel = (conf >= lo) & (conf < hi)
        out[name] = (int(sel.sum()), _stat(errors_s[sel], np.mean))
    return out


def confident_but_wrong_count(
    true_offsets_s: ArrayLike,
    est_offsets_s: ArrayLike,
    *,
    confidences: ArrayLike,
    fps: ArrayLike,
    threshold: float = CONFIDENT,
) -> int:
    """Placed clips with ``confidence >= threshold`` that are wrong by more than one frame.

    An unsyncable clip (true ``NaN``) that was placed with such confidence counts as wrong too.
    """
    true_s, est_s = validate(true_offsets_s, est_offsets_s, allow_missing=True)
    conf = np.nan_to_num(_array(confidences, "confidences"), nan=0.0)
    frame_s = 1.0 / _check_fps(fps, true_s.size)
    with np.errstate(invalid="ignore"):
        wrong = np.isnan(true_s) | (np.abs(est_s - true_s) > frame_s)
    return int(np.sum(~np.isnan(est_s) & (conf >= threshold) & wrong))


def refused_pct(
    est_offsets_s: ArrayLike, *, confidences: ArrayLike, threshold: float = REFUSED_BELOW
) -> float:
    """Percentage of (unsyncable) clips not placed, or placed with ``confidence < threshold``."""
    est_s = _array(est_offsets_s, "est_offsets_s")
    conf = np.nan_to_num(_array(confidences, "confidences"), nan=0.0)
    return _stat(np.isnan(est_s) | (conf < threshold), lambda ok: 100.0 * np.mean(ok))


def failure_pct(est_offsets_s: ArrayLike) -> float:
    """Percentage of (syncable) clips not placed: ``NaN`` estimates."""
    return _stat(np.isnan(_array(est_offsets_s, "est_offsets_s")), lambda f: 100.0 * np.mean(f))


def agreement(audio_video_diff_s: ArrayLike, *, tolerance_s: float = 0.2) -> dict[str, float]:
    """Distribution of ``|audio - visual|`` over clips where both were measured (NaN skipped)."""
    diff_s = np.abs(_array(audio_video_diff_s, "audio_video_diff_s"))
    diff_s = diff_s[np.isfinite(diff_s)]
    return {
        "av_n": float(diff_s.size),
        "av_diff_median_ms": 1e3 * _stat(diff_s, np.median),
        "av_diff_p90_ms": 1e3 * _stat(diff_s, lambda d: np.percentile(d, 90)),
        "av_diff_max_ms": 1e3 * _stat(diff_s, np.max),
        "av_within_200ms_pct": _stat(diff_s <= tolerance_s, lambda ok: 100 * np.mean(ok)),
    }


def efficiency(
    runtime_s: ArrayLike,
    *,
    video_minutes: ArrayLike,
    peak_memory_mb: ArrayLike,
    peak_cpu_percent: ArrayLike,
) -> dict[str, float]:
    """Runtime per video minute (total time / total minutes), peak memory and CPU over runs."""
    rt, mins = _array(runtime_s, "runtime_s"), _array(video_minutes, "video_minutes")
    mem, cpu = _array(peak_memory_mb, "peak_memory_mb"), _array(peak_cpu_percent, "peak_cpu")
    per_min = rt.sum() / mins.sum() if mins.sum() > 0 else float("nan")
    return {
        "runtime_total_s": float(rt.sum()),
        "runtime_s_per_video_min": float(per_min),
        "peak_memory_mb": _stat(mem[np.isfinite(mem)], np.max),
        "peak_cpu_max_pct": _stat(cpu[np.isfinite(cpu)], np.max),
        "peak_cpu_mean_pct": _stat(cpu[np.isfinite(cpu)], np.mean),
    }


def evaluate(
    true_offsets_s: ArrayLike,
    est_offsets_s: ArrayLike,
    *,
    fps: ArrayLike,
    confidences: ArrayLike,
    distinct_motion: ArrayLike | None = None,
) -> dict[str, float]:
    """All accuracy and confidence scores of one method over its non-reference clips.

    Parameters
    ----------
    true_offsets_s, est_offsets_s : array_like [shape=(n_clips,)]
        Seconds; ``NaN`` = unsyncable / not placed (see the module Conventions).
    fps : array_like [shape=(n_clips,)]
        Each clip's frame rate, for the one-frame tolerance.
    confidences : array_like [shape=(n_clips,)]
        The engine's confidence in [0, 1]; ``NaN`` counts as 0.
    distinct_motion : array_like of bool or None
        Also score the clips with distinct motion (``dm_`` keys): the visual method's fair subset.
    """
    true_s, est_s = validate(true_offsets_s, est_offsets_s, allow_missing=True)
    fps_a, conf = _check_fps(fps, true_s.size), _array(confidences, "confidences")
    syncable = ~np.isnan(true_s)
    placed = syncable & ~np.isnan(est_s)
    t, e, f = true_s[placed], est_s[placed], fps_a[placed]
    scores = {
        "clips_n": float(true_s.size),
        "syncable_n": float(syncable.sum()),
        "synced_n": float(placed.sum()),
        "unsyncable_n": float((~syncable).sum()),
    }
    scores["mae_ms"], scores["rmse_ms"] = 1e3 * mae_s(t, e), 1e3 * rmse_s(t, e)
    scores["median_ms"] = 1e3 * median_abs_error_s(t, e)
    scores["max_ms"] = 1e3 * max_abs_error_s(t, e)
    scores["within_frame_pct"] = within_one_frame_pct(t, e, fps=f)
    scores["within_10ms_pct"] = within_tolerance_pct(t, e, tolerance_s=0.010)
    scores["failure_pct"] = failure_pct(est_s[syncable])
    scores["confident_wrong_n"] = float(
        confident_but_wrong_count(true_s, est_s, confidences=conf, fps=fps_a)
    )
    scores["refused_pct"] = refused_pct(est_s[~syncable], confidences=conf[~syncable])
    for band, (n, err_s) in error_by_band(t, e, confidences=conf[placed]).items():
        scores[f"band_{band}_n"], scores[f"band_{band}_mae_ms"] = float(n), 1e3 * err_s
    if distinct_motion is not None:
        dm = np.asarray(distinct_motion, dtype=bool)[placed]
        scores["dm_n"] = float(dm.sum())
        scores["dm_mae_ms"] = 1e3 * mae_s(t[dm], e[dm])
        scores["dm_within_frame_pct"] = within_one_frame_pct(t[dm], e[dm], fps=f[dm])
    return scores


def calibration(
    true_offsets_s: ArrayLike, est_offsets_s: ArrayLike, *, confidences: ArrayLike, fps: ArrayLike
) -> dict[str, float]:
    """Does a clip's confidence mean what it says? Expected calibration error (10 bins) and,
    per band, the observed fraction of clips within one frame (``cal_<band>_n``,
    ``cal_<band>_correct_pct``). Every non-reference clip counts: one not placed has
    its reported confidence and is not correct; an unsyncable clip is never correct.
    """
    from syncengine.calibration import expected_calibration_error, reliability_table

    true_s, est_s = validate(true_offsets_s, est_offsets_s, allow_missing=True)
    conf = np.clip(np.nan_to_num(_array(confidences, "confidences"), nan=0.0), 0.0, 1.0)
    frame_s = 1.0 / _check_fps(fps, true_s.size)
    with np.errstate(invalid="ignore"):
        correct = ~np.isnan(true_s) & ~np.isnan(est_s) & (np.abs(est_s - true_s) <= frame_s)
    out = {"ece": expected_calibration_error(conf, correct) if conf.size else math.nan}
    for (name, _, _), row in zip(BANDS, reliability_table(conf, correct), strict=True):
        out[f"cal_{name}_n"] = float(row.count)
        out[f"cal_{name}_correct_pct"] = 100.0 * row.fraction_correct
    return out


def evaluate_runs(runs: Sequence[dict[str, Any]]) -> dict[str, float]:
    """:func:`evaluate` plus agreement and efficiency over results.json runs of one method."""
    clips = clip_arrays(runs)
    scores = evaluate(
        clips["true_offset_s"],
        clips["est_offset_s"],
        fps=clips["fps"],
        confidences=clips["confidence"],
        distinct_motion=clips["distinct_motion"],
    )
    syncable = ~np.isnan(clips["true_offset_s"])
    scores |= agreement(clips["audio_video_diff_s"][syncable])
    scores |= calibration(
        clips["true_offset_s"],
        clips["est_offset_s"],
        confidences=clips["confidence"],
        fps=clips["fps"],
    )
    scores |= efficiency(**run_arrays(runs))
    scores["run_errors_n"] = float(sum(r.get("error_code") is not None for r in runs))
    return scores


def evaluate_results(results: dict[str, Any]) -> dict[str, Any]:
    """Per-method and per-method-per-tag scores of a results.json document (JSON-ready)."""
    methods = sorted({r["method"] for r in results["runs"]}, key=_method_key)
    by_method, by_tag = {}, {}
    for method in methods:
        runs = [r for r in results["runs"] if r["method"] == method]
        by_method[method] = evaluate_runs(runs)
        tags = sorted({t for r in runs for t in r.get("tags", [])})
        by_tag[method] = {
            t: evaluate_runs([r for r in runs if t in r.get("tags", [])]) for t in tags
        }
    return {
        "preset": results.get("preset"),
        "engine_version": results.get("engine_version"),
        "note": ACCURACY_NOTE,
        "methods": by_method,
        "by_tag": by_tag,
    }


def _method_key(method: str) -> tuple[int, str]:
    order = ("audio", "visual", "auto")
    return (order.index(method) if method in order else len(order), method)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(
        prog="python -m evaluation.compute_metrics",
        description="Score results.json; write metrics.json.",
    )
    add_dataset_arguments(parser)
    args = parser.parse_args(argv)
    root = args.out / args.preset
    results = load_json(root / "results.json")
    metrics = evaluate_results(results)
    shoots = None
    if str(results.get("preset", "")).startswith("shoots-"):
        from evaluation.shoots_metrics import condition_rows, markdown, misses

        rows = condition_rows(results)
        metrics["conditions"], metrics["misses"] = rows, misses(results)
        shoots = markdown(rows)
        (root / "shoots.md").write_text(shoots + "\n", encoding="utf-8")
    (root / "metrics.json").write_text(json.dumps(json_ready(metrics), indent=1) + "\n")
    print(summary_text(metrics))
    if shoots is not None:
        print("\n" + shoots + f"\n\nwrote {root / 'shoots.md'}")
    print(f"\nwrote {root / 'metrics.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
