"""Editor timelines on OpenTimelineIO: every format written, read back by its own reader, held
against the placements (every clip there, each start within half a frame, each clip in its own
rate, unplaced clips present and disabled), on clips made with ffmpeg at the usual rates."""

from __future__ import annotations

import io
import subprocess
import zipfile
from fractions import Fraction
from pathlib import Path
from xml.etree import ElementTree as ET

import imageio_ffmpeg
import opentimelineio as otio
import pytest

from syncengine.editors import (
    FORMATS,
    UNPLACED_TRACK,
    TimelineClip,
    build_timeline,
    clip_from_media,
    clip_from_placement,
    format_for_path,
    rate_fraction,
    sequence_rate,
    timeline_file,
    write,
)
from syncengine.editors import fcpxml as fcpxml_module
from syncengine.editors.readback import compare, read
from syncengine.errors import ParameterError
from syncengine.media import probe
from syncengine.types import Placement

# (file name, rate as ffmpeg spells it, offset on the reference's timeline or None, timecode)
SOURCES = (
    ("ref_25.mov", "25", 0.0, None),
    ("film_23976.mp4", "24000/1001", 1.0131, None),
    ("ntsc_2997_df.mov", "30000/1001", -0.4871, "01:00:00;00"),
    ("web_30.mp4", "30", 0.3333, None),
    ("caméra_60_東京.mp4", "60", 2.7105, None),
    ("lost.mp4", "30", None, None),
)


def _make(path: Path, rate: str, timecode: str | None) -> None:
    argv = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-nostdin", "-y"]
    argv += ["-f", "lavfi", "-i", f"testsrc=size=64x36:rate={rate}:duration=1.5"]
    argv += ["-f", "lavfi", "-i", "sine=frequency=440:duration=1.5"]
    argv += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"]
    argv += ["-timecode", timecode] if timecode else []
    subprocess.run([*argv, str(path)], check=True, timeout=60)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[TimelineClip]:
    folder = tmp_path_factory.mktemp("timeline_media")
    out = []
    for k, (name, rate, offset_s, timecode) in enumerate(SOURCES):
        _make(folder / name, rate, timecode)
        info = probe(folder / name)
        out.append(
            clip_from_media(info, key=str(k), offset_s=offset_s, is_reference=offset_s == 0.0)
        )
    return out


def test_the_probe_gives_each_clip_its_rate_and_timecode(clips) -> None:
    rates = {c.name: rate_fraction(c.fps) for c in clips}
    assert rates["ref_25.mov"] == 25 and rates["web_30.mp4"] == 30
    assert rates["film_23976.mp4"] == Fraction(24000, 1001)
    assert rates["ntsc_2997_df.mov"] == Fraction(30000, 1001)
    assert rates["caméra_60_東京.mp4"] == 60
    assert next(c for c in clips if c.name == "ntsc_2997_df.mov").timecode == "01:00:00;00"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_reads_back_as_placed(clips, fmt, tmp_path) -> None:
    data = timeline_file(clips, fmt, name="Concert")
    assert compare(clips, fmt, data) == []
    rows = read(data, fmt, edl_rates={c.name: float(rate_fraction(c.fps)) for c in clips})
    placed = [c for c in clips if c.offset_s is not None]
    origin = min(c.offset_s for c in placed)
    for clip in placed:
        row = next(r for r in rows if r.media == clip.media and r.enabled)
        expected = clip.offset_s - origin
        print(f"{fmt:6} {clip.name:22} start {row.start_s:8.4f} s, offset {expected:8.4f} s")
    # The file is also what the adapter reads from disk (AAF is binary; the others are text).
    path = tmp_path / f"concert{FORMATS[fmt].extension}"
    path.write_bytes(data)
    if fmt in ("otio", "xml", "aaf"):
        timeline = otio.adapters.read_from_file(str(path))
        assert {c.name for c in timeline.find_clips()} == {c.name for c in clips}


