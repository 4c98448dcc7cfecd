"""compare_peers: sign conventions, scores and table of peers; one real peer run when installed."""

from __future__ import annotations

import json
import math
import sys

import pytest

from evaluation import compare_peers as cp
from evaluation.report import format_table, markdown_table
from evaluation.synth import CameraSpec, write_clips

PEERS_PYTHON = cp._default_python()


def _installed(tool: str) -> bool:
    return cp.peer_available(tool, python=PEERS_PYTHON) is None


# Raw answers as the tools gave them on clips starting 1.25 s after / 2.4 s before the reference.
@pytest.mark.parametrize(
    ("tool", "raw", "expected_s"),
    [
        ("syncstart", {"cut_file": "reference", "cut_s": 1.25}, 1.25),
        ("syncstart", {"cut_file": "other", "cut_s": 2.4}, -2.4),
        ("audalign", {"reference_shift_s": 0.0, "other_shift_s": 1.25388}, 1.25388),
        ("audalign-correlation", {"reference_shift_s": 2.4, "other_shift_s": 0.0}, -2.4),
        ("audio-offset-finder", {"time_offset": 1.248, "standard_score": 12.3}, 1.248),
        ("audio-offset-finder", {"time_offset": -2.4, "standard_score": 12.4}, -2.4),
    ],
)
def test_it_converts_each_tools_answer_to_our_sign_convention(tool, raw, expected_s):
    assert cp.to_reference_offset_s(tool, raw) == pytest.approx(expected_s)


def test_it_rejects_unknown_tools_and_answers():
    with pytest.raises(ValueError, match="unknown tool 'plural-eyes'"):
        cp.to_reference_offset_s("plural-eyes", {})
    with pytest.raises(ValueError, match="syncstart named neither input: 'x.mp4'"):
        cp.to_reference_offset_s("syncstart", {"cut_file": "x.mp4", "cut_s": 1.0})


def _record(tool, true_s, est_s, score=None, fps=30.0):
    return {"tool": tool, "tags": ["t"], "true_offset_s": true_s, "est_offset_s": est_s,
            "fps": fps, "score": score, "call_s": 1.0, "process_s": 2.0,
            "peak_memory_mb": 100.0}  # fmt: skip


def test_peer_scores_use_the_documented_score_threshold():
    records = [_record("audio-offset-finder", 1.0, 1.01, score=12.0),
               _record("audio-offset-finder", 2.0, 3.0, score=11.0),  # confident, wrong
               _record("audio-offset-finder", 2.0, 2.5, score=4.0),  # wrong, but said so
               _record("audio-offset-finder", None, 0.3, score=3.0),  # refused (score <= 10)
               _record("audio-offset-finder", -1.0, None)]  # failed  # fmt: skip
    s = cp.peer_scores(records, "audio-offset-finder")
    assert s["mae_ms"] == pytest.approx((10 + 1000 + 500) / 3)
    assert s["within_frame_pct"] == pytest.approx(100 / 3)
    assert s["failure_pct"] == pytest.approx(25.0)
    assert s["confident_wrong_n"] == 1
    assert s["refused_pct"] == 100.0
    assert (s["runtime_total_s"], s["process_total_s"], s["peak_memory_mb"]) == (5.0, 10.0, 100.0)


def test_tools_without_confidence_show_na_with_their_wrong_answers():
    records = [_record("syncstart", 1.0, 1.0), _record("syncstart", 1.0, 4.0),
               _record("syncstart", None, 2.0)]  # fmt: skip
    rows = cp.table_rows({
        "Syncsite audio": {"mae_ms": 0.5, "within_frame_pct": 100.0, "failure_pct": 0.0,
                           "confident_wrong_n": 0.0, "runtime_total_s": 3.25,
                           "peak_memory_mb": 210.4},
        "syncstart": cp.peer_scores(records, "syncstart"),
        "audalign": {"unavailable": "not installed: No module named 'audalign'"},
    })  # fmt: skip
    assert rows[0] == ["Syncsite audio", "0.50", "100.0", "0.0", "0", "3.2", "-", "210"]
    assert rows[1] == ["syncstart", "1500.00", "50.0", "0.0", "n/a (2 wrong)", "3.0", "6.0", "100"]
    assert rows[2][1] == "unavailable: not installed: No module named 'audalign'"
    text = format_table(cp.HEADER, rows)
    assert text.splitlines()[0].startswith("tool / method") and "n/a (2 wrong)" in text
    md = markdown_table(cp.HEADER, rows).splitlines()
    assert md[0].startswith("| tool / method | MAE ms |") and md[1].startswith("| --- | ---: |")
    assert len(md) == 2 + len(rows)


