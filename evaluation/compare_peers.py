"""Run the benchmark dataset through the open sync tools people use today, next to Syncsite.

Usage::

    python3 -m venv .venv-peers && .venv-peers/bin/pip install -r requirements-peers.txt
    python -m evaluation.offset_generation --preset PRESET
    python -m evaluation.compare_peers [--preset PRESET] [--out evaluation/output]
        [--tools syncstart,audalign,...] [--methods audio,visual,auto] [--syncsite run|results]
        [--max-offset none] [--cases ID_OR_TAG,...] [--timeout 300] [--reuse]

``PRESET`` is any of :data:`evaluation.presets.PRESETS`. By default (``--syncsite run``) one
invocation measures everything: Syncsite's methods first (:func:`evaluation.run_batch.run_batch`,
which rewrites ``results.json``; over the engine's default search range, the whole overlap, as
the peers search, unless ``--max-offset`` says otherwise), then each peer (syncstart, audalign
with its default fingerprinting and with correlation, audio-offset-finder, and plain whole-clip
GCC-PHAT, the textbook baseline of :mod:`evaluation.gcc_phat_peer`) on every (reference, other)
pair of every case of ``<out>/<preset>/manifest.json``, one child process per call
(:mod:`evaluation.peer_runner`, under the peers' interpreter; GCC-PHAT under ours).
``--syncsite results`` reads an existing ``results.json`` instead; ``--reuse`` runs nothing and
re-scores ``results.json`` and the calls stored in ``peers.json``. Prints the overall table, the
per-tag table and, per Syncsite method, the tags where it is not ahead of every peer; writes
``peers.json`` and ``peers.md`` (both tables) next to the manifest.

Conventions
-----------
- Offsets are converted to the engine's convention (seconds, positive when the other clip started
  after the reference) by :func:`to_reference_offset_s`; each tool's own convention, checked on
  clips 1.25 s late and 2.4 s early, is documented there.
- Scores are those of :mod:`evaluation.compute_metrics` on the same non-reference clips. A peer
  call that fails or times out is a failure. Peers always answer, so "refused" means errored,
  except audio-offset-finder, whose answer counts as confident when its standard score is > 10
  (its documented threshold). Tools without a confidence show ``n/a`` (with their count of
  answers more than one frame off).
- Per-tag table (:func:`tag_table_rows`): ``<=1 frame % of syncable`` counts refusals and
  failures as misses (unlike the overall table's ``<=1 frame %``, over placed clips only), so it,
  ``refused %`` (syncable clips not placed: ``failure_pct``) and the wrong answers add up to 100;
  ``confidently wrong`` is ``confident_wrong_n`` (unrelated clips placed confidently included);
  ``unrelated refused`` is refused / unrelated clips; MAE is over placed syncable clips.
- "Ahead" (:func:`verdicts`): on a tag, a method is behind a peer that has a higher
  ``<=1 frame % of syncable``, fewer confidently wrong or more unrelated clips refused; it is
  ahead of a peer it beats on one of these, or ties on all three with an MAE lower by more than
  :data:`MAE_TIE_MS` (0.1 ms); equal counts and MAEs within 0.1 ms are a tie.
- ``call_s`` is the tool call after import; ``process_s`` the child's whole life (interpreter
  start-up and imports); ``peak_memory_mb`` the child's peak RSS, or its largest descendant's
  (``os.wait4`` rusage, i.e. ``RUSAGE_CHILDREN`` of that one child). Syncsite's time is
  ``runtime_s`` of results.json (the engine call), its memory ``peak_memory_mb`` (the batch
  process's peak RSS per run).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evaluation.compute_metrics import evaluate, evaluate_runs
from evaluation.peer_runner import TOOLS
from evaluation.presets import PRESETS
from evaluation.report import (
    add_dataset_arguments,
    format_table,
    json_ready,
    load_json,
    markdown_table,
)
from evaluation.run_batch import run_batch
from syncengine.media import ffmpeg_executable
from syncengine.sync import DEFAULT_MAX_LAG_S

__all__ = [
    "CONFIDENT_SCORE",
    "OWN_VENV_TOOLS",
    "REPO",
    "TAG_HEADER",
    "peer_available",
    "peer_python",
    "peer_scores",
    "run_pair",
    "run_peers",
    "table_rows",
    "tag_scores",
    "tag_table_rows",
    "to_reference_offset_s",
    "verdicts",
    "main",
]

REPO = Path(__file__).resolve().parent.parent
CONFIDENT_SCORE = {"audio-offset-finder": 10.0}  # documented: "Scores >10 imply ... accurate"
_MODULES = {
    "syncstart": "syncstart",
    "audalign": "audalign",
    "audalign-correlation": "audalign",
    "audio-offset-finder": "audio_offset_finder",
    "gcc-phat": "numpy",
}
OWN_VENV_TOOLS = frozenset({"gcc-phat"})  # numpy only: runs under Syncsite's interpreter
_DEFAULT_MAX_OFFSET = "none" if DEFAULT_MAX_LAG_S is None else str(DEFAULT_MAX_LAG_S)
HEADER = [
    "tool / method",
    "MAE ms",
    "<=1 frame %",
    "failed %",
    "confident-but-wrong",
    "wall s",
    "wall incl. start-up s",
    "peak MB",
]


def to_reference_offset_s(tool: str, raw: dict[str, Any]) -> float:
    """Convert a peer's raw answer to ``offset_s`` (positive: the other clip started later).

    - syncstart prints which input to cut and by how much (``ffmpeg -ss``): cutting the reference
      means the reference started first, so the offset is ``+cut_s``; cutting the other, ``-cut_s``.
    - audalign returns, per file, the silence to prepend to align it: ``other - reference``.
    - audio-offset-finder (reference as ``--within``/file1) returns the other's start on the
      reference's timeline: already our convention.
    - gcc-phat (:mod:`evaluation.gcc_phat_peer`) answers in our convention.
    """
    if tool == "syncstart":
        if raw["cut_file"] not in ("reference", "other"):
            raise ValueError(f"syncstart named neither input: {raw['cut_file']!r}")
        return raw["cut_s"] if raw["cut_file"] == "reference" else -raw["cut_s"]
    if tool in ("audalign", "audalign-correlation"):
        return raw["other_shift_s"] - raw["reference_shift_s"]
    if tool == "audio-offset-finder":
        return raw["time_offset"]
    if tool == "gcc-phat":
        return raw["offset_s"]
    raise ValueError(f"unknown tool {tool!r}; expected one of {TOOLS}")


def _default_python() -> str:
    env = os.environ.get("SYNCSITE_PEERS_PYTHON")
    local = REPO / ".venv-peers" / "bin" / "python"
    return env or (str(local) if local.exists() else sys.executable)


def peer_python(tool: str, peers_python: str) -> str:
    """The interpreter that runs ``tool``: ours for :data:`OWN_VENV_TOOLS`, else the peers'."""
    return sys.executable if tool in OWN_VENV_TOOLS else peers_python


