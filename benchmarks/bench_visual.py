"""Visual sync across hard viewpoints: old (a git revision of syncengine/motion.py) against new.

``python -m benchmarks.bench_visual [--pairs 24] [--unrelated 6] [--old REV] [--out DIR]``

Each seeded world (``mediasynth.clips``, 640x480, 30 fps, no audio) is rendered once; every camera
is a post-processed window of it made with ffmpeg filters: an off-centre zoomed crop (0.5-0.95 of
the scene), handheld shake (the crop window moves on a sum of sines), roll, a keystone
perspective, a portrait phone (9:16 crop), blur, noise, a slowly drifting exposure, its own frame
rate (30, 25 or 24 fps) and H.264 quality (CRF 23-35). Cameras are cut at known world times
(multiples of 1/30 s), so the true lag is exact up to the frame-rate conversion (< 1/60 s).
Unrelated pairs take their cameras from worlds of different seeds.

Printed: per pair the error of both methods; then placed within one frame (confidence >= 0.2 and
at most 1/max fps off) %, best lag within one frame (whatever the confidence) %, confidently
wrong (confidence >= 0.5 and more than one frame off), refused (confidence < 0.2), unrelated
refused, and the seconds of motion extraction per video minute (frames decoded by
``iter_gray_frames``; "decode" is iterating those frames alone), then the same on a 60 s 1080p
clip (wall and CPU) where decoding dominates. Clips are cached under ``--out``.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import math
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WORLD_S = 92.0
WORLD_W, WORLD_H = 640, 480
VERSION = 3  # bump when the generated media changes


@dataclass(frozen=True)
class View:
    name: str
    seed: int
    start_s: float  # world time of the first frame
    duration_s: float
    zoom: float
    cx: float  # window centre, fraction of the world frame
    cy: float
    shake_px: float
    roll_deg: float
    keystone: float
    portrait: bool
    blur: float
    noise: int
    exposure: float
    fps: int
    crf: int
    deflicker: int  # auto-exposure: frames of ffmpeg's deflicker window (0: none)

    def label(self) -> str:
        kind = "portrait" if self.portrait else "land"
        ae = f" ae{self.deflicker}" if self.deflicker else ""
        return (
            f"z{self.zoom:.2f} sh{self.shake_px:.0f} r{self.roll_deg:+.0f} {kind} "
            f"{self.fps}fps crf{self.crf}{ae}"
        )


def _ffmpeg() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def world_clip(seed: int, out: Path) -> Path:
    from mediasynth.clips import CameraSpec, write_clip

    path = out / f"world{seed}.mp4"
    if not path.exists():
        spec = CameraSpec(
            name=f"world{seed}",
            start_s=0.0,
            duration_s=WORLD_S,
            width=WORLD_W,
            height=WORLD_H,
            audio="none",
        )
        write_clip(spec, out, seed=seed)
    return path


def _filters(v: View) -> str:
    ch = v.zoom * WORLD_H
    cw = ch * 9 / 16 if v.portrait else ch * 4 / 3
    cw, ch = min(cw, WORLD_W), min(ch, WORLD_H)
    margin = v.shake_px + 2
    x0 = min(max(v.cx * WORLD_W - cw / 2, margin), WORLD_W - cw - margin)
    y0 = min(max(v.cy * WORLD_H - ch / 2, margin), WORLD_H - ch - margin)
    a = v.shake_px
    sx = f"{x0:.1f}+{0.6 * a:.2f}*sin(t*7.1)+{0.4 * a:.2f}*sin(t*13.7+1)"
    sy = f"{y0:.1f}+{0.5 * a:.2f}*sin(t*5.3+2)+{0.5 * a:.2f}*sin(t*11.9+3)"
    chain = [f"crop=w={int(cw) // 2 * 2}:h={int(ch) // 2 * 2}:x='{sx}':y='{sy}'"]
    if v.roll_deg:
        th = math.radians(abs(v.roll_deg))
        ar = max(cw, ch) / min(cw, ch)
        s = 1.0 / (math.cos(th) + ar * math.sin(th))
        chain += [f"rotate={math.radians(v.roll_deg):.4f}", f"crop=iw*{s:.3f}:ih*{s:.3f}"]
    if v.keystone:
        k = v.keystone
        chain.append(
            f"perspective=x0=W*{k:.3f}:y0=0:x1=W*{1 - k:.3f}:y1=H*{k / 2:.3f}:"
            f"x2=0:y2=H:x3=W:y3=H*{1 - k / 2:.3f}:sense=source"
        )
    chain.append("scale=270:480" if v.portrait else "scale=320:240")
    if v.blur:
        chain.append(f"gblur=sigma={v.blur:.2f}")
    chain.append(f"eq=brightness='{v.exposure:.3f}*sin(2*PI*t/9)':eval=frame")
    if v.deflicker:
        chain.append(f"deflicker=size={v.deflicker}:mode=am")
    if v.noise:
        chain.append(f"noise=alls={v.noise}:allf=t")
    chain.append(f"fps={v.fps}")
    return ",".join(chain)


def camera_clip(v: View, out: Path) -> Path:
    path = out / f"{v.name}.mp4"
    if path.exists():
        return path
    src = world_clip(v.seed, out)
    tmp = path.with_suffix(".tmp.mp4")
    argv = [
        _ffmpeg(),
        "-nostdin",
        "-v",
        "error",
        "-y",
        "-ss",
        f"{v.start_s - 0.005:.4f}",
        "-i",
        str(src),
        "-t",
        f"{v.duration_s:.3f}",
        "-vf",
        _filters(v),
        "-an",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        str(v.crf),
        "-pix_fmt",
        "yuv420p",
        str(tmp),
    ]
    subprocess.run(argv, check=True)
    tmp.rename(path)
    return path


def _view(
    rng: np.random.Generator, name: str, seed: int, start_s: float, duration_s: float, *, hard: bool
) -> View:
    portrait = bool(rng.random() < 0.25)
    return View(
        name=name,
        seed=seed,
        start_s=start_s,
        duration_s=duration_s,
        zoom=float(rng.uniform(0.5, 0.95)),
        cx=float(rng.uniform(0.3, 0.7)),
        cy=float(rng.uniform(0.35, 0.65)),
        shake_px=float(rng.choice([0.0, rng.uniform(6, 16)]) if hard else 0.0),
        roll_deg=float(rng.uniform(-8, 8)) if hard else 0.0,
        keystone=float(rng.choice([0.0, rng.uniform(0.03, 0.1)])),
        portrait=portrait,
        blur=float(rng.uniform(0.0, 1.5)),
        noise=int(rng.integers(0, 14)),
        exposure=float(rng.uniform(0.0, 0.08)),
        fps=int(rng.choice([30, 25, 24])),
        crf=int(rng.integers(23, 36)),
        deflicker=int(rng.choice([0, 0, 5, 9, 15])),
    )


def build_pairs(n_pairs: int, n_unrelated: int, n_worlds: int) -> list[tuple[View, View, bool]]:
    rng = np.random.default_rng(2026)
    pairs = []
    for p in range(n_pairs + n_unrelated):
        related = p < n_pairs
        seed = p % n_worlds
        d_ref, d_oth = (float(x) for x in rng.uniform(20.0, 40.0, size=2))
        shortest = min(d_ref, d_oth)
        # at least 40 % of the shorter clip is shared, |lag| <= 40 s
        lo, hi = max(-(d_oth - 0.4 * shortest), -40.0), min(d_ref - 0.4 * shortest, 40.0)
        lag = round(float(rng.uniform(lo, hi)) * 30) / 30
        ref_start = round((1.0 - min(0.0, lag)) * 30) / 30
        other_seed = seed if related else (seed + 1) % n_worlds
        ref = _view(rng, f"v{VERSION}_p{p:02d}_ref", seed, ref_start, d_ref, hard=True)
        oth = _view(rng, f"v{VERSION}_p{p:02d}_oth", other_seed, ref_start + lag, d_oth, hard=True)
        pairs.append((ref, oth, related))
    return pairs


def hd_clip(out: Path, seconds: float = 60.0) -> Path:
    """A 1080p H.264 clip (world 0 scaled up, with grain) for the speed figures."""
    path = out / f"hd1080_{seconds:g}s.mp4"
    if not path.exists():
        tmp = path.with_suffix(".tmp.mp4")
        argv = [
            _ffmpeg(),
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-i",
            str(world_clip(0, out)),
            "-t",
            f"{seconds:g}",
            "-vf",
            "scale=1920:1080,noise=alls=6:allf=t",
            "-an",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "23",
            "-pix_fmt",
            "yuv420p",
            str(tmp),
        ]
        subprocess.run(argv, check=True)
        tmp.rename(path)
    return path


def speed(methods: dict[str, ModuleType], path: Path) -> None:
    """Wall and CPU seconds per video minute: decoding alone, then each method's extraction."""
    from syncengine.media import iter_gray_frames, probe

    info = probe(path)
    minutes = info.duration_s / 60

    def timed(run: object) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        run()  # type: ignore[operator]
        return (time.perf_counter() - wall) / minutes, (time.process_time() - cpu) / minutes

    def decode() -> None:
        for _ in iter_gray_frames(path, info=info):
            pass

    rows = {"decode": timed(decode)}
    for m, module in methods.items():
        frames = functools.partial(iter_gray_frames, path, info=info)
        rows[m] = timed(lambda module=module, frames=frames: module.motion_series(frames()))
    print(f"speed on {path.name} (1920x1080, {info.duration_s:.0f} s), per video minute:")
    for name, (wall, cpu) in rows.items():
        print(
            f"  {name:>6}: wall {wall:6.2f} s  cpu {cpu:6.2f} s  "
            f"(x{wall / rows['decode'][0]:.2f} of decode wall)"
        )


