"""The pipeline: probe -> features -> pairwise lags -> global solve -> per-video offsets.

Conventions
-----------
``offset_s`` of a video is the time on the reference's timeline at which the video's own t=0
happens; positive means it started later; the reference has 0.0. Every pair of videos is
measured (audio and/or visual), then all offsets are solved together (:mod:`syncengine.align`),
so a clip that does not overlap the reference is still placed through the others.

``method="auto"`` measures each pair with both methods where both are possible and fuses them:
agreeing estimates keep the audio value (far more precise) with the combined confidence
``1 - (1 - c_audio)(1 - c_visual)``; disagreeing ones keep the more confident value with its
confidence scaled by ``1 - c_other``, so two confident but contradicting methods end up poor.

Cameras
-------
Clips with the same ``ClipInput.camera`` are one device's, in time order (their creation times
when every clip has a distinct one, else the order given): they are never measured against each
other, and a solution that puts two of them over each other loses the weakest match through the
less sure one (:meth:`_Cameras.solve`). A clip the content leaves unplaced is placed by its
camera's neighbours: back to back after (or before) a chapter, its picture continuing the
other's, or by the difference of their creation times; or by a time-of-day clock (timecode,
BWF time reference) shared with a placed clip. Such placements were not measured: their
``placed_by`` is "camera" or "metadata", their confidence "fair" at best, and a note says how.

Metadata first guess
--------------------
Two clips whose timecode, BWF time reference or creation times are comparable are searched
within :data:`METADATA_WINDOW_S` of what those say first, the whole range when nothing
confident is there; a clip whose content placement disagrees with its clock by more than a
frame says so ("the sound places it 3.20 s later than its timecode says").

Sound off its own picture
-------------------------
With ``auto``, one clip whose sound and picture placements are :data:`SKEW_RANGE_S` apart while
every other clip's agree is placed by its picture, and ``VideoOffset.sound_skew_s`` says how
late its sound runs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

import numpy as np

from syncengine import align, media
from syncengine.audio import PreparedAudio, estimate_audio_lag, pool_curve, prepare_audio
from syncengine.confidence import SYNCED_THRESHOLD, band
from syncengine.constants import (  # AGREEMENT_S, DEFAULT_MAX_LAG_S re-exported: one owner
    AGREEMENT_S,
    DEFAULT_MAX_LAG_S,
    FALLBACK_FPS,
)
from syncengine.errors import ClipTooShort, ParameterError, SyncEngineError
from syncengine.features import extract_audio, extract_motion
from syncengine.progress import StagedProgress
from syncengine.types import (
    AudioTrack,
    ClipInput,
    Curve,
    LagEstimate,
    MediaInfo,
    MotionSeries,
    PairEstimate,
    ProgressCallback,
    SyncResult,
    VideoOffset,
)

__all__ = ["AGREEMENT_S", "DEFAULT_MAX_LAG_S", "METHODS", "Clips", "estimate_offsets", "renamed"]

METHODS = ("audio", "visual", "auto")
ANALYSIS_RATE_HZ = 8000
MOTION_RATE_HZ = 100.0
_OUTLIER_S = {"audio": 0.005, "visual": 0.04}  # per pair, by the method that measured it
#: No clip is placed on a pair whose peak leads its runner-up by less than this (robust sigmas):
#: on the tuning preset, whole-clip pairs between Z0 (5) and 8 were right 1 time in 3 (pieces of
#: clips: 38 of 109), and an unrelated camera's chance peaks sit there.
PLACE_MARGIN_Z = 8.0
_DISPUTE_S = 0.04  # more than a frame: the pair does not support the placement
#: A placed clip that overlaps a placed partner by this much (or half the shorter clip) but does
#: not match it is doubted: a clip really there fails to match such a partner with probability
#: ``1 - SILENT_PARTNER_MISS * partner_confidence`` (Bayes' rule lowers its confidence).
SILENT_MIN_OVERLAP_S = 5.0
SILENT_PARTNER_MISS = 0.5
# Relative inverse variances of a pair lag: audio ~0.5 ms, visual ~10 ms typical error.
_PRECISION = {"audio": 1.0, "visual": (0.0005 / 0.010) ** 2}
#: Clips of one camera may overlap by this much on the solved timeline (a chapter's last audio
#: packet runs past its picture by up to an AAC frame, 21 ms, at either end) and no more.
SAME_CAMERA_TOLERANCE_S = 0.06
#: A clip placed by its camera's neighbours was not measured: its confidence is "fair" at best.
CHAPTER_CONFIDENCE = 0.3
CREATION_TIME_CONFIDENCE = SYNCED_THRESHOLD
#: Consecutive clips of one camera whose creation times differ by the first one's length within
#: this are chapters of one recording (creation times have a resolution of one second).
CHAPTER_CREATION_TOLERANCE_S = 2.0
_LINK_PRECISION = 1e-4  # a camera link never pulls a clip that content placed
#: A metadata first guess narrows a pair's search to its offset +- this (seconds): timecode and
#: BWF time references of jammed devices agree to a frame, creation times only to the clocks.
METADATA_WINDOW_S = {"time of day": 5.0, "creation": 10.0}
#: The content disagrees with the metadata beyond a frame (or a second, the resolution of a
#: creation time).
_METADATA_SLACK_S = {"time of day": 0.0, "creation": 1.0}
_DAY_S = 86400.0
#: One clip's picture and sound placements this far apart (seconds) while the others agree: its
#: sound runs off its own picture (cheap cameras and screen recorders: 50-200 ms).
SKEW_RANGE_S = (0.04, 0.4)
#: Both placements must be at least "good" for their difference to be a skew, not a method's
#: error (a picture placement tens of milliseconds off on a hard clip).
SKEW_MIN_CONFIDENCE = 0.5
_STAGES = (
    ("probing", 2),
    ("extracting_audio", 20),
    ("correlating_audio", 8),
    ("motion_analysis", 60),
    ("correlating_motion", 7),
    ("solving", 3),
)


#: What :func:`estimate_offsets` takes: paths (keyed by file name), key -> path, or clips.
Clips = Sequence[str | os.PathLike[str] | ClipInput] | Mapping[str, str | os.PathLike[str]]


def _clip_inputs(clips: Clips) -> list[ClipInput]:
    """The inputs as :class:`ClipInput`, keys checked unique (a path's key is its file name)."""
    if isinstance(clips, Mapping):
        inputs = [ClipInput(str(key), Path(path)) for key, path in clips.items()]
    else:
        inputs = [
            c if isinstance(c, ClipInput) else ClipInput(Path(c).name, Path(c)) for c in clips
        ]
    if len(inputs) < 2:
        raise ParameterError(f"at least two videos are needed, got {len(inputs)}")
    keys = [c.key for c in inputs]
    if len(set(keys)) != len(keys):
        if all(c.key == c.path.name for c in inputs):
            raise ParameterError("two inputs share a file name; rename one so results stay apart")
        raise ParameterError("two clips share a key; give each clip its own key")
    return inputs


def _reference_index(reference: str | int | None, clips: Sequence[ClipInput]) -> int:
    if reference is None:
        return 0
    if isinstance(reference, int):
        if not 0 <= reference < len(clips):
            raise ParameterError(f"reference index {reference} is out of range")
        return reference
    for k, c in enumerate(clips):
        if str(reference) == c.key:
            return k
    for k, c in enumerate(clips):
        p = c.path
        if str(reference) in (str(p), p.name) or Path(reference).resolve() == p.resolve():
            return k
    raise ParameterError(f"reference '{reference}' is not one of the input files")


def renamed(exc: SyncEngineError, path: Path, name: str) -> SyncEngineError:
    """``exc`` with every form of ``path`` in its message replaced by ``name`` (the user's).

    The engine names what it read; an FFmpeg error quotes ``file:/abs/path``. A clip stored
    under another name than the user's is reported under the user's name.
    """
    if path.name == name:
        return exc
    message = exc.message
    for form in (f"file:{path.resolve()}", str(path.resolve()), str(path), path.name):
        message = message.replace(form, name)
    exc.message = message
    exc.args = (message,)
    if exc.filename is not None:
        exc.filename = name
        exc.extra["filename"] = name
    return exc


def _probe_clip(clip: ClipInput) -> MediaInfo:
    """Probe the clip; the info and any error name it by its display name."""
    try:
        info = media.probe(clip.path)
    except SyncEngineError as exc:
        raise renamed(exc, clip.path, clip.display_name) from None
    return replace(info, filename=clip.display_name)


def _pair_lags(
    features: Sequence[object | None],
    estimate: object,
    *,
    max_lag_s: float | None,
    progress: ProgressCallback,
    workers: int,
    skip: frozenset[tuple[int, int]] = frozenset(),
    guesses: Mapping[tuple[int, int], tuple[float, float]] | None = None,
    narrow: Callable[..., LagEstimate] | None = None,
) -> dict[tuple[int, int], LagEstimate]:
    """Every pair's lag but ``skip``'s, ``workers`` pairs at a time (FFTs run outside the GIL).

    A pair with a metadata first guess ``guesses[pair] = (offset_s, window_s)`` is searched by
    ``narrow`` within the window around it first; when that finds nothing confident (or cannot
    search there) the pair gets the whole search.
    """

    def one(pair: tuple[int, int]) -> LagEstimate:
        guess = (guesses or {}).get(pair)
        if guess is not None and narrow is not None:
            try:
                e = narrow(
                    features[pair[0]], features[pair[1]], guess_s=guess[0], window_s=guess[1]
                )
            except SyncEngineError:  # no overlap there, silence there: search everywhere
                e = None
            if e is not None and e.margin_z >= PLACE_MARGIN_Z and e.confidence >= SYNCED_THRESHOLD:
                return e
        try:
            e = estimate(features[pair[0]], features[pair[1]], max_lag_s=max_lag_s)  # type: ignore[operator]
        except ClipTooShort:  # the clips cannot overlap enough within the search range
            return LagEstimate(0.0, 0.0, 0.0, 0.0, 0.0)
        # A peak that leads its runner-up by less than PLACE_MARGIN_Z robust sigmas is close to
        # what the noise of a correlation curve does by itself: its calibrated probability
        # describes pairs like it, but no clip is placed on it.
        return e if e.margin_z >= PLACE_MARGIN_Z else replace(e, confidence=0.0)

    pairs = [
        (i, j)
        for i, j in combinations(range(len(features)), 2)
        if features[i] is not None and features[j] is not None and (i, j) not in skip
    ]
    out: dict[tuple[int, int], LagEstimate] = {}
    if not pairs:
        return out
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {pool.submit(one, pair): pair for pair in pairs}
        for done, future in enumerate(as_completed(futures), start=1):
            out[futures[future]] = future.result()
            progress("correlating", done / len(pairs))  # in the caller's thread
    return dict(sorted(out.items()))


@dataclass(frozen=True)
class _Clock:
    """What a file says about when its t=0 happened: ``family`` "time of day" (timecode, BWF
    time reference: seconds since midnight) or "creation" (seconds since the epoch)."""

    family: str
    t0_s: float
    label: str  # how notes name it: "timecode", "BWF time reference", "creation time"


def _timecode_s(text: str, fps: float) -> float | None:
    """``HH:MM:SS:FF`` (``;`` or ``.`` before the frames: drop frame) as seconds since midnight."""
    parts = text.replace(";", ":").replace(".", ":").split(":")
    if len(parts) != 4 or not all(p.isdigit() for p in parts) or fps <= 0:
        return None
    h, m, sec, ff = (int(p) for p in parts)
    nominal = round(fps)
    if m > 59 or sec > 59 or ff >= nominal:
        return None
    frames = ((h * 60 + m) * 60 + sec) * nominal + ff
    drop = (";" in text or "." in text) and nominal in (30, 60)
    if drop:  # two (four at 60) frame numbers skipped each minute but every tenth
        per = nominal // 15
        minutes = h * 60 + m
        frames -= per * (minutes - minutes // 10)
    return frames / fps


def _clock(info: MediaInfo) -> _Clock | None:
    """The clip's own clock at its t=0, from its timecode, BWF time reference or creation time."""
    if info.timecode and info.video is not None:
        tc_s = _timecode_s(info.timecode, info.video.fps)
        if tc_s is not None:  # the timecode is the first frame's
            return _Clock("time of day", tc_s - info.video.start_s, "timecode")
    ref = info.tags.get("time_reference", "")
    if ref.isdigit() and info.audio is not None and info.audio.sample_rate_hz > 0:
        t_s = int(ref) / info.audio.sample_rate_hz - info.audio.start_s
        return _Clock("time of day", t_s, "BWF time reference")
    created = _creation_s(info.creation_time)
    if created is not None:
        return _Clock("creation", created, "creation time")
    return None


def _metadata_offset(a: _Clock | None, b: _Clock | None) -> float | None:
    """``offset_b - offset_a`` by the clocks (same family only; a day wraps), else ``None``."""
    if a is None or b is None or a.family != b.family:
        return None
    diff = b.t0_s - a.t0_s
    if a.family == "time of day":
        diff = (diff + _DAY_S / 2) % _DAY_S - _DAY_S / 2
    return diff


def _unshift(e: LagEstimate, *, t_ref_s: float, t_oth_s: float) -> LagEstimate:
    """An estimate made on tracks cut ``t_ref_s`` / ``t_oth_s`` short at the start, in the
    uncut files' times (``other``'s clock runs at ``1 + drift`` against the reference's)."""
    d = (e.drift_ppm or 0.0) * 1e-6
    lag_s = e.lag_s + t_ref_s - t_oth_s * (1 + d)
    points = tuple((t + t_ref_s, v + t_ref_s - t_oth_s) for t, v in e.drift_points)
    curve = None if e.curve is None else (e.curve[0] + (t_ref_s - t_oth_s), e.curve[1])
    return replace(e, lag_s=lag_s, drift_points=points, curve=curve)


def _narrow_audio(
    ref: PreparedAudio, oth: PreparedAudio, *, guess_s: float, window_s: float
) -> LagEstimate:
    """The audio lag searched within ``guess_s +- window_s`` only.

    The track that starts earlier by the guess is cut by it (to the sample), so the symmetric
    ``max_lag_s`` window of :func:`estimate_audio_lag` is centred on the guess.
    """
    rate = ref.track.sample_rate_hz
    cut = round(abs(guess_s) * rate)
    if guess_s >= 0:
        cut_ref = prepare_audio(AudioTrack(ref.track.samples[cut:], rate), filename="reference")
        e = estimate_audio_lag(cut_ref, oth, max_lag_s=window_s)
        return _unshift(e, t_ref_s=cut / rate, t_oth_s=0.0)
    cut_oth = prepare_audio(AudioTrack(oth.track.samples[cut:], rate), filename="other")
    e = estimate_audio_lag(ref, cut_oth, max_lag_s=window_s)
    return _unshift(e, t_ref_s=0.0, t_oth_s=cut / rate)


def _narrow_visual(
    ref: MotionSeries, oth: MotionSeries, *, guess_s: float, window_s: float
) -> LagEstimate:
    """The visual lag searched within ``guess_s +- window_s`` only (``other`` moved by it)."""
    from syncengine.motion import estimate_visual_lag

    moved = replace(oth, start_s=oth.start_s + guess_s)
    e = estimate_visual_lag(ref, moved, max_lag_s=window_s)
    return _unshift(e, t_ref_s=guess_s, t_oth_s=0.0)


def _guesses(
    clocks: Sequence[_Clock | None],
    siblings: frozenset[tuple[int, int]],
    *,
    max_lag_s: float | None,
) -> dict[tuple[int, int], tuple[float, float]]:
    """Per pair with comparable clocks: (metadata offset, search window), both seconds."""
    out = {}
    for i, j in combinations(range(len(clocks)), 2):
        guess_s = _metadata_offset(clocks[i], clocks[j])
        if guess_s is None or (i, j) in siblings:
            continue
        if max_lag_s is not None and abs(guess_s) > max_lag_s:
            continue  # outside what the caller allows: the guess is no help
        family = clocks[i].family  # type: ignore[union-attr]
        out[(i, j)] = (guess_s, METADATA_WINDOW_S[family])
    return out


def _metadata_notes(
    sol: align.Solution,
    pairs: Sequence[PairEstimate],
    clocks: Sequence[_Clock | None],
    infos: Sequence[MediaInfo],
    *,
    ref: int,
) -> dict[int, str]:
    """A note on each placed clip whose content placement disagrees with its clock.

    Per clock family, each placed clip's clock bias is ``offset - clock``; the bias most clips
    share (the median; with two clips, the reference's, else the better placed one's) is the
    shoot's, and a clip whose own differs from it by more than a frame (a second for creation
    times) says by how much: "the sound places it 3.20 s later than its timecode says".
    """
    out: dict[int, str] = {}
    for family in METADATA_WINDOW_S:
        ks = [
            k
            for k, c in enumerate(clocks)
            if c is not None and c.family == family and sol.placed(k)
        ]
        if len(ks) < 2:
            continue
        bias = {k: float(sol.values[k]) - clocks[k].t0_s for k in ks}  # type: ignore[union-attr]
        if family == "time of day":  # one clip past midnight: compare within half a day
            base = bias[ref] if ref in bias else bias[ks[0]]
            bias = {
                k: base + ((b - base + _DAY_S / 2) % _DAY_S - _DAY_S / 2) for k, b in bias.items()
            }
        if len(ks) == 2:  # no majority: the reference's clock, else the better placed clip's
            base_k = ref if ref in bias else max(ks, key=lambda k: float(sol.confidence[k]))
            shared = bias[base_k]
        else:
            shared = float(np.median(list(bias.values())))
        for k in ks:
            diff_s = bias[k] - shared
            if abs(diff_s) <= _frame_s(infos[k]) + _METADATA_SLACK_S[family]:
                continue
            if k == ref and len(ks) == 2:  # two clocks disagree: the other clip says so
                continue
            kinds = {p.method for p in pairs if k in (p.i, p.j) and p.confidence > 0}
            what = "the picture" if kinds == {"visual"} else "the sound"
            label = clocks[k].label  # type: ignore[union-attr]
            out[k] = (
                f"{what} places it {abs(diff_s):.2f} s {'later' if diff_s > 0 else 'earlier'} "
                f"than its {label} says"
            )
    return out


def _sound_seen_by_picture(
    a_sol: align.Solution | None, drift: align.Solution | None, durations: Sequence[float]
) -> align.Solution | None:
    """``a_sol`` with each drifting clip's sound placement taken at the clip's middle.

    A sound placement is where the clip's t=0 goes (the drift fit's intercept); the picture
    fits no drift, so its placement is the lag it sees on average, at about the middle of the
    clip. A clip 300 ppm fast over nine minutes has the two 80 ms apart: compared as they are,
    that reads as a disagreement or a skew. The reference's own clock is the timeline's.
    """
    if a_sol is None or drift is None:
        return a_sol
    values = a_sol.values.copy()
    for k in range(len(values)):
        if a_sol.placed(k) and drift.placed(k):
            values[k] += float(drift.values[k]) * 1e-6 * durations[k] / 2
    return replace(a_sol, values=values)


def _sound_skews(
    a_sol: align.Solution | None, v_sol: align.Solution | None, *, ref: int
) -> dict[int, float]:
    """Clips whose own sound runs off their own picture: index -> skew (s, positive: late).

    A clip's skew is its picture's placement less its sound's. It is reported when it lies
    within :data:`SKEW_RANGE_S` while every other clip placed by both (there must be one)
    agrees within the range's lower edge, both placements of every clip compared at least
    :data:`SKEW_MIN_CONFIDENCE`: then the clip's own sound is off, not a method. When
    two or more clips are all off by the same amount in that range (within its lower edge), the
    reference's sound is: its skew is minus theirs.
    """
    if a_sol is None or v_sol is None:
        return {}
    diffs = {
        k: float(v_sol.values[k] - a_sol.values[k])
        for k in range(len(a_sol.values))
        if k != ref
        and a_sol.placed(k)
        and v_sol.placed(k)
        and min(a_sol.confidence[k], v_sol.confidence[k]) >= SKEW_MIN_CONFIDENCE
    }
    low, high = SKEW_RANGE_S
    out = {}
    for k, d in diffs.items():
        others = [abs(x) for m, x in diffs.items() if m != k]
        if low <= abs(d) <= high and others and max(others) < low:
            out[k] = d
    if not out and len(diffs) >= 2:
        # Every other clip off by the same amount: the reference's own sound is off.
        shared = float(np.median(list(diffs.values())))
        spread = max(abs(d - shared) for d in diffs.values())
        if low <= abs(shared) <= high and spread < low:
            out[ref] = -shared
    return out


def _by_picture(
    pair: PairEstimate,
    a_lags: Mapping[tuple[int, int], LagEstimate],
    v_lags: Mapping[tuple[int, int], LagEstimate],
) -> PairEstimate:
    """A fused pair through a clip whose sound is off its picture, with the picture's lag.

    Its sound still says the clip is there (off by the skew): the confidences combine.
    """
    visual = v_lags.get((pair.i, pair.j))
    if visual is None or visual.confidence < SYNCED_THRESHOLD:
        return replace(pair, confidence=0.0)  # the sound alone would place it off its picture
    audio = a_lags.get((pair.i, pair.j))
    conf = 1 - (1 - visual.confidence) * (1 - (audio.confidence if audio else 0.0))
    return replace(pair, lag_s=visual.lag_s, confidence=conf, method="visual")


def _drift_points(
    a_lags: Mapping[tuple[int, int], LagEstimate], k: int, ref: int
) -> tuple[tuple[float, float], ...]:
    """Clip ``k``'s measured offset along its overlap with the reference (their direct pair):
    ``((reference time s, offset s), ...)``; empty when not measured or not paired directly."""
    if k == ref:
        return ()
    e = a_lags.get((ref, k)) if ref < k else a_lags.get((k, ref))
    if e is None or e.confidence < SYNCED_THRESHOLD or not e.drift_points:
        return ()
    if ref < k:  # measured against the reference: its lag is k's offset
        return tuple((float(t), float(lag)) for t, lag in e.drift_points)
    # Measured with k as the pair's reference: k's time t is reference time t - lag.
    return tuple((float(t - lag), float(-lag)) for t, lag in e.drift_points)


def _raise_unless_two_usable(strict: bool, errors: Sequence[Exception | None]) -> None:
    """A single-method run needs two clips with its signal; one bad clip never sinks the rest.

    With fewer than two usable clips nothing can be synced, so the first clip's reason is
    raised. Otherwise each unusable clip is reported as not synced with its reason (its error's
    message in the notes), and with "auto" it falls back on the other method.
    """
    if strict and sum(e is None for e in errors) < 2:
        for err in errors:
            if err is not None:
                raise err


def _audio_lag_seen_by_picture(audio: LagEstimate) -> float:
    """The sound's lag where the picture measures it: the middle of the overlap.

    The sound fits drift (``lag(u) = lag_s + drift * u``, ``u`` the other clip's time), so its
    ``lag_s`` is the lag at the other's t=0; the picture fits none, so its one lag is the
    overlap's average, the lag at the overlap's middle. A 300 ppm clock over nine minutes
    moves the two 80 ms apart, which must not read as a disagreement.
    """
    if not audio.drift_ppm:
        return audio.lag_s
    middle_u = max(0.0, -audio.lag_s) + audio.overlap_s / 2
    return audio.lag_s + audio.drift_ppm * 1e-6 * middle_u


def _fuse(audio: LagEstimate | None, visual: LagEstimate | None) -> tuple[float, float, str]:
    """One pair's fused (lag_s, confidence, method whose value was kept)."""
    # A refused measurement (below the synced threshold) carries no value worth keeping.
    if audio is not None and visual is not None:
        if audio.confidence < SYNCED_THRESHOLD <= visual.confidence:
            audio = None
        elif visual.confidence < SYNCED_THRESHOLD <= audio.confidence:
            visual = None
    if audio is None or visual is None:
        only, name = (audio, "audio") if audio is not None else (visual, "visual")
        assert only is not None
        return only.lag_s, only.confidence, name
    if abs(_audio_lag_seen_by_picture(audio) - visual.lag_s) <= AGREEMENT_S:
        return audio.lag_s, 1 - (1 - audio.confidence) * (1 - visual.confidence), "audio"
    if audio.confidence >= visual.confidence:
        return audio.lag_s, audio.confidence * (1 - visual.confidence), "audio"
    return visual.lag_s, visual.confidence * (1 - audio.confidence), "visual"


def _pairs_for(method: str, lags: dict[tuple[int, int], LagEstimate]) -> list[PairEstimate]:
    return [
        PairEstimate(
            i=i,
            j=j,
            lag_s=e.lag_s,
            confidence=e.confidence,
            method=method,
            peak_z=e.peak_z,
            margin_z=e.margin_z,
            overlap_s=e.overlap_s,
            curve=e.curve,
            features=dict(e.features),
        )
        for (i, j), e in sorted(lags.items())
    ]


def _solve(n: int, pairs: Sequence[PairEstimate], ref: int) -> align.Solution:
    tuples = [(p.i, p.j, p.lag_s, p.confidence) for p in pairs]
    precision = [_PRECISION[p.method] for p in pairs]
    limits = [_OUTLIER_S[p.method] for p in pairs]
    return align.solve(
        n,
        tuples,
        reference=ref,
        outlier_s=limits,
        precision=precision,
        loops=True,
        dispute_s=_DISPUTE_S,
    )


def _creation_s(text: str | None) -> float | None:
    """A creation time as seconds since the epoch (naive times read as UTC); ``None``: none."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def _stream_span(info: MediaInfo) -> tuple[float, float]:
    """Where the clip's continuous stream (its picture, else its sound) starts and ends, file s."""
    stream = info.video or info.audio
    if stream is None:
        return 0.0, info.duration_s
    return stream.start_s, stream.start_s + stream.duration_s


def _frame_s(info: MediaInfo) -> float:
    fps = info.video.fps if info.video is not None and info.video.fps > 0 else FALLBACK_FPS
    return 1.0 / fps


@dataclass(frozen=True)
class _Link:
    """Consecutive clips ``i`` then ``j`` of one camera: ``offset_j - offset_i`` is ``gap_s``.

    ``kind`` "chapter": back to back (``i``'s picture ends where ``j``'s begins); "creation":
    their creation times say so; "clock": their time-of-day clocks (timecode, BWF time
    reference) say so, ``label`` naming ``j``'s; "metadata": two devices' time-of-day clocks
    say so. ``confirmed``: the creation times say
    back to back.
    """

    i: int
    j: int
    gap_s: float
    kind: str
    confirmed: bool
    label: str = ""


class _Cameras:
    """What the clips' cameras tell the solver (see :func:`estimate_offsets`, Cameras)."""

    def __init__(
        self,
        cameras: Sequence[str | None],
        infos: Sequence[MediaInfo],
        names: Sequence[str],
        clocks: Sequence[_Clock | None],
    ) -> None:
        self.cameras = list(cameras)
        self.infos = list(infos)
        self.names = list(names)
        self.clocks = list(clocks)
        self.spans = [(0.0, info.duration_s) for info in infos]
        self.links = self._links()
        self.clock_labels = [c.label if c is not None else "" for c in clocks]

    def _links(self) -> list[_Link]:
        groups: dict[str, list[int]] = {}
        for k, camera in enumerate(self.cameras):
            if camera is not None:
                groups.setdefault(camera, []).append(k)
        links = []
        for ks in groups.values():
            created = [_creation_s(self.infos[k].creation_time) for k in ks]
            known = [c for c in created if c is not None]
            days = [c.t0_s for k in ks if (c := self.clocks[k]) and c.family == "time of day"]
            if len(days) == len(ks) and len(set(days)) == len(ks):
                ks = [k for _, k in sorted(zip(days, ks, strict=True))]
            elif len(known) == len(ks) and len(set(known)) == len(ks):
                ks = [k for _, k in sorted(zip(known, ks, strict=True))]  # else: the given order
            for a, b in zip(ks, ks[1:], strict=False):
                back_s = _stream_span(self.infos[a])[1] - _stream_span(self.infos[b])[0]
                ta, tb = self.clocks[a], self.clocks[b]
                gap_s = _metadata_offset(ta, tb) if ta and ta.family == "time of day" else None
                if gap_s is not None:  # timecode (rec run or free run) or BWF, to the frame
                    if abs(gap_s - back_s) <= _frame_s(self.infos[b]):
                        links.append(_Link(a, b, back_s, "chapter", confirmed=True))
                    else:
                        label = tb.label if tb else ""
                        links.append(_Link(a, b, gap_s, "clock", confirmed=True, label=label))
                    continue
                ca = _creation_s(self.infos[a].creation_time)
                cb = _creation_s(self.infos[b].creation_time)
                if ca is None or cb is None or ca == cb:  # copied or missing: no word on gaps
                    links.append(_Link(a, b, back_s, "chapter", confirmed=False))
                elif abs((cb - ca) - back_s) <= CHAPTER_CREATION_TOLERANCE_S:
                    links.append(_Link(a, b, back_s, "chapter", confirmed=True))
                else:
                    links.append(_Link(a, b, cb - ca, "creation", confirmed=True))
        return links

    def solve(
        self, pairs: Sequence[PairEstimate], ref: int
    ) -> tuple[align.Solution, dict[int, list[str]]]:
        """The content solve, with no two clips of one camera overlapping.

        While the solution makes two clips of one camera overlap by more than
        :data:`SAME_CAMERA_TOLERANCE_S`, the least confident kept pair through the less
        confidently placed of the two (never the reference) is dropped and the rest solved
        again; that clip gets a note. Returns the solution and the notes per clip.
        """
        pairs = list(pairs)
        notes: dict[int, list[str]] = {}
        for _ in range(len(pairs) + 1):
            sol = _solve(len(self.infos), pairs, ref)
            clashes = align.same_camera_overlaps(
                list(sol.values), self.spans, self.cameras, tolerance_s=SAME_CAMERA_TOLERANCE_S
            )
            if not clashes:
                break
            i, j, overlap_s = clashes[0]
            ci, cj = float(sol.confidence[i]), float(sol.confidence[j])
            loose = j if i == ref or (j != ref and cj <= ci) else i
            sibling = i if loose == j else j
            kept = {(a, b) for a, b, _, _ in sol.inliers}
            through = [e for e, p in enumerate(pairs) if loose in (p.i, p.j) and (p.i, p.j) in kept]
            if not through:
                break
            e = min(through, key=lambda e: pairs[e].confidence)
            dropped = pairs.pop(e)
            partner = dropped.j if dropped.i == loose else dropped.i
            notes.setdefault(loose, []).append(
                f"its match with '{self.names[partner]}' put it {overlap_s:.2f} s over "
                f"'{self.names[sibling]}', another clip of its camera, which cannot be: that "
                "match was not used"
            )
        return sol, notes

    def place_unplaced(
        self, sol: align.Solution, ref: int, clock_links: Sequence[_Link] = ()
    ) -> dict[int, tuple[float, float, str, str]]:
        """Clips the content left unplaced, placed by their camera's neighbours or their clocks.

        Each link between consecutive clips of a camera, and each ``clock_links`` link (two
        devices' time-of-day clocks), with at least one end unplaced becomes a pseudo-pair
        (chapters back to back with :data:`CHAPTER_CONFIDENCE`, creation-time gaps and clocks
        with :data:`CREATION_TIME_CONFIDENCE`, all with a tiny least-squares weight) beside the
        content's kept pairs, and everything is solved again. Returns, per newly placed clip,
        ``(offset_s, confidence, note, placed_by)``, ``placed_by`` "camera" or "metadata".
        """
        n = len(self.infos)
        unplaced = {k for k in range(n) if not sol.placed(k)}
        links = [*self.links, *clock_links]
        extra = [link for link in links if {link.i, link.j} & unplaced]
        if not extra:
            return {}
        conf = {
            "chapter": CHAPTER_CONFIDENCE,
            "clock": CHAPTER_CONFIDENCE,
            "creation": CREATION_TIME_CONFIDENCE,
            "metadata": CREATION_TIME_CONFIDENCE,
        }
        pairs: list[align.Pair] = list(sol.inliers)
        pairs += [(link.i, link.j, link.gap_s, conf[link.kind]) for link in extra]
        precision = [1.0] * len(sol.inliers) + [_LINK_PRECISION] * len(extra)
        again = align.solve(n, pairs, reference=ref, outlier_s=1e9, precision=precision)
        placed = {k for k in range(n) if sol.placed(k) or again.placed(k)}
        out = {}
        for k in sorted(unplaced):
            if not again.placed(k):
                continue
            how, kind = self._how(k, extra, placed)
            c = min(float(again.confidence[k]), conf.get(kind, CREATION_TIME_CONFIDENCE))
            out[k] = (
                float(again.values[k]),
                c,
                how,
                "metadata" if kind == "metadata" else "camera",
            )
        return out

    def _how(self, k: int, links: Sequence[_Link], placed: set[int]) -> tuple[str, str]:
        """The note of clip ``k`` placed by a link: which neighbour placed it, how; the kind."""
        order = {"chapter": 0, "clock": 1, "creation": 2, "metadata": 3}
        mine = [link for link in links if k in (link.i, link.j)]
        mine.sort(key=lambda link: (order[link.kind], link.j != k))
        for link in mine:
            other = link.i if link.j == k else link.j
            if other not in placed:
                continue
            name = self.names[other]
            gap_s = link.gap_s if link.j == k else -link.gap_s
            if link.kind == "clock":
                return (
                    f"placed by its {link.label}, {abs(gap_s):.2f} s "
                    f"{'after' if gap_s >= 0 else 'before'} '{name}' of its camera: it overlaps "
                    "no other camera, so this was not measured; check it"
                ), "clock"
            if link.kind == "metadata":
                return (
                    f"placed by its {self.clock_labels[k] or link.label}, {abs(gap_s):.2f} s "
                    f"{'after' if gap_s >= 0 else 'before'} '{name}': it matched no other "
                    "clip's sound or picture, so this was not measured; check it"
                ), "metadata"
            if link.kind == "chapter":
                where = "after" if link.j == k else "before"
                return (
                    f"placed {where} chapter '{name}' of its camera, back to back: it overlaps "
                    "no other camera, so this was not measured"
                ), "chapter"
            return (
                f"placed by its creation time, {abs(gap_s):.1f} s "
                f"{'after' if gap_s >= 0 else 'before'} '{name}' of its camera started: it "
                "overlaps no other camera, so this was not measured; check it"
            ), "creation"
        return (
            "placed through clips that their camera's neighbours or clocks placed (not "
            "measured): check it"
        ), "camera"

    def chapter_checks(self, sol: align.Solution) -> dict[int, str]:
        """A note on a chapter that the content placed off its previous chapter's end.

        For back-to-back links with both clips placed by the content: a disagreement of more
        than a frame (when the creation times say back to back, or it is within
        :data:`CHAPTER_CREATION_TOLERANCE_S`, so the clips look like chapters at all).
        """
        out = {}
        for link in self.links:
            if link.kind != "chapter" or not (sol.placed(link.i) and sol.placed(link.j)):
                continue
            diff_s = float(sol.values[link.j] - sol.values[link.i]) - link.gap_s
            near = abs(diff_s) <= CHAPTER_CREATION_TOLERANCE_S
            if abs(diff_s) > _frame_s(self.infos[link.j]) and (link.confirmed or near):
                out[link.j] = (
                    f"the sound and picture place it {abs(diff_s) * 1000:.0f} ms "
                    f"{'after' if diff_s > 0 else 'before'} the end of '{self.names[link.i]}', "
                    "its camera's previous chapter, but chapters of one recording are back to "
                    "back: check them in the player"
                )
        return out


def estimate_offsets(
    clips: Clips,
    *,
    method: str = "auto",
    reference: str | int | None = None,
    max_lag_s: float | None = DEFAULT_MAX_LAG_S,
    ffmpeg_bin: str | None = None,
    progress: ProgressCallback | None = None,
    workers: int = 2,
) -> SyncResult:
    """Find every video's offset against the reference, with confidence.

    Parameters
    ----------
    clips : sequence of path-like or :class:`ClipInput`, or mapping of str to path-like
        Two or more local media files. A plain path is keyed by its file name (so those must
        be distinct); a mapping gives ``key -> path``; a :class:`ClipInput` gives the key, the
        path and the display name messages use (the user's file name). Results are keyed by
        these keys (``VideoOffset.key``, ``SyncResult.reference``, ``offsets()``).
    method : {"audio", "visual", "auto"}
        ``auto`` runs both methods where each is possible and fuses them per pair.
    reference : str, int or None
        Key, file name, path or index of the reference (default: the first clip).
    max_lag_s : float or None
        Largest offset searched between two clips, seconds; ``None`` (the default) searches
        every lag where the clips overlap enough.
    progress : callable, optional
        ``progress(stage, fraction)``, see :mod:`syncengine.progress`.

    Returns
    -------
    SyncResult
        Per video: offset (positive = started after the reference), confidence and band, the
        audio and visual estimates and their difference, drift (ppm) and consistency residual.

    Raises
    ------
    UnreadableMedia, UnsupportedMedia
        A file is not media we can read (always fatal).
    NoAudioStream, SilentAudio, NoVideoStream, StaticPicture, ClipTooShort
        With ``method="audio"`` or ``"visual"``, fewer than two files can be analysed by that
        method (a single such file is reported as not synced, with its reason, instead).
    ParameterError
        Bad arguments.
    """
    started = time.perf_counter()
    if method not in METHODS:
        raise ParameterError(f"method must be one of {', '.join(METHODS)}, got '{method}'")
    if max_lag_s is not None and not max_lag_s > 0:
        raise ParameterError(f"max_lag_s must be positive or None, got {max_lag_s}")
    inputs = _clip_inputs(clips)
    ref = _reference_index(reference, inputs)
    try:
        return _estimate(
            inputs,
            method=method,
            ref=ref,
            max_lag_s=max_lag_s,
            ffmpeg_bin=ffmpeg_bin,
            progress=progress,
            workers=workers,
            started=started,
        )
    except SyncEngineError as exc:  # an FFmpeg line may quote the path: say the user's name
        for clip in inputs:
            renamed(exc, clip.path, clip.display_name)
        raise


def _estimate(
    inputs: Sequence[ClipInput],
    *,
    method: str,
    ref: int,
    max_lag_s: float | None,
    ffmpeg_bin: str | None,
    progress: ProgressCallback | None,
    workers: int,
    started: float,
) -> SyncResult:
    """:func:`estimate_offsets` after its arguments were checked."""
    names = [c.display_name for c in inputs]
    skipped = {
        "audio": ("motion_analysis", "correlating_motion"),
        "visual": ("extracting_audio", "correlating_audio"),
    }.get(method, ())
    tracker = StagedProgress(progress, [s for s in _STAGES if s[0] not in skipped])
    infos = []
    for k, clip in enumerate(inputs):
        infos.append(_probe_clip(clip))
        tracker.update("probing", (k + 1) / len(inputs))

    n = len(inputs)
    cameras = [c.camera for c in inputs]
    # Clips of one camera never share a moment: their pairs are not measured.
    siblings = frozenset(
        (i, j) for i, j in combinations(range(n), 2) if cameras[i] and cameras[i] == cameras[j]
    )
    clocks = [_clock(info) for info in infos]
    guesses = _guesses(clocks, siblings, max_lag_s=max_lag_s)
    a_lags: dict[tuple[int, int], LagEstimate] = {}
    v_lags: dict[tuple[int, int], LagEstimate] = {}
    audio_errors: tuple[Exception | None, ...] | None = None
    motion_errors: tuple[Exception | None, ...] | None = None
    energy: tuple[Curve | None, ...] = ()
    # One method at a time, and each method's features are dropped once its pairs are measured,
    # so peak memory is that of the larger method, not the sum.
    if method != "visual":
        audio = extract_audio(
            infos,
            sample_rate_hz=ANALYSIS_RATE_HZ,
            ffmpeg_bin=ffmpeg_bin,
            progress=tracker,
            workers=workers,
        )
        _raise_unless_two_usable(method == "audio", audio.errors)
        a_lags = _pair_lags(
            audio.features,
            estimate_audio_lag,
            max_lag_s=max_lag_s,
            progress=tracker.item_callback("correlating_audio", 0, 1),
            workers=workers,
            skip=siblings,
            guesses=guesses,
            narrow=_narrow_audio,
        )
        audio_errors = audio.errors
        del audio
    if method != "audio":
        from syncengine.motion import estimate_visual_lag

        motion = extract_motion(infos, rate_hz=MOTION_RATE_HZ, progress=tracker, workers=workers)
        _raise_unless_two_usable(method == "visual", motion.errors)
        v_lags = _pair_lags(
            motion.features,
            estimate_visual_lag,
            max_lag_s=max_lag_s,
            progress=tracker.item_callback("correlating_motion", 0, 1),
            workers=workers,
            skip=siblings,
            guesses=guesses,
            narrow=_narrow_visual,
        )
        motion_errors = motion.errors
        # Kept for the debug plots, small: (file time, energy) at most CURVE_POINTS long each.
        energy = tuple(
            None
            if m is None
            else pool_curve(m.start_s + np.arange(m.values.size) / m.rate_hz, m.values, how="mean")
            for m in motion.features
        )
        del motion
    a_pairs, v_pairs = _pairs_for("audio", a_lags), _pairs_for("visual", v_lags)
    fused = []
    for i, j in sorted(set(a_lags) | set(v_lags)):
        lag_s, conf, source = _fuse(a_lags.get((i, j)), v_lags.get((i, j)))
        fused.append(PairEstimate(i=i, j=j, lag_s=lag_s, confidence=conf, method=source))

    tracker.update("solving", 0.0)
    cams = _Cameras(cameras, infos, names, clocks)
    a_sol = cams.solve(a_pairs, ref)[0] if audio_errors is not None else None
    v_sol = cams.solve(v_pairs, ref)[0] if motion_errors is not None else None
    drift_pairs = [
        (i, j, e.drift_ppm, e.confidence) for (i, j), e in a_lags.items() if e.drift_ppm is not None
    ]
    drift = align.solve(n, drift_pairs, reference=ref, outlier_s=30.0) if drift_pairs else None
    # The sound's placements where the picture measures them (a drifting clip's middle), so a
    # clock drift is neither a skew nor a disagreement.
    a_seen = _sound_seen_by_picture(a_sol, drift, [i.duration_s for i in infos])
    skews = _sound_skews(a_seen, v_sol, ref=ref) if method == "auto" else {}
    if skews:  # a clip whose sound is off its own picture is placed by its picture
        fused = [_by_picture(p, a_lags, v_lags) if {p.i, p.j} & set(skews) else p for p in fused]
    main_pairs = {"audio": a_pairs, "visual": v_pairs}.get(method, fused)
    main, camera_notes = cams.solve(main_pairs, ref)
    clock_links = [
        _Link(i, j, guess_s, "metadata", False, label=clocks[j].label)  # type: ignore[union-attr]
        for (i, j), (guess_s, _) in guesses.items()
        if clocks[i].family == "time of day"  # type: ignore[union-attr]
    ]
    by_camera = cams.place_unplaced(main, ref, clock_links)
    for k, note in cams.chapter_checks(main).items():
        camera_notes.setdefault(k, []).append(note)
    for k, note in _metadata_notes(main, main_pairs, clocks, infos, ref=ref).items():
        camera_notes.setdefault(k, []).append(note)
    silent = _silent_partners(main, main_pairs, [i.duration_s for i in infos], ref=ref)
    errors = [
        [
            renamed(e, inputs[k].path, names[k]) if isinstance(e, SyncEngineError) else e
            for errs in (audio_errors, motion_errors)
            if errs is not None
            for e in [errs[k]]
            if e
        ]
        for k in range(n)
    ]
    videos = tuple(
        _video_offset(
            info,
            is_ref=k == ref,
            main=main,
            a_sol=a_sol,
            v_sol=v_sol,
            drift=drift,
            a_seen=a_seen,
            k=k,
            key=inputs[k].key,
            errors=errors[k],
            silent=[(names[m], ov, c) for m, ov, c in silent[k]],
            camera_notes=camera_notes.get(k, ()),
            by_camera=by_camera.get(k),
            skew_s=skews.get(k),
            skew_explained=ref in skews,
            drift_points=_drift_points(a_lags, k, ref),
        )
        for k, info in enumerate(infos)
    )
    tracker.update("solving", 1.0)
    return SyncResult(
        method=method,
        reference=inputs[ref].key,
        max_lag_s=max_lag_s,
        videos=videos,
        pairs=tuple(a_pairs + v_pairs),
        elapsed_s=time.perf_counter() - started,
        motion=energy,
    )


def _silent_partners(
    sol: align.Solution, pairs: Sequence[PairEstimate], durations_s: Sequence[float], *, ref: int
) -> list[list[tuple[int, float, float]]]:
    """Per clip, the placed clips it should have matched but did not: (index, overlap s, conf).

    Where two placed clips overlap on the solved timeline by at least ``SILENT_MIN_OVERLAP_S``
    (or half the shorter clip) but their own pair found nothing there (no confident peak within
    a frame of the solution), the less confidently placed of the two lacks a corroboration it
    should have had.
    """
    by_key = {(min(p.i, p.j), max(p.i, p.j)): p for p in pairs}
    out: list[list[tuple[int, float, float]]] = [[] for _ in durations_s]
    for (i, j), p in by_key.items():
        if not (sol.placed(i) and sol.placed(j)) or p.confidence >= SYNCED_THRESHOLD:
            continue
        vi, vj = float(sol.values[i]), float(sol.values[j])
        shared = min(vi + durations_s[i], vj + durations_s[j]) - max(vi, vj)
        need = max(SILENT_MIN_OVERLAP_S, 0.5 * min(durations_s[i], durations_s[j]))
        implied = vj - vi if (p.i, p.j) == (i, j) else vi - vj
        if shared >= need and abs(p.lag_s - implied) > _DISPUTE_S:
            ci, cj = float(sol.confidence[i]), float(sol.confidence[j])
            # The better-placed clip doubts the other, never the other way round.
            if ci >= cj:
                out[j].append((i, shared, ci))
            if cj >= ci:
                out[i].append((j, shared, cj))
    out[ref] = []
    return out


def _doubted(conf: float, against: float) -> float:
    """P(a placement of confidence ``conf`` is right) after evidence that would be absent if it
    were right with probability ``against`` (independent evidence, Bayes' rule)."""
    kept = conf * (1.0 - against)
    return kept / (kept + 1.0 - conf) if kept > 0 else 0.0


def _value(sol: align.Solution | None, k: int) -> tuple[float | None, float | None]:
    if sol is None or not sol.placed(k):
        return None, None
    return float(sol.values[k]), float(sol.confidence[k])


def _video_offset(
    info: MediaInfo,
    *,
    k: int,
    key: str,
    is_ref: bool,
    main: align.Solution,
    a_sol: align.Solution | None,
    v_sol: align.Solution | None,
    drift: align.Solution | None,
    errors: Sequence[Exception],
    a_seen: align.Solution | None = None,
    silent: Sequence[tuple[str, float, float]] = (),
    camera_notes: Sequence[str] = (),
    by_camera: tuple[float, float, str, str] | None = None,
    skew_s: float | None = None,
    skew_explained: bool = False,
    drift_points: tuple[tuple[float, float], ...] = (),
) -> VideoOffset:
    offset, conf = _value(main, k)
    a_off, a_conf = _value(a_sol, k)
    v_off, v_conf = _value(v_sol, k)
    notes = [getattr(e, "message", str(e)) for e in errors]
    notes += camera_notes
    a_mid, _ = _value(a_seen if a_seen is not None else a_sol, k)
    diff = abs(a_mid - v_off) if a_mid is not None and v_off is not None else None
    if skew_s is not None:
        placed = "the others were placed against its picture" if is_ref else "the picture placed it"
        notes.append(
            f"its sound runs {abs(skew_s) * 1000:.0f} ms {'late' if skew_s > 0 else 'early'} "
            f"against its own picture (cheap cameras and screen recorders do this); {placed}"
        )
    elif diff is not None and diff > AGREEMENT_S and not skew_explained:
        notes.append(f"sound and picture disagree by {diff:.3f} s; check this clip in the player")
    conf = conf or 0.0
    disputed = float(main.disputed[k]) if main.disputed is not None else 0.0
    if disputed > 0 and not is_ref:
        # Contradicting evidence is never averaged away: the placement stands only if the kept
        # pairs are right and the voted-out one wrong (independent pairs, Bayes' rule).
        conf = _doubted(conf, disputed)
        notes.append(
            "its pairs with the other clips disagree by more than a frame; check this "
            "clip in the player"
        )
    for name, shared_s, partner in silent if offset is not None else ():
        # A clip really there would have matched this well-placed partner, most of the time.
        conf = _doubted(conf, SILENT_PARTNER_MISS * partner)
        notes.append(
            f"no match with '{name}' although they would share {shared_s:.0f} s; "
            "check this clip in the player"
        )
    synced = offset is not None and (is_ref or conf >= SYNCED_THRESHOLD)
    placed_by = "content" if synced else ""
    if not synced and by_camera is not None:
        offset, conf, how, placed_by = by_camera  # not measured: its neighbours placed it
        notes.append(how)
        synced = True
    if not synced:
        notes.append("no reliable match with the other clips: not synced")
    drift_ppm, _ = _value(drift, k)
    residual = float(main.residual[k]) if np.isfinite(main.residual[k]) else None
    loop = main.loop_residual[k] if main.loop_residual is not None else np.nan
    return VideoOffset(
        filename=info.filename,
        path=info.path,
        offset_s=offset if synced else None,
        confidence=conf,
        band=band(conf),
        synced=synced,
        is_reference=is_ref,
        audio_offset_s=a_off,
        audio_confidence=a_conf,
        visual_offset_s=v_off,
        visual_confidence=v_conf,
        audio_video_diff_s=diff,
        drift_ppm=drift_ppm,
        residual_s=residual,
        duration_s=info.duration_s,
        notes=tuple(notes),
        loop_residual_s=float(loop) if np.isfinite(loop) and offset is not None else None,
        loops_closed=int(main.loops[k]) if main.loops is not None and offset is not None else 0,
        key=key,
        placed_by=placed_by,
        drift_points=drift_points if synced else (),
        sound_skew_s=skew_s,
    )