def peer_available(tool: str, *, python: str) -> str | None:
    """None when ``tool`` imports under ``python``; otherwise the reason it cannot run."""
    if not Path(python).exists() and shutil.which(python) is None:
        return f"no interpreter at {python}"
    done = subprocess.run(
        [python, "-c", f"import {_MODULES[tool]}"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_child_env(None),
    )
    if done.returncode == 0:
        return None
    lines = done.stderr.strip().splitlines() or ["import failed"]
    return f"not installed: {lines[-1]}"


def _child_env(shim_dir: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "VIRTUAL_ENV")}
    env["PYTHONPATH"] = str(REPO)
    env["MPLBACKEND"] = "Agg"
    env["SYNCSITE_FFMPEG"] = ffmpeg_executable()
    if shim_dir is not None:
        env["PATH"] = f"{shim_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


def _write_shims(shim_dir: Path, *, python: str) -> None:
    """``ffmpeg`` (the imageio-ffmpeg build) and an ``ffprobe`` stand-in on the children's PATH."""
    (shim_dir / "ffmpeg").symlink_to(ffmpeg_executable())
    probe = shim_dir / "ffprobe"
    probe.write_text(f'#!/bin/sh\nexec "{python}" -m evaluation.peer_runner ffprobe-shim "$@"\n')
    probe.chmod(0o755)


