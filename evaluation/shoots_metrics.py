"""Per-condition scores of a real-shoot batch (:mod:`evaluation.shoots`), with and without the
camera grouping given.

:func:`condition_rows` scores a ``results.json`` document of a ``shoots-*`` preset: one row per
condition (a case's first tag) and method label (``auto``: bare paths; ``auto+cameras``: every
clip's camera key passed), plus an ``all`` row per method. :func:`markdown` formats them;
``python -m evaluation.compute_metrics --preset shoots-heldout`` writes them to
``<out>/<preset>/shoots.md`` and ``metrics.json`` (``conditions``).

Conventions
-----------
- Over the non-reference files of the condition's cases (every file of these presets is
  syncable). ``within_frame_pct``: files placed within one frame of their own rate (an
  audio-only file: the reference's) of the true offset, as a share of all files: a file not
  placed counts as a miss. ``worst_ms``: the largest error over the placed files (None: none
  placed). ``confident_wrong_n``: placed with confidence >= 0.5 and more than a frame off.
  ``placed_by``: how many placed files each ``placed_by`` value has (``?`` for an empty one),
  ``not placed`` for the rest.
- A drifting file (``true_drift_ppm`` != 0) is also scored at its end: ``end_ms`` is
  ``|(est + D (1 + est_ppm 1e-6)) - (true + D (1 + true_ppm 1e-6))|`` for its duration ``D``
  (a missing ``drift_ppm`` counts as 0). A skewed file (``true_skew_s`` != 0) reports the
  engine's ``sound_skew_s`` and ``audio_video_diff_s`` beside the true skew.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from syncengine.constants import SYNCED_THRESHOLD

__all__ = ["CONFIDENT", "condition_rows", "markdown", "misses"]

CONFIDENT = 0.5
_ = SYNCED_THRESHOLD  # the engine's own "synced" decides what is placed (results.json's synced)


def _clips(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for run in runs:
        for clip in run["clips"]:
            if clip.get("is_reference") or clip.get("true_offset_s") is None:
                continue
            placed = (
                bool(clip.get("synced"))
                and clip.get("est_offset_s") is not None
                and run.get("error_code") is None
            )
            err_s = abs(clip["est_offset_s"] - clip["true_offset_s"]) if placed else None
            out.append({**clip, "case_id": run["case_id"], "placed": placed, "err_s": err_s})
    return out


def _end_ms(c: dict[str, Any]) -> float | None:
    true_ppm = c.get("true_drift_ppm") or 0.0
    if not true_ppm or not c["placed"]:
        return None
    d = float(c.get("duration_s") or 0.0)
    est_ppm = c.get("drift_ppm") or 0.0
    est_end = c["est_offset_s"] + d * (1 + est_ppm * 1e-6)
    true_end = c["true_offset_s"] + d * (1 + true_ppm * 1e-6)
    return round(1e3 * abs(est_end - true_end), 2)


def _score(clips: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(clips)
    placed = [c for c in clips if c["placed"]]
    ok = [c for c in placed if c["err_s"] <= 1.0 / c["fps"]]
    wrong = [
        c
        for c in placed
        if c["err_s"] > 1.0 / c["fps"] and (c.get("confidence") or 0.0) >= CONFIDENT
    ]
    by = Counter((c.get("placed_by") or "?") for c in placed)
    if n > len(placed):
        by["not placed"] = n - len(placed)
    drift = [
        {
            "name": c["name"],
            "true_ppm": c.get("true_drift_ppm"),
            "est_ppm": c.get("drift_ppm"),
            "end_ms": _end_ms(c),
        }
        for c in clips
        if c.get("true_drift_ppm")
    ]
    skew = [
        {
            "name": c["name"],
            "true_skew_ms": round(1e3 * c["true_skew_s"], 1),
            "audio_video_diff_ms": None
            if c.get("audio_video_diff_s") is None
            else round(1e3 * c["audio_video_diff_s"], 1),
            "sound_skew_ms": None
            if c.get("sound_skew_s") is None
            else round(1e3 * c["sound_skew_s"], 1),
        }
        for c in clips
        if c.get("true_skew_s")
    ]
    return {
        "files_n": n,
        "placed_n": len(placed),
        "within_frame_n": len(ok),
        "within_frame_pct": None if n == 0 else round(100.0 * len(ok) / n, 1),
        "worst_ms": None if not placed else round(1e3 * max(c["err_s"] for c in placed), 2),
        "confident_wrong_n": len(wrong),
        "placed_by": dict(sorted(by.items())),
        "drift": drift,
        "skew": skew,
    }


def condition_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per condition and method label, then an ``all`` row per method label."""
    runs = results["runs"]
    methods = list(dict.fromkeys(r["method"] for r in runs))
    conditions = list(dict.fromkeys(r["tags"][0] for r in runs))
    rows = []
    for condition in [*conditions, "all"]:
        for method in methods:
            chosen = [
                r
                for r in runs
                if r["method"] == method and (condition == "all" or r["tags"][0] == condition)
            ]
            if chosen:
                rows.append({"condition": condition, "method": method, **_score(_clips(chosen))})
    return rows


def misses(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every non-reference file not placed within one frame, with the engine's notes."""
    out = []
    for run in results["runs"]:
        for c in _clips([run]):
            if c["placed"] and c["err_s"] <= 1.0 / c["fps"]:
                continue
            out.append(
                {
                    "case_id": run["case_id"],
                    "method": run["method"],
                    "name": c["name"],
                    "camera": c.get("camera"),
                    "true_offset_s": c["true_offset_s"],
                    "est_offset_s": c.get("est_offset_s"),
                    "err_ms": None if c["err_s"] is None else round(1e3 * c["err_s"], 1),
                    "confidence": c.get("confidence"),
                    "placed_by": c.get("placed_by"),
                    "error_code": c.get("error_code"),
                    "notes": c.get("notes", []),
                }
            )
    return out


def _by(placed_by: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in placed_by.items())


def markdown(rows: Sequence[dict[str, Any]]) -> str:
    """The rows as a Markdown table (plus drift and skew details where the rows have them)."""
    lines = [
        "| condition | method | files | <=1 frame | worst ms | confidently wrong | placed_by |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    extra = []
    for r in rows:
        pct = "-" if r["within_frame_pct"] is None else f"{r['within_frame_pct']:.0f} %"
        worst = "-" if r["worst_ms"] is None else f"{r['worst_ms']:.1f}"
        lines.append(
            f"| {r['condition']} | {r['method']} | {r['files_n']} | {pct} | {worst} | "
            f"{r['confident_wrong_n']} | {_by(r['placed_by'])} |"
        )
        if r["condition"] == "all":
            continue
        for d in r["drift"]:
            est = "-" if d["est_ppm"] is None else f"{d['est_ppm']:+.1f}"
            end = "-" if d["end_ms"] is None else f"{d['end_ms']:.1f} ms"
            extra.append(
                f"- {r['condition']} / {r['method']} / {d['name']}: drift true "
                f"{d['true_ppm']:+.1f} ppm, measured {est} ppm; error at the end {end}"
            )
        for s in r["skew"]:
            av = "-" if s["audio_video_diff_ms"] is None else f"{s['audio_video_diff_ms']:+.1f} ms"
            sk = "-" if s.get("sound_skew_ms") is None else f"{s['sound_skew_ms']:+.1f} ms"
            extra.append(
                f"- {r['condition']} / {r['method']} / {s['name']}: sound {s['true_skew_ms']:.0f}"
                f" ms late on its picture; engine's skew {sk}, audio-visual difference {av}"
            )
    return "\n".join(lines + ([""] + extra if extra else []))
