"""Media for the camera tests, made with ffmpeg at test time (320x240, a few seconds each).

One event's sound (``anoisesrc`` seed 7, 14 s): ``wide.mp4`` records world time 0-12 s,
``short.mp4`` 0-6 s;
a GoPro-like camera records 2-12 s as two chapters (``GX010042.MP4`` 2-7 s and ``GX020042.MP4``
7-12 s, cut by the segment muxer); two phone clips carry make/model tags and back-to-back
creation times; ``ZOOM0001.WAV`` is a stereo recorder track of 0-12 s; ``mute.mp4`` has no
sound.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from syncengine.media import ffmpeg_executable

__all__ = ["write_camera_media"]

_WORLD = "anoisesrc=seed=7:duration=14:sample_rate=48000:amplitude=0.5"
_PICTURE = "testsrc2=size=320x240:rate=30"


def _ffmpeg(*args: str) -> None:
    argv = [ffmpeg_executable(), "-v", "error", "-nostdin", "-y", *args]
    subprocess.run(argv, check=True, timeout=120)


def _camera(dst: Path, *, start_s: float, duration_s: float, extra: tuple[str, ...] = ()) -> None:
    _ffmpeg(
        "-f", "lavfi", "-i", _PICTURE, "-f", "lavfi", "-i", _WORLD,
        "-filter_complex", f"[1:a]atrim=start={start_s},asetpts=PTS-STARTPTS[a]",
        "-map", "0:v", "-map", "[a]", "-t", str(duration_s),
        "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "128k", *extra, str(dst),
    )  # fmt: skip


def write_camera_media(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    _camera(folder / "wide.mp4", start_s=0.0, duration_s=12.0)
    _camera(folder / "short.mp4", start_s=0.0, duration_s=6.0)
    _camera(
        folder / "GX%02d0042.MP4",
        start_s=2.0,
        duration_s=10.0,
        extra=(
            "-metadata", "creation_time=2026-06-01T14:00:02Z",
            "-f", "segment", "-segment_time", "5", "-reset_timestamps", "1",
            "-segment_start_number", "1",
        ),
    )  # fmt: skip
    for name, when in (("IMG_0001.MOV", "14:00:00"), ("IMG_0002.MOV", "14:00:03")):
        _ffmpeg(
            "-f", "lavfi", "-i", _PICTURE, "-f", "lavfi", "-i", _WORLD, "-t", "3",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
            "-metadata", "make=Apple", "-metadata", "model=iPhone 15",
            "-metadata", f"creation_time=2026-06-01T{when}Z",
            "-movflags", "use_metadata_tags", str(folder / name),
        )  # fmt: skip
    _ffmpeg(
        "-f", "lavfi", "-i", _WORLD, "-t", "12", "-ac", "2", "-c:a", "pcm_s24le",
        str(folder / "ZOOM0001.WAV"),
    )  # fmt: skip
    _ffmpeg(
        "-f", "lavfi", "-i", _PICTURE, "-t", "3", "-c:v", "libx264", "-preset", "ultrafast",
        "-pix_fmt", "yuv420p", str(folder / "mute.mp4"),
    )  # fmt: skip
    names = [
        "wide.mp4",
        "short.mp4",
        "GX010042.MP4",
        "GX020042.MP4",
        "IMG_0001.MOV",
        "IMG_0002.MOV",
    ]
    names += ["ZOOM0001.WAV", "mute.mp4"]
    paths = {name: folder / name for name in names}
    missing = [n for n, p in paths.items() if not p.exists()]
    assert not missing, f"ffmpeg did not write {missing}"
    return paths
