"""The sync check sheet: every camera's frame at the same synced moments, side by side.

A user checks a sync by eye: at a moment where things move, every camera should show the same
instant. The sheet picks the few moments with the most motion across the placed cameras, grabs
each camera's frame at that moment of the shared timeline, draws boxes around what moved
(frame differencing with OpenCV) and labels each tile with the camera's name and time. Frames
come from moviepy (``VideoFileClip.get_frame``; it runs FFmpeg itself through imageio-ffmpeg),
the grid is composed with moviepy's ``clips_array`` and the labels drawn with Pillow.

Conventions
-----------
``offset_s`` of a clip is the time on the reference's timeline at which the clip's own t=0
happens (the engine's sign convention: positive means it started later). Timeline time ``t``
is clip time ``t - offset_s``. The sheet has one row per moment and one column per camera, in
the order given; every tile is ``tile_width_px`` wide and ``tile_height_px`` high plus a
caption strip of :data:`CAPTION_PX`, so the image is ``columns * tile_width_px`` by
``rows * (tile_height_px + CAPTION_PX)`` pixels. A camera without picture at a moment gets a
grey tile that says so.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from syncengine.errors import ParameterError

__all__ = ["CAPTION_PX", "CheckSheet", "SheetClip", "check_sheet_write"]

CAPTION_PX = 34
#: Seconds between the two frames that are differenced for motion.
MOTION_STEP_S = 0.2
#: Candidate moments scanned for motion (evenly over the shared time); bounds the decoding cost.
_MAX_CANDIDATES = 60
_SCAN_WIDTH_PX = 96  # motion is scored on small grey frames: cheap, and noise averages out
_DIFF_THRESHOLD = 25  # grey levels (0-255) a pixel must change by to count as moving
_MIN_BOX_FRACTION = 0.002  # boxes smaller than this part of the frame are noise
_BOX_RGB = (255, 200, 0)  # amber: shows on sky, skin and grass
_GREY = 64
Frame = NDArray[np.uint8]


@dataclass(frozen=True)
class SheetClip:
    """One camera on the sheet: its name as the user knows it, its file and its placement."""

    name: str
    path: str | os.PathLike[str]
    offset_s: float


@dataclass(frozen=True)
class CheckSheet:
    """What was written: the PNG, the timeline moments (rows) and the cameras (columns)."""

    path: Path
    moments_s: tuple[float, ...]
    names: tuple[str, ...]
    tile_width_px: int
    tile_height_px: int

    @property
    def size_px(self) -> tuple[int, int]:
        """``(width, height)`` of the image."""
        return (
            len(self.names) * self.tile_width_px,
            len(self.moments_s) * (self.tile_height_px + CAPTION_PX),
        )


class _Camera:
    """A clip opened with moviepy; frames are asked for in clip time and clamped to the clip."""

    def __init__(self, clip: SheetClip) -> None:
        from moviepy import VideoFileClip  # imported here: moviepy is slow to import

        self.name = clip.name
        self.offset_s = float(clip.offset_s)
        self.video = VideoFileClip(os.fspath(clip.path), audio=False)
        self.duration_s = float(self.video.duration or 0.0)
        self.fps = float(self.video.fps or 25.0)

    def covers(self, t_s: float) -> bool:
        """Whether the clip has picture at timeline time ``t_s`` (and one motion step before)."""
        local = t_s - self.offset_s
        return MOTION_STEP_S <= local <= self.duration_s - 1.0 / self.fps

    def frame(self, t_s: float) -> Frame:
        local = min(max(0.0, t_s - self.offset_s), max(0.0, self.duration_s - 1.0 / self.fps))
        return np.ascontiguousarray(self.video.get_frame(local), dtype=np.uint8)

    def close(self) -> None:
        self.video.close()


def _grey(frame: Frame, width_px: int | None = None) -> Frame:
    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    if width_px is not None and grey.shape[1] > width_px:
        height = max(1, round(grey.shape[0] * width_px / grey.shape[1]))
        grey = cv2.resize(grey, (width_px, height), interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(grey, (5, 5), 0)


def _motion(camera: _Camera, t_s: float) -> float:
    """Mean absolute change of the small grey frame over one motion step, 0-255."""
    # The earlier frame first: moviepy reads forwards cheaply and restarts FFmpeg to go back.
    before = _grey(camera.frame(t_s - MOTION_STEP_S), _SCAN_WIDTH_PX)
    now = _grey(camera.frame(t_s), _SCAN_WIDTH_PX)
    return float(np.mean(cv2.absdiff(now, before)))


def _pick_moments(cameras: Sequence[_Camera], moments: int) -> list[float]:
    """The ``moments`` timeline times with the most motion across the cameras that cover them.

    Candidates lie where the most cameras have picture; each camera's motion is divided by its
    own largest, so a shaky camera does not outvote the others. Picked moments are at least
    ``span / (2 * moments)`` apart (the span of the candidates), so they do not all fall on
    one burst.
    """
    lo = min(c.offset_s + MOTION_STEP_S for c in cameras)
    hi = max(c.offset_s + c.duration_s - 1.0 / c.fps for c in cameras)
    grid = np.linspace(lo, hi, _MAX_CANDIDATES) if hi > lo else np.array([lo])
    cover = np.array([[c.covers(t) for c in cameras] for t in grid])
    best = int(cover.sum(axis=1).max())
    times = [float(t) for t, row in zip(grid, cover, strict=True) if row.sum() == best]
    scores = np.zeros((len(times), len(cameras)))
    for j, camera in enumerate(cameras):  # one camera at a time, forwards: moviepy reads on
        for i, t in enumerate(times):
            if camera.covers(t):
                scores[i, j] = _motion(camera, t)
    peak = scores.max(axis=0)
    total = (scores / np.where(peak > 0, peak, 1.0)).sum(axis=1)
    spacing = (times[-1] - times[0]) / (2 * moments)
    picked: list[float] = []
    for i in np.argsort(-total, kind="stable"):
        if all(abs(times[i] - p) >= spacing for p in picked):
            picked.append(times[i])
        if len(picked) == moments:
            break
    return sorted(picked)


def _boxes(now: Frame, before: Frame) -> list[tuple[int, int, int, int]]:
    """Bounding boxes ``(x, y, w, h)`` of the regions that changed between two frames."""
    diff = cv2.absdiff(_grey(now), _grey(before))
    _, mask = cv2.threshold(diff, _DIFF_THRESHOLD, 255, cv2.THRESH_BINARY)
    mask = cv2.dilate(mask, np.ones((5, 5), np.uint8), iterations=2)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    least = _MIN_BOX_FRACTION * now.shape[0] * now.shape[1]
    return [cv2.boundingRect(c) for c in contours if cv2.contourArea(c) >= least]


def _fit(frame: Frame, width_px: int, height_px: int) -> Frame:
    """The frame scaled to fit the tile, centred on grey (letterbox or pillarbox)."""
    scale = min(width_px / frame.shape[1], height_px / frame.shape[0])
    w, h = max(1, round(frame.shape[1] * scale)), max(1, round(frame.shape[0] * scale))
    tile = np.full((height_px, width_px, 3), _GREY, np.uint8)
    x, y = (width_px - w) // 2, (height_px - h) // 2
    tile[y : y + h, x : x + w] = cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA)
    return tile


def _clock(t_s: float) -> str:
    sign = "-" if t_s < 0 else ""
    minutes, seconds = divmod(abs(t_s), 60.0)
    return f"{sign}{int(minutes)}:{seconds:05.2f}"


def _tile(camera: _Camera, t_s: float, width_px: int, height_px: int) -> Frame:
    """One camera at one timeline moment: its frame with motion boxes, and a caption strip."""
    if camera.covers(t_s):
        before = camera.frame(t_s - MOTION_STEP_S)
        now = camera.frame(t_s)
        picture = now.copy()
        for x, y, w, h in _boxes(now, before):
            cv2.rectangle(picture, (x, y), (x + w - 1, y + h - 1), _BOX_RGB, 2)
        body = _fit(picture, width_px, height_px)
        detail = f"own {_clock(t_s - camera.offset_s)}"
    else:
        body = np.full((height_px, width_px, 3), _GREY, np.uint8)
        detail = "no picture at this moment"
    caption = Image.new("RGB", (width_px, CAPTION_PX), (20, 20, 20))
    draw = ImageDraw.Draw(caption)
    font = ImageFont.load_default()
    draw.text((6, 3), _fit_text(draw, camera.name, font, width_px - 12), fill="white", font=font)
    line = f"at {_clock(t_s)} · {detail}"
    draw.text((6, 18), _fit_text(draw, line, font, width_px - 12), fill=(200, 200, 200), font=font)
    return np.vstack([body, np.asarray(caption, dtype=np.uint8)])


def _fit_text(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.ImageFont, room: int) -> str:
    """``text``, cut with an ellipsis until it fits ``room`` pixels."""
    if draw.textlength(text, font=font) <= room:
        return text
    while text and draw.textlength(text + "…", font=font) > room:
        text = text[:-1]
    return text + "…"


def check_sheet_write(
    clips: Sequence[SheetClip],
    path: str | os.PathLike[str],
    *,
    moments: int = 3,
    tile_width_px: int = 320,
) -> CheckSheet:
    """Write the check sheet of placed clips as a PNG at ``path``.

    Parameters
    ----------
    clips : sequence of SheetClip
        The placed cameras (at least two, each with a picture), in column order; ``offset_s``
        in the engine's convention (positive: started after the reference).
    path : path-like
        The PNG to write; its folder is created. Written to a temporary name and renamed, so a
        reader never sees half an image.
    moments : int
        Rows: the moments with the most motion across the cameras (fewer when the shared time
        is too short to hold them apart).
    tile_width_px : int
        Width of one tile; its height follows the first camera's aspect ratio.

    Returns
    -------
    CheckSheet
        The path, the moments (timeline seconds) and the tile size.

    Raises
    ------
    ParameterError
        Fewer than two clips, ``moments`` < 1, a tile narrower than 80 px, or a clip that
        cannot be opened as a video with a picture.
    """
    if len(clips) < 2:
        raise ParameterError(f"a check sheet needs two placed clips, got {len(clips)}")
    if moments < 1:
        raise ParameterError(f"moments must be at least 1, got {moments}")
    if tile_width_px < 80:
        raise ParameterError(f"tile_width_px must be at least 80, got {tile_width_px}")
    from moviepy import ImageClip, clips_array

    cameras: list[_Camera] = []
    try:
        for clip in clips:
            try:
                cameras.append(_Camera(clip))
            except (OSError, KeyError, ValueError) as exc:  # moviepy's ways of saying "no picture"
                raise ParameterError(f"'{clip.name}' cannot be read as a video: {exc}") from None
        first = cameras[0].video.size
        tile_height_px = max(2, round(tile_width_px * first[1] / first[0]) // 2 * 2)
        times = _pick_moments(cameras, moments)
        grid = [
            [ImageClip(_tile(c, t, tile_width_px, tile_height_px), duration=1) for c in cameras]
            for t in times
        ]
        image = clips_array(grid).get_frame(0)
    finally:
        for camera in cameras:
            camera.close()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(f".{out.name}.part")
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(part, format="PNG")
    part.replace(out)
    return CheckSheet(
        path=out,
        moments_s=tuple(times),
        names=tuple(c.name for c in cameras),
        tile_width_px=tile_width_px,
        tile_height_px=tile_height_px,
    )
