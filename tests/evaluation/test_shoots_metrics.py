"""The per-condition scores of a real-shoot batch, on a results document written by hand."""

from __future__ import annotations

from typing import Any

import pytest

from evaluation.shoots_metrics import condition_rows, markdown, misses


def _clip(name: str, true_s: float | None, est_s: float | None, **kw: Any) -> dict[str, Any]:
    return {
        "name": name,
        "is_reference": true_s == 0.0 and name.startswith("ref"),
        "true_offset_s": true_s,
        "est_offset_s": est_s,
        "synced": est_s is not None,
        "confidence": kw.pop("confidence", 0.9 if est_s is not None else 0.0),
        "fps": 30.0,
        "placed_by": "content" if est_s is not None else "",
        "notes": [],
        **kw,
    }


def _results() -> dict[str, Any]:
    chapters = [
        _clip("ref.mp4", 0.0, 0.0),
        _clip("GX01.MP4", -2.0, -2.0004),
        _clip("GX02.MP4", 10.0, 10.05),  # 50 ms: wrong, and sure of it
        _clip("GX03.MP4", 22.0, None, notes=["no reliable match"]),
    ]
    grouped = [dict(c) for c in chapters]
    grouped[2] = _clip("GX02.MP4", 10.0, 10.0002)
    grouped[3] = _clip("GX03.MP4", 22.0, 22.0001, placed_by="camera", confidence=0.3)
    drift = [
        _clip("ref.mp4", 0.0, 0.0),
        _clip("D.MP4", 3.0, 3.0001, drift_ppm=290.0, true_drift_ppm=300.0, duration_s=100.0),
    ]
    return {
        "preset": "shoots-test",
        "runs": [
            {"case_id": "s001", "method": "auto", "tags": ["chapters"], "clips": chapters},
            {"case_id": "s001", "method": "auto+cameras", "tags": ["chapters"], "clips": grouped},
            {"case_id": "s002", "method": "auto", "tags": ["drift"], "clips": drift},
        ],
    }


def test_it_scores_each_condition_with_and_without_the_cameras() -> None:
    rows = {(r["condition"], r["method"]): r for r in condition_rows(_results())}
    bare, grouped = rows[("chapters", "auto")], rows[("chapters", "auto+cameras")]
    assert (bare["files_n"], bare["placed_n"], bare["within_frame_n"]) == (3, 2, 1)
    assert bare["within_frame_pct"] == pytest.approx(33.3)
    assert bare["worst_ms"] == pytest.approx(50.0) and bare["confident_wrong_n"] == 1
    assert bare["placed_by"] == {"content": 2, "not placed": 1}
    assert grouped["within_frame_pct"] == 100.0 and grouped["confident_wrong_n"] == 0
    assert grouped["placed_by"] == {"camera": 1, "content": 2}
    assert rows[("all", "auto")]["files_n"] == 4 and rows[("all", "auto+cameras")]["files_n"] == 3


def test_a_drifting_clip_is_also_scored_at_its_end() -> None:
    (drift,) = condition_rows(_results())[2]["drift"]
    # 0.1 ms at the start, plus 10 ppm of 100 s = 1 ms at the end
    assert drift == {"name": "D.MP4", "true_ppm": 300.0, "est_ppm": 290.0, "end_ms": 0.9}
    assert "measured +290.0 ppm; error at the end 0.9 ms" in markdown(condition_rows(_results()))


def test_misses_list_every_file_off_by_more_than_a_frame_with_its_notes() -> None:
    found = {(m["method"], m["name"]): m for m in misses(_results())}
    assert set(found) == {("auto", "GX02.MP4"), ("auto", "GX03.MP4")}
    assert found[("auto", "GX02.MP4")]["err_ms"] == pytest.approx(50.0)
    assert found[("auto", "GX03.MP4")]["notes"] == ["no reliable match"]
