"""Which clips came from one device: group a shoot's files into cameras.

Pure: it reads facts a probe already gave (names, durations, formats, creation times, device
tags) and never opens a file.

Conventions
-----------
- A group's clips never overlap in time where their creation times say so: clips of one
  camera never overlap each other, and the solver relies on it.
- Audio-only files (a sound recorder's WAV, MP3, ...) are never grouped with clips that have
  a picture; recorders group only where their tags or names say so.
- Times are seconds; ``creation_time`` is the file's ISO 8601 string (as ffprobe gives it).
- Reasons (``Group.reason``): ``"device_tags"`` (same make, model and serial; or same make and
  model with creation times that never overlap), ``"chapters"`` (chapter names of one
  recording: GoPro ``GX01xxxx``/``GX02xxxx``, ``GOPRxxxx``/``GP01xxxx``; DJI ``DJI_0001``,
  ``DJI_0002`` only when back to back), ``"back_to_back"`` (the next starts within
  :data:`BACK_TO_BACK_MAX_GAP_S` of the previous one's end, identical format), ``"single"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from syncengine.types import MediaInfo

__all__ = [
    "BACK_TO_BACK_MAX_GAP_S",
    "BACK_TO_BACK_MIN_GAP_S",
    "REASONS",
    "ClipFacts",
    "Group",
    "clip_facts_from_media_info",
    "group_clips",
    "order_clips",
]

#: The next clip of one recording starts at most this long after the previous one ends.
BACK_TO_BACK_MAX_GAP_S = 5.0
#: ... and at least this long before it ends (creation times are whole seconds).
BACK_TO_BACK_MIN_GAP_S = -2.0
#: Two clips whose creation-time spans overlap by more than this are different devices.
_OVERLAP_TOLERANCE_S = 2.0
REASONS = ("device_tags", "chapters", "back_to_back", "single")

# GoPro: GX010042.MP4 / GH010042.MP4 (HERO6+: chapter 01, recording 0042); GOPR0042.MP4 is
# chapter 0 of recording 0042 on older models, GP010042.MP4 its chapter 1.
_GOPRO = re.compile(r"^G([HXLS])(\d{2})(\d{4})$", re.IGNORECASE)
_GOPRO_OLD_FIRST = re.compile(r"^GOPR(\d{4})$", re.IGNORECASE)
_GOPRO_OLD_NEXT = re.compile(r"^GP(\d{2})(\d{4})$", re.IGNORECASE)
# DJI: DJI_0001.MP4, DJI_20230704153012_0001_D.MP4.
_DJI = re.compile(r"^DJI_(?:\d{14}_)?(\d{4})(?:_[A-Z])?$", re.IGNORECASE)


@dataclass(frozen=True)
class ClipFacts:
    """What grouping reads of one clip (a probe's facts; ``None``/"" where unknown)."""

    key: str
    file_name: str
    duration_s: float
    has_video: bool = True
    fps: float | None = None
    width: int | None = None
    height: int | None = None
    video_codec: str = ""
    audio_codec: str = ""
    sample_rate_hz: int | None = None
    creation_time: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def start_s(self) -> float | None:
        """The creation time as POSIX seconds; ``None`` when unknown or unreadable."""
        return _parse_time(self.creation_time)

    @property
    def device(self) -> str:
        """``"make model serial"`` from the tags ('' when the file names no device)."""
        return " ".join(
            t for t in (_tag(self, "make"), _tag(self, "model"), _tag(self, "serial")) if t
        )


@dataclass(frozen=True)
class Group:
    """Clips of one device in time order (``keys``), why they were grouped, and who made them.

    ``label`` is the device as the files name it ("GoPro HERO11 Black"), the maker a file name
    says ("GoPro", "DJI"), "Recorder" for an audio-only group, or '' when nothing says.
    """

    keys: tuple[str, ...]
    reason: str
    label: str = ""
    device: str = ""
    has_video: bool = True


def clip_facts_from_media_info(key: str, info: MediaInfo) -> ClipFacts:
    """The grouping facts of a probed file."""
    v, a = info.video, info.audio
    return ClipFacts(
        key=key,
        file_name=info.filename,
        duration_s=info.duration_s,
        has_video=v is not None,
        fps=v.fps if v else None,
        width=v.width if v else None,
        height=v.height if v else None,
        video_codec=v.codec if v else "",
        audio_codec=a.codec if a else "",
        sample_rate_hz=a.sample_rate_hz if a else None,
        creation_time=info.creation_time,
        tags=dict(info.tags),
    )


def group_clips(items: Iterable[ClipFacts]) -> list[Group]:
    """Group clips into devices; every clip lands in exactly one group.

    Parameters
    ----------
    items
        The clips, keys unique.

    Returns
    -------
    list[Group]
        In the order of each group's first clip in ``items``; each group's ``keys`` in time
        order (chapter number where names say it, else creation time, else file name).

    Raises
    ------
    ValueError
        Two items share a key.

    Notes
    -----
    Rules, first match wins for each clip: (1) same make, model and serial (or same make and
    model, no serial, every creation time known and none overlapping); (2) chapter names of
    one recording (DJI numbers only when back to back); (3) back-to-back creation times with
    identical format (resolution, fps, codecs, sample rate). A candidate group whose clips
    overlap by creation time is split into chains that do not. Audio-only files take part in
    (1) and (2) only, and never with clips that have a picture.
    """
    clips = list(items)
    keys = [c.key for c in clips]
    if len(set(keys)) != len(keys):
        raise ValueError(
            f"clip keys must be unique: {sorted(k for k in keys if keys.count(k) > 1)}"
        )
    index = {c.key: i for i, c in enumerate(clips)}
    taken: set[str] = set()
    groups: list[Group] = []
    for kind in (True, False):  # pictures, then audio-only: never mixed
        pool = [c for c in clips if c.has_video == kind]
        for rule in (_by_device, _by_chapters, _by_back_to_back):
            if rule is _by_back_to_back and not kind:
                continue  # recorders: only tags or names say so
            for members, reason, label in rule([c for c in pool if c.key not in taken]):
                # Chapter chains are checked pair by pair already.
                chains = [members] if reason == "chapters" else _without_overlaps(members)
                for chain in chains:
                    if len(chain) < 2:
                        continue
                    taken.update(c.key for c in chain)
                    groups.append(_group(chain, reason, label))
        for c in pool:
            if c.key not in taken:
                groups.append(_group([c], "single", _label_single(c)))
    groups.sort(key=lambda g: min(index[k] for k in g.keys))
    return groups


def order_clips(items: Iterable[ClipFacts]) -> list[ClipFacts]:
    """Clips in time order: creation time, then chapter number, then file name (naturally)."""
    return sorted(items, key=_time_key)


# --- rules -------------------------------------------------------------------------------


def _by_device(pool: Sequence[ClipFacts]) -> list[tuple[list[ClipFacts], str, str]]:
    by: dict[tuple[str, str, str], list[ClipFacts]] = {}
    for c in pool:
        make, model = _tag(c, "make"), _tag(c, "model")
        if make and model:
            by.setdefault(
                (make.casefold(), model.casefold(), _tag(c, "serial").casefold()), []
            ).append(c)
    out = []
    for (_, _, serial), members in by.items():
        if len(members) < 2:
            continue
        # Without a serial, two phones of one model look alike: group only when every
        # creation time is known and none overlaps another (one device at a time).
        if not serial and not _sequential(members):
            continue
        out.append((members, "device_tags", _device_label(members[0])))
    return out


def _by_chapters(pool: Sequence[ClipFacts]) -> list[tuple[list[ClipFacts], str, str]]:
    recordings: dict[tuple[str, str], list[tuple[int, ClipFacts]]] = {}
    dji: list[tuple[int, ClipFacts]] = []
    for c in pool:
        chapter = _gopro_chapter(c.file_name)
        if chapter is not None:
            recording, number = chapter
            recordings.setdefault(recording, []).append((number, c))
            continue
        m = _DJI.match(_stem(c.file_name))
        if m:
            dji.append((int(m.group(1)), c))
    out = []
    for chain in recordings.values():
        for members in _chapter_chains(chain):
            out.append((members, "chapters", "GoPro"))
    # DJI numbers count every recording; consecutive ones are one recording only when the
    # next starts as the previous ends.
    dji.sort(key=lambda nc: nc[0])
    run: list[tuple[int, ClipFacts]] = []
    for number, c in dji:
        if run and number == run[-1][0] + 1 and _back_to_back(run[-1][1], c, same_format=True):
            run.append((number, c))
            continue
        if len(run) > 1:
            out.append(([x for _, x in run], "chapters", "DJI"))
        run = [(number, c)]
    if len(run) > 1:
        out.append(([x for _, x in run], "chapters", "DJI"))
    return out


def _chapter_chains(chapters: list[tuple[int, ClipFacts]]) -> list[list[ClipFacts]]:
    """One recording's chapters as chains; two cameras' recordings with the same number (two
    GoPros' first recordings) are told apart by device tags and creation times."""
    chapters.sort(key=lambda nc: (nc[0], _natural(nc[1].file_name)))
    chains: list[list[tuple[int, ClipFacts]]] = []
    for number, c in chapters:
        fits = [
            ch
            for ch in chains
            if ch[-1][0] == number - 1
            and _same_device(ch[-1][1], c)
            and _chapter_follows(ch[-1][1], c)
        ]
        if len(fits) == 1 or (fits and _known_times(c, *(ch[-1][1] for ch in fits))):
            best = min(fits, key=lambda ch: _gap_or_inf(ch[-1][1], c))
            best.append((number, c))
        else:
            chains.append([(number, c)])
    return [[c for _, c in ch] for ch in chains if len(ch) > 1]


def _by_back_to_back(pool: Sequence[ClipFacts]) -> list[tuple[list[ClipFacts], str, str]]:
    timed = sorted((c for c in pool if c.start_s is not None), key=_time_key)
    out: list[tuple[list[ClipFacts], str, str]] = []
    used: set[str] = set()
    for i, first in enumerate(timed):
        if first.key in used:
            continue
        chain = [first]
        for c in timed[i + 1 :]:
            if c.key not in used and _back_to_back(chain[-1], c, same_format=True):
                chain.append(c)
        if len(chain) > 1:
            used.update(c.key for c in chain)
            out.append((chain, "back_to_back", _device_label(first)))
    return out


# --- helpers -----------------------------------------------------------------------------


def _group(members: Sequence[ClipFacts], reason: str, label: str) -> Group:
    ordered = members if reason == "chapters" else order_clips(members)
    first = ordered[0]
    return Group(
        keys=tuple(c.key for c in ordered),
        reason=reason,
        label=label if first.has_video else (label or "Recorder"),
        device=first.device,
        has_video=first.has_video,
    )


def _label_single(c: ClipFacts) -> str:
    if not c.has_video:
        return _device_label(c) or "Recorder"
    if _gopro_chapter(c.file_name) is not None:
        return _device_label(c) or "GoPro"
    if _DJI.match(_stem(c.file_name)):
        return _device_label(c) or "DJI"
    return _device_label(c)


def _device_label(c: ClipFacts) -> str:
    make, model = _tag(c, "make"), _tag(c, "model")
    if make and model.casefold().startswith(make.casefold()):
        return model
    return " ".join(t for t in (make, model) if t)


def _tag(c: ClipFacts, name: str) -> str:
    return str(c.tags.get(name, "") or "").strip()


def _same_device(a: ClipFacts, b: ClipFacts) -> bool:
    """False only when both files name a device and the names differ."""
    return not (a.device and b.device and a.device.casefold() != b.device.casefold())


def _same_format(a: ClipFacts, b: ClipFacts) -> bool:
    same_fps = (a.fps is None) == (b.fps is None) and (
        a.fps is None or b.fps is None or abs(a.fps - b.fps) < 0.01
    )
    return (
        same_fps
        and (a.width, a.height) == (b.width, b.height)
        and a.video_codec == b.video_codec
        and a.audio_codec == b.audio_codec
        and a.sample_rate_hz == b.sample_rate_hz
    )


def _gap_s(a: ClipFacts, b: ClipFacts) -> float | None:
    """How long after ``a`` ends ``b`` starts, by creation times; ``None`` when unknown."""
    sa, sb = a.start_s, b.start_s
    return None if sa is None or sb is None else sb - (sa + a.duration_s)


def _gap_or_inf(a: ClipFacts, b: ClipFacts) -> float:
    gap = _gap_s(a, b)
    return float("inf") if gap is None else abs(gap)


def _back_to_back(a: ClipFacts, b: ClipFacts, *, same_format: bool, unknown: bool = False) -> bool:
    """``b`` starts as ``a`` ends (``unknown``: also when a creation time is missing)."""
    if same_format and not _same_format(a, b):
        return False
    gap = _gap_s(a, b)
    if gap is None:
        return unknown
    return BACK_TO_BACK_MIN_GAP_S <= gap <= BACK_TO_BACK_MAX_GAP_S


def _chapter_follows(a: ClipFacts, b: ClipFacts) -> bool:
    """Creation times do not contradict ``b`` being the chapter after ``a``: unknown, back to
    back, or both stamped with the recording's start."""
    sa, sb = a.start_s, b.start_s
    if sa is None or sb is None or abs(sb - sa) <= _OVERLAP_TOLERANCE_S:
        return True
    return _back_to_back(a, b, same_format=False)


def _next_chapter(a: ClipFacts, b: ClipFacts) -> bool:
    ca, cb = _gopro_chapter(a.file_name), _gopro_chapter(b.file_name)
    return ca is not None and cb is not None and ca[0] == cb[0] and cb[1] == ca[1] + 1


def _known_times(*clips: ClipFacts) -> bool:
    return all(c.start_s is not None for c in clips)


def _sequential(members: Sequence[ClipFacts]) -> bool:
    """Every creation time known and no two spans overlapping."""
    if not _known_times(*members):
        return False
    return len(_without_overlaps(members)) == 1


def _without_overlaps(members: Sequence[ClipFacts]) -> list[list[ClipFacts]]:
    """Split into chains whose known creation-time spans do not overlap (greedy, in time order:
    each clip joins the chain that ended last before it starts). Clips without a creation
    time stay in the first chain."""
    if len(members) < 2 or sum(c.start_s is not None for c in members) < 2:
        return [list(members)]
    chains: list[list[ClipFacts]] = []
    untimed = [c for c in members if c.start_s is None]
    for c in sorted((c for c in members if c.start_s is not None), key=_time_key):
        start = c.start_s
        assert start is not None
        free = [
            ch
            for ch in chains
            if _end_s(ch[-1]) - _OVERLAP_TOLERANCE_S <= start or _next_chapter(ch[-1], c)
        ]
        if free:
            max(free, key=lambda ch: _end_s(ch[-1])).append(c)
        else:
            chains.append([c])
    chains[0].extend(untimed)
    order = {c.key: i for i, c in enumerate(members)}
    return [sorted(ch, key=lambda c: order[c.key]) for ch in chains]


def _end_s(c: ClipFacts) -> float:
    start = c.start_s
    return (start or 0.0) + c.duration_s


def _gopro_chapter(file_name: str) -> tuple[tuple[str, str], int] | None:
    """``((family, recording), chapter)`` of a GoPro name, or ``None``."""
    stem = _stem(file_name)
    m = _GOPRO.match(stem)
    if m:
        return (m.group(1).upper(), m.group(3)), int(m.group(2))
    m = _GOPRO_OLD_FIRST.match(stem)
    if m:
        return ("P", m.group(1)), 0
    m = _GOPRO_OLD_NEXT.match(stem)
    if m:
        return ("P", m.group(2)), int(m.group(1))
    return None


def _stem(file_name: str) -> str:
    name = file_name.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


def _natural(name: str) -> tuple[object, ...]:
    return tuple(int(p) if p.isdigit() else p.casefold() for p in re.split(r"(\d+)", name))


def _time_key(c: ClipFacts) -> tuple[object, ...]:
    start = c.start_s
    chapter = _gopro_chapter(c.file_name)
    return (
        start is None,
        start or 0.0,
        chapter[1] if chapter else 0,
        _natural(c.file_name),
    )


def _parse_time(value: str | None) -> float | None:
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:  # a file without a zone: read it as UTC (only differences matter)
        moment = moment.replace(tzinfo=UTC)
    if moment.year < 1980:  # a camera whose clock was never set (1970, 1904): unknown
        return None
    return moment.timestamp()
