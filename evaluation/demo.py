"""``python -m evaluation.demo``: the demo event of :mod:`mediasynth.demo`, under its older name.

Usage::

    python -m evaluation.demo --out DIR [--seed 0]

Same arguments, files and output as ``python -m mediasynth.demo``.
"""

from __future__ import annotations

from mediasynth.demo import main

__all__ = ["main"]

if __name__ == "__main__":
    raise SystemExit(main())
