"""Renders of real shoots: one file per camera, the master recorder's sound, sound/picture skew.

Conventions
-----------
- Times follow :mod:`syncengine.render`: an output's t=0 is the timeline start, a job's
  ``lead_s`` is where its clip's t=0 falls on the output, ``speed`` (reference seconds per
  second of the clip) is 1 unless it is retimed for drift.
- An *output* is one file with one or more clips' jobs in time order (its *segments*). Segment
  ``k`` covers the output from clip ``k``'s first frame (sample) to clip ``k+1``'s, the first
  from 0, the last to the end; each clip fills its segment, black picture and silence pad the
  rest (a gap between clips), a clip running into the next one is cut where the next starts.
- The master's sound follows :mod:`syncengine.master_audio`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from syncengine import media
from syncengine.errors import ParameterError, RenderError
from syncengine.master_audio import MasterPlan, master_chain, master_lead_speed
from syncengine.render_chains import (
    X264_CRF,
    X264_PRESET,
    aac_audio,
    audio_chain,
    color_filters,
    color_tags,
    video_chain,
)
from syncengine.timeline import Job
from syncengine.types import MediaInfo, Placement

__all__ = [
    "AUDIO_SOURCES",
    "LAYOUTS",
    "SCRATCH_RATE_HZ",
    "Output",
    "ReencodeRequired",
    "footage_span_s",
    "group_outputs",
    "output_args",
    "segment_bounds",
]

LAYOUTS = ("clip", "camera")
AUDIO_SOURCES = ("camera", "master", "master_and_camera")
#: Rate of the camera's scratch sound kept beside a master-audio output to verify the master
#: against (the verification's analysis rate).
SCRATCH_RATE_HZ = 8000
_LAYOUTS = {1: "mono", 2: "stereo", 3: "3.0", 4: "4.0", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}
_FASTSTART = ("mp4", "mov")


class ReencodeRequired(ParameterError):
    """The render asked for something a stream copy cannot do (one file per camera, ...)."""

    code = "reencode_required"


@dataclass(frozen=True)
class Output:
    """One output file: its clips' jobs in time order, where it goes, whose camera it is."""

    jobs: tuple[Job, ...]
    output: Path
    muxer: str
    camera: str | None
    placements: tuple[Placement, ...]  # the jobs' placements, same order

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(j.key for j in self.jobs)


def group_outputs(
    jobs: Sequence[Job], placements: Sequence[Placement], *, layout: str
) -> tuple[list[Output], list[str]]:
    """The output files: one per job (``clip``), or one per camera (``camera``), with notes.

    A camera's file is the one of its first clip in time (named ``{stem}_synced.{ext}`` after
    it); a placement whose ``camera`` is None is a camera of its own.
    """
    by_key = {p.key: p for p in placements}
    if layout == "clip":
        return [
            Output((j,), j.output, j.muxer, by_key[j.key].camera, (by_key[j.key],)) for j in jobs
        ], []
    groups: dict[str, list[Job]] = {}
    for j in jobs:
        camera = by_key[j.key].camera
        groups.setdefault(f"camera:{camera}" if camera is not None else f"clip:{j.key}", []).append(
            j
        )
    outputs, notes = [], []
    for members in groups.values():
        members.sort(key=lambda j: j.lead_s)
        first = members[0]
        camera = by_key[first.key].camera
        for a, b in zip(members, members[1:], strict=False):
            end_s = a.lead_s + a.info.duration_s * a.speed
            gap_s = b.lead_s - end_s
            if gap_s > 1e-3:
                notes.append(
                    f"camera '{camera}': {gap_s:.2f} s of black and silence between "
                    f"'{a.info.filename}' and '{b.info.filename}'"
                )
            elif gap_s < -0.1:
                notes.append(
                    f"camera '{camera}': '{a.info.filename}' runs {-gap_s:.2f} s into "
                    f"'{b.info.filename}', so it is cut where the next clip starts"
                )
        outputs.append(
            Output(
                tuple(members),
                first.output,
                first.muxer,
                camera,
                tuple(by_key[j.key] for j in members),
            )
        )
    outputs.sort(key=lambda o: min(jobs.index(j) for j in o.jobs))
    return outputs, notes


def segment_bounds(leads_s: Sequence[float], *, total_s: float, rate: float) -> list[int]:
    """Segment boundaries in frames or samples at ``rate``: ``[0, b_1, ..., b_{n-1}, total]``.

    ``b_k = round(lead_k * rate)`` kept within ``[b_{k-1}, total]``.
    """
    n_total = max(1, round(total_s * rate))
    bounds = [0]
    for lead in leads_s[1:]:
        bounds.append(min(n_total, max(bounds[-1], round(lead * rate))))
    bounds.append(n_total)
    return bounds


def channel_layout(channels: int) -> str:
    """An ffmpeg channel layout for ``channels`` (1-8) that the AAC encoder takes."""
    return _LAYOUTS.get(channels, f"{channels}c")


