"""The four documented evaluation commands, end to end on the small preset, with sane metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluation import compute_metrics, offset_generation, run_batch, visualize_results

HALF_FRAME_MS = 1000 / 30 / 2


@pytest.fixture(scope="module")
def metrics(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("evaluation")
    args = ["--preset", "small", "--out", str(out)]
    assert offset_generation.main(args) == 0
    assert run_batch.main(args) == 0
    assert compute_metrics.main(args) == 0
    assert visualize_results.main(args) == 0
    folder = out / "small"
    return json.loads((folder / "metrics.json").read_text()), folder


def test_audio_is_sub_millisecond_where_sound_overlaps(metrics) -> None:
    audio = metrics[0]["methods"]["audio"]
    assert audio["synced_n"] >= 20
    assert audio["mae_ms"] < 2.0 and audio["within_frame_pct"] >= 99.0


def test_visual_is_within_half_a_frame(metrics) -> None:
    assert metrics[0]["methods"]["visual"]["dm_mae_ms"] <= HALF_FRAME_MS


@pytest.mark.parametrize("method", ["audio", "visual", "auto"])
def test_no_method_is_confidently_wrong_and_strangers_are_refused(metrics, method) -> None:
    scores = metrics[0]["methods"][method]
    assert scores["confident_wrong_n"] == 0
    assert scores["refused_pct"] == 100.0
    assert scores["runtime_s_per_video_min"] > 0 and scores["peak_memory_mb"] > 0


def test_auto_syncs_nearly_every_syncable_clip(metrics) -> None:
    assert metrics[0]["methods"]["auto"]["failure_pct"] <= 5.0


def test_it_writes_every_report(metrics) -> None:
    folder = metrics[1]
    for name in ("manifest.json", "results.json", "metrics.json"):
        assert (folder / name).stat().st_size > 0
    plots = sorted((folder / "plots").glob("*.png"))
    assert len(plots) >= 5
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in plots)
