"""Real decoder faults for tests: the shared 8-channel PCM MOV, killed decoder children, cut files.

A decoder crash is reproduced for real by sending SIGSEGV to the decoder child
(``syncengine/decoder_child.py``), found by its command line among this process's children.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncengine.media import ffmpeg_executable

ROOT = Path(__file__).resolve().parents[2]
#: Written by Debian's ffmpeg 5.1 (the bundled ffmpeg cannot make it): see its README.
PCM8 = ROOT.parent / "shared" / "media" / "pcm8ch_ffmpeg5.mov"
needs_pcm8 = pytest.mark.skipif(
    not PCM8.is_file(),
    reason=f"the shared 8-channel PCM MOV is expected at {PCM8} (../shared/media/ from the "
    "project root); it cannot be generated with the bundled ffmpeg",
)


def ffmpeg(*args: str) -> None:
    subprocess.run(
        [ffmpeg_executable(), "-nostdin", "-v", "error", "-y", *args], check=True, timeout=300
    )


def decoder_children(command: str, path: Path | None = None) -> list[int]:
    """Pids of this process's decoder children running ``command`` (on ``path``, if given)."""
    wanted = [command.encode()] + ([str(Path(path).resolve()).encode()] if path else [])
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        script = any(a.endswith(b"decoder_child.py") for a in argv)
        if ppid == os.getpid() and script and all(w in argv for w in wanted):
            pids.append(int(entry.name))
    return pids


@contextlib.contextmanager
def crash_decoder_on_start(command: str, path: Path | None = None) -> Iterator[list[int]]:
    """Inside the block, the first decoder child running ``command`` gets SIGSEGV once it runs.

    Yields the list the killed pid is appended to. The watcher waits for that state (the
    child exists); a Python child takes far longer to start than one turn of the watch.
    """
    stop = threading.Event()
    killed: list[int] = []

    def watch() -> None:
        while not stop.is_set():
            for pid in decoder_children(command, path):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSEGV)
                    killed.append(pid)
                return
            stop.wait(0.002)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield killed
    finally:
        stop.set()
        watcher.join()


def write_clip(path: Path, *, duration_s: float = 20.0, faststart: bool = False) -> Path:
    """A small H.264/AAC clip (moving picture, a tone) at ``path`` (its suffix picks the format)."""
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=160x120:rate=25",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000",
        "-t",
        str(duration_s),
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        *(["-movflags", "+faststart"] if faststart else []),
        str(path),
    )
    return path


def write_cut_copy(src: Path, dst: Path) -> Path:
    """The first half of ``src``'s bytes at ``dst``: a copy that was cut off."""
    data = Path(src).read_bytes()
    Path(dst).write_bytes(data[: len(data) // 2])
    return Path(dst)


def write_cut_copies(folder: Path) -> dict[str, Path]:
    """Whole and cut-off (first half of the bytes) copies of a 20 s clip, MP4 and MKV:
    ``whole.mp4``, ``cut.mp4``, ``whole.mkv``, ``cut.mkv``."""
    paths = {}
    for suffix, faststart in ((".mp4", True), (".mkv", False)):
        whole = write_clip(folder / f"whole{suffix}", faststart=faststart)
        paths[f"whole{suffix}"] = whole
        paths[f"cut{suffix}"] = write_cut_copy(whole, folder / f"cut{suffix}")
    return paths


def stored_files(root: str | Path) -> list[Path]:
    """Every file under ``root`` (a media folder), sorted: what a refused upload must not change."""
    return sorted(p for p in Path(root).rglob("*") if p.is_file())
