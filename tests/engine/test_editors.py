"""Editor timelines (FCP7 XML, FCPXML): clips land on the frame their offset says."""

from __future__ import annotations

from fractions import Fraction
from xml.etree import ElementTree as ET

import pytest

from syncengine.editors import TimelineClip, fcpxml, sequence_rate, xmeml
from syncengine.errors import ParameterError

CLIPS = (
    TimelineClip("a.mp4", 0.0, 12.0),
    TimelineClip("b late.mov", 1.25, 10.0, sample_rate_hz=44100),
    TimelineClip("c_early.mkv", -2.4, 10.0),
    TimelineClip("mute.mp4", 3.1, 8.0, has_audio=False),
)


@pytest.mark.parametrize(
    ("fps", "expected"),
    [
        (30.0, (30, False)),
        (25.0, (25, False)),
        (30000 / 1001, (30, True)),
        (24000 / 1001, (24, True)),
        (60000 / 1001, (60, True)),
        (50.0, (50, False)),
    ],
)
def test_sequence_rate_recognises_ntsc_rates(fps, expected) -> None:
    assert sequence_rate(fps) == expected


@pytest.mark.parametrize("fps", [30.0, 25.0, 30000 / 1001])
def test_xmeml_places_each_clip_at_its_offset_in_frames(fps) -> None:
    root = ET.fromstring(xmeml(CLIPS, fps=fps, name="Concert").split("\n", 2)[2])
    rate = Fraction(fps).limit_denominator(1001)
    seq = root.find("sequence")
    assert seq.findtext("name") == "Concert"
    video = {c.findtext("name"): c for c in seq.iterfind("media/video/track/clipitem")}
    audio = {c.findtext("name"): c for c in seq.iterfind("media/audio/track/clipitem")}
    assert sorted(video) == sorted(c.name for c in CLIPS)
    assert sorted(audio) == sorted(c.name for c in CLIPS if c.has_audio)  # mute has no audio
    for clip in CLIPS:
        expected = round((clip.offset_s + 2.4) * rate)  # the sequence starts with c_early
        for item in [video[clip.name]] + ([audio[clip.name]] if clip.has_audio else []):
            assert int(item.findtext("start")) == expected, clip.name
            assert int(item.findtext("end")) - expected == round(clip.duration_s * rate)
    # Video and audio of one clip refer to one file, described once, by its name.
    assert video["b late.mov"].find("file").get("id") == audio["b late.mov"].find("file").get("id")
    assert video["b late.mov"].findtext("file/pathurl") == "file://localhost/b%20late.mov"
    assert int(seq.findtext("duration")) == round((12.0 + 2.4) * rate)


def test_fcpxml_places_each_clip_at_an_exact_multiple_of_the_frame() -> None:
    fps = 30000 / 1001
    text = fcpxml(CLIPS, fps=fps)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>')
    root = ET.fromstring(text.split("\n", 2)[2])
    assert root.find("resources/format").get("frameDuration") == "1001/30000s"
    assets = {a.get("id"): a for a in root.iterfind("resources/asset")}
    clips = root.findall("library/event/project/sequence/spine/gap/asset-clip")
    assert [c.get("lane") for c in clips] == ["1", "2", "3", "4"]
    for clip, spec in zip(clips, CLIPS, strict=True):
        offset = Fraction(clip.get("offset").rstrip("s"))
        frames = offset / Fraction(1001, 30000)
        assert frames.denominator == 1  # on a frame boundary
        assert frames == round((spec.offset_s + 2.4) * Fraction(30000, 1001))
        assert assets[clip.get("ref")].get("name") == spec.name
    assert assets["r4"].get("hasAudio") == "0" and assets["r2"].get("audioRate") == "44100"


@pytest.mark.parametrize(
    ("clips", "fps", "match"),
    [
        ((), 30.0, "at least one clip"),
        ((TimelineClip("x", float("nan"), 1.0),), 30.0, "'x'"),
        ((TimelineClip("x", 0.0, 0.0),), 30.0, "positive duration"),
        (CLIPS, 0.0, "fps"),
    ],
)
def test_it_rejects_bad_timelines(clips, fps, match) -> None:
    for write in (xmeml, fcpxml):
        with pytest.raises(ParameterError, match=match):
            write(clips, fps=fps)
