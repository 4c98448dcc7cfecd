"""Long-take benchmark: the whole-overlap audio search on a 30-minute two-camera take.

``python -m benchmarks.bench_long_take [--minutes 30] [--offset-s 150] [--drift-ppm 300]
[--runs 2] [--cache DIR] [--path stream|memory]``

Media (made once per parameter set, cached in ``--cache``, default a folder under the system's
temporary directory): one seeded :func:`mediasynth.audio.world_audio` "mixed" world (speech-like
syllables, claps, notes) at 20 kHz, piped into ffmpeg twice. Camera A hears world time
``[0, T)`` read at 20 kHz; camera B starts ``--offset-s`` later and reads the same world at
``20000 * (1 + ppm * 1e-6)`` Hz, so its clock runs ``--drift-ppm`` fast (``lag(u) = offset +
ppm * 1e-6 * u``, the engine's convention), with its own room (high-pass, low-pass, two echoes)
and its own noise floor. Both are MP4s: AAC 48 kHz 96 kb/s plus a tiny 160x120 10 fps video.

Measured on this run (each engine run in a fresh interpreter, the engine's imports not timed):

- **decode floor**: ffmpeg decoding both files to mono f32le at the engine's analysis rate
  (the command of ``syncengine.audio_stream``: ``media.decode_audio``'s plus
  ``-flush_packets 0``), read from a pipe and thrown away; two at a time (the engine's two
  workers) and one after the other. "fl cpu s" is their CPU time (user + system), and
  "cpu rat" compares the engine's CPU (its own and its children's: ffmpeg, the probe) with it:
  that ratio holds up better than the wall one when other work shares the machine.
- **sync**: ``estimate_offsets([a, b], method="audio", max_lag_s=None)`` (the whole-overlap
  search). "engine s" is that call alone; "ratio" is engine s / the two-at-a-time floor.
  "py MB" is the engine process's ``ru_maxrss``; "ff MB" the largest VmRSS of one ffmpeg child
  and "tree MB" the largest sum of VmRSS over the engine process and all its descendants at one
  moment, both polled from /proc every 20 ms (``RUSAGE_CHILDREN`` cannot be used: a child
  inherits its parent's high-water RSS at fork and exec).
- **errors**: offset error (ms) against the generated offset, drift found against the
  generated ppm.
- ``--path memory`` runs the engine on the in-memory decode (``media.decode_audio`` +
  ``audio.prepare_audio``) instead of the streaming extraction, to compare the two.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WORLD_RATE_HZ = 20000  # 20000 * (1 + 300e-6) = 20006: a whole number, so asetrate is exact
ANALYSIS_RATE_HZ = 8000  # syncengine.sync.ANALYSIS_RATE_HZ (not imported: see the module doc)
GOAL_RATIO = 1.5
GOAL_PEAK_MB = 300.0
VERSION = 1  # bump when the generated media changes


def _ffmpeg() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _write_camera(
    dst: Path,
    *,
    world_start_s: float,
    duration_s: float,
    read_rate_hz: int,
    noise_db: float,
    room: str,
    seed: int,
) -> None:
    """Pipe the world (from ``world_start_s``) into ffmpeg read at ``read_rate_hz``, plus noise."""
    from mediasynth.audio import world_audio

    world_s = duration_s * read_rate_hz / WORLD_RATE_HZ + 1.0
    filters = f"{room + ',' if room else ''}aresample=48000"
    argv = [
        _ffmpeg(),
        "-nostdin",
        "-v",
        "error",
        "-y",
        "-f",
        "f32le",
        "-ar",
        str(read_rate_hz),
        "-ac",
        "1",
        "-i",
        "pipe:0",
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=s=160x120:r=10:d={duration_s}",
        "-map",
        "1:v",
        "-map",
        "0:a",
        "-af",
        filters,
        "-t",
        str(duration_s),
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-c:a",
        "aac",
        "-b:a",
        "96k",
        str(dst.with_suffix(".part.mp4")),
    ]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    rng = np.random.default_rng(seed)
    block_s = 60.0
    t = 0.0
    with contextlib.suppress(BrokenPipeError):  # ffmpeg stops reading at -t
        while t < world_s:
            d = min(block_s, world_s - t)
            x = world_audio(
                duration_s=d, start_s=world_start_s + t, sample_rate_hz=WORLD_RATE_HZ, seed=7
            )
            x = x + np.float32(10 ** (noise_db / 20)) * rng.standard_normal(x.size).astype(
                np.float32
            )
            proc.stdin.write(np.clip(x, -1, 1).astype("<f4").tobytes())
            t += d
        proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit(f"ffmpeg failed writing {dst}")
    dst.with_suffix(".part.mp4").rename(dst)


def generate(folder: Path, *, minutes: float, offset_s: float, drift_ppm: float) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    duration_s = minutes * 60.0
    b_rate = WORLD_RATE_HZ * (1 + drift_ppm * 1e-6)
    if abs(b_rate - round(b_rate)) > 1e-6:
        raise SystemExit(f"{WORLD_RATE_HZ} Hz * (1 + {drift_ppm} ppm) must be a whole number")
    a, b = folder / "cam_a.mp4", folder / "cam_b.mp4"
    started = time.perf_counter()
    if not a.exists():
        _write_camera(
            a, world_start_s=0.0, duration_s=duration_s, read_rate_hz=WORLD_RATE_HZ,
            noise_db=-46.0, room="", seed=1,
        )  # fmt: skip
    if not b.exists():
        _write_camera(
            b, world_start_s=offset_s, duration_s=duration_s, read_rate_hz=round(b_rate),
            noise_db=-40.0, room="highpass=f=150,lowpass=f=6000,aecho=0.8:0.8:23|61:0.35|0.2",
            seed=2,
        )  # fmt: skip
    took = time.perf_counter() - started
    if took > 1:
        print(f"generated {a.name}, {b.name} in {took:.0f} s ({folder})")
    return [a, b]


# --- measuring ---------------------------------------------------------------------------------


def _descendants(pid: int) -> list[int]:
    found = []
    with contextlib.suppress(OSError):  # processes come and go while we look
        for tid in os.listdir(f"/proc/{pid}/task"):
            for kid in map(int, Path(f"/proc/{pid}/task/{tid}/children").read_text().split()):
                found += [kid, *_descendants(kid)]
    return found


def _rss_mb(pid: int) -> tuple[str, float]:
    with contextlib.suppress(OSError, KeyError, ValueError, IndexError):
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
        fields = dict(ln.split(":", 1) for ln in lines if ":" in ln)
        return fields["Name"].strip(), int(fields["VmRSS"].split()[0]) / 1024
    return "", 0.0


def _poll(pid: int, stop: threading.Event, peaks: dict[str, float]) -> None:
    """Peak VmRSS of one ffmpeg child, and of the whole tree at once, every 20 ms."""
    while not stop.wait(0.02):
        total = _rss_mb(pid)[1]
        for kid in _descendants(pid):
            name, mb = _rss_mb(kid)
            total += mb
            if "ffmpeg" in name:
                peaks["ff_mb"] = max(peaks["ff_mb"], mb)
        peaks["tree_mb"] = max(peaks["tree_mb"], total)


def decode_floor(files: list[Path], *, parallel: int) -> tuple[float, float]:
    """(wall s, CPU s) for ffmpeg to decode every file to the analysis rate, read and dropped."""

    def one(f: Path) -> float:
        from syncengine.media import decode_audio_argv

        argv = decode_audio_argv(
            f, sample_rate_hz=ANALYSIS_RATE_HZ, ffmpeg_bin=_ffmpeg(), whole_buffers=True
        )
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE)
        assert proc.stdout is not None
        while proc.stdout.read(1 << 20):
            pass
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise SystemExit(f"decoding {f} failed")
        return usage.ru_utime + usage.ru_stime

    started = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        cpu = sum(pool.map(one, files))
    return time.perf_counter() - started, cpu


def sync(files: list[Path], *, path: str) -> dict:
    argv = [sys.executable, "-m", "benchmarks.bench_long_take", "--child", path, *map(str, files)]
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, cwd=ROOT)
        assert proc.stdout is not None
        stop, peaks = threading.Event(), {"ff_mb": 0.0, "tree_mb": 0.0}
        poller = threading.Thread(target=_poll, args=(proc.pid, stop, peaks))
        poller.start()
        out = proc.stdout.read()
        stop.set()
        poller.join()
        _, status, usage = os.wait4(proc.pid, 0)  # with its waited-for children (ffmpeg)
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        wall_s = time.perf_counter() - started
        if code != 0:
            err.seek(0)
            lines = [ln for ln in err.read().decode().splitlines() if ln.strip()]
            return {"error": lines[-1] if lines else f"exit code {code}"}
    cpu_s = usage.ru_utime + usage.ru_stime
    return {**json.loads(out.decode().splitlines()[-1]), "wall_s": wall_s, "cpu_s": cpu_s, **peaks}


def _cpu_s() -> float:
    """User + system CPU of this process and its finished children (ffmpeg, the probe)."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _child(path: str, files: list[str]) -> None:
    import syncengine

    if path == "memory":  # the in-memory extraction, for comparison with the streaming one
        import syncengine.features as features
        from syncengine import media
        from syncengine.audio import prepare_audio

        def whole(infos, *, sample_rate_hz, ffmpeg_bin, progress, workers=2):  # type: ignore[no-untyped-def]
            def work(k, info):  # type: ignore[no-untyped-def]
                track = media.decode_audio(info.path, sample_rate_hz=sample_rate_hz, info=info)
                return prepare_audio(track, filename=info.filename)

            return features._run(infos, work, workers=workers, progress=progress)

        import syncengine.sync

        syncengine.sync.extract_audio = whole  # type: ignore[assignment]
    started, cpu0 = time.perf_counter(), _cpu_s()
    result = syncengine.estimate_offsets(files, method="audio", max_lag_s=None, workers=2)
    engine_s, engine_cpu_s = time.perf_counter() - started, _cpu_s() - cpu0
    other = result.videos[1]
    print(
        json.dumps(
            {
                "engine_s": engine_s,
                "engine_cpu_s": engine_cpu_s,
                "offset_s": other.offset_s,
                "drift_ppm": other.drift_ppm,
                "confidence": other.confidence,
                "py_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--offset-s", type=float, default=150.0)
    parser.add_argument("--drift-ppm", type=float, default=300.0)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--path", choices=("stream", "memory"), default="stream")
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--child", default=None)
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()
    if args.child:
        return _child(args.child, args.files)
    name = f"v{VERSION}_{args.minutes:g}min_{args.offset_s:g}s_{args.drift_ppm:g}ppm"
    cache = args.cache or Path(tempfile.gettempdir()) / "syncsite-long-take"
    files = generate(
        cache / name, minutes=args.minutes, offset_s=args.offset_s, drift_ppm=args.drift_ppm
    )
    print(f"load average {os.getloadavg()[0]:.2f}; {args.minutes:g} min, B at +{args.offset_s:g} s,"
          f" {args.drift_ppm:g} ppm; engine path: {args.path}")  # fmt: skip
    rows: list[tuple[tuple[float, float], tuple[float, float], dict]] = []
    for _ in range(args.runs):  # interleaved, so both see the same load
        two = decode_floor(files, parallel=2)
        one = decode_floor(files, parallel=1)
        rows.append((two, one, sync(files, path=args.path)))
    head = (
        f"{'floor2 s':>8} {'floor1 s':>8} {'fl cpu s':>8} {'engine s':>8} {'ratio':>6} "
        f"{'eng cpu':>7} {'cpu rat':>7} {'py MB':>6} {'ff MB':>6} {'tree MB':>7} {'err ms':>7} "
        f"{'ppm':>7} {'conf':>5}"
    )
    print(head)
    for (floor2, floor_cpu), (floor1, _), run in rows:
        if "error" in run:
            print(f"{floor2:8.2f} {floor1:8.2f} FAILED: {run['error'][:80]}")
            continue
        err_ms = (run["offset_s"] - args.offset_s) * 1e3
        ppm = run["drift_ppm"]
        print(
            f"{floor2:8.2f} {floor1:8.2f} {floor_cpu:8.2f} {run['engine_s']:8.2f} "
            f"{run['engine_s'] / floor2:6.2f} {run['engine_cpu_s']:7.2f} "
            f"{run['engine_cpu_s'] / floor_cpu:7.2f} {run['py_mb']:6.0f} {run['ff_mb']:6.0f} "
            f"{run['tree_mb']:7.0f} {err_ms:7.3f} {'-' if ppm is None else f'{ppm:7.2f}':>7} "
            f"{run['confidence']:5.2f}"
        )
    good = [r for r in rows if "error" not in r[2]]
    if good:
        ratio = statistics.median(r[2]["engine_s"] / r[0][0] for r in good)
        cpu_ratio = statistics.median(r[2]["engine_cpu_s"] / r[0][1] for r in good)
        peak = max(r[2]["tree_mb"] for r in good)
        print(
            f"median wall ratio {ratio:.2f}, CPU ratio {cpu_ratio:.2f} (goal < {GOAL_RATIO}), "
            f"largest tree {peak:.0f} MB (goal < {GOAL_PEAK_MB:.0f}); true offset "
            f"{args.offset_s:g} s, drift {args.drift_ppm:g} ppm"
        )
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