def test_fcp7_declares_each_clip_at_its_own_rate_and_drop_frame_timecode(clips) -> None:
    root = ET.fromstring(write(build_timeline(clips), "xml"))
    items = {}
    for item in root.iter("clipitem"):
        items.setdefault(item.findtext("name"), item)
    # The bug this replaces: a 25 fps clip was declared at the sequence's 30.
    assert (
        items["ref_25.mov"].findtext("rate/timebase"),
        items["ref_25.mov"].findtext("rate/ntsc"),
    ) == ("25", "FALSE")
    film = items["film_23976.mp4"]
    assert (film.findtext("rate/timebase"), film.findtext("rate/ntsc")) == ("24", "TRUE")
    assert root.findtext("project/children/sequence/rate/timebase") == "25"  # the reference's
    chars = root.find("project/children/sequence/media/video/format/samplecharacteristics")
    assert (chars.findtext("width"), chars.findtext("height")) == ("64", "36")
    ntsc = items["ntsc_2997_df.mov"].find("file/timecode")
    assert ntsc.findtext("string") == "01:00:00;00" and ntsc.findtext("displayformat") == "DF"
    assert items["caméra_60_東京.mp4"].findtext("file/pathurl") == (
        "cam%C3%A9ra_60_%E6%9D%B1%E4%BA%AC.mp4"
    )
    lost = items["lost.mp4"]
    assert lost.findtext("enabled") == "FALSE"
    tracks = [t for t in root.iter("track") if t.find("clipitem/name") is not None]
    off = [t for t in tracks if t.findtext("enabled") == "FALSE"]
    assert {t.findtext("clipitem/name") for t in off} == {"lost.mp4"} and len(off) == 2


def test_the_model_keeps_rational_rates_and_the_unplaced_track_disabled(clips) -> None:
    timeline = build_timeline(clips, name="Concert")
    assert timeline.global_start_time.rate == 25
    videos = {t.name: t for t in timeline.video_tracks()}
    assert list(videos) == [c.name for c in clips if c.offset_s is not None] + [UNPLACED_TRACK]
    film = videos["film_23976.mp4"].find_clips()[0]
    assert film.source_range.duration.rate == pytest.approx(24000 / 1001, abs=1e-12)
    ntsc = videos["ntsc_2997_df.mov"].find_clips()[0]
    assert ntsc.source_range.start_time.value == 107892  # 01:00:00;00 drop frame at 29.97
    assert not videos[UNPLACED_TRACK].enabled
    assert all(not c.enabled for c in videos[UNPLACED_TRACK].find_clips())
    # The earliest clip (29.97, -0.4871 s) starts the timeline; the reference 0.4871 s later.
    ref = videos["ref_25.mov"].find_clips()[0]
    assert videos["ref_25.mov"].range_of_child(ref).start_time.to_seconds() == pytest.approx(
        round(0.4871 * 25) / 25
    )


def test_the_edl_zip_has_one_edl_per_camera_in_its_rate_and_names_the_unplaced(clips) -> None:
    archive = zipfile.ZipFile(io.BytesIO(timeline_file(clips, "edl")))
    names = archive.namelist()
    assert len([n for n in names if n.endswith(".edl")]) == 5
    assert archive.read("unplaced.txt").decode() == "lost.mp4\n"
    ntsc = archive.read(next(n for n in names if "2997" in n)).decode()
    assert "FCM: DROP FRAME" in ntsc and " 01:00:00;00 " in ntsc
    film = archive.read(next(n for n in names if "23976" in n)).decode()
    assert "FCM: NON-DROP FRAME" in film
    # 23.976: the record start is the nearest 23.976 frame to 1.0131 + 0.4871 s.
    event = next(line for line in film.splitlines() if line[:3].isdigit()).split()
    assert otio.opentime.from_timecode(event[-2], 24000 / 1001).value == round(
        1.5002 * 24000 / 1001
    )


