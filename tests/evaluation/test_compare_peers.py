"""compare_peers: sign conventions, scores, tables and verdicts; the GCC-PHAT baseline for real,
Syncsite and a peer measured in one invocation, and the other peers when installed."""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest

from evaluation import compare_peers as cp
from evaluation import offset_generation
from evaluation.gcc_phat_peer import gcc_phat_offset_s
from evaluation.report import format_table, markdown_table
from mediasynth.clips import CameraSpec, write_clips

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
        ("gcc-phat", {"offset_s": -2.4}, -2.4),
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
    return {
        "tool": tool,
        "tags": ["t"],
        "true_offset_s": true_s,
        "est_offset_s": est_s,
        "fps": fps,
        "score": score,
        "call_s": 1.0,
        "process_s": 2.0,
        "peak_memory_mb": 100.0,
    }


def test_peer_scores_use_the_documented_score_threshold():
    records = [
        _record("audio-offset-finder", 1.0, 1.01, score=12.0),
        _record("audio-offset-finder", 2.0, 3.0, score=11.0),  # confident, wrong
        _record("audio-offset-finder", 2.0, 2.5, score=4.0),  # wrong, but said so
        _record("audio-offset-finder", None, 0.3, score=3.0),  # refused (score <= 10)
        _record("audio-offset-finder", -1.0, None),
    ]  # failed
    s = cp.peer_scores(records, "audio-offset-finder")
    assert s["mae_ms"] == pytest.approx((10 + 1000 + 500) / 3)
    assert s["within_frame_pct"] == pytest.approx(100 / 3)
    assert s["failure_pct"] == pytest.approx(25.0)
    assert s["confident_wrong_n"] == 1
    assert s["refused_pct"] == 100.0
    assert (s["runtime_total_s"], s["process_total_s"], s["peak_memory_mb"]) == (5.0, 10.0, 100.0)


def test_tools_without_confidence_show_na_with_their_wrong_answers():
    records = [
        _record("syncstart", 1.0, 1.0),
        _record("syncstart", 1.0, 4.0),
        _record("syncstart", None, 2.0),
    ]
    rows = cp.table_rows(
        {
            "Syncsite audio": {
                "mae_ms": 0.5,
                "within_frame_pct": 100.0,
                "failure_pct": 0.0,
                "confident_wrong_n": 0.0,
                "runtime_total_s": 3.25,
                "peak_memory_mb": 210.4,
            },
            "syncstart": cp.peer_scores(records, "syncstart"),
            "audalign": {"unavailable": "not installed: No module named 'audalign'"},
        }
    )
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
        "no interpreter at /nonexistent/python"
    )


def test_run_pair_reports_a_runner_error_as_the_answer(tmp_path):
    env = cp._child_env(None)
    got = cp.run_pair(
        "no-such-tool",
        tmp_path / "a.mp4",
        tmp_path / "b.mp4",
        python=sys.executable,
        env=env,
        timeout_s=60,
    )
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
    got = cp.run_pair(
        tool, *late_pair, python=PEERS_PYTHON, env=cp._child_env(shims), timeout_s=300
    )
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
    calls = [
        {
            **_record("syncstart", 1.25, 1.25),
            "case_id": "c001",
            "name": "cam2.mp4",
            "tags": ["offset_range"],
        },
        {
            **_record("syncstart", None, 0.4),
            "case_id": "c002",
            "name": "cam3.mp4",
            "tags": ["unsyncable"],
        },
    ]
    (root / "peers.json").write_text(json.dumps({"rows": {}, "calls": calls}))
    argv = ["--preset", fixtures.PRESET, "--out", str(tmp_path), "--reuse", "--tools", "syncstart"]
    assert cp.main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("tool / method") == 2 and "Syncsite visual" in out  # overall and by tag
    md = (root / "peers.md").read_text()
    assert md.startswith(
        "Measured with `python -m evaluation.compare_peers --preset tiny` "
        "(Syncsite 0.0.0-test, results.json of 2025-01-01T00:00:00; 2 peer"
    )
    assert "| syncstart | 0.00 | 100.0 | 0.0 | n/a (1 wrong) |" in md
    # By hand from tests/evaluation/fixtures.py: audio places 3 of 4 syncable clips, 1 and 4 ms
    # off (within a frame) and 100 ms off at confidence 0.6 (confidently wrong), refuses c003
    # (25 %) and the unrelated clip; visual places the unrelated clip at 0.55.
    assert "| all | Syncsite audio | 4+1 | 50.0 | 25.0 | 1 | 1/1 | 35.00 |" in md
    assert "| all | Syncsite visual | 4+1 | 100.0 | 0.0 | 1 | 0/1 | 10.00 |" in md
    assert "| unsyncable | syncstart | 0+1 | - | - | n/a (1) | 0/1 | - |" in md
    assert "| offset_range | Syncsite auto | 2+0 | 100.0 | 0.0 | 0 | - | 2.50 |" in md
    assert "- Syncsite audio: ahead of every peer on 1/2 tags (overall: behind)" in md
    assert "behind on offset_range: syncstart (MAE 2.5 vs 0 ms)" in md
    stored = json.loads((root / "peers.json").read_text())
    assert stored["rows"]["Syncsite audio"]["mae_ms"] == pytest.approx(35.0)
    assert stored["syncsite_source"] == "results.json of 2025-01-01T00:00:00"
    assert stored["by_tag"]["no_audio"]["Syncsite visual"]["right_n"] == 1


def _summary(right_pct, wrong_n, unrelated_pct, mae_ms):
    return {
        "right_pct": right_pct,
        "wrong_n": wrong_n,
        "unrelated_refused_pct": unrelated_pct,
        "mae_ms": mae_ms,
    }


