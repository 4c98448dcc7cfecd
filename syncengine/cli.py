"""Command line: ``python -m syncengine sync|render|probe FILES...``.

Exit codes: 0 every clip synced (and the render verified), 1 some clip could not be synced,
2 bad input (usage, unreadable or unsuitable media), 3 the render failed or failed verification.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from syncengine.constants import DEFAULT_MAX_LAG_S, RENDER_MODES
from syncengine.errors import RenderError, SyncEngineError
from syncengine.sync import METHODS, estimate_offsets
from syncengine.types import ClipInput, RenderResult, SyncResult

EXIT_OK, EXIT_UNSYNCED, EXIT_BAD_INPUT, EXIT_RENDER_FAILED = 0, 1, 2, 3
FFMPEG_ENV = "SYNCSITE_FFMPEG"


class ProgressBar:
    """Progress on stderr: a tqdm bar on a terminal, one line per stage when it is not one.

    Disabled (``enabled=False``, the ``--quiet`` flag) it prints nothing. The bar shows the
    overall percentage and the stage under way; :meth:`close` ends its line.
    """

    def __init__(self, stream: TextIO, *, enabled: bool = True) -> None:
        self.stream, self.enabled = stream, enabled
        self.tty = stream.isatty()
        self._stage = ""
        self._bar: tqdm | None = None
        if enabled and self.tty:
            self._bar = tqdm(
                total=100.0,
                file=stream,
                bar_format="[{bar:30}] {n:5.1f}% {desc:<18} {elapsed}",
                ascii=" #",
                leave=True,
            )

    def __call__(self, stage: str, fraction: float) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            if stage != self._stage:
                self._bar.set_description_str(stage, refresh=False)
            self._bar.update(round(fraction * 100, 1) - self._bar.n)
        elif stage != self._stage:
            self.stream.write(f"{stage} ({fraction * 100:.0f}%)\n")
        self._stage = stage

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _max_offset(text: str) -> float | None:
    if text.lower() in ("none", "all", "inf"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds or 'none', got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("the maximum offset must be positive")
    return value


def _camera(text: str) -> tuple[str, tuple[str, ...]]:
    name, sep, files = text.partition("=")
    clips = tuple(f.strip() for f in files.split(",") if f.strip())
    if not sep or not name.strip() or not clips:
        raise argparse.ArgumentTypeError(
            f"expected NAME=FILE1,FILE2 (a camera's name and its clips), got {text!r}"
        )
    return name.strip(), clips


def _channel(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a channel number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"channels are numbered from 0, got {value}")
    return value


def _timecode(text: str) -> str:
    from syncengine.timecode import BadTimecode, parse_timecode

    # The frames are checked against the reference's frame rate once it is known (render);
    # here only the form and the hours, minutes and seconds.
    try:
        parse_timecode(text.replace(";", ":"), 1000.0)
    except BadTimecode as exc:
        raise argparse.ArgumentTypeError(exc.message) from None
    return text


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def format_table(result: SyncResult) -> str:
    head = (
        "file",
        "offset_s",
        "conf",
        "band",
        "synced",
        "audio_s",
        "visual_s",
        "a/v diff",
        "drift_ppm",
        "resid_ms",
    )
    rows = [head]
    for v in result.videos:
        rows.append(
            (
                v.filename + (" (ref)" if v.is_reference else ""),
                _fmt(v.offset_s, "+.4f"),
                f"{v.confidence:.2f}",
                v.band,
                "yes" if v.synced else "NO",
                _fmt(v.audio_offset_s, "+.4f"),
                _fmt(v.visual_offset_s, "+.4f"),
                _fmt(v.audio_video_diff_s, ".3f"),
                _fmt(v.drift_ppm, "+.1f"),
                _fmt(None if v.residual_s is None else v.residual_s * 1e3, ".2f"),
            )
        )
    widths = [max(len(r[c]) for r in rows) for c in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    for v in result.videos:
        lines.extend(f"  ! {v.filename}: {note}" for note in v.notes)
        if v.synced and not v.is_reference and v.confidence < 0.5:
            lines.append(f"  ! {v.filename}: low confidence ({v.band}); check it by eye")
    lines.append(f"method {result.method}, reference {result.reference}, {result.elapsed_s:.2f} s")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m syncengine", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("files", nargs="+", help="two or more video/audio files")
    common.add_argument("--method", choices=METHODS, default="auto")
    common.add_argument("--reference", help="file whose timeline is the reference (default: first)")
    common.add_argument(
        "--max-offset",
        type=_max_offset,
        default=DEFAULT_MAX_LAG_S,
        metavar="S|none",
        help="largest offset searched in seconds, to narrow the search, or 'none'; "
        "default: the whole overlap",
    )
    common.add_argument("--quiet", action="store_true", help="no progress bar")
    sync = sub.add_parser("sync", parents=[common], help="print offsets and confidence")
    sync.add_argument("--json", action="store_true", help="print one JSON object")
    sync.add_argument(
        "--timeline",
        metavar="FILE",
        help="also write an editor timeline of every clip (unsynced ones on a disabled track), "
        "format by extension: .otio (DaVinci Resolve), .xml = FCP7 XML (Premiere Pro, "
        "Resolve), .fcpxml = multicam clip (Final Cut Pro), .aaf (Avid), .edl = one CMX "
        "3600 EDL per camera (.zip: in one ZIP)",
    )
    render = sub.add_parser("render", parents=[common], help="write {name}_synced files")
    render.add_argument("--out", required=True, help="output folder")
    render.add_argument("--zip", action="store_true", help="also write synced.zip (outputs only)")
    render.add_argument(
        "--mode",
        choices=RENDER_MODES,
        default=RENDER_MODES[0],
        help="union: keep all footage; reference: start at the reference's t=0",
    )
    render.add_argument("--copy", action="store_true", help="no re-encoding (see README)")
    render.add_argument("--json", action="store_true")
    shoot = render.add_argument_group(
        "cameras, master audio and timecode (re-encoding only)",
        "A camera is one device; its clips never overlap. One file per camera puts its clips "
        "on one timeline, black picture and silence between them, named after its first clip.",
    )
    shoot.add_argument(
        "--per-camera",
        action="store_true",
        help="one synced file per camera instead of one per clip; cameras from --camera, "
        "else grouped from what the files say (device tags, chapter names such as "
        "GX01xxxx/GX02xxxx, back-to-back creation times)",
    )
    shoot.add_argument(
        "--camera",
        action="append",
        default=[],
        type=_camera,
        metavar="NAME=FILE1,FILE2",
        help="these files are the clips of camera NAME (repeatable; files by name or path, "
        "each also given as FILES); other files are cameras of their own",
    )
    shoot.add_argument(
        "--master-audio",
        metavar="FILE",
        help="an external recorder's file (WAV, FLAC, ...) whose sound goes into every synced "
        "file, drift-corrected to each camera's clock, where the camera has footage; synced "
        "with the others (added to FILES if missing), not written as a file of its own",
    )
    shoot.add_argument(
        "--master-channel",
        type=_channel,
        metavar="N",
        help="the master's channel to use, 0 = the first (default: the loudest)",
    )
    shoot.add_argument(
        "--master-mode",
        choices=("replace", "add"),
        default="replace",
        help="replace: the master's sound instead of the camera's; add: the master as the "
        "first sound track, the camera's own as the second (default: replace)",
    )
    shoot.add_argument(
        "--correct-skew",
        action="store_true",
        help="move the sound of a clip whose own sound runs late against its own picture (the "
        "sync reports 'its sound runs N ms late') back by that much; the picture stays",
    )
    shoot.add_argument(
        "--timecode",
        type=_timecode,
        metavar="HH:MM:SS:FF",
        help="stamp this start timecode into every synced file (remux, no re-encoding), read "
        "at the reference's frame rate; drop-frame HH:MM:SS;FF at 29.97 and 59.94 fps",
    )
    probe = sub.add_parser("probe", help="print what a file contains")
    probe.add_argument("files", nargs="+")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    ffmpeg_bin = os.environ.get(FFMPEG_ENV) or None
    out, err = sys.stdout, sys.stderr
    try:
        if args.command == "probe":
            from syncengine.media import probe

            json.dump([probe(f).to_dict() for f in args.files], out, indent=2)
            out.write("\n")
            return EXIT_OK
        clips: list[str] | list[ClipInput] = args.files
        if args.command == "render":
            _check_shoot_args(args)
            clips = args.clip_inputs = _clip_inputs(args)
        bar = ProgressBar(err, enabled=not args.quiet)
        try:
            result = estimate_offsets(
                clips,
                method=args.method,
                reference=args.reference,
                max_lag_s=args.max_offset,
                ffmpeg_bin=ffmpeg_bin,
                progress=bar,
            )
        finally:
            bar.close()
        if args.command == "sync":
            if args.timeline:
                _write_timeline(result, args.timeline)
            out.write(json.dumps(result.to_dict(), indent=2) if args.json else format_table(result))
            out.write("\n")
            return EXIT_OK if result.all_synced else EXIT_UNSYNCED
        return _render(args, result, ffmpeg_bin=ffmpeg_bin)
    except RenderError as exc:
        err.write(f"error [{exc.code}]: {exc.message}\n")
        return EXIT_RENDER_FAILED
    except SyncEngineError as exc:
        err.write(f"error [{exc.code}]: {exc.message}\n")
        return EXIT_BAD_INPUT


def _write_timeline(result: SyncResult, path: str) -> None:
    """Write an editor timeline of every clip, its format chosen by the extension of ``path``.

    Clips link to the files given, by paths relative to the timeline's folder; clips the sync
    could not place are on a disabled track. ``.edl`` writes one EDL per camera (``path`` when
    there is one camera, else ``{stem}_{NN}_{camera}.edl`` beside it); ``.zip`` a ZIP of them.
    """
    from syncengine.editors import build_timeline, clip_from_placement, format_for_path, write
    from syncengine.editors.writers import camera_edls
    from syncengine.media import probe

    target = Path(path)
    fmt = format_for_path(target)  # before any probing: a bad extension costs nothing
    folder = target.resolve().parent
    clips = []
    for placement, v in zip(result.placements(), result.videos, strict=True):
        media = Path(os.path.relpath(placement.path.resolve(), folder)).as_posix()
        low = v.synced and not v.is_reference and v.confidence < 0.5
        clips.append(
            clip_from_placement(
                placement,
                probe(placement.path),
                media=media,
                marker=f"Check the sync by eye: {v.band} confidence" if low else None,
            )
        )
    timeline = build_timeline(clips, name=target.stem)
    if fmt == "edl" and target.suffix.lower() == ".edl":
        edls = camera_edls(timeline)
        if len(edls) == 1:
            target.write_text(next(iter(edls.values())), encoding="utf-8")
            return
        for n, (camera, text) in enumerate(edls.items(), start=1):
            safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in camera)
            target.with_name(f"{target.stem}_{n:02d}_{safe}.edl").write_text(text, "utf-8")
        return
    target.write_bytes(write(timeline, fmt))


def _check_shoot_args(args: argparse.Namespace) -> None:
    """Options that need one another or re-encoding, refused before any work is done."""
    from syncengine.errors import ParameterError

    if args.master_channel is not None and not args.master_audio:
        raise ParameterError("--master-channel chooses a channel of --master-audio; give both")
    if args.copy and (args.per_camera or args.master_audio or args.correct_skew):
        raise ParameterError(
            "--copy cannot make one file per camera, put in the master audio or correct a "
            "sound/picture skew: it only cuts the files; leave out --copy"
        )
    names = {Path(f).name for f in args.files} | (
        {Path(args.master_audio).name} if args.master_audio else set()
    )
    seen: dict[str, str] = {}
    for camera, clips in args.camera:
        for clip in clips:
            name = Path(clip).name
            if name not in names:
                raise ParameterError(
                    f"--camera {camera}: '{clip}' is not one of the files given; list it "
                    "among the files too",
                    filename=name,
                )
            if seen.setdefault(name, camera) != camera:
                raise ParameterError(
                    f"'{name}' is given to two cameras ({seen[name]} and {camera}); a clip "
                    "belongs to one camera",
                    filename=name,
                )


def _clip_inputs(args: argparse.Namespace) -> list[ClipInput]:
    """The files to sync (the master added when missing), each with its camera if known.

    Cameras come from ``--camera``; with ``--per-camera`` and no ``--camera``, from
    :func:`syncengine.grouping.group_clips` over the probed files.
    """
    files = list(args.files)
    if args.master_audio and Path(args.master_audio).name not in {Path(f).name for f in files}:
        files.append(args.master_audio)
    cameras = {Path(clip).name: camera for camera, clips in args.camera for clip in clips}
    if args.per_camera and not args.camera:
        cameras = _grouped(files)
    return [ClipInput(Path(f).name, Path(f), camera=cameras.get(Path(f).name)) for f in files]


def _grouped(files: Sequence[str]) -> dict[str, str]:
    """Key (file name) -> camera, for clips the files themselves say belong together."""
    from syncengine.grouping import clip_facts_from_media_info, group_clips
    from syncengine.media import probe

    facts = [clip_facts_from_media_info(Path(f).name, probe(f)) for f in files]
    out = {}
    for n, group in enumerate(group_clips(facts), start=1):
        if len(group.keys) > 1:
            name = f"camera {n}" + (f" ({group.label})" if group.label else "")
            out.update({key: name for key in group.keys})
    return out


def _render(args: argparse.Namespace, result: SyncResult, *, ffmpeg_bin: str | None) -> int:
    from syncengine.archive import zip_outputs
    from syncengine.errors import RenderVerificationFailed
    from syncengine.render import render_synced

    out = sys.stdout
    if not args.json:
        out.write(format_table(result) + "\n")
    bar = ProgressBar(sys.stderr, enabled=not args.quiet)
    cameras = {c.key: c.camera for c in args.clip_inputs}
    placements = [replace(p, camera=cameras.get(p.key)) for p in result.placements()]
    master_key = Path(args.master_audio).name if args.master_audio else None
    master = next((p for p in placements if p.key == master_key), None)
    try:
        rendered = render_synced(
            placements,
            args.out,
            mode=args.mode,
            reencode=not args.copy,
            method=result.method,
            max_lag_s=result.max_lag_s,
            ffmpeg_bin=ffmpeg_bin,
            progress=bar,
            layout="camera" if args.per_camera else "clip",
            audio={"replace": "master", "add": "master_and_camera"}[args.master_mode]
            if master is not None
            else "camera",
            master=master,
            master_channel=args.master_channel,
            correct_skew=args.correct_skew,
            start_timecode=args.timecode,
        )
    except RenderVerificationFailed as exc:
        bar.close()
        if exc.result is not None:
            out.write(_render_report(exc.result, zip_path=None) + "\n")
        raise
    bar.close()
    zip_path = zip_outputs(rendered, os.path.join(args.out, "synced.zip")) if args.zip else None
    if args.json:
        from dataclasses import asdict

        payload = {"sync": result.to_dict(), "render": asdict(rendered)}
        payload["render"]["zip_path"] = str(zip_path) if zip_path else None
        out.write(json.dumps(payload, indent=2) + "\n")
    else:
        out.write(_render_report(rendered, zip_path=zip_path) + "\n")
    return EXIT_OK if result.all_synced else EXIT_UNSYNCED


def _ms(value: float | None) -> str:
    return "not measured" if value is None else f"{value * 1e3:+.2f} ms"


def _render_report(rendered: RenderResult, *, zip_path: object) -> str:
    lines = []
    for f in rendered.files:
        resid = "not measured" if f.residual_s is None else f"{f.residual_s * 1e3:+.2f} ms"
        lines.append(f"wrote {f.output}  ({f.duration_s:.3f} s, residual {resid})")
        if len(f.keys) > 1:
            parts = [f"{k} {_ms(r)}" for k, r in zip(f.keys, f.segment_residuals_s, strict=False)]
            lines.append(f"  camera {f.camera}: {', '.join(parts)}")
        if f.master_residuals_s:
            lines.append(
                "  master audio vs the camera's own sound: "
                + ", ".join(_ms(r) for r in f.master_residuals_s)
            )
        if f.timecode:
            lines.append(f"  timecode {f.timecode}")
    lines.extend(f"  ! {note}" for note in rendered.notes)
    if zip_path:
        lines.append(f"wrote {zip_path}")
    if rendered.verified:
        lines.append(f"verified: every residual within {rendered.tolerance_s * 1e3:.1f} ms")
    else:
        lines.append("NOT verified: check the files before using them")
    return "\n".join(lines)
