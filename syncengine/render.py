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
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path

from syncengine import media
from syncengine.archive import zip_outputs
from syncengine.errors import ParameterError, RenderError
from syncengine.progress import StagedProgress
from syncengine.sync import renamed
from syncengine.timeline import MODES, Job, plan_jobs, plan_timeline, tolerances_s
from syncengine.types import Placement, ProgressCallback, RenderedFile, RenderResult, SyncResult
from syncengine.verify import (
    VERIFY_MAX_LAG_S,
    measure_outputs,
    measure_windows,
    verification_error,
)

__all__ = [
    "MODES",
    "VERIFY_MAX_LAG_S",
    "plan_timeline",
    "render_synced",
    "zip_outputs",
]

X264_PRESET = "fast"
X264_CRF = 18
AAC_BITRATE = "192k"  # up to two channels; more get AAC_CHANNEL_KBPS each
AAC_CHANNEL_KBPS = 96
#: The sample rates FFmpeg's AAC encoder takes, highest first: other rates are resampled to the
#: highest of these at or below the source's (192 kHz becomes 96 kHz).
AAC_RATES_HZ = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)
#: AAC carries at most 7.1; more channels are mixed down to 7.1.
AAC_MAX_CHANNELS = 8
_DEFAULT_TIMEOUT_S = 3600.0  # per output file
_FASTSTART = ("mp4", "mov")
#: The sound is stretched by resampling from this (relabelled) rate to ``round(it * speed)``:
#: the speed is then exact to ``0.5 / _STRETCH_RATE_HZ`` (0.5 ppm, 0.9 ms over 30 minutes).
_STRETCH_RATE_HZ = 1_000_000


def _rate(fps: float) -> str:
    """Exact frame rate text for ffmpeg: 29.97... -> "30000/1001"."""
    return str(Fraction(fps).limit_denominator(1001))


def _video_chain(*, lead_s: float, fps: float, total_s: float, speed: float = 1.0) -> str:
    """Shift by whole frames with one ``tpad`` (start and end padding), cut with ``trim``.

    A ``speed`` other than 1 stretches the frames' times by it first (drift correction).
    """
    shift = round(lead_s * fps)
    pts = "PTS-STARTPTS" if speed == 1.0 else f"(PTS-STARTPTS)*{speed!r}"
    parts = [f"setpts={pts}", f"fps={_rate(fps)}"]  # frame k at k / fps from here on
    if shift < 0:
        parts += [f"trim=start_frame={-shift}", "setpts=PTS-STARTPTS"]
    # One tpad for both ends: with a start tpad followed by a stop tpad, ffmpeg 9 emits only
    # part of the stop padding (31 of 60 frames in our test), so the output ends early.
    parts += [
        f"tpad=start={max(shift, 0)}:stop=-1:stop_mode=add:color=black",
        f"trim=end_frame={max(1, round(total_s * fps))}",
    ]
    return ",".join(parts)


def aac_audio(sample_rate_hz: int, channels: int) -> tuple[int, int, str]:
    """``(sample rate, channels, bitrate)`` of the AAC track written for such source audio."""
    rate = next((r for r in AAC_RATES_HZ if r <= sample_rate_hz), AAC_RATES_HZ[-1])
    out_channels = min(channels, AAC_MAX_CHANNELS)
    bitrate = AAC_BITRATE if out_channels <= 2 else f"{AAC_CHANNEL_KBPS * out_channels}k"
    return rate, out_channels, bitrate