def _wait(pid: int, *, started: float, timeout_s: float) -> tuple[int, Any, bool]:
    """Reap ``pid`` with ``os.wait4`` (its own rusage, unlike ``wait``); kill it at the timeout."""
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return status, usage, False
        if time.perf_counter() - started > timeout_s:
            os.killpg(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
            return status, usage, True
        time.sleep(0.02)


def run_pair(
    tool: str, reference: Path, other: Path, *, python: str, env: dict[str, str], timeout_s: float
) -> dict[str, Any]:
    """One child process: the peer on one pair. Returns the runner's answer plus resources."""
    argv = [python, "-m", "evaluation.peer_runner", tool, str(reference), str(other)]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdout=out, stderr=err, env=env, cwd=REPO, start_new_session=True
        )
        try:
            status, usage, timed_out = _wait(proc.pid, started=started, timeout_s=timeout_s)
        except BaseException:  # Ctrl-C: the child is in its own session and would live on
            os.killpg(proc.pid, signal.SIGKILL)
            os.wait4(proc.pid, 0)
            raise
        proc.returncode = os.waitstatus_to_exitcode(status)
        process_s = time.perf_counter() - started
        out.seek(0)
        lines = out.read().decode(errors="replace").strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else {"error": "no answer"}
    except json.JSONDecodeError:
        answer = {"error": f"unreadable answer: {lines[-1][:200]}"}
    if timed_out:
        answer = {"error": f"timed out after {timeout_s:.0f} s"}
    elif proc.returncode != 0 and "error" not in answer:
        answer = {"error": f"exit code {proc.returncode}"}
    return {**answer, "process_s": process_s, "peak_memory_mb": usage.ru_maxrss / 1024}


def _selected(case: dict[str, Any], wanted: set[str] | None) -> bool:
    return wanted is None or case["id"] in wanted or bool(wanted & set(case["tags"]))


def run_peers(
    manifest: dict[str, Any],
    root: Path,
    *,
    tools: Sequence[str],
    python: str,
    timeout_s: float,
    cases: set[str] | None = None,
) -> list[dict[str, Any]]:
    """Every tool on every (reference, other) pair; one record per call (see peers.json).

    ``python`` is the peers' interpreter (:func:`peer_python` picks ours for the baseline).
    """
    records = []
    with tempfile.TemporaryDirectory() as shim_dir:
        _write_shims(Path(shim_dir), python=python)
        env = _child_env(Path(shim_dir))
        for case in (c for c in manifest["cases"] if _selected(c, cases)):
            ref = next(c for c in case["clips"] if c["name"] == case["reference"])
            for clip in (c for c in case["clips"] if c["name"] != case["reference"]):
                for tool in tools:
                    got = run_pair(
                        tool,
                        root / ref["file"],
                        root / clip["file"],
                        python=peer_python(tool, python),
                        env=env,
                        timeout_s=timeout_s,
                    )
                    est_s = None if "error" in got else to_reference_offset_s(tool, got["raw"])
                    records.append(
                        {
                            "tool": tool,
                            "case_id": case["id"],
                            "tags": case["tags"],
                            "name": clip["name"],
                            "true_offset_s": clip["true_offset_s"],
                            "fps": clip["fps"],
                            "est_offset_s": est_s,
                            **got,
                        }
                    )
                    err = f"  error: {got['error']}" if "error" in got else ""
                    print(
                        f"{tool:>21} {case['id']}/{clip['name']}: est {est_s} true "
                        f"{clip['true_offset_s']} ({got['process_s']:.1f} s){err}",
                        flush=True,
                    )
    return records


def _confidence(tool: str, score: float | None) -> float:
    """1 (confident) / 0 for tools with a documented threshold; 1 for answers of the others."""
    if tool in CONFIDENT_SCORE:
        return 1.0 if score is not None and score > CONFIDENT_SCORE[tool] else 0.0
    return 1.0


def peer_scores(records: Sequence[dict[str, Any]], tool: str) -> dict[str, float]:
    """compute_metrics scores of one tool's records, plus its time and memory."""
    mine = [r for r in records if r["tool"] == tool]
    nan = math.nan
    scores = evaluate(
        [nan if r["true_offset_s"] is None else r["true_offset_s"] for r in mine],
        [nan if r["est_offset_s"] is None else r["est_offset_s"] for r in mine],
        fps=[r["fps"] for r in mine],
        confidences=[_confidence(tool, r.get("score")) for r in mine],
    )
    scores["has_confidence"] = float(tool in CONFIDENT_SCORE)
    scores["runtime_total_s"] = float(sum(r.get("call_s") or 0.0 for r in mine))
    scores["process_total_s"] = float(sum(r["process_s"] for r in mine))
    scores["peak_memory_mb"] = float(max((r["peak_memory_mb"] for r in mine), default=nan))
    return scores


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None or not np.isfinite(value) else spec.format(value)


