"""Child process of :mod:`evaluation.compare_peers`: one peer tool on one (reference, other) pair.

Runs under the peers' interpreter (``.venv-peers``, see ``requirements-peers.txt``), whose numpy 1
cannot share a venv with Syncsite's numpy 2, so this module imports only the standard library at
the top and the tool inside :func:`run_tool`. The ``gcc-phat`` baseline
(:mod:`evaluation.gcc_phat_peer`, numpy only) runs under Syncsite's own interpreter.

Usage (internal)::

    <peers python> -m evaluation.peer_runner TOOL REFERENCE OTHER
    <peers python> -m evaluation.peer_runner ffprobe-shim [ffprobe arguments] FILE

The first prints one JSON line on stdout: ``{"raw": {...}, "score": float | null, "call_s": s}``
or ``{"error": "message"}``. The tools' own chatter goes to stderr.

Conventions
-----------
- ``raw`` is each tool's answer in its own convention; :func:`evaluation.compare_peers.\
to_reference_offset_s` converts it. ``call_s`` is the wall time of the tool call (plus the WAV
  extraction audalign needs), after the tool was imported.
- ``$SYNCSITE_FFMPEG`` names the ffmpeg binary; ``PATH`` holds an ``ffmpeg`` link to it and an
  ``ffprobe`` stand-in (the ``ffprobe-shim`` command), since the machine has neither and syncstart
  asks ffprobe only for a stream's ``sample_rate`` or ``avg_frame_rate``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["TOOLS", "ffprobe_shim", "main", "run_tool"]

TOOLS = ("syncstart", "audalign", "audalign-correlation", "audio-offset-finder", "gcc-phat")
_TIMEOUT_S = 600


def _ffmpeg() -> str:
    return os.environ.get("SYNCSITE_FFMPEG", "ffmpeg")


def _to_wav(src: str, dst: Path) -> Path:
    """Decode the first audio stream to 16-bit PCM WAV (pydub reads WAV without ffprobe)."""
    done = subprocess.run(
        [
            _ffmpeg(),
            "-v",
            "error",
            "-nostdin",
            "-y",
            "-i",
            src,
            "-vn",
            "-map",
            "0:a:0",
            "-c:a",
            "pcm_s16le",
            str(dst),
        ],
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_S,
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["ffmpeg failed"]
        raise RuntimeError(f"cannot extract audio from {Path(src).name}: {lines[-1]}")
    return dst


def _syncstart(reference: str, other: str) -> tuple[dict[str, Any], float | None]:
    import syncstart  # its CLI function reads sys.argv: give it the documented command line

    take_s = "3600"  # default 20 s would miss offsets and long clips; look at whole clips
    sys.argv = ["syncstart", reference, other, "--show", "--quiet", "--take", take_s]
    try:
        file, cut_s = syncstart.file_offset()
    except SystemExit as exc:  # syncstart exits when ffmpeg/ffprobe fail
        raise RuntimeError(f"syncstart exited with {exc.code}") from exc
    which = "reference" if file == reference else "other" if file == other else str(file)
    return {"cut_file": which, "cut_s": float(cut_s)}, None


def _audalign(reference: str, other: str, *, correlation: bool) -> tuple[dict[str, Any], float]:
    import audalign
    from audalign.recognizers.correcognize import CorrelationRecognizer

    with tempfile.TemporaryDirectory() as tmp:
        ref_wav = _to_wav(reference, Path(tmp) / "reference.wav")
        other_wav = _to_wav(other, Path(tmp) / "other.wav")
        recognizer = CorrelationRecognizer() if correlation else None
        result = audalign.align_files(str(ref_wav), str(other_wav), recognizer=recognizer)
    if not result or "reference.wav" not in result or "other.wav" not in result:
        raise RuntimeError("audalign found no alignment")
    ranking = result.get("rankings", {}).get("match_info", {}).get("other.wav", {})
    score = ranking.get("reference.wav")
    raw = {
        "reference_shift_s": float(result["reference.wav"]),
        "other_shift_s": float(result["other.wav"]),
    }
    return raw, None if score is None else float(score)


def _audio_offset_finder(reference: str, other: str) -> tuple[dict[str, Any], float]:
    from audio_offset_finder.audio_offset_finder import find_offset_between_files

    # The CLI's defaults (--sr 8000, --resolution 128, no trim); file1 is the "within" file.
    result = find_offset_between_files(reference, other, fs=8000, hop_length=128, trim=None)
    score = float(result["standard_score"])
    return {"time_offset": float(result["time_offset"]), "standard_score": score}, score


def _gcc_phat(reference: str, other: str) -> tuple[dict[str, Any], None]:
    from evaluation.gcc_phat_peer import decode_mono, gcc_phat_offset_s

    return {"offset_s": gcc_phat_offset_s(decode_mono(reference), decode_mono(other))}, None


def run_tool(tool: str, reference: str, other: str) -> dict[str, Any]:
    """Import ``tool``, run it once on the pair and time the call (the import is not timed)."""
    calls = {
        "syncstart": lambda: _syncstart(reference, other),
        "audalign": lambda: _audalign(reference, other, correlation=False),
        "audalign-correlation": lambda: _audalign(reference, other, correlation=True),
        "audio-offset-finder": lambda: _audio_offset_finder(reference, other),
        "gcc-phat": lambda: _gcc_phat(reference, other),
    }
    if tool not in calls:
        raise ValueError(f"unknown tool {tool!r}; expected one of {TOOLS}")
    module = {"audio-offset-finder": "audio_offset_finder", "gcc-phat": "numpy"}.get(
        tool, tool.split("-")[0]
    )
    __import__(module)
    started = time.perf_counter()
    raw, score = calls[tool]()
    return {"raw": raw, "score": score, "call_s": time.perf_counter() - started}


def ffprobe_shim(args: list[str]) -> int:
    """Answer syncstart's two ffprobe queries from ``ffmpeg -i`` (prints ``key=value``)."""
    entry = args[args.index("-show_entries") + 1] if "-show_entries" in args else ""
    done = subprocess.run(
        [_ffmpeg(), "-hide_banner", "-nostdin", "-i", args[-1]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    patterns = {
        "stream=sample_rate": ("sample_rate", r"Audio: .*?, (\d+) Hz"),
        "stream=avg_frame_rate": ("avg_frame_rate", r"Video: .*?, ([\d.]+) fps"),
    }
    if entry not in patterns:
        print(f"ffprobe stand-in: unsupported query {args}", file=sys.stderr)
        return 1
    key, pattern = patterns[entry]
    found = re.search(pattern, done.stderr)
    if found is None:
        print(f"ffprobe stand-in: no {key} in {args[-1]}", file=sys.stderr)
        return 1
    print(f"{key}={found.group(1)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; see the module docstring."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "ffprobe-shim":
        return ffprobe_shim(args[1:])
    if len(args) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.stdout
    try:
        with contextlib.redirect_stdout(sys.stderr):  # tools print progress on stdout
            answer = run_tool(*args)
    except Exception as exc:  # any failure of a third-party tool is that tool's failure
        answer = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    out.write(json.dumps(answer) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
