"""A small shoot for the export tests, made with ffmpeg at test time (320x240, 4-12 s each).

One event's sound (``anoisesrc`` seed 7, 14 s) heard by every device:

- ``wide.mp4``: 30 fps, records world time 0-12 s (the reference: uploaded first).
- ``cam_b1.mov`` and ``cam_b2.mov``: one camera at 25 fps that stopped and started again,
  world 1-5 s and 7-11 s (a 2 s gap between its clips).
- ``phone_vfr.mp4``: a phone's variable frame rate (a 60 fps picture with ffmpeg's ``select``
  keeping every third frame, and every frame between 1 and 2 s, timestamps kept), world 2-8 s.
- ``ZOOM0001.WAV``: the sound recorder, 24-bit stereo, world 0-12 s (the master audio).
- ``other.mp4``: another event's sound (seed 99): the sync cannot place it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from syncengine.media import ffmpeg_executable

__all__ = ["NAMES", "write_shoot"]

_WORLD = "anoisesrc=seed=7:duration=14:sample_rate=48000:amplitude=0.5"
_OTHER = "anoisesrc=seed=99:duration=6:sample_rate=48000:amplitude=0.5"
NAMES = ("wide.mp4", "cam_b1.mov", "cam_b2.mov", "phone_vfr.mp4", "ZOOM0001.WAV", "other.mp4")


def _ffmpeg(*args: str) -> None:
    argv = [ffmpeg_executable(), "-v", "error", "-nostdin", "-y", *args]
    subprocess.run(argv, check=True, timeout=120)


def _camera(
    dst: Path,
    *,
    start_s: float,
    duration_s: float,
    fps: int = 30,
    sound: str = _WORLD,
    vf: str = "",
) -> None:
    picture = f"testsrc2=size=320x240:rate={fps}"
    video = ["-vf", vf, "-fps_mode", "vfr"] if vf else []
    _ffmpeg(
        "-f", "lavfi", "-i", picture, "-f", "lavfi", "-i", sound,
        "-filter_complex", f"[1:a]atrim=start={start_s},asetpts=PTS-STARTPTS[a]",
        "-map", "0:v", "-map", "[a]", "-t", str(duration_s), *video,
        "-c:v", "libx264", "-preset", "ultrafast", "-g", str(fps), "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "128k", str(dst),
    )  # fmt: skip


def write_shoot(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    _camera(folder / "wide.mp4", start_s=0.0, duration_s=12.0)
    _camera(folder / "cam_b1.mov", start_s=1.0, duration_s=4.0, fps=25)
    _camera(folder / "cam_b2.mov", start_s=7.0, duration_s=4.0, fps=25)
    _camera(
        folder / "phone_vfr.mp4",
        start_s=2.0,
        duration_s=6.0,
        fps=60,
        vf=r"select='not(mod(n\,3))+between(t\,1\,2)'",
    )
    _ffmpeg(
        "-f", "lavfi", "-i", _WORLD, "-t", "12", "-ac", "2", "-c:a", "pcm_s24le",
        str(folder / "ZOOM0001.WAV"),
    )  # fmt: skip
    _camera(folder / "other.mp4", start_s=0.0, duration_s=6.0, sound=_OTHER)
    paths = {name: folder / name for name in NAMES}
    missing = [n for n, p in paths.items() if not p.exists()]
    assert not missing, f"ffmpeg did not write {missing}"
    return paths