def _audio_chain(
    *,
    lead_s: float,
    sample_rate_hz: int,
    total_s: float,
    source_rate_hz: int | None = None,
    speed: float = 1.0,
) -> str:
    """Shift to the sample at the output rate, then pad or cut to exactly the timeline length.

    A ``source_rate_hz`` other than ``sample_rate_hz`` is resampled on the way in. A ``speed``
    other than 1 stretches the sound by it (drift correction): relabelled as
    ``_STRETCH_RATE_HZ`` it is resampled to ``round(_STRETCH_RATE_HZ * speed)``, then labelled
    ``sample_rate_hz`` again, so every second of the source lasts ``speed`` seconds.
    """
    shift = round(lead_s * sample_rate_hz)
    n_total = max(1, round(total_s * sample_rate_hz))
    # Sample 0 = file t=0, as in media.decode_audio.
    resample = "" if source_rate_hz in (None, sample_rate_hz) else f"{sample_rate_hz}:"
    parts = [f"aresample={resample}async=1:first_pts=0"]
    if speed != 1.0:
        stretched = round(_STRETCH_RATE_HZ * speed)
        parts += [
            f"asetrate={_STRETCH_RATE_HZ}",
            f"aresample={stretched}",
            f"asetrate={sample_rate_hz}",
        ]
    if shift > 0:
        parts.append(f"adelay={shift}S:all=1")
    elif shift < 0:
        parts += [f"atrim=start_sample={-shift}", "asetpts=PTS-STARTPTS"]
    parts += [f"apad=whole_len={n_total}", f"atrim=end_sample={n_total}"]
    return ",".join(parts)


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
        chain = _video_chain(
            lead_s=job.lead_s + info.video.start_s * speed,
            fps=info.video.fps,
            total_s=total_s,
            speed=speed,
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
        ]
    if info.audio is not None:
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
    return [*faststart, "-f", muxer, "-y", str(target)]


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
) -> RenderResult:
    """Write ``{stem}_synced.{ext}`` for every placed video, all on one timeline, and verify them.

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
        track.

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
    ParameterError
        Unknown mode, fewer than two placed videos, bad tolerance, two outputs colliding, an
        output name too long, two placements sharing a key, a placement name that is not a
        bare file name, or a placed offset that is not finite or names no video.
    RenderError
        ffmpeg failed; nothing was written to ``out_dir``.
    RenderVerificationFailed
        After all outputs were written, a residual exceeded the tolerance or an output could not
        be measured. The message names the files; ``exc.result`` holds the full result.
    """
    if mode not in MODES:
        raise ParameterError(f"mode must be one of {', '.join(MODES)}, got '{mode}'")
    if tolerance_s is not None and not tolerance_s > 0:
        raise ParameterError(f"tolerance_s must be positive, got {tolerance_s}")
    placements, method, max_lag_s = _placements(clips, method, max_lag_s, placed_offsets_s)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plan = plan_jobs(placements, out, mode=mode, reencode=reencode, correct_drift=correct_drift)
    jobs, total_s = plan.jobs, plan.total_s
    tolerances = tolerances_s(jobs, reencode=reencode, tolerance_s=tolerance_s)
    stages = [("rendering", 4.0), ("verifying", 1.0)] if verify else [("rendering", 1.0)]
    tracker = StagedProgress(progress, stages)
    # Encode everything into a hidden folder on the same file system, then rename: a failure
    # leaves no partial output, and a success replaces the old outputs at once.
    with tempfile.TemporaryDirectory(dir=out, prefix=".rendering-") as tmp:
        for k, job in enumerate(jobs):
            staged = Path(tmp) / job.output.name
            args = (
                _reencode_args(job, staged, total_s=total_s)
                if reencode
                else _copy_args(job, staged)
            )
            try:
                media.run_ffmpeg(
                    args,
                    ffmpeg_bin=ffmpeg_bin,
                    timeout_s=timeout_s,
                    duration_s=total_s if reencode else job.info.duration_s + min(job.lead_s, 0),
                    progress=tracker.item_callback("rendering", k, len(jobs)),
                )
            except RenderError as exc:
                renamed(exc, Path(job.info.path), job.info.filename)
                raise RenderError(
                    f"rendering '{job.info.filename}' failed: {exc.message}",
                    filename=job.info.filename,
                ) from exc
            tracker.update("rendering", 1.0, item=k, n_items=len(jobs))
        for job in jobs:
            os.replace(Path(tmp) / job.output.name, job.output)
    expected = [j.expected_residual_s for j in jobs]
    measured, failure = (
        measure_outputs(
            [j.output for j in jobs],
            method=method,
            max_lag_s=max_lag_s,
            reference=plan.reference,
            narrow=reencode,
            ffmpeg_bin=ffmpeg_bin,
            margin_s=max((abs(e) for e in expected if e is not None), default=0.0),
            progress=lambda _stage, fraction: tracker.update("verifying", fraction),
        )
        if verify
        else ([None] * len(jobs), None)
    )
    residuals = [
        None if m is None or e is None else m - e for m, e in zip(measured, expected, strict=True)
    ]
    windows: list[tuple[float | None, ...]] = (
        measure_windows(
            [j.output for j in jobs],
            spans_s=[_span_s(j, total_s) for j in jobs],
            expected_s=expected,
            reference=plan.reference,
            ffmpeg_bin=ffmpeg_bin,
        )
        if verify and reencode and method != "visual"
        else [()] * len(jobs)
    )
    files = tuple(
        RenderedFile(
            source=j.info.path,
            output=str(j.output),
            offset_s=j.offset_s,
            lead_s=j.lead_s,
            duration_s=media.probe(j.output).duration_s,
            residual_s=r,
            key=j.key,
            window_residuals_s=w,
            drift_ppm=j.drift_ppm,
            retimed=j.retimed,
        )
        for j, r, w in zip(jobs, residuals, windows, strict=True)
    )
    checked = [abs(r) for r in [*residuals, *(r for w in windows for r in w)] if r is not None]
    bad = [
        k
        for k, r in enumerate(residuals)
        if expected[k] is not None
        and any(x is None or abs(x) > tolerances[k] for x in (r, *windows[k]))
    ]
    result = RenderResult(
        files=files,
        timeline_start_s=plan.start_s,
        timeline_duration_s=total_s,
        verified=verify and not bad,
        max_residual_s=max(checked, default=None),
        tolerance_s=max(tolerances),
        mode=mode,
        skipped=tuple(plan.skipped),
        notes=tuple(plan.notes + (_audio_notes(jobs) if reencode else [])),
    )
    if verify and bad:
        raise verification_error(result, [(k, tolerances[k]) for k in bad], failure)
    return result


def _span_s(job: Job, total_s: float) -> tuple[float, float]:
    """Where the job's own footage is on the output timeline, seconds (the rest is padding)."""
    start_s = max(0.0, job.lead_s)
    return start_s, max(start_s, min(total_s, job.lead_s + job.info.duration_s * job.speed))


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
        if audio is None:
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