def test_fcpxml_is_one_multicam_clip_with_an_angle_per_camera(clips) -> None:
    data = timeline_file(clips, "fcpxml")
    root = ET.fromstring(data)
    formats = {f.get("frameDuration") for f in root.iter("format")}
    assert formats == {"1/25s", "1001/24000s", "1001/30000s", "1/30s", "1/60s"}
    assets = {a.get("name"): a for a in root.iter("asset")}
    assert len(assets) == len(clips)
    angles = [a.get("name") for a in root.iter("mc-angle")]
    assert angles == [c.name for c in clips if c.offset_s is not None]
    mc = root.find("library/event/project/sequence/spine/mc-clip")
    sources = {s.get("srcEnable"): s.get("angleID") for s in mc.iterfind("mc-source")}
    assert sources == {"video": "1", "audio": "1"}  # the reference's picture and sound
    lost = mc.find("asset-clip")
    assert lost.get("name") == "lost.mp4" and lost.get("enabled") == "0"
    assert assets["caméra_60_東京.mp4"].find("media-rep").get("src") == (
        "cam%C3%A9ra_60_%E6%9D%B1%E4%BA%AC.mp4"
    )
    # The 29.97 clip begins at its file's drop-frame timecode, in exact seconds.
    ntsc = next(c for c in root.iter("asset-clip") if c.get("name") == "ntsc_2997_df.mov")
    assert Fraction(ntsc.get("start")[:-1]) == Fraction(107892 * 1001, 30000)


def test_synced_files_are_linked_by_their_names(clips) -> None:
    synced = [
        TimelineClip(
            key=c.key,
            name=c.name,
            media=f"{Path(c.name).stem}_synced{Path(c.name).suffix}",
            offset_s=None if c.offset_s is None else -0.4871,  # they all start together
            duration_s=c.duration_s,
            fps=c.fps,
        )
        for c in clips
    ]
    for fmt in sorted(FORMATS):
        data = timeline_file(synced, fmt)
        assert compare(synced, fmt, data) == [], fmt
        rates = {c.track: float(rate_fraction(c.fps)) for c in synced}
        media = {r.media for r in read(data, fmt, edl_rates=rates)}
        assert "caméra_60_東京_synced.mp4" in media or fmt == "edl"


# --- model-level behaviour the portal cannot produce yet (several clips a camera, a master
# recorder, drift) ---------------------------------------------------------------------------

TWO_SHOTS = (
    TimelineClip(
        "a1", "A001.mov", "A001.mov", 0.0, 4.0, fps=25.0, camera="Cam A", is_reference=True
    ),
    TimelineClip("b1", "B001.mp4", "B001.mp4", 0.52, 2.0, fps=30000 / 1001, camera="Cam B"),
    TimelineClip("b2", "B002.mp4", "B002.mp4", 3.1, 3.0, fps=30000 / 1001, camera="Cam B"),
    TimelineClip("m", "master.wav", "master.wav", -1.0, 8.0, has_video=False, camera="Recorder"),
    TimelineClip(
        "d",
        "drift.mp4",
        "drift.mp4",
        0.25,
        5.0,
        fps=24.0,
        camera="Cam D",
        speed=1.0004,
        marker="Check the sync by eye: low confidence 0.31",
    ),
)


def test_a_camera_with_two_clips_is_one_track_with_a_gap_between() -> None:
    timeline = build_timeline(TWO_SHOTS)
    cam_b = next(t for t in timeline.video_tracks() if t.name == "Cam B")
    kinds = [type(item).__name__ for item in cam_b]
    assert kinds == ["Gap", "Clip", "Gap", "Clip"]
    starts = [cam_b.range_of_child(c).start_time.to_seconds() for c in cam_b.find_clips()]
    assert starts == pytest.approx([round(1.52 * 25) / 25, round(4.1 * 25) / 25], abs=1e-9)
    for fmt in sorted(FORMATS):
        assert compare(TWO_SHOTS, fmt, write(timeline, fmt)) == [], fmt
    angle = [a for a in ET.fromstring(write(timeline, "fcpxml")).iter("mc-angle")]
    cam_b_xml = next(a for a in angle if a.get("name") == "Cam B")
    assert [e.tag for e in cam_b_xml] == ["gap", "asset-clip", "gap", "asset-clip", "gap"]


