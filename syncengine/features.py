"""File-level feature extraction: each video's audio track and motion series, computed once.

Conventions
-----------
Extraction runs in threads (ffmpeg and PyAV decode outside the GIL). A clip that cannot give a
feature gets its typed error recorded instead of a feature, so the caller decides whether that
is fatal (single-method runs) or a fallback (``auto``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Generic, TypeVar

from syncengine import media
from syncengine.audio import PreparedAudio
from syncengine.audio_stream import stream_prepared_audio
from syncengine.errors import (
    DecoderCrashed,
    InsufficientSignal,
    MemoryLimitExceeded,
    NoAudioStream,
    NoVideoStream,
)
from syncengine.progress import StagedProgress
from syncengine.types import MediaInfo, MotionSeries

__all__ = ["Extracted", "extract_audio", "extract_motion"]

T = TypeVar("T")
# A decoder that crashes or runs out of memory on one clip (in its own process) fails that clip.
_SOFT_ERRORS = (
    NoAudioStream,
    NoVideoStream,
    InsufficientSignal,
    DecoderCrashed,
    MemoryLimitExceeded,
)
_POLL_S = 0.25


@dataclass(frozen=True)
class Extracted(Generic[T]):
    """Per input: the feature, or the error that explains why there is none."""

    features: tuple[T | None, ...]
    errors: tuple[Exception | None, ...]


def _run(
    infos: Sequence[MediaInfo],
    work: Callable[[int, MediaInfo], T],
    *,
    workers: int,
    progress: StagedProgress,
) -> Extracted[T]:
    def guarded(k: int) -> tuple[T | None, Exception | None]:
        try:
            return work(k, infos[k]), None
        except _SOFT_ERRORS as exc:
            return None, exc

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(guarded, k) for k in range(len(infos))]
        pending = set(futures)
        try:
            while pending:
                _, pending = wait(pending, timeout=_POLL_S, return_when=FIRST_EXCEPTION)
                progress.flush()  # callbacks run here, in the caller's thread
        except BaseException:
            for f in futures:
                f.cancel()
            raise
        results = [f.result() for f in futures]  # re-raises a worker's unexpected error
    return Extracted(tuple(r[0] for r in results), tuple(r[1] for r in results))


def extract_audio(
    infos: Sequence[MediaInfo],
    *,
    sample_rate_hz: int,
    ffmpeg_bin: str | None,
    progress: StagedProgress,
    workers: int = 2,
) -> Extracted[PreparedAudio]:
    """Decode every clip's audio to mono float32, check it and decimate it (once per clip).

    Streamed (:func:`syncengine.audio_stream.stream_prepared_audio`): the search features are
    built while ffmpeg decodes, and the analysis-rate samples wait in an unlinked temporary
    file, so a long take never sits in memory at the analysis rate.
    """

    def work(k: int, info: MediaInfo) -> PreparedAudio:
        prepared = stream_prepared_audio(
            info.path, sample_rate_hz=sample_rate_hz, info=info, ffmpeg_bin=ffmpeg_bin
        )
        progress.update("extracting_audio", 1.0, item=k, n_items=len(infos))
        return prepared

    return _run(infos, work, workers=workers, progress=progress)


def extract_motion(
    infos: Sequence[MediaInfo], *, rate_hz: float, progress: StagedProgress, workers: int = 2
) -> Extracted[MotionSeries]:
    """Stream every clip's frames into a motion-energy series (no frame is kept)."""
    from syncengine.motion import motion_series

    def work(k: int, info: MediaInfo) -> MotionSeries:
        def report(fraction: float) -> None:
            progress.update("motion_analysis", fraction, item=k, n_items=len(infos))

        frames = media.iter_gray_frames(info.path, info=info)
        series = motion_series(
            frames,
            rate_hz=rate_hz,
            progress=report,
            duration_s=info.duration_s,
            filename=info.filename,
        )
        report(1.0)
        return series

    return _run(infos, work, workers=workers, progress=progress)
