"""Plans of evaluation cases: a camera's synthetic spec plus the ffmpeg degradations after it.

A :class:`CasePlan` is a set of cameras of one world at known offsets; :mod:`mediasynth.dataset`
writes it, from the synthetic world of :mod:`mediasynth.clips` or cut from an original video with
the ffmpeg command lines of :mod:`mediasynth.degrade`. Which cases exist is the evaluation's choice
(``evaluation.presets``); this module only says what one is.

Conventions
-----------
- Clip 0 of a case is its reference. The true offset of clip ``k`` is
  ``clips[k].spec.start_s - clips[0].spec.start_s`` seconds (positive: it started later), the
  engine's ``offset_s`` convention; it is ``None`` for a clip that shares nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from mediasynth.clips import CameraSpec

__all__ = ["CasePlan", "ClipPlan"]


@dataclass(frozen=True)
class ClipPlan:
    """One camera of a case: a synth ``spec`` plus the ffmpeg degradations applied after it.

    ``audio_codec`` ("aac" or "mp3") at ``audio_bitrate_kbps``; ``scale`` < 1 shrinks the picture
    by that factor and back (a softer lens or lower-resolution sensor); ``video_noise`` is ffmpeg's
    ``noise`` strength (0-100, temporal); ``perspective`` narrows the top edge by that fraction of
    the width on each side (a camera looking up at the scene); ``crf`` re-encodes the picture
    with libx264 at that constant rate factor (high = blocky, as after an upload).
    """

    spec: CameraSpec
    audio_codec: str = "aac"
    audio_bitrate_kbps: int = 128
    scale: float = 1.0
    video_noise: int = 0
    perspective: float = 0.0
    crf: int | None = None

    @property
    def syncable(self) -> bool:
        stranger = self.spec.audio in ("unrelated", "shared_music")
        return not stranger and self.spec.video != "unrelated"

    @property
    def has_track(self) -> bool:
        """True when the file has an audio stream (possibly digital silence)."""
        return self.spec.audio != "none"

    @property
    def has_audio(self) -> bool:
        """True when the clip has sound to sync on: an audio stream that is not digital silence."""
        return self.spec.audio not in ("none", "silent")

    @property
    def distinct_motion(self) -> bool:
        """True when the picture alone can place this clip (non-repeating, shared motion)."""
        return self.spec.video in ("blobs", "stage", "party")

    @property
    def post_processed(self) -> bool:
        """True when a synthetic clip needs an ffmpeg pass after ``mediasynth.clips``."""
        return (
            self.audio_codec,
            self.audio_bitrate_kbps,
            self.scale,
            self.video_noise,
            self.perspective,
            self.crf,
        ) != ("aac", 128, 1.0, 0, 0.0, None)


@dataclass(frozen=True)
class CasePlan:
    """A set of clips of one world; ``clips[0]`` is the reference."""

    number: int
    tags: tuple[str, ...]
    clips: tuple[ClipPlan, ...]

    @property
    def case_id(self) -> str:
        return f"c{self.number:03d}_{self.tags[0]}"

    def true_offset_s(self, k: int) -> float | None:
        """Clip ``k``'s true offset against clip 0, seconds (None if it shares nothing)."""
        if not self.clips[k].syncable:
            return None
        return round(self.clips[k].spec.start_s - self.clips[0].spec.start_s, 9)
