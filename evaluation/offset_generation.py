"""Write the evaluation dataset: sets of clips ("cases") at known offsets, plus a manifest.

Usage::

    python -m evaluation.offset_generation [--preset small|full|tune|heldout|shoots-tune|...]
        [--out evaluation/output] [--seed 0] [--originals evaluation/originals]
        [--cases ID_OR_TAG,...]

With videos in the originals folder, each case is cut from one of them with ffmpeg (accurate
``-ss`` seek, re-encoded) and each camera's room, microphone and viewpoint are ffmpeg filters
(volume, lowpass, aecho, an ``anoisesrc`` noise floor; crop, scale, eq, noise, perspective). With
none, cases are rendered from the seeded synthetic world of :mod:`mediasynth.clips`. Either way the
cases are those of :mod:`evaluation.presets`; speech cases use espeak-ng when it is installed.
:func:`mediasynth.dataset.write_dataset` writes them; this module picks the preset's cases.

Conventions
-----------
- Layout: ``<out>/<preset>/cases/<case_id>/<camera>.<ext>`` and ``<out>/<preset>/manifest.json``;
  file paths in the manifest are relative to the manifest's folder. The other conventions (true
  and picture offsets, shrinking, reuse) are :mod:`mediasynth.dataset`'s.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from evaluation.presets import PRESETS, preset_cases
from evaluation.report import DEFAULT_OUT, add_dataset_arguments
from evaluation.shoots import SHOOT_PRESETS, shoot_cases
from mediasynth.dataset import find_originals, write_dataset
from mediasynth.shoots import write_shoots

__all__ = ["DEFAULT_ORIGINALS", "DEFAULT_OUT", "find_originals", "generate", "main"]

DEFAULT_ORIGINALS = Path(__file__).resolve().parent / "originals"


def generate(
    preset: str = "full",
    *,
    out_dir: Path = DEFAULT_OUT,
    seed: int = 0,
    originals_dir: Path = DEFAULT_ORIGINALS,
    cases: Sequence[str] | None = None,
    ffmpeg_bin: str | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Write the cases of ``preset`` and ``<out_dir>/<preset>/manifest.json``.

    Parameters
    ----------
    preset : {"tiny", "small", "full", "tune", "heldout", "shoots-tune", "shoots-heldout", \
"shoots-long"}
        Which cases (see :mod:`evaluation.presets`; the ``shoots-*`` ones are
        :mod:`evaluation.shoots`', written by :func:`mediasynth.shoots.write_shoots`).
    out_dir : Path
        Output root; the preset's folder is created inside it.
    seed : int
        World seed: the same seed gives the same manifest and files.
    originals_dir : Path
        Folder of original videos; when it has none, cases are synthesised.
    cases : sequence of str, optional
        Keep only the cases with one of these ids or tags.
    ffmpeg_bin : str, optional
        ffmpeg executable (default: the imageio-ffmpeg build).
    log : callable
        Receives one progress line per case.

    Returns
    -------
    dict
        The manifest, as written (see :mod:`mediasynth.dataset`).
    """
    if preset in SHOOT_PRESETS:  # real-shoot cases: always synthetic (evaluation.shoots)
        shoots = [
            c
            for c in shoot_cases(preset, seed=seed)
            if cases is None or c.case_id in cases or set(c.tags) & set(cases)
        ]
        return write_shoots(
            shoots, Path(out_dir) / preset, name=preset, seed=seed, ffmpeg_bin=ffmpeg_bin, log=log
        )
    plans = [
        c
        for c in preset_cases(preset, seed=seed)
        if cases is None or c.case_id in cases or set(c.tags) & set(cases)
    ]
    return write_dataset(
        plans,
        Path(out_dir) / preset,
        name=preset,
        seed=seed,
        originals_dir=originals_dir,
        ffmpeg_bin=ffmpeg_bin,
        log=log,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m evaluation.offset_generation", description=__doc__.split("\n")[0]
    )
    add_dataset_arguments(parser, presets=(*PRESETS, *SHOOT_PRESETS))
    parser.add_argument("--seed", type=int, default=0, help="world seed (default 0)")
    parser.add_argument(
        "--originals",
        type=Path,
        default=DEFAULT_ORIGINALS,
        help="folder of original videos (default: evaluation/originals)",
    )
    parser.add_argument("--cases", default=None, help="comma-separated case ids or tags to keep")
    parser.add_argument("--ffmpeg", default=None, help="ffmpeg binary (default: imageio-ffmpeg)")
    args = parser.parse_args(argv)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()] if args.cases else None
    generate(
        args.preset,
        out_dir=args.out,
        seed=args.seed,
        originals_dir=args.originals,
        cases=cases,
        ffmpeg_bin=args.ffmpeg,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
