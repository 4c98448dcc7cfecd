"""Real synthesised speech for evaluation worlds, from espeak-ng when the machine has it.

``speech_world`` reads seeded sentences with a few espeak-ng voices and lays them end to end with
seeded pauses over a faint room tone; ``write_speech_source`` muxes that track under the synthetic
scene (``mediasynth.clips``) into one lossless source video, from which
:mod:`mediasynth.dataset` cuts cameras exactly as it cuts user originals. Without
espeak-ng the generator falls back on the synth's speech-like ``"speech"`` kind instead.

Conventions
-----------
- A source file's t=0 is world time ``start_s``; its audio is 48 kHz mono PCM.
- Seeded: the text, speeds and pauses come from ``np.random.default_rng([seed, 31, 2])``; the
  audio is then whatever espeak-ng renders for them (one espeak-ng version gives the same track).
- Levels: speech is scaled to -26 dBFS RMS over a -66 dBFS white room tone.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy import signal
from scipy.io import wavfile

from mediasynth.clips import CameraSpec, write_clip

__all__ = ["espeak_executable", "speech_sentences", "speech_world", "write_speech_source"]

_RATE_HZ = 48000
_TIMEOUT_S = 120.0
_VOICES = ("en-us+m3", "en-gb+f2", "en-us+f4", "en+m1")
_SUBJECTS = (
    "the drummer",
    "our guide",
    "a tall man",
    "the bride",
    "my sister",
    "the coach",
    "every guest",
    "the old captain",
    "a small child",
    "the band",
)
_VERBS = (
    "carried",
    "painted",
    "found",
    "dropped",
    "counted",
    "opened",
    "followed",
    "lifted",
    "described",
    "borrowed",
)
_OBJECTS = (
    "seven red chairs",
    "the silver trumpet",
    "a paper lantern",
    "the wedding cake",
    "three heavy boxes",
    "a broken umbrella",
    "the north gate",
    "a basket of apples",
    "the tour bus",
    "two wooden oars",
)
_TAILS = (
    "before the rain started",
    "near the river",
    "after the last song",
    "while everyone laughed",
    "at exactly nine o'clock",
    "without a word",
    "on the stage",
    "behind the church",
    "in the bright sun",
    "for the second time",
)


def espeak_executable() -> str | None:
    """Path of ``espeak-ng`` on PATH, or None when it is not installed."""
    return shutil.which("espeak-ng")


def speech_sentences(*, seed: int, n: int) -> list[str]:
    """``n`` seeded English sentences (subject, verb, object, phrase)."""
    rng = np.random.default_rng([seed, 31, 1])
    return [_sentence(rng) for _ in range(n)]


def _sentence(rng: np.random.Generator) -> str:
    parts = (_SUBJECTS, _VERBS, _OBJECTS, _TAILS)
    return " ".join(str(rng.choice(p)) for p in parts).capitalize() + "."


def _say(text: str, *, voice: str, wpm: int, espeak_bin: str, tmp: Path) -> NDArray[np.float64]:
    """One sentence from espeak-ng, resampled to 48 kHz mono float in [-1, 1]."""
    wav = tmp / "say.wav"
    argv = [espeak_bin, "-v", voice, "-s", str(wpm), "-w", str(wav), "--", text]
    done = subprocess.run(argv, capture_output=True, timeout=_TIMEOUT_S, check=False)
    if done.returncode != 0 or not wav.exists():
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"espeak-ng failed ({done.returncode}): {lines[-1] if lines else ''}")
    rate, data = wavfile.read(wav)
    x = data.astype(np.float64)
    x = x.mean(axis=1) if x.ndim == 2 else x
    if np.issubdtype(data.dtype, np.integer):
        x /= float(np.iinfo(data.dtype).max)
    g = np.gcd(int(rate), _RATE_HZ)
    return signal.resample_poly(x, _RATE_HZ // g, int(rate) // g)


def speech_world(duration_s: float, *, seed: int, espeak_bin: str) -> NDArray[np.float32]:
    """A 48 kHz mono track of seeded sentences read by alternating voices.

    Parameters
    ----------
    duration_s : float
        Length, seconds (> 0).
    seed : int
        Seed of the text, voices, speaking rates and pauses.
    espeak_bin : str
        The espeak-ng executable.

    Returns
    -------
    NDArray[np.float32]
        ``[shape=(round(duration_s * 48000),)]`` samples in [-1, 1].

    Raises
    ------
    ValueError
        On a non-positive duration.
    RuntimeError
        If espeak-ng fails.
    """
    if not duration_s > 0:
        raise ValueError(f"duration_s must be positive, got {duration_s}")
    n = round(duration_s * _RATE_HZ)
    rng = np.random.default_rng([seed, 31, 2])
    speech = np.zeros(n)
    pos = round(rng.uniform(0.1, 0.6) * _RATE_HZ)
    with tempfile.TemporaryDirectory(prefix="speech-") as tmp:
        k = 0
        while pos < n:
            text = _sentence(rng)
            voice, wpm = _VOICES[k % len(_VOICES)], int(rng.integers(140, 190))
            said = _say(text, voice=voice, wpm=wpm, espeak_bin=espeak_bin, tmp=Path(tmp))
            said = said[: n - pos]
            speech[pos : pos + said.size] += said
            pos += said.size + round(rng.uniform(0.15, 0.7) * _RATE_HZ)  # a breath, a pause
            k += 1
    rms = np.sqrt(np.mean(speech**2))
    speech *= 10 ** (-26 / 20) / max(rms, 1e-9)
    speech += 10 ** (-66 / 20) * np.random.default_rng([seed, 31, 3]).standard_normal(n)
    return np.clip(speech, -1.0, 1.0).astype(np.float32)


def write_speech_source(
    path: Path,
    *,
    start_s: float,
    duration_s: float,
    width: int,
    height: int,
    seed: int,
    espeak_bin: str,
    ffmpeg_bin: str,
) -> Path:
    """Write a lossless source video: the synthetic scene plus ``speech_world`` audio.

    The picture is world time ``[start_s, start_s + duration_s)`` of the synth scene for ``seed``
    (30 fps); the audio is the speech track (48 kHz mono PCM). The container is Matroska whatever
    ``path``'s suffix says.

    Raises
    ------
    RuntimeError
        If espeak-ng or ffmpeg fails.
    """
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="speech-src-") as tmp:
        spec = CameraSpec(
            "scene",
            start_s=start_s,
            duration_s=duration_s,
            width=width,
            height=height,
            audio="none",
            container="mkv",
        )
        video = write_clip(spec, Path(tmp), seed=seed, ffmpeg_bin=ffmpeg_bin)
        wav = Path(tmp) / "speech.wav"
        wavfile.write(wav, _RATE_HZ, speech_world(duration_s, seed=seed, espeak_bin=espeak_bin))
        argv = [
            ffmpeg_bin,
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-i",
            str(video),
            "-i",
            str(wav),
            "-map",
            "0:v:0",
            "-map",
            "1:a:0",
            "-c:v",
            "copy",
            "-c:a",
            "pcm_s16le",
            "-f",
            "matroska",
            str(path),
        ]
        done = subprocess.run(argv, capture_output=True, timeout=_TIMEOUT_S, check=False)
        if done.returncode != 0:
            lines = done.stderr.decode(errors="replace").strip().splitlines()
            raise RuntimeError(f"ffmpeg failed ({done.returncode}): {lines[-1] if lines else ''}")
    return path
