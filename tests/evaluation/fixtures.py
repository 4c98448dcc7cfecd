"""A small hand-made results.json (and its manifest) whose metrics are worked out by hand below.

Three cases, each with a reference ``cam1`` (excluded from metrics):

- ``c001`` (offset_range): cam2 at +1.25 s (30 fps), cam3 at -2.0 s (25 fps);
- ``c002`` (unsyncable): cam2 at +0.5 s (30 fps, no distinct motion), cam3 shares nothing;
- ``c003`` (no_audio): cam2 at +3.0 s (30 fps) without an audio track.

Errors (ms) of the synced syncable clips, by method:

- audio: 1, 4, 100 (c002 cam2, confidence 0.6: confident but wrong); c003 cam2 not synced;
  c002 cam3 refused (confidence 0.1).
- visual: 8, 0, 20, 12; c002 cam3 (unsyncable) synced at confidence 0.55: confident but wrong.
- auto: like audio on c001/c002, 12 on c003; audio/visual differences 7, 4, 300 ms on syncable
  clips, 2000 ms on the unsyncable one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PRESET = "tiny"
CASES = {  # case id -> (tags, [(name, true_offset_s, fps, distinct_motion, has_audio)])
    "c001": (
        ["offset_range"],
        [
            ("cam1.mp4", 0.0, 30.0, True, True),
            ("cam2.mp4", 1.25, 30.0, True, True),
            ("cam3.mp4", -2.0, 25.0, True, True),
        ],
    ),
    "c002": (
        ["unsyncable"],
        [
            ("cam1.mp4", 0.0, 30.0, True, True),
            ("cam2.mp4", 0.5, 30.0, False, True),
            ("cam3.mp4", None, 30.0, True, True),
        ],
    ),
    "c003": (
        ["no_audio"],
        [("cam1.mp4", 0.0, 30.0, True, True), ("cam2.mp4", 3.0, 30.0, True, False)],
    ),
}
# method -> case -> name -> (est_offset_s or None, confidence, synced, audio_video_diff_s)
ESTIMATES = {
    "audio": {
        "c001": {"cam2.mp4": (1.251, 0.95, True, None), "cam3.mp4": (-2.004, 0.9, True, None)},
        "c002": {"cam2.mp4": (0.6, 0.6, True, None), "cam3.mp4": (None, 0.1, False, None)},
        "c003": {"cam2.mp4": (None, None, False, None)},
    },
    "visual": {
        "c001": {"cam2.mp4": (1.258, 0.7, True, None), "cam3.mp4": (-2.0, 0.85, True, None)},
        "c002": {"cam2.mp4": (0.52, 0.4, True, None), "cam3.mp4": (3.0, 0.55, True, None)},
        "c003": {"cam2.mp4": (3.012, 0.9, True, None)},
    },
    "auto": {
        "c001": {"cam2.mp4": (1.251, 0.95, True, 0.007), "cam3.mp4": (-2.004, 0.9, True, 0.004)},
        "c002": {"cam2.mp4": (0.6, 0.6, True, 0.3), "cam3.mp4": (None, 0.1, False, 2.0)},
        "c003": {"cam2.mp4": (3.012, 0.9, True, None)},
    },
}
# method -> per case (runtime_s, video_minutes, peak_memory_mb, peak_cpu_percent)
RESOURCES = {
    "audio": [(0.6, 0.5, 100.0, 150.0), (0.9, 0.5, 120.0, 90.0), (0.3, 0.25, 80.0, 60.0)],
    "visual": [(1.0, 0.5, 200.0, 190.0), (1.5, 0.5, 210.0, 180.0), (1.0, 0.25, 150.0, 170.0)],
    "auto": [(1.2, 0.5, 220.0, 195.0), (1.8, 0.5, 230.0, 185.0), (1.0, 0.25, 160.0, 175.0)],
}
# Hand-computed scores (see the module docstring); errors in ms.
EXPECTED = {
    "audio": {
        "synced_n": 3,
        "mae_ms": 35.0,
        "rmse_ms": (10017 / 3) ** 0.5,
        "median_ms": 4.0,
        "max_ms": 100.0,
        "within_frame_pct": 200 / 3,
        "within_10ms_pct": 200 / 3,
        "failure_pct": 25.0,
        "confident_wrong_n": 1,
        "refused_pct": 100.0,
        "runtime_s_per_video_min": 1.8 / 1.25,
        "peak_memory_mb": 120.0,
        "peak_cpu_max_pct": 150.0,
        "peak_cpu_mean_pct": 100.0,
    },
    "visual": {
        "synced_n": 4,
        "mae_ms": 10.0,
        "rmse_ms": 152**0.5,
        "median_ms": 10.0,
        "max_ms": 20.0,
        "within_frame_pct": 100.0,
        "within_10ms_pct": 50.0,
        "failure_pct": 0.0,
        "confident_wrong_n": 1,
        "refused_pct": 0.0,
        "dm_n": 3,
        "dm_mae_ms": 20 / 3,
        "band_fair_mae_ms": 20.0,
        "band_good_mae_ms": 8.0,
        "band_excellent_mae_ms": 6.0,
    },
    "auto": {
        "synced_n": 4,
        "mae_ms": 117 / 4,
        "failure_pct": 0.0,
        "confident_wrong_n": 1,
        "refused_pct": 100.0,
        "av_n": 3,
        "av_diff_median_ms": 7.0,
        "av_diff_max_ms": 300.0,
        "av_within_200ms_pct": 200 / 3,
    },
}


def manifest() -> dict[str, Any]:
    """The manifest of the three cases (files are not written)."""
    cases = []
    for case_id, (tags, clips) in CASES.items():
        cases.append(
            {
                "id": case_id,
                "tags": tags,
                "reference": clips[0][0],
                "clips": [
                    {
                        "file": f"cases/{case_id}/{name}",
                        "name": name,
                        "true_offset_s": true_s,
                        "syncable": true_s is not None,
                        "has_audio": has_audio,
                        "fps": fps,
                        "sample_rate_hz": 48000,
                        "channels": 1,
                        "duration_s": 10.0,
                        "drift_ppm": 0.0,
                        "distinct_motion": dm,
                    }
                    for name, true_s, fps, dm, has_audio in clips
                ],
            }
        )
    return {
        "preset": PRESET,
        "seed": 0,
        "source": "synthetic",
        "speech": "synthetic",
        "cases": cases,
    }


def _clip(
    name: str,
    true_s: float | None,
    fps: float,
    dm: bool,
    has_audio: bool,
    *,
    is_ref: bool,
    estimate: tuple[Any, ...] | None,
) -> dict[str, Any]:
    est_s, conf, synced, diff_s = estimate or (0.0, 1.0, True, None)
    error = None if synced or conf is not None else "no_audio"  # not refused: it failed
    return {
        "name": name,
        "is_reference": is_ref,
        "true_offset_s": true_s,
        "est_offset_s": est_s,
        "confidence": conf,
        "band": None,
        "synced": synced,
        "syncable": true_s is not None,
        "fps": fps,
        "has_audio": has_audio,
        "distinct_motion": dm,
        "audio_offset_s": None,
        "visual_offset_s": None,
        "audio_video_diff_s": diff_s,
        "drift_ppm": None,
        "error_code": error,
    }


def results() -> dict[str, Any]:
    """The results.json document of the three cases and three methods."""
    runs = []
    for method, by_case in ESTIMATES.items():
        for (case_id, (tags, clips)), res in zip(CASES.items(), RESOURCES[method], strict=True):
            runtime_s, minutes, mem_mb, cpu_pct = res
            runs.append(
                {
                    "case_id": case_id,
                    "method": method,
                    "tags": tags,
                    "runtime_s": runtime_s,
                    "peak_memory_mb": mem_mb,
                    "children_peak_memory_mb": 40.0,
                    "peak_cpu_percent": cpu_pct,
                    "video_minutes": minutes,
                    "error_code": None,
                    "clips": [
                        _clip(*c, is_ref=i == 0, estimate=by_case[case_id].get(c[0]))
                        for i, c in enumerate(clips)
                    ],
                }
            )
    return {
        "preset": PRESET,
        "engine_version": "0.0.0-test",
        "created": "2025-01-01T00:00:00",
        "machine": {"cpus": 2, "python": "3.11.7"},
        "runs": runs,
    }


def write_results(out_dir: Path) -> Path:
    """Write ``<out_dir>/<PRESET>/results.json`` and ``manifest.json``; returns that folder."""
    root = Path(out_dir) / PRESET
    root.mkdir(parents=True, exist_ok=True)
    (root / "results.json").write_text(json.dumps(results(), indent=1))
    (root / "manifest.json").write_text(json.dumps(manifest(), indent=1))
    return root
