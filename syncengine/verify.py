"""Verify a render by measuring the outputs against each other again.

Conventions
-----------
A correct render puts every output on one timeline, so re-measured offsets (residuals) are ~0.
A render whose residual exceeds its tolerance is reported as failed, never silently shipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from syncengine.errors import RenderVerificationFailed, SyncEngineError
from syncengine.types import ProgressCallback, RenderResult

__all__ = ["VERIFY_MAX_LAG_S", "measure_outputs", "verification_error"]

VERIFY_MAX_LAG_S = 2.0  # search window when verifying re-encoded outputs


def measure_outputs(
    outputs: Sequence[Path],
    *,
    method: str,
    max_lag_s: float | None,
    reference: int,
    narrow: bool,
    ffmpeg_bin: str | None,
    margin_s: float = 0.0,
    progress: ProgressCallback | None = None,
) -> tuple[list[float | None], SyncEngineError | None]:
    """Each output's offset against the reference's output, or why they could not be measured.

    ``method`` and ``max_lag_s`` are those of the sync that placed the videos.
    ``margin_s`` widens the narrow search by the largest offset the outputs are expected to
    show (videos placed by hand away from their estimates).
    """
    from syncengine.sync import estimate_offsets

    # Re-encoded outputs should line up within a frame: a narrow search keeps the padding's
    # black and silence from raising competing peaks, and an error larger than the window
    # shows up as "not measured", which fails verification too. Copy renders can be off by
    # whole seconds, which we want to report as measured.
    if narrow:
        max_lag_s = min(VERIFY_MAX_LAG_S, max_lag_s or VERIFY_MAX_LAG_S) + margin_s
    try:
        again = estimate_offsets(
            outputs,
            method=method,
            reference=reference,
            max_lag_s=max_lag_s,
            ffmpeg_bin=ffmpeg_bin,
            progress=progress,
        )
    except SyncEngineError as exc:
        return [None] * len(outputs), exc
    return [v.offset_s if v.synced else None for v in again.videos], None


def verification_error(
    result: RenderResult, bad: Sequence[tuple[int, float]], failure: SyncEngineError | None
) -> RenderVerificationFailed:
    problems = []
    for k, tol_s in bad:
        f = result.files[k]
        name = Path(f.output).name
        if f.residual_s is None:
            problems.append(f"'{name}' could not be measured")
        else:
            problems.append(
                f"'{name}' is off by {f.residual_s * 1e3:+.1f} ms (allowed {tol_s * 1e3:.1f} ms)"
            )
    reason = f" ({failure.message})" if failure is not None else ""
    exc = RenderVerificationFailed(
        f"The synced files did not pass verification{reason}: {'; '.join(problems)}. "
        "Check these files before using them.",
        filename=Path(result.files[bad[0][0]].output).name,
        residuals_s={Path(f.output).name: f.residual_s for f in result.files},
    )
    exc.result = result
    return exc
