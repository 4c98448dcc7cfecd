"""Shared plumbing of the evaluation reports: read results.json into arrays, format tables.

Conventions
-----------
- Offsets are seconds, positive when a clip started after its case's reference (the engine's
  ``offset_s``). In the arrays, ``NaN`` stands for JSON ``null``: an unsyncable clip's true
  offset, or the estimate of a clip that was not synced.
- A clip counts as synced only when ``synced`` is true, ``est_offset_s`` is a number and no
  ``error_code`` is set; otherwise its estimate is ``NaN`` here, whatever the file says.
- Reference clips (``is_reference``) are dropped: they are 0 by definition.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "DEFAULT_OUT",
    "add_dataset_arguments",
    "clip_arrays",
    "clip_rows",
    "format_table",
    "json_ready",
    "load_json",
    "markdown_table",
    "run_arrays",
    "summary_text",
]

DEFAULT_OUT = Path(__file__).resolve().parent / "output"


def add_dataset_arguments(
    parser: argparse.ArgumentParser, *, presets: Sequence[str] | None = None
) -> None:
    """``--preset`` and ``--out``, shared by every evaluation command so they find one folder."""
    parser.add_argument("--preset", choices=presets, default="full", help="default: full")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default: evaluation/output")


def load_json(path: Path) -> dict[str, Any]:
    """Read a JSON document, naming the file and the command that writes it when missing."""
    path = Path(path)
    if not path.is_file():
        writer = {
            "results.json": "evaluation.run_batch",
            "manifest.json": "evaluation.offset_generation",
            "metrics.json": "evaluation.compute_metrics",
        }
        hint = writer.get(path.name)
        raise SystemExit(f"{path} not found" + (f"; run python -m {hint} first" if hint else ""))
    return json.loads(path.read_text(encoding="utf-8"))


def _num(value: Any) -> float:
    return float("nan") if value is None else float(value)


def clip_rows(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The non-reference clips of ``runs``, each with its run's method, case and tags added."""
    rows = []
    for run in runs:
        for clip in run.get("clips", []):
            if clip.get("is_reference"):
                continue
            errored = clip.get("error_code") is not None or run.get("error_code") is not None
            synced = bool(clip.get("synced")) and clip.get("est_offset_s") is not None
            synced = synced and not errored
            syncable = clip.get("syncable", True) and clip.get("true_offset_s") is not None
            rows.append(
                {
                    **clip,
                    "method": run["method"],
                    "case_id": run["case_id"],
                    "run_tags": run.get("tags", []),
                    "synced_ok": synced,
                    "syncable_ok": bool(syncable),
                }
            )
    return rows


def clip_arrays(runs: Sequence[dict[str, Any]]) -> dict[str, NDArray[Any]]:
    """Column arrays over the non-reference clips of ``runs`` (see the module Conventions).

    Returns
    -------
    dict[str, ndarray]
        ``true_offset_s``, ``est_offset_s``, ``fps``, ``confidence``, ``audio_video_diff_s``
        (float64, ``NaN`` for null) and ``distinct_motion`` (bool), each [shape=(n_clips,)].
        A mapping of columns, as a data frame would be.
    """
    rows = clip_rows(runs)
    return {
        "true_offset_s": np.array(
            [_num(r["true_offset_s"]) if r["syncable_ok"] else math.nan for r in rows],
            dtype=np.float64,
        ),
        "est_offset_s": np.array(
            [_num(r["est_offset_s"]) if r["synced_ok"] else math.nan for r in rows],
            dtype=np.float64,
        ),
        "fps": np.array([_num(r.get("fps")) for r in rows], dtype=np.float64),
        "confidence": np.array([_num(r.get("confidence")) for r in rows], dtype=np.float64),
        "audio_video_diff_s": np.array(
            [_num(r.get("audio_video_diff_s")) for r in rows], dtype=np.float64
        ),
        "distinct_motion": np.array([bool(r.get("distinct_motion")) for r in rows], dtype=bool),
    }