Case = tuple[str, str, "float | None", float, str, str]  # ref, other, lag, tolerance, labels


def synthetic_cases(args: argparse.Namespace) -> tuple[dict[str, Path], list[Case]]:
    """Render (or reuse) the hard views; the pairs as cases (truth None when unrelated)."""
    from concurrent.futures import ThreadPoolExecutor

    args.out.mkdir(parents=True, exist_ok=True)
    pairs = build_pairs(args.pairs, args.unrelated, args.worlds)
    views = {v.name: v for pair in pairs for v in pair[:2]}
    t0 = time.perf_counter()
    for seed in range(args.worlds):
        world_clip(seed, args.out)
    with ThreadPoolExecutor(max_workers=2) as pool:
        made = pool.map(lambda v: camera_clip(v, args.out), views.values())
        paths = dict(zip(views, made, strict=True))
    print(f"media ready in {time.perf_counter() - t0:.1f} s ({len(views)} clips)")
    cases = [
        (
            ref.name,
            oth.name,
            oth.start_s - ref.start_s if related else None,
            1.0 / max(ref.fps, oth.fps),
            ref.label(),
            oth.label(),
        )
        for ref, oth, related in pairs
    ]
    return paths, cases


def manifest_cases(manifest: Path) -> tuple[dict[str, Path], list[Case]]:
    """Each case's reference against each of its other clips. A pair has a truth when both
    clips are syncable with distinct motion; a clip that is not syncable must be refused;
    pairs without distinct motion (a loop) are left out."""
    import json

    data = json.loads(manifest.read_text())
    paths: dict[str, Path] = {}
    cases: list[Case] = []
    for case in data["cases"]:
        clips = {c["name"]: c for c in case["clips"]}
        ref = clips[case["reference"]]
        for clip in case["clips"]:
            key = f"{case['id']}/{clip['name']}"
            paths[key] = manifest.parent / clip["file"]
            if clip is ref:
                continue
            ok = clip["syncable"] and clip["picture_offset_s"] is not None
            if ok and not (clip["distinct_motion"] and ref["distinct_motion"]):
                continue
            truth = clip["picture_offset_s"] - ref["picture_offset_s"] if ok else None
            tags = ",".join(case["tags"])[:24]
            cases.append(
                (
                    f"{case['id']}/{ref['name']}",
                    key,
                    truth,
                    1.0 / max(ref["fps"], clip["fps"]),
                    f"{case['id'][:4]} {tags}",
                    f"{clip['name']} {clip['fps']:g} fps",
                )
            )
    used = {k for c in cases for k in c[:2]}
    return {k: p for k, p in paths.items() if k in used}, cases