def table_rows(rows: dict[str, dict[str, Any]]) -> list[list[str]]:
    """Table cells per row name: scores (a dict), or ``{"unavailable": reason}``."""
    out = []
    for name, s in rows.items():
        if "unavailable" in s:
            out.append([name, f"unavailable: {s['unavailable']}", *[""] * (len(HEADER) - 2)])
            continue
        cbw = _fmt(s["confident_wrong_n"], "{:.0f}")
        if not s.get("has_confidence", 1.0):
            wrong = s["confident_wrong_n"]  # every answer counts as confident here
            cbw = f"n/a ({wrong:.0f} wrong)" if np.isfinite(wrong) else "n/a"
        out.append(
            [
                name,
                _fmt(s["mae_ms"], "{:.2f}"),
                _fmt(s["within_frame_pct"], "{:.1f}"),
                _fmt(s["failure_pct"], "{:.1f}"),
                cbw,
                _fmt(s["runtime_total_s"], "{:.1f}"),
                _fmt(s.get("process_total_s"), "{:.1f}"),
                _fmt(s["peak_memory_mb"], "{:.0f}"),
            ]
        )
    return out


TAG_HEADER = [
    "tag",
    "tool / method",
    "clips",
    "<=1 frame % of syncable",
    "refused %",
    "confidently wrong",
    "unrelated refused",
    "MAE ms",
]
ALL_TAGS = "all"
MAE_TIE_MS = 0.1  # MAEs closer than this (under 1 % of a 60 fps frame) are a tie


def _tag_summary(s: dict[str, float], *, has_confidence: bool) -> dict[str, Any]:
    """The per-tag table's numbers from one scores dict (see the module Conventions)."""
    syncable, placed, unrelated = s["syncable_n"], s["synced_n"], s["unsyncable_n"]
    right = round(s["within_frame_pct"] / 100 * placed) if placed else 0
    refused_unrelated = round(s["refused_pct"] / 100 * unrelated) if unrelated else 0
    return {
        "syncable_n": int(syncable),
        "unrelated_n": int(unrelated),
        "right_n": right,
        "right_pct": 100.0 * right / syncable if syncable else math.nan,
        "refused_pct": s["failure_pct"],
        "wrong_n": s["confident_wrong_n"],
        "unrelated_refused_n": refused_unrelated,
        "unrelated_refused_pct": 100.0 * refused_unrelated / unrelated if unrelated else math.nan,
        "mae_ms": s["mae_ms"],
        "has_confidence": has_confidence,
    }


def tag_scores(
    syncsite: dict[str, list[dict[str, Any]]],
    records: Sequence[dict[str, Any]],
    names: Sequence[str],
) -> dict[str, dict[str, dict[str, Any]]]:
    """Tag (``all`` first) -> row name -> :func:`_tag_summary`, for the names with clips there.

    ``syncsite`` maps a row name ("Syncsite auto") to its results.json runs; other names are
    peers, scored from their ``records``.
    """
    tags = sorted(
        {t for runs in syncsite.values() for r in runs for t in r["tags"]}
        | {t for r in records for t in r["tags"]}
    )
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for tag in (ALL_TAGS, *tags):
        out[tag] = {}
        for name in names:
            if name in syncsite:
                runs = [r for r in syncsite[name] if tag == ALL_TAGS or tag in r["tags"]]
                s, conf = (evaluate_runs(runs) if runs else None), True
            else:
                picked = [
                    r
                    for r in records
                    if r["tool"] == name and (tag == ALL_TAGS or tag in r["tags"])
                ]
                s, conf = (peer_scores(picked, name) if picked else None), name in CONFIDENT_SCORE
            if s is not None and s["clips_n"]:
                out[tag][name] = _tag_summary(s, has_confidence=conf)
    return out