def silence(rate_hz: int, n_samples: int, layout: str) -> str:
    """A source filter of ``n_samples`` of digital silence."""
    return f"anullsrc=r={rate_hz}:cl={layout},atrim=end_sample={n_samples}"


def display_size(info: MediaInfo) -> tuple[int, int]:
    """The picture's upright size (ffmpeg turns rotated sources upright), even numbers."""
    assert info.video is not None
    w, h = info.video.width, info.video.height
    if info.video.rotation_deg % 180 == 90:
        w, h = h, w
    return w - w % 2, h - h % 2


def footage_span_s(job: Job, total_s: float) -> tuple[float, float]:
    """Where the job's own footage is on its output, seconds (the rest is padding)."""
    start_s = max(0.0, job.lead_s)
    return start_s, max(start_s, min(total_s, job.lead_s + job.info.duration_s * job.speed))


def _picture(out: Output, *, total_s: float) -> tuple[list[str], str, list[str]] | None:
    """The picture's filters (one per segment, then concat), its label and colour tags, or None.

    Each clip's segment is brought to 8-bit SDR BT.709 on its own (HDR tone-mapped,
    :func:`~syncengine.render_chains.color_filters`), so one camera file may mix HDR and SDR.
    """
    firsts = [j for j in out.jobs if j.info.video is not None]
    if not firsts:
        return None
    for j in firsts:
        if not j.info.video or not j.info.video.fps > 0:
            raise RenderError(
                f"'{j.info.filename}' declares no frame rate, so it cannot be shifted by "
                "frames. Re-export it as MP4 (H.264/AAC) and try again.",
                filename=j.info.filename,
            )
    fps = firsts[0].info.video.fps  # type: ignore[union-attr]
    width, height = display_size(firsts[0].info)
    bounds = segment_bounds([j.lead_s for j in out.jobs], total_s=total_s, rate=fps)
    fit = (
        f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
        f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1"
    )
    graph, labels, colors = [], [], []
    for k, job in enumerate(out.jobs):
        n = bounds[k + 1] - bounds[k]
        if n < 1:
            continue
        label = f"[v{k}]"
        if job.info.video is None:
            graph.append(
                f"color=c=black:s={width}x{height}:r={fps!r},format=yuv420p,setsar=1,"
                f"trim=end_frame={n}{label}"
            )
        else:
            speed = job.speed if "picture" in job.retimed else 1.0
            colors.append(media.video_color(job.info.path))
            chain = video_chain(
                lead_s=job.lead_s - bounds[k] / fps + job.info.video.start_s * speed,
                fps=fps,
                total_s=n / fps,
                speed=speed,
                color=colors[-1],
            )
            # HDR: the chain's colour filters end in yuv420p, so no 8-bit step before them
            to_8bit = "" if color_filters(colors[-1])[1] else ",format=yuv420p"
            graph.append(f"[{k}:v:0]{fit}{to_8bit},{chain}{label}")
        labels.append(label)
    if len(labels) == 1:
        graph[-1] = graph[-1][: -len(labels[0])] + "[v]"
    else:
        graph.append(f"{''.join(labels)}concat=n={len(labels)}:v=1:a=0[v]")
    return graph, "[v]", color_tags(colors)


def _camera_sound(
    out: Output, *, total_s: float, skews_s: dict[str, float]
) -> tuple[list[str], str, int, str] | None:
    """The clips' own sound (segments, concat): filters, label, rate and bitrate; or None."""
    firsts = [j for j in out.jobs if j.info.audio is not None]
    if not firsts:
        return None
    first = firsts[0].info.audio
    assert first is not None
    rate, channels, bitrate = aac_audio(first.sample_rate_hz, first.channels)
    layout = channel_layout(channels)
    bounds = segment_bounds([j.lead_s for j in out.jobs], total_s=total_s, rate=rate)
    graph, labels = [], []
    for k, job in enumerate(out.jobs):
        n = bounds[k + 1] - bounds[k]
        if n < 1:
            continue
        label = f"[c{k}]"
        if job.info.audio is None:
            graph.append(f"{silence(rate, n, layout)}{label}")
        else:
            speed = job.speed if "sound" in job.retimed else 1.0
            chain = audio_chain(
                lead_s=job.lead_s - skews_s.get(job.key, 0.0) * speed - bounds[k] / rate,
                sample_rate_hz=rate,
                total_s=n / rate,
                source_rate_hz=job.info.audio.sample_rate_hz,
                speed=speed,
            )
            fmt = f"aformat=sample_fmts=fltp:sample_rates={rate}:channel_layouts={layout}"
            graph.append(f"[{k}:a:0]{chain},{fmt}{label}")
        labels.append(label)
    graph.append(f"{''.join(labels)}concat=n={len(labels)}:v=0:a=1[acam]")
    return graph, "[acam]", rate, bitrate