def load_old(rev: str) -> ModuleType:
    source = subprocess.run(
        ["git", "show", f"{rev}:syncengine/motion.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    spec = importlib.util.spec_from_loader("motion_old", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    exec(compile(source, f"{rev}:syncengine/motion.py", "exec"), module.__dict__)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=24)
    parser.add_argument("--unrelated", type=int, default=6)
    parser.add_argument("--worlds", type=int, default=6)
    parser.add_argument("--old", default="e3f4795", help="git revision of the old motion.py")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "visual")
    parser.add_argument("--max-lag", type=float, default=60.0)
    parser.add_argument("--only-new", action="store_true")
    parser.add_argument("--no-speed", action="store_true", help="skip the 1080p speed figures")
    parser.add_argument(
        "--manifest",
        type=Path,
        default=None,
        help="instead: every (reference, clip) pair of an evaluation preset's "
        "manifest.json (e.g. evaluation/output/heldout/manifest.json)",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from syncengine import motion as new
    from syncengine.media import iter_gray_frames, probe

    if args.manifest is not None:
        paths, cases = manifest_cases(args.manifest)
        max_lag = None
    else:
        paths, cases = synthetic_cases(args)
        max_lag = args.max_lag
    methods: dict[str, ModuleType] = {"new": new}
    if not args.only_new:
        methods["old"] = load_old(args.old)
    series: dict[str, dict[str, object]] = {m: {} for m in methods}
    spent = dict.fromkeys(methods, 0.0)
    decode_s = minutes = 0.0
    for name, path in paths.items():
        info = probe(path)
        minutes += info.duration_s / 60
        t = time.perf_counter()
        for _ in iter_gray_frames(path, info=info):
            pass
        decode_s += time.perf_counter() - t
        for m, module in methods.items():
            t = time.perf_counter()
            series[m][name] = module.motion_series(iter_gray_frames(path, info=info))
            spent[m] += time.perf_counter() - t
    print(
        f"{'pair':>4} {'true lag':>9}  {'ref view':<34} {'other view':<34} "
        + " ".join(f"{m + ' err ms':>11} {'conf':>5}" for m in methods)
    )
    tallies = {
        m: {"placed": 0, "ok": 0, "wrong": 0, "refused": 0, "unrel_ok": 0, "t": 0.0}
        for m in methods
    }
    n_rel = n_unrel = 0
    for k, (ref, oth, truth, tol, ref_label, oth_label) in enumerate(cases):
        related = truth is not None
        n_rel += related
        n_unrel += not related
        cells = []
        for m, module in methods.items():
            t = time.perf_counter()
            est = module.estimate_visual_lag(series[m][ref], series[m][oth], max_lag_s=max_lag)
            tallies[m]["t"] += time.perf_counter() - t
            tal = tallies[m]
            if truth is not None:
                err = est.lag_s - truth
                tal["ok"] += abs(err) <= tol
                tal["placed"] += abs(err) <= tol and est.confidence >= 0.2
                tal["wrong"] += est.confidence >= 0.5 and abs(err) > tol
                tal["refused"] += est.confidence < 0.2
                mark = "" if abs(err) <= tol else ("!" if est.confidence >= 0.5 else "x")
                cells.append(f"{1000 * err:>10.0f}{mark or ' '} {est.confidence:5.2f}")
            else:
                tal["unrel_ok"] += est.confidence < 0.2
                cells.append(f"{'unrelated':>11} {est.confidence:5.2f}")
        shown = f"{truth:>9.3f}" if truth is not None else f"{'-':>9}"
        print(f"{k:>4} {shown}  {ref_label:<34} {oth_label:<34} " + " ".join(cells))
    print()
    print(
        f"{n_rel} pairs with shared motion, {n_unrel} unrelated; {minutes:.1f} video minutes; "
        f"decode alone {decode_s / minutes:.2f} s per video minute"
    )
    for m, tal in tallies.items():
        print(
            f"{m:>4}: placed (confidence >= 0.2) within one frame "
            f"{100 * tal['placed'] / max(n_rel, 1):5.1f} %  best lag within one frame "
            f"{100 * tal['ok'] / max(n_rel, 1):5.1f} %  "
            f"confidently wrong {tal['wrong']}  refused {tal['refused']}  "
            f"unrelated refused {tal['unrel_ok']}/{n_unrel}  "
            f"extraction {spent[m] / minutes:.2f} s per video minute  "
            f"correlation {tal['t'] / len(cases) * 1000:.0f} ms per pair"
        )
    if not args.no_speed and args.manifest is None:
        speed(methods, hd_clip(args.out))


if __name__ == "__main__":
    main()
