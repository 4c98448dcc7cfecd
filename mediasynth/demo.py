"""Write a three-camera synthetic demo event with known offsets.

Usage::

    python -m mediasynth.demo --out DIR [--seed 0]

The event is a 40 s stretch of one seeded world (320x240 blobs + mixed audio), world times
-5 s to 35 s; three cameras record overlapping parts of it:

- ``cam1``: world 0.0 s for 30 s, 30 fps, 48 kHz mono (the reference);
- ``cam2``: world 2.35 s for 28 s, 29.97 fps, 44.1 kHz stereo, 0.8 crop, -6 dB gain, -45 dBFS
  noise floor;
- ``cam3``: world -1.6 s (it started before cam1) for 26 s, 25 fps, 4 kHz lowpass and reverb.

``DIR/truth.json`` maps each file name to its true offset relative to cam1 in seconds
(``start_s - cam1.start_s``; positive means the camera started later).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path

from mediasynth.clips import CameraSpec, write_clips

__all__ = ["DEMO_CAMERAS", "main", "write_demo"]

DEMO_CAMERAS = (
    CameraSpec("cam1", start_s=0.0, duration_s=30.0),
    CameraSpec(
        "cam2",
        start_s=2.35,
        duration_s=28.0,
        fps=30000 / 1001,
        sample_rate_hz=44100,
        channels=2,
        crop=0.8,
        gain_db=-6.0,
        noise_db=-45.0,
    ),
    CameraSpec("cam3", start_s=-1.6, duration_s=26.0, fps=25.0, lowpass_hz=4000.0, reverb=True),
)


def write_demo(out_dir: Path, *, seed: int = 0, ffmpeg_bin: str | None = None) -> dict[str, float]:
    """Write the demo clips and ``truth.json`` into ``out_dir``.

    Parameters
    ----------
    out_dir : Path
        Output folder, created if missing.
    seed : int
        World seed.
    ffmpeg_bin : str or None
        ffmpeg executable; None means the imageio-ffmpeg build.

    Returns
    -------
    dict[str, float]
        File name -> true offset relative to cam1, seconds (positive: started later). This is
        the JSON manifest's content, hence a plain mapping.
    """
    out_dir = Path(out_dir)
    paths = write_clips(DEMO_CAMERAS, out_dir, seed=seed, ffmpeg_bin=ffmpeg_bin)
    reference_s = DEMO_CAMERAS[0].start_s
    truth = {paths[spec.name].name: spec.start_s - reference_s for spec in DEMO_CAMERAS}
    (out_dir / "truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return truth


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: write the demo and print the true offsets as a table."""
    parser = argparse.ArgumentParser(
        prog="python -m mediasynth.demo", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=0, help="world seed (default 0)")
    parser.add_argument("--ffmpeg", default=None, help="ffmpeg binary (default: imageio-ffmpeg)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    truth = write_demo(args.out, seed=args.seed, ffmpeg_bin=args.ffmpeg)
    specs = {f"{spec.name}.{spec.container}": spec for spec in DEMO_CAMERAS}
    print(
        f"{'file':<10} {'offset_s':>9} {'start_s':>8} {'duration_s':>10} {'fps':>7} {'audio':>14}"
    )
    for name, offset_s in truth.items():
        spec = specs[name]
        audio = f"{spec.sample_rate_hz} Hz x{spec.channels}"
        print(
            f"{name:<10} {offset_s:>+9.3f} {spec.start_s:>8.3f} {spec.duration_s:>10.1f} "
            f"{spec.fps:>7.3f} {audio:>14}"
        )
    elapsed_s = time.monotonic() - started
    print(f"wrote {len(truth)} clips and truth.json to {args.out} in {elapsed_s:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