def tag_table_rows(by_tag: dict[str, dict[str, dict[str, Any]]]) -> list[list[str]]:
    """Cells of the per-tag table (:data:`TAG_HEADER`), one row per tag and tool."""
    rows = []
    for tag, per_name in by_tag.items():
        for name, t in per_name.items():
            wrong = f"{t['wrong_n']:.0f}" if t["has_confidence"] else f"n/a ({t['wrong_n']:.0f})"
            unrelated = (
                f"{t['unrelated_refused_n']}/{t['unrelated_n']}" if t["unrelated_n"] else "-"
            )
            rows.append(
                [
                    tag,
                    name,
                    f"{t['syncable_n']}+{t['unrelated_n']}",
                    _fmt(t["right_pct"], "{:.1f}"),
                    _fmt(t["refused_pct"], "{:.1f}"),
                    wrong,
                    unrelated,
                    _fmt(t["mae_ms"], "{:.2f}"),
                ]
            )
    return rows


def _ms(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _compare(ours: dict[str, Any], peer: dict[str, Any]) -> tuple[str, str]:
    """("ahead" | "tied" | "behind", why) of one row against a peer's on the same tag."""
    worse, better = [], []
    for key, label, sign in (
        ("right_pct", "<=1 frame %", 1),
        ("wrong_n", "confidently wrong", -1),
        ("unrelated_refused_pct", "unrelated refused %", 1),
    ):
        a, b = ours[key], peer[key]
        if not (np.isfinite(a) and np.isfinite(b)) or a == b:
            continue
        (better if sign * (a - b) > 0 else worse).append(f"{label} {a:.4g} vs {b:.4g}")
    if worse:
        return "behind", ", ".join(worse)
    if better:
        return "ahead", ", ".join(better)
    a, b = ours["mae_ms"], peer["mae_ms"]
    if np.isfinite(a) and np.isfinite(b) and abs(a - b) > MAE_TIE_MS:
        return ("ahead" if a < b else "behind"), f"MAE {_ms(a)} vs {_ms(b)} ms"
    return "tied", "equal on every count"


def verdicts(
    by_tag: dict[str, dict[str, dict[str, Any]]], ours: str, peers: Sequence[str]
) -> dict[str, tuple[str, list[str]]]:
    """Per tag: ("ahead" | "tied" | "behind", reasons) of ``ours`` against every peer there.

    "ahead" means ahead of each peer with clips on that tag; the reasons name the peers it is
    behind or tied with. Tags where ``ours`` or every peer has no clips are left out.
    """
    out = {}
    for tag, per_name in by_tag.items():
        if ours not in per_name:
            continue
        got = {p: _compare(per_name[ours], per_name[p]) for p in peers if p in per_name}
        if not got:
            continue
        for status in ("behind", "tied"):
            hits = [f"{p} ({why})" for p, (st, why) in got.items() if st == status]
            if hits:
                out[tag] = (status, hits)
                break
        else:
            out[tag] = ("ahead", [])
    return out


def verdict_text(
    by_tag: dict[str, dict[str, dict[str, Any]]], ours: Sequence[str], peers: Sequence[str]
) -> str:
    """Per Syncsite method: on how many tags it is ahead of every peer, and why not elsewhere."""
    lines = [f"Against {', '.join(peers) or 'no peer'} (see the module Conventions for 'ahead'):"]
    for name in ours:
        found = verdicts(by_tag, name, peers)
        tags = [t for t in found if t != ALL_TAGS]
        ahead = [t for t in tags if found[t][0] == "ahead"]
        overall = found.get(ALL_TAGS, ("-", []))[0]
        lines.append(
            f"- {name}: ahead of every peer on {len(ahead)}/{len(tags)} tags (overall: {overall})"
        )
        lines += [
            f"    {found[t][0]} on {t}: {'; '.join(found[t][1])}"
            for t in tags
            if found[t][0] != "ahead"
        ]
    return "\n".join(lines)


def _syncsite_runs(
    args: argparse.Namespace, methods: list[str], wanted: set[str] | None
) -> tuple[dict[str, Any], str]:
    """results.json's document, measured now (``--syncsite run``) or read, and its source."""
    root = args.out / args.preset
    if args.reuse or args.syncsite == "results" or not methods:
        if not methods:
            return {"runs": [], "engine_version": None}, "not run"
        results = load_json(root / "results.json")
        return results, f"results.json of {results.get('created', 'unknown date')}"
    max_lag_s = None if args.max_offset.lower() == "none" else float(args.max_offset)
    results = run_batch(
        args.preset,
        out_dir=args.out,
        methods=methods,
        max_lag_s=max_lag_s,
        cases=sorted(wanted) if wanted else None,
    )
    return results, "measured in this run"


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(
        prog="python -m evaluation.compare_peers",
        description="Compare Syncsite with open sync tools.",
    )
    add_dataset_arguments(parser, presets=PRESETS)
    parser.add_argument("--tools", default=",".join(TOOLS), help="default: every peer")
    parser.add_argument(
        "--methods",
        default="audio,visual,auto",
        help="Syncsite methods; '' for none (default: audio,visual,auto)",
    )
    parser.add_argument(
        "--syncsite",
        choices=("run", "results"),
        default="run",
        help="run Syncsite now (default) or read results.json",
    )
    parser.add_argument(
        "--max-offset",
        default=_DEFAULT_MAX_OFFSET,
        help="Syncsite's search range in seconds, or 'none' for the whole overlap "
        f"(default {_DEFAULT_MAX_OFFSET}: the engine's, as the peers search)",
    )
    parser.add_argument("--cases", default=None, help="case ids or tags, comma-separated")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per peer call")
    parser.add_argument("--peers-python", default=_default_python())
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="run nothing: re-score results.json and the calls in peers.json",
    )
    args = parser.parse_args(argv)
    root = args.out / args.preset
    manifest = load_json(root / "manifest.json")
    wanted = set(args.cases.split(",")) if args.cases else None
    tools = [t for t in args.tools.split(",") if t]
    methods = [m for m in args.methods.split(",") if m]
    unknown = [t for t in tools if t not in TOOLS]
    if unknown:
        parser.error(f"unknown tool(s) {unknown}; expected some of {list(TOOLS)}")
    results, source = _syncsite_runs(args, methods, wanted)
    if args.reuse:  # table layout changes without another ten minutes of peer calls
        stored = load_json(root / "peers.json")
        records = [
            c
            for c in stored["calls"]
            if c["tool"] in tools and _selected({"id": c["case_id"], "tags": c["tags"]}, wanted)
        ]
        status = {t: stored["rows"].get(t, {}).get("unavailable") for t in tools}
        if stored.get("results_created") == results.get("created") and "syncsite_source" in stored:
            source = stored["syncsite_source"]  # the same Syncsite runs as when the peers ran
    else:
        status = {t: peer_available(t, python=peer_python(t, args.peers_python)) for t in tools}
        records = run_peers(
            manifest,
            root,
            tools=[t for t in tools if status[t] is None],
            python=args.peers_python,
            timeout_s=args.timeout,
            cases=wanted,
        )
    runnable = [t for t in tools if status[t] is None]
    runs = [
        r
        for r in results["runs"]
        if wanted is None or r["case_id"] in wanted or wanted & set(r["tags"])
    ]
    syncsite = {
        f"Syncsite {m}": [r for r in runs if r["method"] == m] for m in ("audio", "visual", "auto")
    }
    syncsite = {name: rs for name, rs in syncsite.items() if rs}
    rows: dict[str, dict[str, Any]] = {name: evaluate_runs(rs) for name, rs in syncsite.items()}
    for t in tools:
        rows[t] = {"unavailable": status[t]} if status[t] else peer_scores(records, t)
    cells = table_rows(rows)
    by_tag = tag_scores(syncsite, records, [*syncsite, *runnable])
    tag_cells = tag_table_rows(by_tag)
    verdict = verdict_text(by_tag, list(syncsite), runnable)
    print(format_table(HEADER, cells))
    print(f"\nBy tag:\n{format_table(TAG_HEADER, tag_cells)}\n\n{verdict}")
    (root / "peers.json").write_text(
        json.dumps(
            json_ready(
                {
                    "preset": args.preset,
                    "engine_version": results.get("engine_version"),
                    "syncsite_source": source,
                    "results_created": results.get("created"),
                    "peers_python": args.peers_python,
                    "rows": rows,
                    "by_tag": by_tag,
                    "calls": records,
                }
            ),
            indent=1,
        )
        + "\n"
    )
    (root / "peers.md").write_text(
        f"Measured with `python -m evaluation.compare_peers --preset {args.preset}` "
        f"(Syncsite {results.get('engine_version')}, {source}; {len(records)} peer calls).\n\n"
        f"{markdown_table(HEADER, cells)}\n\nBy tag (clips: syncable+unrelated):\n\n"
        f"{markdown_table(TAG_HEADER, tag_cells)}\n\n{verdict}\n"
    )
    print(f"\nwrote {root / 'peers.json'} and {root / 'peers.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
