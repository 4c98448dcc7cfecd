"""Browser previews: an H.264/AAC MP4 proxy (<= 720p, faststart) and a poster frame.

Conventions
-----------
Proxies keep the source's timeline (same t=0, same duration) so offsets measured on the source
apply unchanged in the browser player. What a browser would get wrong is fixed on the way:

- Rotation is applied: a phone clip stored sideways with a rotation tag becomes upright pixels
  with no tag left (ffmpeg's autorotate), so no player can turn it twice.
- A variable frame rate becomes constant (:func:`proxy_frame_rate`): each output frame shows the
  source frame nearest its time, and the sound is left as it is, so picture and sound stay
  where they were (within one frame).
- 10- and 12-bit pictures become 8-bit yuv420p H.264 (High profile: what every browser decodes).
  HDR (PQ or HLG transfer) is tone-mapped to SDR BT.709 (zscale to linear light, BT.2020 to
  BT.709 primaries, ``tonemap=hable``) and tagged BT.709; wide-gamut SDR (BT.2020 primaries) is
  converted to BT.709 without tone-mapping. Other sources keep their colour tags.
- A file without picture (a sound recorder's WAV) gets an AAC-only proxy (e.g. ``.m4a``).
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

from syncengine import media
from syncengine.errors import ParameterError
from syncengine.render_chains import color_filters
from syncengine.types import MediaInfo, ProgressCallback, VideoStreamInfo

__all__ = ["STANDARD_RATES", "make_poster", "make_proxy", "picture_filters", "proxy_frame_rate"]

#: Frame rates a variable-rate source's average is snapped to when within 2 % of one.
STANDARD_RATES = tuple(
    Fraction(r) for r in ("24000/1001", "24", "25", "30000/1001", "30", "50", "60000/1001", "60")
)
_SNAP_FRACTION = 0.02


def proxy_frame_rate(video: VideoStreamInfo) -> Fraction:
    """The proxy's constant frame rate.

    The source's own rate when it is constant; for a variable frame rate the average rate, taken
    to the nearest of :data:`STANDARD_RATES` when within 2 % of it (a phone's "30 fps" that
    drops a frame now and then stays 30), else the average itself (to 1/1001).

    Raises
    ------
    ParameterError
        The stream declares no frame rate.
    """
    if not video.fps > 0:
        raise ParameterError(f"the video declares no frame rate ({video.fps!r} fps)")
    fps = Fraction(video.fps).limit_denominator(1001)
    if not video.variable_fps:
        return fps
    nearest = min(STANDARD_RATES, key=lambda r: abs(float(r) - video.fps))
    return nearest if abs(float(nearest) / video.fps - 1) <= _SNAP_FRACTION else fps


def picture_filters(
    info: MediaInfo, color: media.VideoColor | None, *, max_height: int, constant_rate: bool
) -> tuple[str, list[str]]:
    """The ``-vf`` graph of a browser picture (rate, size, 8-bit SDR) and its output tags.

    Scaling comes first, so colour conversion works on at most ``max_height`` lines.
    """
    assert info.video is not None
    parts = []
    if constant_rate and info.video.variable_fps:
        parts.append(f"fps={proxy_frame_rate(info.video)}")
    # Never upscale; keep the aspect ratio, even dimensions for yuv420p.
    parts.append(f"scale=-2:'min({max_height},ih)':flags=bicubic")
    colors, tags = color_filters(color)
    return ",".join(parts + colors), tags


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

    See the module's conventions: upright, constant frame rate, 8-bit SDR, the source's
    timeline. A file without picture gives an AAC-only MP4 (name it ``.m4a``); its sound is
    mixed to stereo, as every proxy's.

    Returns
    -------
    Path
        ``target``.

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
        graph, tags = picture_filters(
            info, media.video_color(source), max_height=max_height, constant_rate=True
        )
        args += [
            "-vf",
            graph,
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "23",
            "-profile:v",
            "high",
            *tags,
            # the fps filter (variable-rate sources) already made the frames constant-rate
            "-fps_mode",
            "passthrough",
        ]
    else:
        args += ["-vn"]
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
    """Write a JPEG poster from ~10 % into the clip; ``None`` for a file without picture.

    Upright, and tone-mapped like :func:`make_proxy` when the source is HDR.
    """
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
            picture_filters(
                info, media.video_color(source), max_height=max_height, constant_rate=False
            )[0],
            "-q:v",
            "4",
            "-y",
            str(target),
        ],
        ffmpeg_bin=ffmpeg_bin,
        timeout_s=120.0,
    )
    return target
