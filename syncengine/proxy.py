"""Browser previews: an H.264/AAC MP4 proxy (<= 720p, faststart) and a poster frame.

Conventions
-----------
Proxies keep the source's timeline (same t=0, same duration) so offsets measured on the source
apply unchanged in the browser player. Rotation is applied, variable frame rates are kept.
"""

from __future__ import annotations

import os
from pathlib import Path

from syncengine import media
from syncengine.errors import ParameterError
from syncengine.types import MediaInfo, ProgressCallback

__all__ = ["make_poster", "make_proxy"]


def make_proxy(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    info: MediaInfo | None = None,
    max_height: int = 720,
    ffmpeg_bin: str | None = None,
    progress: ProgressCallback | None = None,
    timeout_s: float = 3600.0,
) -> Path:
    """Write a browser-playable copy of ``source`` (H.264 yuv420p + AAC, faststart MP4).

    Raises
    ------
    ParameterError
        ``max_height`` is not a positive even number.
    RenderError
        ffmpeg failed; ``target`` is not left behind half-written.
    """
    if max_height <= 0 or max_height % 2:
        raise ParameterError(f"max_height must be a positive even number, got {max_height}")
    info = info or media.probe(source)
    target = Path(target)
    partial = target.with_name(f".{target.name}.part")
    args = [*media.safe_input_args(source), "-map", "0:v:0?", "-map", "0:a:0?", "-sn", "-dn"]
    if info.video is not None:
        # Never upscale; keep the aspect ratio, even dimensions for yuv420p.
        args += [
            "-vf",
            f"scale=-2:'min({max_height},ih)':flags=bicubic,format=yuv420p",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "23",
            "-profile:v",
            "high",
            "-fps_mode",
            "passthrough",
        ]
    if info.audio is not None:
        args += ["-c:a", "aac", "-b:a", "128k", "-ac", "2"]
    args += ["-movflags", "+faststart", "-f", "mp4", "-y", str(partial)]
    try:
        media.run_ffmpeg(
            args,
            ffmpeg_bin=ffmpeg_bin,
            timeout_s=timeout_s,
            duration_s=info.duration_s,
            progress=progress,
            stage="proxy",
        )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def make_poster(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    info: MediaInfo | None = None,
    max_height: int = 360,
    ffmpeg_bin: str | None = None,
) -> Path | None:
    """Write a JPEG poster from ~10 % into the clip; ``None`` for a file without picture."""
    info = info or media.probe(source)
    if info.video is None:
        return None
    at_s = min(max(0.0, info.duration_s * 0.1), max(0.0, info.duration_s - 0.1))
    target = Path(target)
    media.run_ffmpeg(
        [
            "-ss",
            f"{at_s:.3f}",
            *media.safe_input_args(source),
            "-frames:v",
            "1",
            "-vf",
            f"scale=-2:'min({max_height},ih)'",
            "-q:v",
            "4",
            "-y",
            str(target),
        ],
        ffmpeg_bin=ffmpeg_bin,
        timeout_s=120.0,
    )
    return target