def test_it_reports_a_peer_that_is_not_installed():
    reason = cp.peer_available("syncstart", python=sys.executable)
    assert reason is None or reason.startswith("not installed")  # the project venv has none
    assert cp.peer_available("syncstart", python="/nonexistent/python") == (
        "no interpreter at /nonexistent/python")


def test_run_pair_reports_a_runner_error_as_the_answer(tmp_path):
    env = cp._child_env(None)
    got = cp.run_pair("no-such-tool", tmp_path / "a.mp4", tmp_path / "b.mp4",
                      python=sys.executable, env=env, timeout_s=60)  # fmt: skip
    assert got["error"].startswith("ValueError: unknown tool 'no-such-tool'")
    assert got["peak_memory_mb"] > 1 and got["process_s"] > 0


@pytest.fixture(scope="module")
def late_pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("peer_pair")
    small = {"width": 160, "height": 120}
    specs = [CameraSpec("ref", 0.0, 12.0, **small), CameraSpec("late", 1.25, 10.0, **small)]
    paths = write_clips(specs, folder, seed=7)
    return paths["ref"], paths["late"]


@pytest.mark.parametrize("tool", ["syncstart", "audio-offset-finder"])
def test_an_installed_peer_finds_a_known_offset_in_our_convention(tool, tmp_path, request):
    if not _installed(tool):
        pytest.skip(f"{tool} is not installed in {PEERS_PYTHON} (requirements-peers.txt)")
    late_pair = request.getfixturevalue("late_pair")  # render clips only when a peer can run
    shims = tmp_path / "bin"
    shims.mkdir()
    cp._write_shims(shims, python=PEERS_PYTHON)
    got = cp.run_pair(tool, *late_pair, python=PEERS_PYTHON, env=cp._child_env(shims),
                      timeout_s=300)  # fmt: skip
    assert "error" not in got, got.get("error")
    assert cp.to_reference_offset_s(tool, got["raw"]) == pytest.approx(1.25, abs=1 / 30)
    assert got["peak_memory_mb"] > 10 and 0 < got["call_s"] < got["process_s"]
    assert math.isfinite(got["score"]) if tool == "audio-offset-finder" else got["score"] is None


def test_a_peer_call_past_its_timeout_is_killed():
    import subprocess
    import time

    started = time.perf_counter()
    proc = subprocess.Popen(["sleep", "30"], start_new_session=True)
    _, _, timed_out = cp._wait(proc.pid, started=started, timeout_s=0.2)
    proc.returncode = -9  # reaped by _wait
    assert timed_out and time.perf_counter() - started < 5


def test_main_rescores_stored_calls_into_one_table_and_markdown(tmp_path, capsys):
    from tests.evaluation import fixtures

    root = fixtures.write_results(tmp_path)
    calls = [{**_record("syncstart", 1.25, 1.25), "case_id": "c001", "name": "cam2.mp4",
              "tags": ["offset_range"]},
             {**_record("syncstart", None, 0.4), "case_id": "c002", "name": "cam3.mp4",
              "tags": ["unsyncable"]}]  # fmt: skip
    (root / "peers.json").write_text(json.dumps({"rows": {}, "calls": calls}))
    argv = ["--preset", fixtures.PRESET, "--out", str(tmp_path), "--reuse", "--tools", "syncstart"]
    assert cp.main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("tool / method") == 1 and "Syncsite visual" in out
    md = (root / "peers.md").read_text()
    assert md.startswith("Measured with `python -m evaluation.compare_peers --preset tiny`")
    assert "| syncstart | 0.00 | 100.0 | 0.0 | n/a (1 wrong) |" in md
    assert "| unsyncable | 100.000 (0%) | 20.000 (0%) | 100.000 (0%) | - |" in md
    assert "| offset_range | 2.500 (0%) | 4.000 (0%) | 2.500 (0%) | 0.000 (0%) |" in md
    stored = json.loads((root / "peers.json").read_text())
    assert stored["rows"]["Syncsite audio"]["mae_ms"] == pytest.approx(35.0)
