"""Baseline peer: plain whole-clip GCC-PHAT, the textbook method in about thirty lines of numpy.

Usage::

    python -m evaluation.peer_runner gcc-phat REFERENCE OTHER    (how compare_peers calls it)
    python -m evaluation.gcc_phat_peer REFERENCE OTHER           (prints the offset in seconds)

Decodes each clip's first audio stream to mono at :data:`RATE_HZ` with ffmpeg
(``$SYNCSITE_FFMPEG``, else the imageio-ffmpeg build), whitens the cross-spectrum (phase
transform: every frequency weighted 1 / |X Y*|) and takes the integer lag of the highest
correlation over every lag at which the clips overlap at all. No windowing, no band limit, no
sub-sample refinement, no drift model and no confidence: it always answers, which is the point
of a baseline. Runs under Syncsite's venv or the peers' (numpy only).

Conventions
-----------
- Returns ``offset_s``, positive when OTHER started after REFERENCE (the engine's convention):
  with ``c[l] = sum_k ref[k + l] * other[k]``, a clip that started ``d`` seconds late matches at
  ``l = d * RATE_HZ``.
- Resolution is one sample at 8 kHz (0.125 ms), far below a video frame.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

__all__ = ["RATE_HZ", "decode_mono", "gcc_phat_offset_s", "main"]

RATE_HZ = 8000


def _ffmpeg() -> str:
    if os.environ.get("SYNCSITE_FFMPEG"):
        return os.environ["SYNCSITE_FFMPEG"]
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def decode_mono(path: str, rate_hz: int = RATE_HZ) -> np.ndarray:
    """The first audio stream of ``path`` as mono float32 at ``rate_hz``."""
    done = subprocess.run(
        [
            _ffmpeg(),
            "-v",
            "error",
            "-nostdin",
            "-i",
            str(path),
            "-map",
            "0:a:0",
            "-ac",
            "1",
            "-ar",
            str(rate_hz),
            "-f",
            "f32le",
            "-",
        ],
        capture_output=True,
        timeout=600,
    )
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines() or ["ffmpeg failed"]
        raise RuntimeError(f"cannot decode audio of {os.path.basename(path)}: {lines[-1]}")
    return np.frombuffer(done.stdout, dtype=np.float32)


def gcc_phat_offset_s(ref: np.ndarray, other: np.ndarray, rate_hz: int = RATE_HZ) -> float:
    """Offset of ``other`` against ``ref`` (seconds, positive: other started later)."""
    if ref.size == 0 or other.size == 0:
        raise ValueError("an audio track is empty")
    n = ref.size + other.size - 1  # every lag with any overlap, without circular wrap
    nfft = 1 << (n - 1).bit_length()
    cross = np.fft.rfft(ref, nfft) * np.conj(np.fft.rfft(other, nfft))
    cross /= np.maximum(np.abs(cross), 1e-12)  # the phase transform
    corr = np.fft.irfft(cross, nfft)
    # lags 0 .. ref.size - 1 sit at the start, lags -(other.size - 1) .. -1 at the end
    lags = np.r_[np.arange(ref.size), np.arange(-(other.size - 1), 0)]
    values = np.r_[corr[: ref.size], corr[nfft - (other.size - 1) :]]
    return float(lags[int(np.argmax(values))] / rate_hz)


def main(argv: list[str] | None = None) -> int:
    """Print the offset of OTHER against REFERENCE in seconds."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    print(f"{gcc_phat_offset_s(decode_mono(args[0]), decode_mono(args[1])):.6f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