def test_an_audio_only_master_is_an_audio_track_and_the_multicam_sound() -> None:
    timeline = build_timeline(TWO_SHOTS)
    assert "Recorder" not in [t.name for t in timeline.video_tracks()]
    recorder = next(t for t in timeline.audio_tracks() if t.name == "Recorder")
    (clip,) = recorder.find_clips()
    assert recorder.range_of_child(clip).start_time.to_seconds() == 0.0  # the earliest
    assert clip.source_range.duration.rate == 25  # no picture: the sequence's rate
    mc = ET.fromstring(write(timeline, "fcpxml")).find(".//mc-clip")
    sources = {s.get("srcEnable"): s.get("angleID") for s in mc.iterfind("mc-source")}
    assert sources == {"video": "1", "audio": "4"}  # Cam A's picture, the recorder's sound
    edls = zipfile.ZipFile(io.BytesIO(write(timeline, "edl"))).namelist()
    assert not any("Recorder" in n for n in edls)  # an EDL holds picture only


def test_a_drift_corrected_clip_carries_its_speed_and_a_marker() -> None:
    timeline = build_timeline(TWO_SHOTS)
    clip = next(c for c in timeline.find_clips() if c.name == "drift.mp4")
    (warp,) = clip.effects
    assert isinstance(warp, otio.schema.LinearTimeWarp) and warp.time_scalar == 1.0004
    assert clip.source_range.duration.value == round(5.0 * 24 / 1.0004)
    (marker,) = clip.markers
    assert marker.name.startswith("Check the sync") and marker.color == otio.schema.MarkerColor.RED
    back = otio.adapters.read_from_string(write(timeline, "otio").decode(), "otio_json")
    again = next(c for c in back.find_clips() if c.name == "drift.mp4")
    assert again.effects[0].time_scalar == 1.0004


def test_compare_reports_a_clip_off_its_offset_a_missing_one_and_an_enabled_unplaced() -> None:
    data = write(build_timeline(TWO_SHOTS), "otio")
    moved = [
        *TWO_SHOTS[:1],
        TimelineClip("b1", "B001.mp4", "B001.mp4", 0.62, 2.0, fps=29.97, camera="Cam B"),
        *TWO_SHOTS[2:],
    ]
    assert any("B001.mp4' starts" in p and "-100.0 ms" in p for p in compare(moved, "otio", data))
    extra = TimelineClip("x", "X.mp4", "X.mp4", None, 1.0, fps=25.0)
    assert compare([*TWO_SHOTS, extra], "otio", data) == [
        "'X.mp4' is missing from the otio timeline"
    ]
    with_lost = [*TWO_SHOTS, extra]
    timeline = build_timeline(with_lost)
    for track in timeline.tracks:
        track.enabled = True
        track.metadata.pop("fcp_xml", None)
        for clip in track.find_clips():
            clip.enabled = True
            clip.metadata.pop("fcp_xml", None)
    problems = compare(with_lost, "otio", write(timeline, "otio"))
    assert problems == ["unplaced 'X.mp4' is enabled"]


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clips", "message"),
    [
        ((), "at least one clip"),
        ((TWO_SHOTS[0], TWO_SHOTS[0]), "share the key 'a1'"),
        ((TimelineClip("k", "a", "/abs/a.mp4", 0.0, 1.0),), "relative to the timeline file"),
        ((TimelineClip("k", "a", "C:/a.mp4", 0.0, 1.0),), "relative to the timeline file"),
        ((TimelineClip("k", "a", "a.mp4", 0.0, 0.0),), "positive duration"),
        ((TimelineClip("k", "a", "a.mp4", float("nan"), 1.0),), "finite times"),
        ((TimelineClip("k", "a", "a.mp4", 0.0, 1.0, has_video=False, has_audio=False),), "neither"),
        ((TimelineClip("k", "a", "a.mp4", 0.0, 1.0, fps=25.0, timecode="1 o'clock"),), "timecode"),
        ((TimelineClip("k", "a", "a.mp4", 0.0, 1.0, fps=-3.0),), "fps must be"),
        (
            (
                TimelineClip("1", "a", "a.mp4", 0.0, 2.0, fps=25.0, camera="A"),
                TimelineClip("2", "b", "b.mp4", 1.0, 2.0, fps=25.0, camera="A"),
            ),
            "cannot film twice at once",
        ),
    ],
)
def test_bad_clips_are_refused_with_what_to_fix(clips, message) -> None:
    with pytest.raises(ParameterError, match=message):
        build_timeline(clips)


