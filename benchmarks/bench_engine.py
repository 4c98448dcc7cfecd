"""Engine benchmark: time and peak memory of audio/visual/auto sync against ffmpeg's decode floors.

``python -m benchmarks.bench_engine [--minutes 10] [--cameras 4] [--height 720] [--out DIR]
[--profile] [--hevc-minutes 1]``: the media (lavfi "world" cut at known offsets) is generated once
per parameter set and cached under ``--out``. Each sync runs in a fresh interpreter: "py MB" is
its ``ru_maxrss`` (getrusage), "ff MB" the largest VmRSS of its ffmpeg children polled from /proc.

Beside the H.264 set, two phone cameras of ``--hevc-minutes`` at 1920x1080 60 fps in HEVC 10-bit
(libx265 ultrafast, yuv420p10le, BT.2020 PQ tags, from a 60 fps world) get their own decode floors
and syncs; a last table sets each set's decode floor against its sync times. Making the phone
cameras is slow (libx265 at 1080p60: ~12 minutes per camera-minute on a busy 2-core machine).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import functools
import importlib
import io
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OFFSETS_S = (0.0, 3.217, -5.5, 11.04, -2.345, 7.777, -8.125, 1.5)  # camera 0 is the reference
ODD_FPS = {2: "30000/1001"}  # camera index -> frame rate (others 30)
ODD_RATE_HZ = {1: 44100}  # camera index -> audio rate (others 48000)
TOLERANCE_MS = {"audio": 2.0, "visual": 34.0, "auto": 2.0}  # beyond this the answer is WRONG
GOAL_RATIO = {"audio": 2.0, "visual": 1.3}
GOAL_PEAK_MB = 300.0
FLOOR_PARTS = {"audio": ("audio",), "visual": ("video",), "auto": ("audio", "video")}
FEATURE_MB_PER_CAM_MIN = 8000 * 4 * 60 / 2**20  # 8 kHz float32 = 1.83 MiB (1.92 MB)
VERSION = 1  # bump when the generated media changes


def _even(x: float) -> int:
    return max(2, int(round(x / 2)) * 2)


def _world_graph(w: int, h: int, fps: int = 30) -> str:
    """lavfi graph of the world at ``fps``: perlin background, life, test card, boxes moving at
    quasi-periodic speeds, sparse flashes; speech-like gated pink noise plus sparse white-noise
    claps."""

    def box(src: str, c: str, bw: float, bh: float, fx: str, fy: str, out: str, nxt: str) -> str:
        return (
            f"color=c={c}:s={_even(w * bw)}x{_even(h * bh)}:r={fps}[{src}];"
            f"[{out}][{src}]overlay=x='(W-w)*(0.5+0.48*sin({fx}))':"
            f"y='(H-h)*(0.5+0.45*sin({fy}))'[{nxt}];"
        )

    flash = "gt(sin(0.731*t)*sin(0.4127*t+1)*sin(0.1913*t+2),0.55)"
    speech = "0.05+0.95*gt(sin(2*PI*2.3*t)+sin(2*PI*0.71*t+1)+sin(2*PI*0.293*t+2),1.1)"
    claps = "gt(sin(2*PI*0.173*t)*sin(2*PI*0.0617*t+1)*sin(2*PI*1.9*t),0.8)"
    return (
        f"perlin=s={_even(w / 4)}x{_even(h / 4)}:r={fps}:octaves=2:persistence=0.6:xscale=2:"
        f"yscale=2:tscale=0.4:random_mode=seed:seed=7,format=yuv420p,scale={w}:{h}[bg];"
        f"life=s={_even(w / 6)}x{_even(h / 6)}:r={fps}:ratio=0.25:seed=11:mold=12:"
        f"life_color=#ffcc33:mold_color=#3050a0,format=yuv420p,scale=iw*2:ih*2:flags=neighbor[lf];"
        f"testsrc2=s={_even(w / 4)}x{_even(h / 4)}:r={fps}[ts];"
        "[bg][lf]overlay=x='(W-w)*(0.5+0.45*sin(0.21*t+1.3*sin(0.047*t)))':"
        "y='(H-h)*(0.5+0.4*sin(0.17*t))'[o1];[o1][ts]overlay=x=20:y=20[o2];"
        + box(
            "b1",
            "red",
            0.13,
            0.15,
            "0.83*t+2.7*sin(0.131*t)",
            "0.57*t+2.1*sin(0.093*t+1)",
            "o2",
            "o3",
        )
        + box(
            "b2",
            "#20e040",
            0.09,
            0.25,
            "1.37*t+3.1*sin(0.071*t+2)",
            "0.41*t+1.9*sin(0.153*t)",
            "o3",
            "o4",
        )
        + box("b3", "#2040ff", 0.18, 0.11, "0.61*t+4.3*sin(0.037*t+0.5)", "1.03*t", "o4", "o5")
        + f"[o5]drawbox=x=0:y=0:w=iw:h=ih:color=white@0.6:t=fill:enable='{flash}'[v];"
        "anoisesrc=seed=7:color=pink:sample_rate=48000:amplitude=0.8,"
        f"bandpass=f=900:width_type=q:w=0.7,volume='{speech}':eval=frame[sp];"
        f"anoisesrc=seed=9:color=white:sample_rate=48000:amplitude=0.9,"
        f"volume='{claps}':eval=frame[cl];[sp][cl]amix=inputs=2:normalize=0[a]"
    )


def _ffmpeg(ffmpeg: str, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run([ffmpeg, "-nostdin", "-v", "error", "-y", *args], check=True)
    return time.perf_counter() - started


def generate(folder: Path, *, minutes: float, cameras: int, height: int, ffmpeg: str) -> dict:
    """Make (or reuse) the camera set in ``folder``; return its manifest."""
    params = {
        "minutes": minutes,
        "cameras": cameras,
        "height": height,
        "offsets_s": list(OFFSETS_S[:cameras]),
        "version": VERSION,
    }
    manifest_path = folder / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        files = [c["file"] for c in manifest["cameras"]] + manifest["short"]["files"]
        if manifest["params"] == params and all((folder / f).exists() for f in files):
            return manifest
    folder.mkdir(parents=True, exist_ok=True)
    cam_w, cam_h = _even(height * 16 / 9), _even(height)
    world_w, world_h = _even(cam_w * 0.55), _even(cam_h * 0.55)
    duration_s = minutes * 60
    lead_s = 1.0 - min(OFFSETS_S[:cameras])
    world_s = lead_s + max(OFFSETS_S[:cameras]) + duration_s + 1.0
    print(f"generating {cameras} x {minutes:g} min in {folder} ...", file=sys.stderr, flush=True)
    times = {
        "world": _ffmpeg(
            ffmpeg,
            "-filter_complex",
            _world_graph(world_w, world_h),
            "-map",
            "[v]",
            "-map",
            "[a]",
            "-t",
            f"{world_s:.3f}",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "18",
            "-g",
            "60",
            "-c:a",
            "flac",
            str(folder / "world.mkv"),
        )
    }
    cams = []
    for k in range(cameras):
        fps, rate_hz = ODD_FPS.get(k, "30"), ODD_RATE_HZ.get(k, 48000)
        # each camera sees a different half-size window of the world, scaled up, with its own
        # sensor noise, gain and microphone hiss
        x, y = (23 * k) % (world_w - cam_w // 2 + 1), (11 * k) % (world_h - cam_h // 2 + 1)
        graph = (
            f"[0:v]crop={cam_w // 2}:{cam_h // 2}:{x}:{y},scale={cam_w}:{cam_h},"
            f"noise=alls=4:allf=t:all_seed={k + 1},fps={fps},format=yuv420p[v];"
            f"anoisesrc=seed={101 + k}:sample_rate=48000:amplitude=0.02[n];"
            f"[0:a]volume={1.0 - 0.1 * k:.2f}[g];[g][n]amix=inputs=2:normalize=0:"
            "duration=first[a]"
        )
        name = f"cam{k}.mp4"
        times[name] = _ffmpeg(
            ffmpeg,
            "-ss",
            f"{lead_s + OFFSETS_S[k]:.6f}",
            "-i",
            str(folder / "world.mkv"),
            "-t",
            f"{duration_s:.3f}",
            "-filter_complex",
            graph,
            "-map",
            "[v]",
            "-map",
            "[a]",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "28",
            "-g",
            "60",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            "-ar",
            str(rate_hz),
            str(folder / name),
        )
        print(f"  {name}: {times[name]:.1f} s", file=sys.stderr, flush=True)
        cams.append(
            {
                "file": name,
                "offset_s": OFFSETS_S[k],
                "fps": fps,
                "sample_rate_hz": rate_hz,
                "world_start_s": lead_s + OFFSETS_S[k],
            }
        )
    short_s = min(120.0, duration_s / 5)  # the memory-scaling check: 2 cameras, short vs full
    short = [f"cam{k}_short.mp4" for k in range(2)]
    for k, name in enumerate(short):
        _ffmpeg(
            ffmpeg,
            "-i",
            str(folder / f"cam{k}.mp4"),
            "-t",
            f"{short_s:.3f}",
            "-c",
            "copy",
            str(folder / name),
        )
    times["total"] = sum(times.values())
    manifest = {
        "params": params,
        "reference": "cam0.mp4",
        "size": [cam_w, cam_h],
        "cameras": cams,
        "short": {"files": short, "duration_s": short_s},
        "generation_s": times,
    }
    manifest_path.write_text(json.dumps(manifest, indent=2))
    (folder / "world.mkv").unlink()  # only the cameras are needed from here on
    return manifest


HEVC_CAMERAS = 2
HEVC_VERSION = 1  # bump when the generated phone media changes


def generate_hevc(folder: Path, *, minutes: float, ffmpeg: str) -> dict:
    """Make (or reuse) two 1080p60 HEVC 10-bit phone cameras (libx265, yuv420p10le, tagged
    BT.2020 PQ: the decode work of a phone's HDR clip; the pixels are SDR) of a 60 fps world."""
    params = {"minutes": minutes, "offsets_s": list(OFFSETS_S[:HEVC_CAMERAS])}
    params["version"] = HEVC_VERSION
    manifest_path = folder / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest["params"] == params and all(
            (folder / c["file"]).exists() for c in manifest["cameras"]
        ):
            return manifest
    folder.mkdir(parents=True, exist_ok=True)
    cam_w, cam_h = 1920, 1080
    world_w, world_h = _even(cam_w * 0.55), _even(cam_h * 0.55)
    duration_s = minutes * 60
    lead_s = 1.0 - min(OFFSETS_S[:HEVC_CAMERAS])
    world_s = lead_s + max(OFFSETS_S[:HEVC_CAMERAS]) + duration_s + 1.0
    print(f"generating {HEVC_CAMERAS} x {minutes:g} min 1080p60 HEVC 10-bit in {folder} ...",
          file=sys.stderr, flush=True)  # fmt: skip
    world = folder / "world60.mkv"
    times = {
        "world": _ffmpeg(
            ffmpeg,
            "-filter_complex",
            _world_graph(world_w, world_h, fps=60),
            "-map",
            "[v]",
            "-map",
            "[a]",
            "-t",
            f"{world_s:.3f}",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "18",
            "-g",
            "120",
            "-c:a",
            "flac",
            str(world),
        )  # fmt: skip
    }
    cams = []
    for k in range(HEVC_CAMERAS):
        x, y = (23 * k) % (world_w - cam_w // 2 + 1), (11 * k) % (world_h - cam_h // 2 + 1)
        graph = (
            f"[0:v]crop={cam_w // 2}:{cam_h // 2}:{x}:{y},noise=alls=4:allf=t:all_seed={k + 1},"
            f"scale={cam_w}:{cam_h},format=yuv420p10le,setparams=color_primaries=bt2020:"
            "color_trc=smpte2084:colorspace=bt2020nc:range=tv[v];"
            f"anoisesrc=seed={101 + k}:sample_rate=48000:amplitude=0.02[n];"
            f"[0:a]volume={1.0 - 0.1 * k:.2f}[g];[g][n]amix=inputs=2:normalize=0:"
            "duration=first[a]"
        )
        name = f"phone{k}.mp4"
        times[name] = _ffmpeg(ffmpeg, "-ss", f"{lead_s + OFFSETS_S[k]:.6f}", "-i", str(world),
                              "-t", f"{duration_s:.3f}", "-filter_complex", graph, "-map", "[v]",
                              "-map", "[a]", "-c:v", "libx265", "-preset", "ultrafast",
                              "-x265-params", "log-level=error", "-pix_fmt", "yuv420p10le",
                              "-tag:v", "hvc1", "-g", "120", "-c:a", "aac", "-b:a", "128k",
                              str(folder / name))  # fmt: skip
        print(f"  {name}: {times[name]:.1f} s", file=sys.stderr, flush=True)
        cams.append({"file": name, "offset_s": OFFSETS_S[k], "fps": "60", "sample_rate_hz": 48000})
    times["total"] = sum(times.values())
    manifest = {"params": params, "size": [cam_w, cam_h], "cameras": cams, "generation_s": times}
    manifest_path.write_text(json.dumps(manifest, indent=2))
    world.unlink()
    return manifest


@dataclass(frozen=True)
class Proc:
    wall_s: float
    cpu_s: float  # user + system, of the process and its waited-for descendants
    peak_mb: float  # largest ru_maxrss among the process and its descendants
    code: int
    out: str
    err: str
    ff_mb: float = 0.0  # largest ffmpeg descendant's VmRSS (when polled)
    ff_anon_mb: float = 0.0  # and its RssAnon: without the static binary's mapped pages


def _descendants(pid: int) -> list[int]:
    found = []
    with contextlib.suppress(OSError):  # processes come and go while we look
        for tid in os.listdir(f"/proc/{pid}/task"):
            for kid in map(int, Path(f"/proc/{pid}/task/{tid}/children").read_text().split()):
                found += [kid, *_descendants(kid)]
    return found


def _poll_ffmpeg(pid: int, stop: threading.Event, peaks: list[float]) -> None:
    """Largest VmRSS and RssAnon (MB) of pid's ffmpeg descendants, polled every 20 ms.

    ``ru_maxrss`` cannot tell: a child inherits its parent's high-water RSS at fork and exec."""
    while not stop.wait(0.02):
        for kid in _descendants(pid):
            with contextlib.suppress(OSError, KeyError, ValueError):
                lines = Path(f"/proc/{kid}/status").read_text().splitlines()
                fields = dict(ln.split(":", 1) for ln in lines if ":" in ln)
                if "ffmpeg" in fields["Name"]:
                    for k, key in enumerate(("VmRSS", "RssAnon")):
                        peaks[k] = max(peaks[k], int(fields[key].split()[0]) / 1024)


def _run(argv: list[str], *, poll: bool = False) -> Proc:
    """Run argv to completion, measuring it with ``os.wait4`` (and /proc if ``poll``)."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, cwd=ROOT)
        assert proc.stdout is not None
        stop, ff_peaks = threading.Event(), [0.0, 0.0]
        poller = threading.Thread(target=_poll_ffmpeg, args=(proc.pid, stop, ff_peaks))
        if poll:
            poller.start()
        out = proc.stdout.read()
        stop.set()
        if poll:
            poller.join()
        _, status, usage = os.wait4(proc.pid, 0)
        wall_s = time.perf_counter() - started
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        proc.stdout.close()
        err.seek(0)
        return Proc(
            wall_s,
            usage.ru_utime + usage.ru_stime,
            usage.ru_maxrss / 1024,
            code,
            out.decode(),
            err.read().decode(),
            *ff_peaks,
        )


def floor(files: list[Path], *, stream: str, ffmpeg: str, parallel: int) -> Proc:
    """ffmpeg decoding ``stream`` (a/v) of every file, ``parallel`` at a time: total wall and
    CPU time, largest peak RSS."""

    def one(f: Path) -> Proc:
        return _run(
            [
                ffmpeg,
                "-nostdin",
                "-v",
                "error",
                "-i",
                str(f),
                "-map",
                f"0:{stream}:0",
                "-f",
                "null",
                "-",
            ]
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        runs = list(pool.map(one, files))
    return Proc(
        time.perf_counter() - started,
        sum(r.cpu_s for r in runs),
        max(r.peak_mb for r in runs),
        max(r.code for r in runs),
        "",
        "",
    )


def sync(
    files: list[Path], method: str, *, profile: bool = False, max_lag_s: float | None = None
) -> dict:
    """Run one sync in a fresh interpreter; return its figures (or ``{"error": ...}``).

    ``max_lag_s`` None: the engine's default search (the whole overlap).
    """
    argv = [
        sys.executable,
        "-m",
        "benchmarks.bench_engine",
        "--child",
        method,
        *(["--profile"] if profile else []),
        *([] if max_lag_s is None else ["--max-offset", str(max_lag_s)]),
        *map(str, files),
    ]
    run = _run(argv, poll=True)
    if run.code != 0:
        lines = [ln for ln in run.err.splitlines() if ln.strip()]
        return {"error": lines[-1] if lines else f"exit code {run.code}"}
    return {
        **json.loads(run.out.splitlines()[-1]),
        "wall_s": run.wall_s,
        "cpu_s": run.cpu_s,
        "ff_mb": run.ff_mb,
        "ff_anon_mb": run.ff_anon_mb,
    }


class _InlinePool(contextlib.nullcontext):
    """ThreadPoolExecutor stand-in for profiling: cProfile only sees its own thread."""

    def __init__(self, max_workers: int | None = None) -> None:
        super().__init__(self)

    map = staticmethod(map)


def _maxrss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def _child(method: str, files: list[str], *, profile: bool, max_lag_s: float | None) -> None:
    import syncengine

    if method == "import":  # the baseline: what the engine's imports alone cost
        for name in ("av", "cv2", "scipy.signal"):  # visual sync imports av and cv2 lazily
            importlib.import_module(name)
        return print(json.dumps({"py_mb": _maxrss_mb(resource.RUSAGE_SELF)}))

    if profile:
        import syncengine.features

        syncengine.features.ThreadPoolExecutor = _InlinePool  # type: ignore[misc,assignment]
    prof, buf = cProfile.Profile(), io.StringIO()
    call = functools.partial(
        syncengine.estimate_offsets,
        files,
        method=method,
        workers=2,
        **({} if max_lag_s is None else {"max_lag_s": max_lag_s}),
    )
    started = time.perf_counter()
    result = prof.runcall(call) if profile else call()
    engine_s = time.perf_counter() - started
    if profile:
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(15)
    print(
        json.dumps(
            {
                "engine_s": engine_s,
                "offsets_s": [v.offset_s for v in result.videos],
                "confidence": [v.confidence for v in result.videos],
                "py_mb": _maxrss_mb(resource.RUSAGE_SELF),
                "profile": buf.getvalue(),
            }
        )
    )


def _score(run: dict, true_s: list[float], method: str) -> tuple[str, str, str, bool]:
    """(max |error| ms, min confidence, verdict, correct) of one run against the manifest."""
    if "error" in run:
        return "-", "-", f"FAILED: {run['error'][:70]}", False
    errs = [
        None if est is None else abs(est - t) * 1e3
        for est, t in zip(run["offsets_s"], true_s, strict=True)
    ]
    if None in errs:
        return "-", f"{min(run['confidence']):.2f}", "WRONG (a camera not synced)", False
    worst = max(e for e in errs if e is not None)
    ok = worst <= TOLERANCE_MS[method]
    verdict = "ok" if ok else f"WRONG (> {TOLERANCE_MS[method]:g} ms)"
    return f"{worst:.2f}", f"{min(run['confidence'][1:]):.2f}", verdict, ok


def _table(rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--cameras", type=int, default=4, choices=range(2, len(OFFSETS_S) + 1))
    ap.add_argument("--height", type=int, default=720)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    ap.add_argument("--profile", action="store_true", help="cProfile top 15 of audio and visual")
    ap.add_argument(
        "--hevc-minutes",
        type=float,
        default=1.0,
        help="length of the two 1080p60 HEVC 10-bit phone cameras (0: skip that row)",
    )
    ap.add_argument("--child", choices=("import", *FLOOR_PARTS), help=argparse.SUPPRESS)
    ap.add_argument("--max-offset", type=float, default=None, help=argparse.SUPPRESS)
    ap.add_argument("files", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return _child(args.child, args.files, profile=args.profile, max_lag_s=args.max_offset)

    # syncengine.media.ffmpeg_executable() gives the same binary, but importing the engine here
    # would lift this process's RSS high-water to ~100 MB, which children inherit in ru_maxrss
    import imageio_ffmpeg

    ffmpeg = str(imageio_ffmpeg.get_ffmpeg_exe())
    folder = args.out / f"{args.cameras}cam_{args.minutes:g}min_{args.height}p"
    manifest = generate(
        folder, minutes=args.minutes, cameras=args.cameras, height=args.height, ffmpeg=ffmpeg
    )
    files = [folder / c["file"] for c in manifest["cameras"]]
    true_s = [c["offset_s"] - OFFSETS_S[0] for c in manifest["cameras"]]
    gen = manifest["generation_s"]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus (busy = slower walls)")
    print(
        f"media: {len(files)} cameras x {args.minutes:g} min, {manifest['size'][0]}x"
        f"{manifest['size'][1]}, fps {[c['fps'] for c in manifest['cameras']]}, audio "
        f"{[c['sample_rate_hz'] for c in manifest['cameras']]} Hz; generation took "
        f"{gen['total']:.0f} s (world {gen['world']:.0f} s) when made"
    )

    floors = _print_floors(files, ffmpeg=ffmpeg)
    size = f"{manifest['size'][0]}x{manifest['size'][1]}"
    label = f"{size} H.264 8-bit {len(files)} cam x {args.minutes:g} min"
    summary = {label: _print_syncs(files, floors, true_s=true_s)}
    if args.hevc_minutes > 0:
        phones = generate_hevc(
            args.out / f"phone_hevc10_1080p60_{args.hevc_minutes:g}min",
            minutes=args.hevc_minutes,
            ffmpeg=ffmpeg,
        )
        phone_files = [args.out / f"phone_hevc10_1080p60_{args.hevc_minutes:g}min" / c["file"]
                       for c in phones["cameras"]]  # fmt: skip
        phone_true = [c["offset_s"] - OFFSETS_S[0] for c in phones["cameras"]]
        print(f"\nphone footage: {len(phone_files)} cameras x {args.hevc_minutes:g} min, "
              "1920x1080 60 fps HEVC 10-bit (yuv420p10le, BT.2020 PQ tags)")  # fmt: skip
        phone_floors = _print_floors(phone_files, ffmpeg=ffmpeg)
        label = f"1920x1080p60 HEVC 10-bit {len(phone_files)} cam x {args.hevc_minutes:g} min"
        summary[label] = _print_syncs(phone_files, phone_floors, true_s=phone_true, extras=False)
    _print_summary(summary)
    short = manifest["short"]
    _print_scaling(
        files[:2],
        [folder / f for f in short["files"]],
        minutes=args.minutes,
        short_min=short["duration_s"] / 60,
    )
    if args.profile:
        for method in ("audio", "visual"):
            run = sync(files, method, profile=True)
            print(f"\n--- cProfile {method} (extraction inlined, 1 thread) ---")
            print(run.get("profile") or run.get("error"))


def _print_floors(files: list[Path], *, ffmpeg: str) -> dict[str, Proc]:
    floors: dict[str, Proc] = {}
    rows = [("decode floor", "1 at a time s", "2 parallel s", "cpu s (1 / 2)", "ffmpeg peak MB")]
    for stream, label in (("a", "audio"), ("v", "video")):
        seq = floor(files, stream=stream, ffmpeg=ffmpeg, parallel=1)
        par = floor(files, stream=stream, ffmpeg=ffmpeg, parallel=2)
        best = Proc(
            min(seq.wall_s, par.wall_s),
            min(seq.cpu_s, par.cpu_s),
            max(seq.peak_mb, par.peak_mb),
            max(seq.code, par.code),
            "",
            "",
        )
        floors[label] = best
        rows.append(
            (
                f"{label} x{len(files)}",
                f"{seq.wall_s:.2f}",
                f"{par.wall_s:.2f}",
                f"{seq.cpu_s:.1f} / {par.cpu_s:.1f}",
                f"{best.peak_mb:.0f}",
            )
        )
    print("\n" + _table(rows))
    return floors


def _print_syncs(
    files: list[Path], floors: dict[str, Proc], *, true_s: list[float], extras: bool = True
) -> dict[str, tuple[str, ...]]:
    """The sync table of one camera set; returns, per method, (floor s, engine s, engine/floor,
    cpu/floor, max|err| ms) for the summary. ``extras``: also the +-20 s and import rows."""
    figures_by_method: dict[str, tuple[str, ...]] = {}
    rows = [
        (
            "task",
            "wall s",
            "engine s",
            "cpu s",
            "py MB",
            "ff MB (anon)",
            "floor s",
            "floor cpu s",
            "engine/floor",
            "cpu/floor",
            "goal",
            "max|err| ms",
            "min conf",
            "verdict",
        )
    ]
    for method, parts in FLOOR_PARTS.items():
        run = sync(files, method)
        err_ms, conf, verdict, ok = _score(run, true_s, method)
        fl_s = sum(floors[p].wall_s for p in parts)
        fl_cpu = sum(floors[p].cpu_s for p in parts)
        goal = f"<={GOAL_RATIO[method]:g}x" if method in GOAL_RATIO else "-"
        # never a speed figure for a wrong answer
        ratios = (
            (f"{run['engine_s'] / fl_s:.2f}", f"{run['cpu_s'] / fl_cpu:.2f}") if ok else ("-", "-")
        )
        if "error" in run:
            figures = ("-",) * 5
        else:
            figures = (
                f"{run['wall_s']:.2f}",
                f"{run['engine_s']:.2f}",
                f"{run['cpu_s']:.1f}",
                f"{run['py_mb']:.0f}" + ("!" if run["py_mb"] > GOAL_PEAK_MB else ""),
                f"{run['ff_mb']:.0f} ({run['ff_anon_mb']:.0f})",
            )
        figures_by_method[method] = (
            f"{fl_s:.2f}",
            figures[1],
            *ratios,
            err_ms,
            verdict,
        )
        rows.append(
            (
                f"{method} x{len(files)}",
                *figures,
                f"{fl_s:.2f}",
                f"{fl_cpu:.1f}",
                *ratios,
                goal,
                err_ms,
                conf,
                verdict,
            )
        )
    if not extras:
        print("\n" + _table(rows))
        return figures_by_method
    # The default searches the whole overlap; the old default searched +-20 s. Same media, same
    # run, so the ratio is what the whole-overlap default costs.
    narrow = sync(files, "audio", max_lag_s=20.0)
    whole = next((r for r in [sync(files, "audio")] if "error" not in r), None)
    err_ms, conf, verdict, _ = _score(narrow, true_s, "audio")
    if "error" not in narrow and whole is not None:
        rows.append(
            (
                f"audio x{len(files)} +-20 s",
                f"{narrow['wall_s']:.2f}",
                f"{narrow['engine_s']:.2f}",
                f"{narrow['cpu_s']:.1f}",
                f"{narrow['py_mb']:.0f}",
                f"{narrow['ff_mb']:.0f} ({narrow['ff_anon_mb']:.0f})",
                "-",
                "-",
                "-",
                "-",
                "-",
                err_ms,
                conf,
                verdict,
            )
        )
        print(
            f"whole overlap / +-20 s window (audio, engine s, measured now): "
            f"{whole['engine_s']:.2f} / {narrow['engine_s']:.2f} = "
            f"{whole['engine_s'] / narrow['engine_s']:.2f}x; cpu "
            f"{whole['cpu_s'] / narrow['cpu_s']:.2f}x (goal <= 1.5x)"
        )
    base = sync(files[:0], "import")
    print("\n" + _table(rows))
    print(
        f"goals: engine <= {GOAL_RATIO['audio']:g}x floor (audio), "
        f"<= {GOAL_RATIO['visual']:g}x (visual); py MB < {GOAL_PEAK_MB:.0f} ('!' = miss).\n"
        "floor = the better of 1-at-a-time and 2-parallel ffmpeg decode (auto: audio + video).\n"
        "wall = child process (interpreter + imports + engine); engine = estimate_offsets();\n"
        "cpu = user+sys of the child and its ffmpeg subprocesses (robust to a busy machine).\n"
        "ff MB = largest ffmpeg child VmRSS (anon = without the static binary's pages).\n"
        f"starting Python and importing syncengine, scipy, av, cv2 alone: {base['py_mb']:.0f} "
        f"MB, {base['cpu_s']:.1f} cpu s (included above); "
        f"load average {os.getloadavg()[0]:.1f} now."
    )
    return figures_by_method


def _print_summary(summary: dict[str, dict[str, tuple[str, ...]]]) -> None:
    """One row per camera set and method: its decode floor against the sync's time."""
    head = ("set", "task", "floor s", "engine s", "engine/floor", "cpu/floor", "max|err| ms")
    rows: list[tuple[str, ...]] = [(*head, "verdict")]
    for label, by_method in summary.items():
        rows += [(label, method, *figures) for method, figures in by_method.items()]
    print("\nsummary: decode floor vs sync time per camera set\n" + _table(rows))


def _print_scaling(
    full: list[Path], short: list[Path], *, minutes: float, short_min: float
) -> None:
    """Peak memory of 2-camera audio sync, short and full length, twice each (it varies)."""
    runs = [sync(files, "audio") for files in (short, full) for _ in range(2)]
    failed = [r["error"] for r in runs if "error" in r]
    if failed:
        print(f"memory scaling: FAILED {failed[0]}")
        return
    small, big = ([f"{r['py_mb']:.0f}" for r in pair] for pair in (runs[:2], runs[2:]))
    grow_mb = min(r["py_mb"] for r in runs[2:]) - min(r["py_mb"] for r in runs[:2])
    grow_min = 2 * (minutes - short_min)
    print(
        f"\nmemory scaling, audio x2 (two runs each): {short_min:g} min {'/'.join(small)} MB, "
        f"{minutes:g} min {'/'.join(big)} MB: grew {grow_mb:.0f} MB (lowest peaks); the 8 kHz "
        f"float32 arrays grew {grow_min * FEATURE_MB_PER_CAM_MIN:.0f} MB ({grow_min:g} "
        "camera-minutes)"
    )


if __name__ == "__main__":
    main()