def test_verdicts_rank_by_counts_then_by_mae():
    nan = math.nan
    by_tag = {
        "all": {
            "S": _summary(90.0, 0, 100.0, 1.0),
            "p": _summary(80.0, 3, 0.0, 0.5),
            "q": _summary(90.0, 0, 100.0, 2.0),
        },
        "drift": {
            "S": _summary(50.0, 0, nan, 1.0),
            "p": _summary(100.0, 0, nan, 9.0),
            "q": _summary(50.0, 0, nan, 1.0),
        },
        "loops": {"S": _summary(0.0, 0, nan, nan), "p": _summary(0.0, 1, nan, 3000.0)},
        "same": {"S": _summary(100.0, 0, nan, 1.0), "q": _summary(100.0, 0, nan, 1.09)},
        "lonely": {"S": _summary(100.0, 0, nan, 1.0)},  # no peer there: left out
    }
    got = cp.verdicts(by_tag, "S", ["p", "q"])
    assert got == {
        "all": ("ahead", []),  # p on counts, q (same counts) on MAE
        "drift": ("behind", ["p (<=1 frame % 50 vs 100)"]),
        "loops": ("ahead", []),  # refusing beats a wrong answer whatever its MAE
        "same": ("tied", ["q (equal on every count)"]),
    }
    text = cp.verdict_text(by_tag, ["S"], ["p", "q"])
    assert "- S: ahead of every peer on 1/3 tags (overall: ahead)" in text
    assert "    behind on drift: p (<=1 frame % 50 vs 100)" in text


@pytest.mark.parametrize("lag", [1234, -987, 0])
def test_gcc_phat_finds_a_known_lag_in_our_convention(lag):
    rng = np.random.default_rng(5)
    world = rng.standard_normal(30_000).astype(np.float32)
    ref = world[5000:21000]
    other = world[5000 + lag : 17000 + lag]  # started lag samples after the reference
    assert gcc_phat_offset_s(ref, other, rate_hz=8000) == pytest.approx(lag / 8000)
    assert gcc_phat_offset_s(other, ref, rate_hz=8000) == pytest.approx(-lag / 8000)


def test_the_gcc_phat_baseline_runs_in_our_venv_on_real_clips(late_pair):
    assert cp.peer_python("gcc-phat", "/nonexistent/python") == sys.executable
    assert cp.peer_available("gcc-phat", python=sys.executable) is None
    got = cp.run_pair(
        "gcc-phat", *late_pair, python=sys.executable, env=cp._child_env(None), timeout_s=120
    )
    assert "error" not in got, got.get("error")
    assert cp.to_reference_offset_s("gcc-phat", got["raw"]) == pytest.approx(1.25, abs=1 / 30)
    assert got["score"] is None and 0 < got["call_s"] < got["process_s"]


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare_tiny")
    originals = tmp_path_factory.mktemp("no_originals")
    offset_generation.generate(
        "tiny", out_dir=out, originals_dir=originals, cases=["unsyncable"], log=lambda _: None
    )
    return out


def test_main_measures_syncsite_and_a_peer_in_one_invocation(tiny_dataset, capsys):
    argv = [
        "--preset",
        "tiny",
        "--out",
        str(tiny_dataset),
        "--methods",
        "audio",
        "--tools",
        "gcc-phat",
    ]
    assert cp.main(argv) == 0
    out = capsys.readouterr().out
    assert "[1/1] c004_unsyncable" in out  # run_batch's progress line: Syncsite ran here
    stored = json.loads((tiny_dataset / "tiny" / "peers.json").read_text())
    assert stored["syncsite_source"] == "measured in this run"
    results = json.loads((tiny_dataset / "tiny" / "results.json").read_text())
    assert [r["method"] for r in results["runs"]] == ["audio"]
    assert results["max_offset_s"] is None  # the engine's default range: the whole overlap
    assert [c["tool"] for c in stored["calls"]] == ["gcc-phat", "gcc-phat"]
    near, stranger = stored["calls"]
    assert near["est_offset_s"] == pytest.approx(near["true_offset_s"], abs=1 / 30)
    assert stranger["true_offset_s"] is None and stranger["est_offset_s"] is not None
    row = stored["by_tag"]["unsyncable"]
    assert row["gcc-phat"]["unrelated_refused_n"] == 0 and row["gcc-phat"]["wrong_n"] == 1
    assert row["Syncsite audio"]["unrelated_refused_n"] == 1
    assert row["Syncsite audio"]["right_n"] == 1 and row["Syncsite audio"]["wrong_n"] == 0
    assert "- Syncsite audio: ahead of every peer on 1/1 tags (overall: ahead)" in out
    assert cp.main([*argv, "--reuse"]) == 0  # re-scoring keeps "measured in one run"
    md = (tiny_dataset / "tiny" / "peers.md").read_text()
    assert ", measured in this run; 2 peer calls)." in md.splitlines()[0]


def test_it_takes_every_preset_of_evaluation_presets(tmp_path, capsys):
    from evaluation.presets import PRESETS

    for preset in PRESETS:  # tune / heldout included once presets.py defines them
        with pytest.raises(
            SystemExit,
            match=f"{preset}/manifest.json not found; run python -m "
            "evaluation.offset_generation first",
        ):
            cp.main(["--preset", preset, "--out", str(tmp_path)])
    with pytest.raises(SystemExit) as stop:
        cp.main(["--preset", "no-such-preset", "--out", str(tmp_path)])
    assert stop.value.code == 2 and "invalid choice: 'no-such-preset'" in capsys.readouterr().err
