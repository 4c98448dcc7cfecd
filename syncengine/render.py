"""Render synced copies of the videos on one common timeline, then verify them by syncing again.

Conventions
-----------
- ``offset_s`` is the time on the reference's timeline at which a video's t=0 happens (positive:
  it started later). The output timeline starts at ``timeline_start_s`` on that timeline, so a
  video's ``lead_s = offset_s - timeline_start_s`` is added at its start (positive) or cut from it
  (negative).
- A file's t=0 is its container start. Video frame 0 plays at ``video.start_s`` and audio is put
  on the container clock with ``aresample=async=1:first_pts=0``, exactly as the analysis decodes
  it, so the measured offsets and the render agree.
- Re-encoded outputs all last ``timeline_duration_s`` (video to the nearest frame, audio to the
  sample); gaps are black picture and digital silence.
- Outputs are named ``{stem}_synced.{ext}`` after each placement's ``name``. They are written
  to a temporary folder inside ``out_dir`` and renamed into place only once every encode has
  succeeded.
- Clips are :class:`~syncengine.types.Placement` values keyed by the caller's ``key`` (a
  ``SyncResult`` is turned into placements keyed by its keys); messages say each clip's
  ``name``, never the path it was read from.
- Drift: a clip whose ``drift_ppm`` says its own time ``u`` happens at
  ``offset_s + u * (1 + drift_ppm * 1e-6)`` is retimed by ``speed = 1 + drift_ppm * 1e-6``
  about its t=0 (:func:`syncengine.timeline.drift_retime` decides what): its sound is
  resampled to ``rate / speed`` and written at ``rate`` (so it plays ``speed`` times longer,
  pitch and all), its picture's timestamps are multiplied by ``speed`` before the constant
  frame rate picks the nearest frames.
- Real shoots (:mod:`syncengine.render_shoot`, :mod:`syncengine.master_audio`): one file per
  camera (its clips in segments, gaps black and silent), the master recorder's sound laid
  under each clip on that clip's clock, a clip's sound moved back by its own skew, and one
  start timecode stamped into every file afterwards (:mod:`syncengine.timecode`). These
  re-encode through :func:`syncengine.render_shoot.output_args`; a plain per-clip render
  keeps the chains below.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from syncengine import media
from syncengine.archive import zip_outputs
from syncengine.errors import ParameterError, RenderError
from syncengine.master_audio import MasterAudioError, MasterPlan, master_placement
from syncengine.progress import StagedProgress
from syncengine.render_chains import AAC_RATES_HZ, X264_CRF, X264_PRESET, aac_audio, color_tags
from syncengine.render_chains import audio_chain as _audio_chain
from syncengine.render_chains import video_chain as _video_chain
from syncengine.render_shoot import (
    AUDIO_SOURCES,
    LAYOUTS,
    Output,
    ReencodeRequired,
    group_outputs,
    output_args,
)
from syncengine.sync import renamed
from syncengine.timecode import BadTimecode, Timecode, parse_timecode, stamp_timecode
from syncengine.timeline import (
    MODES,
    Job,
    Plan,
    plan_jobs,
    plan_timeline,
    tolerances_s,
    wav_as_mp4,
)
from syncengine.types import Placement, ProgressCallback, RenderedFile, RenderResult, SyncResult
from syncengine.verify import VERIFY_MAX_LAG_S, Checks, check_outputs, verification_error

_DEFAULT_TIMEOUT_S = 3600.0  # per output file
_FASTSTART = ("mp4", "mov")
# A WAV source's PCM -> the synced WAV's (its own depth; any other PCM becomes 24-bit).
_PCM = {c: c for c in ("pcm_s16le", "pcm_s24le", "pcm_f32le")}

__all__ = [
    "AAC_RATES_HZ",
    "AUDIO_SOURCES",
    "LAYOUTS",
    "MODES",
    "BadTimecode",
    "MasterAudioError",
    "ReencodeRequired",
    "VERIFY_MAX_LAG_S",
    "aac_audio",
    "plan_timeline",
    "render_synced",
    "zip_outputs",
]


def _reencode_args(job: Job, target: Path, *, total_s: float) -> list[str]:
    info, graph, maps = job.info, [], []
    if info.video is not None and not info.video.fps > 0:
        raise RenderError(
            f"'{info.filename}' declares no frame rate, so it cannot be shifted by frames. "
            "Re-export it as MP4 (H.264/AAC) and try again.",
            filename=info.filename,
        )
    if info.video is not None:
        speed = job.speed if "picture" in job.retimed else 1.0
        color = media.video_color(info.path)  # HDR is tone-mapped to SDR BT.709
        chain = _video_chain(
            lead_s=job.lead_s + info.video.start_s * speed,
            fps=info.video.fps,
            total_s=total_s,
            speed=speed,
            color=color,
        )
        graph.append(f"[0:v:0]{chain}[v]")
        maps += [
            "-map",
            "[v]",
            "-c:v",
            "libx264",
            "-preset",
            X264_PRESET,
            "-crf",
            str(X264_CRF),
            "-pix_fmt",
            "yuv420p",
            *color_tags([color]),
        ]
    if info.audio is not None and job.muxer == "wav":
        # A sound recorder's WAV stays PCM at its own rate, channels and bit depth.
        rate, pcm = info.audio.sample_rate_hz, _PCM.get(info.audio.codec, "pcm_s24le")
        chain = _audio_chain(
            lead_s=job.lead_s,
            sample_rate_hz=rate,
            total_s=total_s,
            source_rate_hz=rate,
            speed=job.speed if "sound" in job.retimed else 1.0,
        )
        graph.append(f"[0:a:0]{chain}[a]")
        maps += ["-map", "[a]", "-c:a", pcm, "-ar", str(rate)]
    elif info.audio is not None:
        rate, channels, bitrate = aac_audio(info.audio.sample_rate_hz, info.audio.channels)
        chain = _audio_chain(
            lead_s=job.lead_s,
            sample_rate_hz=rate,
            total_s=total_s,
            source_rate_hz=info.audio.sample_rate_hz,
            speed=job.speed if "sound" in job.retimed else 1.0,
        )
        if channels < info.audio.channels:
            chain += ",aformat=channel_layouts=7.1"
        graph.append(f"[0:a:0]{chain}[a]")
        maps += [
            "-map",
            "[a]",
            "-c:a",
            "aac",
            "-b:a",
            bitrate,
            "-ar",
            str(rate),
        ]
    # Timecode and creation tags describe the source clock, which the shift invalidates.
    return [
        *media.safe_input_args(info.path),
        "-filter_complex",
        ";".join(graph),
        *maps,
        "-map_metadata",
        "-1",
        "-map_chapters",
        "-1",
        *_muxer_args(job.muxer, target),
    ]


def _copy_args(job: Job, target: Path) -> list[str]:
    # Copy mode only ever cuts (its timeline starts with the last camera to start), because a
    # start delay without re-encoding exists only as an MP4 edit list that FFmpeg-based players
    # and our own verification ignore.
    shift = ["-ss", f"{-job.lead_s:.6f}"] if job.lead_s < 0 else []
    return [
        *shift,
        *media.safe_input_args(job.info.path),
        "-map",
        "0:v:0?",
        "-map",
        "0:a:0?",
        "-c",
        "copy",
        *_muxer_args(job.muxer, target),
    ]


def _muxer_args(muxer: str, target: Path) -> list[str]:
    faststart = ["-movflags", "+faststart"] if muxer in _FASTSTART else []
    rf64 = ["-rf64", "auto"] if muxer == "wav" else []  # a WAV past 4 GB becomes RF64
    return [*faststart, *rf64, "-f", muxer, "-y", str(target)]


def render_synced(
    clips: SyncResult | Sequence[Placement],
    out_dir: str | os.PathLike[str],
    *,
    mode: str = "union",
    reencode: bool = True,
    method: str | None = None,
    max_lag_s: float | None = None,
    ffmpeg_bin: str | None = None,
    progress: ProgressCallback | None = None,
    verify: bool = True,
    tolerance_s: float | None = None,
    timeout_s: float = _DEFAULT_TIMEOUT_S,
    placed_offsets_s: Mapping[str, float] | None = None,
    correct_drift: bool = True,
    layout: str = "clip",
    audio: str = "camera",
    master: Placement | None = None,
    master_channel: int | None = None,
    correct_skew: bool = False,
    start_timecode: str | None = None,
) -> RenderResult:
    """Write ``{stem}_synced.{ext}`` for every placed video (or camera), on one timeline, verified.

    Signature (the portal calls it so): ``render_synced(placements, out_dir, *, mode,
    reencode, ..., layout="clip"|"camera", audio="camera"|"master"|"master_and_camera",
    master=None, master_channel=None, correct_skew=False, start_timecode=None)``.

    Parameters
    ----------
    clips : sequence of Placement, or SyncResult
        Each video's key, path, offset (positive: the video started after the reference),
        name and estimate; the output is named after ``name``. Placements with
        ``offset_s=None`` are skipped and their keys listed in ``skipped``. A
        :class:`SyncResult` from :func:`syncengine.estimate_offsets` stands for its
        :meth:`~SyncResult.placements` (unsynced videos skipped, ``placed_offsets_s`` applied)
        and gives ``method`` and ``max_lag_s``.
    out_dir : path-like
        Output folder, created if missing. Existing ``_synced`` files there are replaced.
    mode : {"union", "reference"}
        Timeline, see :func:`plan_timeline`.
    reencode : bool
        ``True`` (default): H.264 (libx264, yuv420p) + AAC in the source container (MP4, MOV or
        MKV; anything else becomes MP4, noted in ``notes``). Audio keeps its rate and channels
        where AAC takes them; otherwise it is resampled to the highest AAC rate at or below
        its own (192 kHz becomes 96 kHz) and more than 8 channels are mixed down to 7.1, each
        said in ``notes``; more than two channels get ``AAC_CHANNEL_KBPS`` kbit/s each. Video
        is shifted to the nearest frame at its own frame rate and padded with black, audio to
        the sample at its output rate and padded with silence; every output lasts the
        timeline's duration (within a frame). Rotated sources are turned upright, variable
        frame rates become constant at the average rate. Clips without audio get no audio
        track. A sound recorder's WAV/W64 (no picture) becomes ``{stem}_synced.wav``: PCM at
        its own rate and channels, 16-bit, 24-bit or 32-bit float as it was (any other PCM
        24-bit), shifted and padded to the timeline like the others (with one file per
        camera, a master audio or a corrected skew it is written as MP4 with AAC).

        ``False``: stream copy, no re-encoding: fast and lossless, but only approximately
        aligned, and only for some players. ``mode`` is ignored: the timeline starts when the
        last camera started, so every other file is only cut, never delayed (a delay without
        re-encoding exists only as an MP4/MOV edit list, which FFmpeg-based players such as
        VLC and mpv, and our verification, ignore):

        - Each cut uses input ``-ss``, which with stream copy starts at the keyframe
          at or before the cut. MP4/MOV hide the frames before the cut with an edit list, so
          FFmpeg-based readers are exact; players that ignore edit lists, and every player for
          MKV (no edit lists), show up to one GOP of extra footage, i.e. the video is early by
          the "keyframe snap" (cut time minus keyframe time). Audio is cut to the packet.
        - Nothing is padded at either end: output durations differ.

        Each copy output is verified against its own tolerance, one frame plus its keyframe
        snap; ``tolerance_s`` reports the largest. A copy cannot retime, so drift is not
        corrected (said in ``notes`` for each clip that would have been).
    method, max_lag_s : str and float, optional
        The sync's method and search limit, which verification uses (default: a
        ``SyncResult``'s own, else "auto" and no limit).
    verify : bool
        Sync the outputs again with ``method``, against the reference's output, and store
        each measured offset in ``residual_s`` (should be ~0). Re-encoded outputs are searched
        within ``VERIFY_MAX_LAG_S``, copy outputs within ``max_lag_s``. Re-encoded outputs
        with sound on both sides (unless ``method`` is "visual") are also measured at the
        start, the middle and the end of their overlap with the reference's output
        (:func:`syncengine.verify.measure_windows`, ``window_residuals_s``); every window
        must be within the tolerance too.
    tolerance_s : float, optional
        Largest accepted ``|residual_s|`` for every output. Default: one frame of the slowest
        camera (copy mode: plus that output's keyframe snap).
    timeout_s : float
        Limit for each ffmpeg run, seconds.
    placed_offsets_s : mapping of str to float, optional
        With a ``SyncResult`` only: key (file name) -> offset in seconds (same sign
        convention) at which to place that video instead of its estimate: a user's manual
        adjustment. A video the engine did not sync is rendered when it is placed here.
        Verification then expects such an output (as any placement whose ``offset_s`` differs
        from its ``estimate_s``) to measure ``estimate - placed`` against the reference's
        output, and ``residual_s`` is the difference from that expectation; a video placed
        without an estimate cannot be checked (``residual_s`` None, not a failure, said in
        ``notes``).
    correct_drift : bool
        Re-encoded outputs of placements with a ``drift_ppm`` (a ``SyncResult``'s measured
        drift) are retimed to the reference clock (default): the sound is resampled once the
        drift adds up to 0.5 ms over the clip, the picture retimed only where it adds up to
        more than half a frame (:func:`syncengine.timeline.drift_retime`); each said in
        ``notes`` and in the file's ``drift_ppm`` and ``retimed``. ``False`` renders at the
        clips' own clocks.
    layout : {"clip", "camera"}
        ``clip`` (default): one file per placed clip. ``camera``: one file per camera
        (``Placement.camera`` groups clips; ``None`` is a camera of its own), named after the
        camera's first clip in time (``{stem}_synced.{ext}``, its container), its clips on the
        one timeline at their offsets, black picture and silence before, between and after
        them; each clip drift-corrected as above, at the first clip's frame rate and upright
        size (another size fits inside with black borders). A clip running into the next one
        is cut where the next starts (said in ``notes``). Verification measures each clip's
        span against the reference's output (``segment_residuals_s``, one per ``keys``
        entry; its windows in ``window_residuals_s``). Re-encoding only.
    audio : {"camera", "master", "master_and_camera"}
        ``camera`` (default): each file keeps its clips' own sound. ``master``: the sound is
        the ``master`` placement's instead, one channel (mono), laid under each clip at the
        master's own offset and retimed to the clip's clock (drift: the master's and the
        clip's ``drift_ppm``, see :mod:`syncengine.master_audio`), only where the clip has
        footage; silence where the master did not record. ``master_and_camera``: the master
        as the first sound track, the clips' own sound as the second. Verification measures
        the master track against the camera's own sound (the clip's sound at its placement)
        at the start, the middle and the end of each clip's span
        (``master_residuals_s``; each must be within the tolerance, and within 2 ms when
        the sync is right); ``audio_source`` is "master". With "master" the whole-file and
        window residuals compare the files' master tracks with each other; the master
        residuals are what check each camera against the master. An audio-only master gets no file
        of its own and does not widen the timeline (a master with a picture is rendered as a
        camera too). Re-encoding only.
    master : Placement, optional
        The master recorder (needed unless ``audio`` is "camera"; ignored then). It may be
        one of ``clips`` or not; it must be placed (``offset_s`` not None).
    master_channel : int, optional
        The master's channel to use, 0-based; ``None`` (default): the loudest (highest RMS
        over the file), said in ``notes`` with every channel's level.
    correct_skew : bool
        Move each clip's sound back by its ``Placement.sound_skew_s`` (its own sound running
        late against its own picture; the picture stays), said in ``notes``. Re-encoding
        only.
    start_timecode : str, optional
        ``HH:MM:SS:FF`` stamped into every output with a picture after verification (a remux,
        :func:`syncengine.timecode.stamp_timecode`; drop-frame ``HH:MM:SS;FF`` at 29.97 and
        59.94 fps) as the timecode of the timeline's start. It is read at the reference
        output's frame rate; outputs at other rates get the nearest frame of the same label
        time. A WAV output gets it as its BWF ``bext`` TimeReference (its samples since
        midnight at the label time, frames counted at the timeline's rate). Each file's
        label is in ``RenderedFile.timecode`` (a WAV's too; its TimeReference is in
        ``notes``); other audio-only files get none.
    progress : callable, optional
        ``progress(stage, fraction)`` with stage "rendering" then "verifying"; ``fraction`` is
        overall progress in [0, 1].

    Returns
    -------
    RenderResult
        Per output: key, source, output path, offset, ``lead_s`` (time added > 0 or cut < 0 at the
        start), measured (probed) duration and residual; ``skipped`` and ``notes`` say which
        videos were left out and which were written as MP4. ``verified`` is True only if every
        output was measured and within its tolerance.

    Raises
    ------
    ReencodeRequired
        ``reencode=False`` with ``layout="camera"``, a master ``audio`` or ``correct_skew``
        (code ``reencode_required``).
    MasterAudioError
        A master ``audio`` without a ``master``, a master not placed or without sound, a
        ``master_channel`` it does not have (code ``master_audio``).
    BadTimecode
        ``start_timecode`` is not a timecode at the timeline's rate, or no output has a
        picture (code ``bad_timecode``); raised before anything is encoded.
    ParameterError
        Unknown mode, layout or audio, fewer than two placed videos, bad tolerance, two
        outputs colliding, an output name too long, two placements sharing a key, a
        placement name that is not a bare file name, or a placed offset that is not finite
        or names no video.
    RenderError
        ffmpeg failed; nothing was written to ``out_dir``.
    RenderVerificationFailed
        After all outputs were written, a residual exceeded the tolerance or an output could not
        be measured. The message names the files; ``exc.result`` holds the full result.
    """
    _check_options(
        mode=mode,
        tolerance_s=tolerance_s,
        layout=layout,
        audio=audio,
        reencode=reencode,
        correct_skew=correct_skew,
    )
    placements, method, max_lag_s = _placements(clips, method, max_lag_s, placed_offsets_s)
    master_plan = master_placement(
        master, audio=audio, channel=master_channel, ffmpeg_bin=ffmpeg_bin, timeout_s=timeout_s
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plan = _plan(
        placements, master_plan, out, mode=mode, reencode=reencode, correct_drift=correct_drift
    )
    if layout == "camera" or master_plan is not None or correct_skew:
        plan = wav_as_mp4(plan)
    jobs, total_s = plan.jobs, plan.total_s
    outputs, notes = group_outputs(jobs, placements, layout=layout)
    notes = plan.notes + notes
    if layout == "camera" and all(p.camera is None for p in placements):
        notes.append(
            "no clip says which camera recorded it, so every clip is a camera of its own "
            "(one file each); group the clips into cameras for one file per camera"
        )
    skews_s = {
        p.key: float(p.sound_skew_s)
        for p in placements
        if correct_skew and p.sound_skew_s and any(p.key in o.keys for o in outputs)
    }
    shoot = layout == "camera" or master_plan is not None or bool(skews_s)
    ref_key = jobs[plan.reference].key
    reference = next(k for k, o in enumerate(outputs) if ref_key in o.keys)
    timecode = (
        None if start_timecode is None else _start_timecode(start_timecode, outputs, reference)
    )
    timeline_fps = _timeline_fps(outputs, reference)
    tolerance_of = dict(
        zip(
            [j.key for j in jobs],
            tolerances_s(jobs, reencode=reencode, tolerance_s=tolerance_s),
            strict=True,
        )
    )
    tolerances = [min(tolerance_of[key] for key in o.keys) for o in outputs]
    stages = [("rendering", 4.0), ("verifying", 1.0)] if verify else [("rendering", 1.0)]
    tracker = StagedProgress(progress, stages)
    # Encode everything into a hidden folder on the same file system, then rename: a failure
    # leaves no partial output, and a success replaces the old outputs at once. The cameras'
    # own sound kept to verify the master goes to a folder of its own, gone after verifying.
    with (
        tempfile.TemporaryDirectory(dir=out, prefix=".rendering-") as tmp,
        tempfile.TemporaryDirectory(prefix="syncengine-scratch-") as scratch_dir,
    ):
        scratches = [
            Path(scratch_dir) / f"{k}.wav" if master_plan is not None else None
            for k in range(len(outputs))
        ]
        for k, o in enumerate(outputs):
            staged = Path(tmp) / o.output.name
            first = o.jobs[0]
            if shoot:
                args = output_args(
                    o,
                    staged,
                    total_s=total_s,
                    audio=audio,
                    master=master_plan,
                    skews_s=skews_s,
                    scratch=scratches[k],
                )
            elif reencode:
                args = _reencode_args(first, staged, total_s=total_s)
            else:
                args = _copy_args(first, staged)
            try:
                media.run_ffmpeg(
                    args,
                    ffmpeg_bin=ffmpeg_bin,
                    timeout_s=timeout_s,
                    duration_s=total_s
                    if reencode
                    else first.info.duration_s + min(first.lead_s, 0),
                    progress=tracker.item_callback("rendering", k, len(outputs)),
                )
            except RenderError as exc:
                for job in o.jobs:
                    renamed(exc, Path(job.info.path), job.info.filename)
                raise RenderError(
                    f"rendering '{first.info.filename}' failed: {exc.message}",
                    filename=first.info.filename,
                ) from exc
            tracker.update("rendering", 1.0, item=k, n_items=len(outputs))
        for o in outputs:
            os.replace(Path(tmp) / o.output.name, o.output)
        checks = (
            check_outputs(
                outputs,
                scratches,
                total_s=total_s,
                reference=reference,
                method=method,
                max_lag_s=max_lag_s,
                reencode=reencode,
                layout=layout,
                master=master_plan,
                ffmpeg_bin=ffmpeg_bin,
                progress=lambda _stage, fraction: tracker.update("verifying", fraction),
            )
            if verify
            else Checks.none(len(outputs))
        )
    stamped = [
        (None, None)
        if timecode is None or timeline_fps is None
        else _stamp(o, timecode, timeline_fps, ffmpeg_bin=ffmpeg_bin)
        for o in outputs
    ]
    files = tuple(
        RenderedFile(
            source=o.jobs[0].info.path,
            output=str(o.output),
            offset_s=o.jobs[0].offset_s,
            lead_s=o.jobs[0].lead_s,
            duration_s=media.probe(o.output).duration_s,
            residual_s=checks.residuals[k],
            key=o.jobs[0].key,
            window_residuals_s=checks.windows[k],
            drift_ppm=o.jobs[0].drift_ppm,
            retimed=tuple(dict.fromkeys(r for j in o.jobs for r in j.retimed)),
            keys=o.keys,
            camera=o.camera,
            audio_source="camera" if master_plan is None else "master",
            master_residuals_s=checks.master[k],
            segment_residuals_s=checks.segments[k],
            timecode=stamped[k][0],
            window_times_s=checks.window_times[k],
            window_at=checks.window_at[k],
            master_window_times_s=checks.master_times[k],
            master_window_at=checks.master_at[k],
        )
        for k, o in enumerate(outputs)
    )
    every = [*checks.residuals, *(r for k in range(len(outputs)) for r in checks.measured(k))]
    bad = [k for k in range(len(outputs)) if checks.failed(k, tolerances[k])]
    notes += _audio_notes(jobs) if reencode else []
    notes += _shoot_notes(
        outputs, master_plan, audio, skews_s, placements, checks if verify else None
    )
    if timecode is not None:
        notes.append(_timecode_note(files, [s[1] for s in stamped]))
    result = RenderResult(
        files=files,
        timeline_start_s=plan.start_s,
        timeline_duration_s=total_s,
        verified=verify and not bad,
        max_residual_s=max((abs(r) for r in every if r is not None), default=None),
        tolerance_s=max(tolerances),
        mode=mode,
        skipped=tuple(plan.skipped),
        notes=tuple(notes),
        layout=layout,
        audio=audio,
        start_timecode=None if timecode is None else str(timecode),
    )
    if verify and bad:
        raise verification_error(result, [(k, tolerances[k]) for k in bad], checks.failure)
    return result


def _placements(
    clips: SyncResult | Sequence[Placement],
    method: str | None,
    max_lag_s: float | None,
    placed_offsets_s: Mapping[str, float] | None,
) -> tuple[tuple[Placement, ...], str, float | None]:
    """The placements to render, with the method and search limit verification uses."""
    if isinstance(clips, SyncResult):
        placed = dict(placed_offsets_s or {})
        keys = {v.key for v in clips.videos}
        for key in placed:
            if key not in keys:
                raise ParameterError(f"placed offset for '{key}', which is not one of the videos")
        return (
            clips.placements(placed),
            method or clips.method,
            clips.max_lag_s if max_lag_s is None else max_lag_s,
        )
    if placed_offsets_s:
        raise ParameterError("placed_offsets_s goes with a SyncResult; put offsets in placements")
    placements = tuple(clips)
    for p in placements:
        if not isinstance(p, Placement):
            raise ParameterError(f"render_synced takes Placement values, got {type(p).__name__}")
    return placements, method or "auto", max_lag_s


def _audio_notes(jobs: Sequence[Job]) -> list[str]:
    """One sentence per output whose audio AAC could not carry as it was."""
    notes = []
    for job in jobs:
        audio = job.info.audio
        if audio is None or job.muxer == "wav":
            continue
        rate, channels, _ = aac_audio(audio.sample_rate_hz, audio.channels)
        if rate != audio.sample_rate_hz:
            notes.append(
                f"'{job.info.filename}': its {audio.sample_rate_hz} Hz audio is written at "
                f"{rate} Hz (AAC does not take {audio.sample_rate_hz} Hz)"
            )
        if channels != audio.channels:
            notes.append(
                f"'{job.info.filename}': its {audio.channels} audio channels are mixed down "
                "to 7.1, the most AAC takes"
            )
    return notes


def _check_options(
    *,
    mode: str,
    tolerance_s: float | None,
    layout: str,
    audio: str,
    reencode: bool,
    correct_skew: bool,
) -> None:
    if mode not in MODES:
        raise ParameterError(f"mode must be one of {', '.join(MODES)}, got '{mode}'")
    if tolerance_s is not None and not tolerance_s > 0:
        raise ParameterError(f"tolerance_s must be positive, got {tolerance_s}")
    if layout not in LAYOUTS:
        raise ParameterError(f"layout must be one of {', '.join(LAYOUTS)}, got '{layout}'")
    if audio not in AUDIO_SOURCES:
        raise ParameterError(f"audio must be one of {', '.join(AUDIO_SOURCES)}, got '{audio}'")
    if not reencode:
        wanted = [
            what
            for what, asked in (
                ("one file per camera", layout == "camera"),
                ("the master audio", audio != "camera"),
                ("a corrected sound/picture skew", correct_skew),
            )
            if asked
        ]
        if wanted:
            raise ReencodeRequired(
                f"A copy without re-encoding cannot make {' or '.join(wanted)}: it can only "
                "cut the files. Choose re-encoding and render again.",
                wanted=wanted,
            )


def _plan(
    placements: Sequence[Placement],
    master: MasterPlan | None,
    out: Path,
    *,
    mode: str,
    reencode: bool,
    correct_drift: bool,
) -> Plan:
    """Plan the jobs; an audio-only master gets no output and does not stretch the timeline.

    With a single camera besides the master, the master is planned with it (so the plan has
    two videos, and the master's reference shift applies) and then left out again.
    """
    if master is None or master.info.video is not None:
        return plan_jobs(placements, out, mode=mode, reencode=reencode, correct_drift=correct_drift)
    key = master.placement.key
    cameras = [p for p in placements if p.key != key]
    if sum(p.offset_s is not None for p in cameras) >= 2:
        return plan_jobs(cameras, out, mode=mode, reencode=reencode, correct_drift=correct_drift)
    together = [*cameras, master.placement] if len(cameras) == len(placements) else placements
    plan = plan_jobs(together, out, mode=mode, reencode=reencode, correct_drift=correct_drift)
    ref_key = plan.jobs[plan.reference].key
    kept = [j for j in plan.jobs if j.key != key]
    start_s, total_s = plan_timeline(
        [j.offset_s for j in kept], [j.info.duration_s * j.speed for j in kept], mode=mode
    )
    jobs = [replace(j, lead_s=j.offset_s - start_s) for j in kept]
    keys = [j.key for j in jobs]
    reference = keys.index(ref_key) if ref_key in keys else 0
    # The master was planned as a clip: what plan_jobs says of its output does not apply.
    notes = [n for n in plan.notes if not n.startswith(f"'{master.placement.name}' is written as")]
    return Plan(jobs, start_s, total_s, reference, plan.skipped, notes)


def _fps(o: Output) -> float | None:
    return next((j.info.video.fps for j in o.jobs if j.info.video is not None), None)


def _timeline_fps(outputs: Sequence[Output], reference: int) -> float | None:
    """The timeline's frame rate: the reference's output's, else the first with a picture's."""
    rates = [_fps(outputs[reference]), *(_fps(o) for o in outputs)]
    return next((r for r in rates if r), None)


def _start_timecode(text: str, outputs: Sequence[Output], reference: int) -> Timecode:
    """The start timecode at the timeline's rate (:func:`_timeline_fps`)."""
    fps = _timeline_fps(outputs, reference)
    if fps is None:
        raise BadTimecode(
            "none of the synced files has a picture, so none can carry a start timecode; "
            "render without a timecode"
        )
    return parse_timecode(text, fps)


def _stamp(
    o: Output, timecode: Timecode, timeline_fps: float, *, ffmpeg_bin: str | None
) -> tuple[str | None, str | None]:
    """The timecode label stamped into the output and, for a WAV, its BWF TimeReference.

    A file with a picture gets the label at its own rate; a WAV the timeline's label, as the
    samples since midnight at its label time (counted at the timeline's frame rate).
    """
    fps = _fps(o)
    if fps is not None:
        return stamp_timecode(o.output, timecode, fps, ffmpeg_bin=ffmpeg_bin), None
    if o.muxer == "wav":
        samples = stamp_timecode(o.output, timecode, timeline_fps, ffmpeg_bin=ffmpeg_bin)
        return str(timecode), samples
    return None, None


def _timecode_note(files: Sequence[RenderedFile], references: Sequence[str | None]) -> str:
    stamped = {f.timecode for f in files if f.timecode}
    text = ", ".join(sorted(stamped))
    note = f"every synced file starts at timecode {text} (the timeline's start)"
    wavs = [f"{Path(f.output).name} ({r})" for f, r in zip(files, references, strict=True) if r]
    if wavs:
        note += f"; as BWF TimeReference, samples since midnight: {', '.join(wavs)}"
    bare = [Path(f.output).name for f in files if f.timecode is None]
    if bare:
        note += f"; {', '.join(bare)} has no picture, so no timecode"
    return note


def _shoot_notes(
    outputs: Sequence[Output],
    master: MasterPlan | None,
    audio: str,
    skews_s: Mapping[str, float],
    placements: Sequence[Placement],
    checks: Checks | None,
) -> list[str]:
    """Sentences on the master's channel and use, corrected skews and unchecked clips."""
    notes = []
    if master is not None:
        name, n = master.placement.name, master.info.audio.channels if master.info.audio else 1
        if master.levels_db:
            others = [f"{x:.1f}" for k, x in enumerate(master.levels_db) if k != master.channel]
            notes.append(
                f"master audio '{name}': channel {master.channel} of {n} chosen by energy "
                f"({master.levels_db[master.channel]:.1f} dBFS RMS; the others "
                f"{', '.join(others)} dBFS)"
            )
        elif n > 1:
            notes.append(f"master audio '{name}': channel {master.channel} of {n} (as chosen)")
        what = (
            "replaces each camera's own sound"
            if audio == "master"
            else "is each file's first sound track, the camera's own sound its second"
        )
        notes.append(
            f"the sound of master audio '{name}' {what} where the camera has footage "
            "(silence where the master did not record)"
        )
        for o, measured in zip(outputs, checks.master if checks else (), strict=False):
            if not measured:
                notes.append(
                    f"the master audio under '{o.output.name}' could not be checked against the "
                    "camera's own sound (no sound of the camera's, or too little of the master "
                    "under its footage)"
                )
    names = {p.key: p.name for p in placements}
    for key, skew_s in skews_s.items():
        direction = "earlier" if skew_s > 0 else "later"
        notes.append(
            f"'{names[key]}': its sound is moved {abs(skew_s) * 1e3:.0f} ms {direction} to match "
            "its picture (sound/picture skew corrected)"
        )
    for keys in checks.unmeasured if checks else ():
        notes += [
            f"'{names.get(key, key)}' overlaps too little of the reference's footage (or has no "
            "sound) to be checked on its own"
            for key in keys
        ]
    return notes