def _master_sound(
    out: Output, master: MasterPlan, *, total_s: float, first_input: int
) -> tuple[list[str], list[str], int]:
    """The master's mono track under the clips' footage: filters, its inputs' args, its rate."""
    assert master.info.audio is not None
    rate = aac_audio(master.info.audio.sample_rate_hz, 1)[0]
    bounds = segment_bounds([j.lead_s for j in out.jobs], total_s=total_s, rate=rate)
    graph: list[str] = []
    labels: list[str] = []
    inputs: list[str] = []
    for k, (job, clip) in enumerate(zip(out.jobs, out.placements, strict=True)):
        n = bounds[k + 1] - bounds[k]
        if n < 1:
            continue
        seg_s = bounds[k] / rate
        lead_s, speed = master_lead_speed(job, clip, master)
        lo_s, hi_s = footage_span_s(job, total_s)
        chain = master_chain(
            channel=master.channel,
            lead_s=lead_s - seg_s,
            speed=speed,
            rate_hz=rate,
            n_samples=n,
            span_s=(max(lo_s, seg_s) - seg_s, min(hi_s, bounds[k + 1] / rate) - seg_s),
            master_duration_s=master.info.audio.duration_s or master.info.duration_s,
        )
        label = f"[m{k}]"
        if chain is None:
            graph.append(f"{silence(rate, n, 'mono')}{label}")
        else:
            index = first_input + len(inputs) // len(media.safe_input_args(master.info.path))
            inputs += media.safe_input_args(master.info.path)
            graph.append(f"[{index}:a:0]{chain}{label}")
        labels.append(label)
    graph.append(f"{''.join(labels)}concat=n={len(labels)}:v=0:a=1[amaster]")
    return graph, inputs, rate


def output_args(
    out: Output,
    target: Path,
    *,
    total_s: float,
    audio: str,
    master: MasterPlan | None,
    skews_s: dict[str, float],
    scratch: Path | None,
) -> list[str]:
    """ffmpeg's arguments (after the binary) writing ``out`` to ``target``, re-encoded.

    The picture is H.264 at the first clip's frame rate and upright size (other sizes fit in
    with black borders), segments per :func:`segment_bounds`. ``audio``: "camera" the clips'
    own sound, "master" the master's mono track instead, "master_and_camera" the master first
    and the clips' own sound second. ``skews_s`` moves a clip's sound earlier by that many
    seconds (its own sound/picture skew). With a master, ``scratch`` (if given) receives the
    clips' own sound as a mono 16-bit WAV at ``SCRATCH_RATE_HZ``, what verification measures
    the master against.
    """
    inputs: list[str] = []
    for job in out.jobs:
        inputs += media.safe_input_args(job.info.path)
    graph: list[str] = []
    maps: list[str] = []
    picture = _picture(out, total_s=total_s)
    if picture is not None:
        graph += picture[0]
        maps += ["-map", picture[1], "-c:v", "libx264", "-preset", X264_PRESET]
        maps += ["-crf", str(X264_CRF), "-pix_fmt", "yuv420p", *picture[2]]
    own = _camera_sound(out, total_s=total_s, skews_s=skews_s)
    tracks: list[tuple[str, int, str, str]] = []  # label, rate, bitrate, title
    extra: list[str] = []
    if master is not None and audio != "camera":
        m_graph, m_inputs, m_rate = _master_sound(
            out, master, total_s=total_s, first_input=len(out.jobs)
        )
        graph += m_graph
        inputs += m_inputs
        tracks.append(("[amaster]", m_rate, "192k", "master audio"))
    if own is not None:
        graph += own[0]
        keep = audio in ("camera", "master_and_camera")
        wants_scratch = scratch is not None and master is not None and audio != "camera"
        if keep and wants_scratch:
            graph.append("[acam]asplit=2[acamout][acamscratch]")
            tracks.append(("[acamout]", own[2], own[3], "camera audio"))
            scratch_label = "[acamscratch]"
        elif keep:
            tracks.append(("[acam]", own[2], own[3], "camera audio"))
            scratch_label = ""
        else:
            scratch_label = "[acam]" if wants_scratch else ""
        if not keep and not wants_scratch:
            graph.append("[acam]anullsink")
        if scratch_label and scratch is not None:
            extra = ["-map", scratch_label, "-ac", "1", "-ar", str(SCRATCH_RATE_HZ)]
            extra += ["-c:a", "pcm_s16le", "-f", "wav", "-y", str(scratch)]
    for i, (label, rate, bitrate, title) in enumerate(tracks):
        maps += ["-map", label, f"-c:a:{i}", "aac", f"-b:a:{i}", bitrate, f"-ar:a:{i}", str(rate)]
        if len(tracks) > 1:
            # MP4 reads the title back as "name"; editors show the handler name.
            maps += [f"-metadata:s:a:{i}", f"title={title}"]
            maps += [f"-metadata:s:a:{i}", f"handler_name={title}"]
            maps += [f"-disposition:a:{i}", "default" if i == 0 else "0"]
    faststart = ["-movflags", "+faststart"] if out.muxer in _FASTSTART else []
    return [
        *inputs,
        "-filter_complex",
        ";".join(graph),
        *maps,
        "-map_metadata",
        "-1",
        "-map_chapters",
        "-1",
        *faststart,
        "-f",
        out.muxer,
        "-y",
        str(target),
        *extra,
    ]