def run_arrays(runs: Sequence[dict[str, Any]]) -> dict[str, NDArray[np.float64]]:
    """``runtime_s``, ``video_minutes``, ``peak_memory_mb`` and ``peak_cpu_percent`` per run."""
    keys = ("runtime_s", "video_minutes", "peak_memory_mb", "peak_cpu_percent")
    return {k: np.array([_num(r.get(k)) for r in runs], dtype=np.float64) for k in keys}


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    cells = [list(header), *[list(r) for r in rows]]
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )

    return "\n".join(
        [line(cells[0]), "  ".join("-" * w for w in widths), *[line(r) for r in cells[1:]]]
    )


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub markdown table, numbers right-aligned (every column but the first)."""
    align = ["---"] + ["---:"] * (len(header) - 1)
    esc = [[str(c).replace("|", "\\|") for c in r] for r in (header, align, *rows)]
    return "\n".join("| " + " | ".join(r) + " |" for r in esc)


_SUMMARY_ROWS = (
    ("clips (syncable/unsyncable)", None),
    ("synced_n", "{:.0f}"),
    ("mae_ms", "{:.3f}"),
    ("rmse_ms", "{:.3f}"),
    ("median_ms", "{:.3f}"),
    ("max_ms", "{:.1f}"),
    ("within_frame_pct", "{:.1f}"),
    ("within_10ms_pct", "{:.1f}"),
    ("failure_pct", "{:.1f}"),
    ("confident_wrong_n", "{:.0f}"),
    ("refused_pct", "{:.1f}"),
    ("band_excellent_mae_ms", "{:.2f}"),
    ("band_good_mae_ms", "{:.2f}"),
    ("band_fair_mae_ms", "{:.2f}"),
    ("dm_mae_ms", "{:.2f}"),
    ("dm_within_frame_pct", "{:.1f}"),
    ("av_within_200ms_pct", "{:.1f}"),
    ("av_diff_median_ms", "{:.2f}"),
    ("runtime_s_per_video_min", "{:.2f}"),
    ("peak_memory_mb", "{:.0f}"),
    ("peak_cpu_max_pct", "{:.0f}"),
    ("peak_cpu_mean_pct", "{:.0f}"),
    ("run_errors_n", "{:.0f}"),
    ("ece", "{:.3f}"),
    ("cal_excellent_n", "{:.0f}"),
    ("cal_excellent_correct_pct", "{:.1f}"),
    ("cal_good_n", "{:.0f}"),
    ("cal_good_correct_pct", "{:.1f}"),
    ("cal_fair_n", "{:.0f}"),
    ("cal_fair_correct_pct", "{:.1f}"),
    ("cal_poor_n", "{:.0f}"),
    ("cal_poor_correct_pct", "{:.1f}"),
)
# key in the scores, column heading, format
_TAG_COLUMNS = (
    ("clips_n", "clips", "{:.0f}"),
    ("mae_ms", "MAE ms", "{:.3f}"),
    ("max_ms", "max ms", "{:.1f}"),
    ("within_frame_pct", "<=1 frame %", "{:.1f}"),
    ("within_10ms_pct", "<=10 ms %", "{:.1f}"),
    ("failure_pct", "failed %", "{:.1f}"),
    ("confident_wrong_n", "conf. wrong", "{:.0f}"),
    ("refused_pct", "refused %", "{:.1f}"),
    ("runtime_s_per_video_min", "s/video min", "{:.2f}"),
)


def _cell(scores: dict[str, float], key: str, fmt: str | None) -> str:
    if fmt is None:
        return f"{scores['syncable_n']:.0f}/{scores['unsyncable_n']:.0f}"
    value = scores.get(key)
    return "-" if value is None or not np.isfinite(value) else fmt.format(value)


def summary_text(metrics: dict[str, Any]) -> str:
    """The printed report: one table over methods, then one per method over tags."""
    methods = list(metrics["methods"])
    rows = [
        [key] + [_cell(metrics["methods"][m], key, fmt) for m in methods]
        for key, fmt in _SUMMARY_ROWS
    ]
    parts = [
        f"Syncsite {metrics.get('engine_version')} on preset {metrics.get('preset')!r}",
        format_table(["metric", *methods], rows),
        f"Note: {metrics['note']}.",
    ]
    for m in methods:
        rows = [
            [tag] + [_cell(s, k, f) for k, _, f in _TAG_COLUMNS]
            for tag, s in metrics["by_tag"][m].items()
        ]
        header = ["tag"] + [label for _, label, _ in _TAG_COLUMNS]
        parts += [f"\n{m} by tag", format_table(header, rows)]
    return "\n".join(parts)


def json_ready(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by None (JSON has no NaN)."""
    if isinstance(obj, dict):
        return {k: json_ready(v) for k, v in obj.items()}
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj
