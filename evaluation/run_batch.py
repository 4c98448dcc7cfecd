"""Synchronise every case of a generated dataset with each method, measuring time and resources.

Usage::

    python -m evaluation.run_batch [--preset small|full|shoots-heldout|...] [--out DIR]
        [--methods audio,visual,auto] [--max-offset none] [--cases ID_OR_TAG,...]

Reads ``<out>/<preset>/manifest.json`` (written by :mod:`evaluation.offset_generation`), calls
:func:`syncengine.estimate_offsets` (the engine, not Django) once per case and method, and writes
``<out>/<preset>/results.json``, rewritten after every run so an interrupted batch keeps its runs.

Conventions
-----------
- Offsets follow the engine's convention (positive: the clip started after the reference) and are
  in seconds; ``est_offset_s`` is ``null`` when the clip was not synced or the run raised.
- ``runtime_s``: wall time of the ``estimate_offsets`` call.
- ``peak_memory_mb``: this process's peak RSS during the run (VmHWM after resetting it by writing
  "5" to /proc/self/clear_refs), MiB. ``children_peak_memory_mb``: the largest ffmpeg child's
  peak RSS so far in the batch (``getrusage(RUSAGE_CHILDREN)``; the kernel never resets it).
- ``peak_cpu_percent``: CPU time of this process and its finished children during the run / wall
  time * 100; it can exceed 100 on several cores.
- A run that raises a ``SyncEngineError`` records its ``code`` in ``error_code`` on the run and on
  every clip; other exceptions are not caught.
- Camera grouping: a method named ``<method>+cameras`` (e.g. ``auto+cameras``) runs ``<method>``
  with each clip's manifest ``camera`` key passed as ``ClipInput(key, path, camera=...)``; plain
  ``<method>`` passes bare paths (no grouping). The run records ``method`` as named,
  ``engine_method`` and ``cameras``. The real-shoot presets (:mod:`evaluation.shoots`) run
  ``auto`` and ``auto+cameras`` by default, so the benefit of grouping is measured, and the
  batch ends with their per-condition table (:mod:`evaluation.shoots_metrics`).
- Each clip also records the engine's ``placed_by`` and ``sound_skew_s`` and, from a real-shoot
  manifest, its
  ``camera``, ``chapter``, ``true_skew_s``, ``sound_offset_s``, ``true_drift_ppm`` and format.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import syncengine
from evaluation.presets import PRESETS
from evaluation.report import DEFAULT_OUT, add_dataset_arguments
from evaluation.shoots import SHOOT_PRESETS
from syncengine import ClipInput, SyncEngineError, SyncResult
from syncengine.sync import DEFAULT_MAX_LAG_S

__all__ = ["run_batch", "main"]

_MANIFEST_FIELDS = (
    "true_offset_s",
    "picture_offset_s",
    "syncable",
    "fps",
    "has_audio",
    "distinct_motion",
)
# Real-shoot manifests (mediasynth.shoots) also say these; other manifests do not.
_SHOOT_FIELDS = (
    "camera",
    "chapter",
    "true_skew_s",
    "sound_offset_s",
    "has_video",
    "vfr",
    "video_codec",
    "recorder",
    "rotation_deg",
    "duration_s",
)
CAMERAS_SUFFIX = "+cameras"
SHOOT_METHODS = ("auto", "auto" + CAMERAS_SUFFIX)


def engine_method(method: str) -> tuple[str, bool]:
    """``"auto+cameras"`` -> ``("auto", True)``; ``"audio"`` -> ``("audio", False)``."""
    if method.endswith(CAMERAS_SUFFIX):
        return method[: -len(CAMERAS_SUFFIX)], True
    return method, False


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS; False where /proc/self/clear_refs is not writable."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_rss_mb() -> float | None:
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmHWM:\s+(\d+)\s+kB", status, re.MULTILINE)
    return round(int(found.group(1)) / 1024, 1) if found else None


def _cpu_s() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _engine_version() -> str:
    """``syncengine.__version__`` plus the checkout's commit, when git can tell."""
    root = Path(__file__).resolve().parent.parent
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except OSError:
        return syncengine.__version__
    commit = done.stdout.strip()
    return (
        f"{syncengine.__version__}+g{commit}"
        if done.returncode == 0 and commit
        else (syncengine.__version__)
    )


def _clip_record(
    clip: dict[str, Any],
    *,
    tags: list[str],
    is_ref: bool,
    result: SyncResult | None,
    error: str | None,
) -> dict[str, Any]:
    """One clip's line in results.json (a JSON object, hence a dict)."""
    v = result.video(clip["name"]) if result is not None else None
    shoot = {k: clip[k] for k in _SHOOT_FIELDS if k in clip}
    if "camera" in clip:  # a real-shoot manifest: its drift_ppm is the truth
        shoot["true_drift_ppm"] = clip.get("drift_ppm")
    return {
        "name": clip["name"],
        "is_reference": is_ref,
        "tags": tags,
        **{k: clip[k] for k in _MANIFEST_FIELDS},
        "est_offset_s": v.offset_s if v is not None and v.synced else None,
        "confidence": v.confidence if v is not None else None,
        "band": v.band if v is not None else None,
        "synced": v.synced if v is not None else False,
        "audio_offset_s": v.audio_offset_s if v is not None else None,
        "visual_offset_s": v.visual_offset_s if v is not None else None,
        "audio_video_diff_s": v.audio_video_diff_s if v is not None else None,
        "drift_ppm": v.drift_ppm if v is not None else None,
        "residual_s": v.residual_s if v is not None else None,
        "notes": list(v.notes) if v is not None else [],
        "placed_by": getattr(v, "placed_by", "") if v is not None else "",
        "sound_skew_s": getattr(v, "sound_skew_s", None) if v is not None else None,
        "error_code": error,
        **shoot,
    }


def _run_case(
    case: dict[str, Any],
    root: Path,
    *,
    method: str,
    max_lag_s: float | None,
    ffmpeg_bin: str | None,
) -> dict[str, Any]:
    """Synchronise one case with one method (``<method>+cameras``: grouped) and measure it."""
    engine, grouped = engine_method(method)
    paths: list[Path] | list[ClipInput] = [root / c["file"] for c in case["clips"]]
    if grouped:
        paths = [
            ClipInput(c["name"], root / c["file"], camera=c.get("camera")) for c in case["clips"]
        ]
    result, error, message = None, None, None
    _reset_peak_rss()
    cpu0, wall0 = _cpu_s(), time.perf_counter()
    try:
        result = syncengine.estimate_offsets(
            paths,
            method=engine,
            reference=case["reference"],
            max_lag_s=max_lag_s,
            ffmpeg_bin=ffmpeg_bin,
        )
    except SyncEngineError as exc:
        error, message = exc.code, exc.message
    runtime_s = time.perf_counter() - wall0
    cpu_percent = 100.0 * (_cpu_s() - cpu0) / max(runtime_s, 1e-9)
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "case_id": case["id"],
        "method": method,
        **({"engine_method": engine, "cameras": True} if grouped else {}),
        "tags": case["tags"],
        "runtime_s": round(runtime_s, 4),
        "peak_memory_mb": _peak_rss_mb(),
        "children_peak_memory_mb": round(children_kb / 1024, 1),
        "peak_cpu_percent": round(cpu_percent, 1),
        "video_minutes": round(sum(c["duration_s"] for c in case["clips"]) / 60, 4),
        "error_code": error,
        "error_message": message,
        "clips": [
            _clip_record(
                c,
                tags=case["tags"],
                is_ref=c["name"] == case["reference"],
                result=result,
                error=error,
            )
            for c in case["clips"]
        ],
    }


def _progress_line(k: int, n: int, run: dict[str, Any]) -> str:
    if run["error_code"]:
        outcome = f"error {run['error_code']}"
    else:
        errs = [
            abs(c["est_offset_s"] - c["true_offset_s"])
            for c in run["clips"]
            if c["est_offset_s"] is not None and c["true_offset_s"] is not None
        ]
        synced = sum(c["synced"] for c in run["clips"])
        worst = f"max err {max(errs) * 1000:.1f} ms" if errs else "no estimates"
        outcome = f"{synced}/{len(run['clips'])} synced, {worst}"
    return (
        f"[{k}/{n}] {run['case_id']:<24} {run['method']:<6} {run['runtime_s']:6.2f} s "
        f"{run['peak_memory_mb'] or 0:7.1f} MB {run['peak_cpu_percent']:5.0f}% cpu  {outcome}"
    )


def run_batch(
    preset: str = "full",
    *,
    out_dir: Path = DEFAULT_OUT,
    methods: Sequence[str] = ("audio", "visual", "auto"),
    max_lag_s: float | None = DEFAULT_MAX_LAG_S,
    cases: Sequence[str] | None = None,
    ffmpeg_bin: str | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run every case of ``<out_dir>/<preset>/manifest.json`` with each method.

    Parameters
    ----------
    preset : str
        The preset folder to read.
    out_dir : Path
        Output root that holds the preset folder.
    methods : sequence of str
        Engine methods, each of :data:`syncengine.METHODS`, optionally with ``+cameras``
        (pass the manifest's camera keys; see the module Conventions).
    max_lag_s : float or None
        The engine's search range, seconds; None searches the whole overlap.
    cases : sequence of str, optional
        Keep only cases with one of these ids or tags.
    ffmpeg_bin : str, optional
        ffmpeg executable for the engine.
    log : callable
        Receives a progress line per run and the summary.

    Returns
    -------
    dict
        The results, as written to ``results.json`` (see the module Conventions).

    Raises
    ------
    FileNotFoundError
        When the manifest does not exist (run offset_generation first).
    ValueError
        On an unknown method.
    """
    bad = [m for m in methods if engine_method(m)[0] not in syncengine.METHODS]
    if bad:
        raise ValueError(f"unknown method(s) {bad}; expected some of {syncengine.METHODS}")
    root = Path(out_dir) / preset
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        raise FileNotFoundError(
            f"{manifest_path} not found: run "
            f"python -m evaluation.offset_generation --preset {preset}"
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    chosen = [
        c
        for c in manifest["cases"]
        if cases is None or c["id"] in cases or set(c["tags"]) & set(cases)
    ]
    results: dict[str, Any] = {
        "preset": preset,
        "engine_version": _engine_version(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "max_offset_s": max_lag_s,
        "methods": list(methods),
        "runs": [],
    }
    started, n = time.perf_counter(), len(chosen) * len(methods)
    for case in chosen:
        for method in methods:
            run = _run_case(case, root, method=method, max_lag_s=max_lag_s, ffmpeg_bin=ffmpeg_bin)
            results["runs"].append(run)
            log(_progress_line(len(results["runs"]), n, run))
            staged = root / "results.json.partial"
            staged.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
            staged.replace(root / "results.json")
    errors = sum(r["error_code"] is not None for r in results["runs"])
    engine_s = sum(r["runtime_s"] for r in results["runs"])
    log(
        f"{len(results['runs'])} runs ({len(chosen)} cases x {len(methods)} methods), "
        f"{errors} raised an error; engine time {engine_s:.1f} s, total "
        f"{time.perf_counter() - started:.1f} s -> {root / 'results.json'}"
    )
    if manifest.get("kind") == "shoots" and results["runs"]:
        from evaluation.shoots_metrics import condition_rows, markdown

        log(markdown(condition_rows(results)))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m evaluation.run_batch", description=__doc__.split("\n")[0]
    )
    add_dataset_arguments(parser, presets=(*PRESETS, *SHOOT_PRESETS))
    parser.add_argument(
        "--methods",
        default=None,
        help="default: audio,visual,auto (shoots-*: auto,auto+cameras); '+cameras' passes "
        "the manifest's camera keys",
    )
    parser.add_argument(
        "--max-offset",
        default="none",
        help="search range in seconds, or 'none' (default: the engine's, the whole overlap)",
    )
    parser.add_argument("--cases", default=None, help="comma-separated case ids or tags to keep")
    parser.add_argument("--ffmpeg", default=None, help="ffmpeg binary (default: imageio-ffmpeg)")
    args = parser.parse_args(argv)
    max_lag_s = DEFAULT_MAX_LAG_S if args.max_offset.lower() == "none" else float(args.max_offset)
    default = ",".join(SHOOT_METHODS) if args.preset in SHOOT_PRESETS else "audio,visual,auto"
    methods = [m.strip() for m in (args.methods or default).split(",") if m.strip()]
    cases = [c.strip() for c in args.cases.split(",") if c.strip()] if args.cases else None
    try:
        run_batch(
            args.preset,
            out_dir=args.out,
            methods=methods,
            max_lag_s=max_lag_s,
            cases=cases,
            ffmpeg_bin=args.ffmpeg,
        )
    except (FileNotFoundError, ValueError) as exc:
        parser.exit(2, f"error: {exc}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