def test_unknown_formats_extensions_and_an_edl_without_picture_are_refused() -> None:
    timeline = build_timeline(TWO_SHOTS)
    with pytest.raises(ParameterError, match="one of otio, xml, fcpxml, edl, aaf"):
        write(timeline, "prproj")
    with pytest.raises(ParameterError, match="must end in one of"):
        format_for_path("cut.mov")
    assert [
        format_for_path(p) for p in ("a.OTIO", "b.xml", "c.fcpxml", "d.edl", "e.zip", "f.aaf")
    ] == ["otio", "xml", "fcpxml", "edl", "edl", "aaf"]
    sound_only = [TWO_SHOTS[3]]
    with pytest.raises(
        ParameterError, match="an EDL needs at least one placed clip with a picture"
    ):
        timeline_file(sound_only, "edl")
    with pytest.raises(ParameterError, match="a multicam clip needs at least one placed clip"):
        timeline_file([TimelineClip("u", "u", "u.mp4", None, 1.0, fps=25.0)], "fcpxml")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s.replace('version="1.10"', 'version="1.4"'), "root must be"),
        (lambda s: s.replace('offset="38/25s"', 'offset="381/250s"', 1), "not where the previous"),
        (lambda s: s.replace('ref="r2"', 'ref="r99"', 1), "refers to no asset"),
        (lambda s: s.replace('angleID="2"', 'angleID="1"', 1), "unique id"),
        (
            lambda s: s.replace("<mc-clip", "<ref-clip").replace("</mc-clip>", "</ref-clip>"),
            "one <mc-clip>",
        ),
        (
            lambda s: s.replace(
                'offset="102/25s" start="0s" duration="3s"',
                'offset="102/25s" start="0s" duration="301/100s"',
            ),
            "whole number",
        ),
        (
            lambda s: s.replace("<resources>", "<resourcez>").replace(
                "</resources>", "</resourcez>"
            ),
            "no <resources>",
        ),
        (lambda s: s[:-40], "not XML"),
    ],
)
def test_the_fcpxml_check_names_the_rule_a_broken_file_breaks(edit, message) -> None:
    text = write(build_timeline(TWO_SHOTS), "fcpxml").decode()
    broken = edit(text)
    assert broken != text
    with pytest.raises(ParameterError, match=message):
        fcpxml_module.parse(broken.encode())


@pytest.mark.parametrize(
    ("fps", "expected"),
    [
        (30.0, (30, False)),
        (25.0, (25, False)),
        (30000 / 1001, (30, True)),
        (29.97, (30, True)),
        (24000 / 1001, (24, True)),
        (23.976, (24, True)),
        (60000 / 1001, (60, True)),
        (50.0, (50, False)),
    ],
)
def test_rates_are_read_as_the_exact_rates_editors_use(fps, expected) -> None:
    assert sequence_rate(fps) == expected


def test_a_placement_from_the_engine_becomes_a_clip_with_its_key_and_offset(tmp_path) -> None:
    path = tmp_path / "film.mp4"
    _make(path, "24000/1001", None)
    info = probe(path)
    placed = clip_from_placement(Placement("k7", path, 1.0131, "film.mp4"), info)
    assert (placed.key, placed.offset_s, placed.name, placed.media) == (
        "k7",
        1.0131,
        "film.mp4",
        "film.mp4",
    )
    assert rate_fraction(placed.fps) == Fraction(24000, 1001) and placed.has_audio
    unplaced = Placement("k8", path, None, "film.mp4")
    lost = clip_from_placement(unplaced, info, media="x/film.mp4")
    assert lost.offset_s is None and lost.media == "x/film.mp4"
    assert compare([placed], "otio", timeline_file([placed], "otio")) == []
