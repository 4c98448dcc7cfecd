"""Drift-corrected clips carry their speed into every editor format that can hold one.

A camera whose clock runs 300 ppm slow against the reference plays at 1 / (1 + 300e-6) on the
timeline; over a 30-minute take that is 0.54 s, so the editor's timeline must retime the clip
or it drifts out of sync by 16 frames at 30 fps. Each file is read back with OTIO's adapters
(FCPXML by our parser) and the speed, the source it plays and the record length checked.
"""

from __future__ import annotations

import io
import re
import zipfile
from fractions import Fraction
from xml.etree import ElementTree as ET

import pytest

from syncengine.editors import FORMATS, TimelineClip, build_timeline, write
from syncengine.editors.fcpxml import parse
from syncengine.editors.readback import SPEED_FORMATS, compare, read

PPM = 300.0
SPEED = 1 / (1 + PPM * 1e-6)
TAKE_S = 1800.0


def _clips() -> list[TimelineClip]:
    return [
        TimelineClip(
            "1", "a.mp4", "a.mp4", 0.0, TAKE_S, fps=30.0, camera="Cam A", is_reference=True
        ),
        TimelineClip(
            "2", "b é.mov", "b é.mov", 1.25, TAKE_S, fps=25.0, camera="Cam B", speed=SPEED
        ),
        TimelineClip(
            "3", "rec.wav", "rec.wav", -0.5, 1900.0, has_video=False, camera="Master", speed=SPEED
        ),
    ]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_reads_back_with_each_clip_in_place_and_speed_where_it_can(fmt: str) -> None:
    clips = _clips()
    data = write(build_timeline(clips), fmt)
    assert compare(clips, fmt, data) == []
    rows = read(data, fmt, edl_rates={"Cam A": 30.0, "Cam B": 25.0})
    drifting = [r for r in rows if r.name in ("b é.mov", "rec.wav")]
    steady = [r for r in rows if r.name == "a.mp4"]
    assert drifting and steady
    assert all(r.speed == 1.0 for r in steady)
    if fmt in SPEED_FORMATS:
        assert all(abs(r.speed - SPEED) < 1e-9 for r in drifting), [(r.name, r.speed) for r in rows]
    else:  # AAF: the adapter writes no speed; the README says so
        assert fmt == "aaf" and all(r.speed == 1.0 for r in drifting)


def test_fcp7_plays_the_source_frames_and_times_the_record_at_the_speed() -> None:
    root = ET.fromstring(write(build_timeline(_clips()), "xml"))
    items = [i for i in root.iter("clipitem") if i.findtext("name") == "b é.mov"]
    assert len(items) == 2  # picture and sound
    for item in items:
        played = int(item.findtext("out")) - int(item.findtext("in"))
        record = int(item.findtext("end")) - int(item.findtext("start"))
        assert played == round(TAKE_S * 25)  # the whole file, in its own 25 fps frames
        # 0.54 s longer on the 30 fps sequence (the length is counted in its own 25 fps frames,
        # then placed on the sequence's: within one sequence frame).
        assert abs(record - TAKE_S / SPEED * 30) <= 1
        speed = item.find("filter/effect[effectid='timeremap']/parameter[parameterid='speed']")
        assert speed is not None and float(speed.findtext("value")) == pytest.approx(100 * SPEED)


def test_fcpxml_retimes_with_a_linear_time_map_that_fits_in_32_bits() -> None:
    data = write(build_timeline(_clips()), "fcpxml")
    clips = {c.name: c for c in parse(data)}
    assert clips["b é.mov"].speed == pytest.approx(SPEED, abs=1e-9)
    assert clips["a.mp4"].speed == 1.0
    for point in ET.fromstring(data).iter("timept"):
        for attr in ("time", "value"):
            value = Fraction(point.get(attr)[:-1])
            assert value.denominator < 2**32 and value.numerator < 2**63
    # The record length on the 30 fps grid: the source's 1800 s stretched by 300 ppm.
    assert float(clips["b é.mov"].duration_s) == pytest.approx(TAKE_S / SPEED, abs=1 / 30)


def test_the_edl_event_plays_the_source_it_names_and_says_the_speed_in_m2() -> None:
    archive = zipfile.ZipFile(io.BytesIO(write(build_timeline(_clips()), "edl")))
    text = archive.read("02_Cam_B.edl").decode()
    event = next(ln for ln in text.splitlines() if ln.startswith("001"))
    src_in, src_out, rec_in, rec_out = re.findall(r"\d\d:\d\d:\d\d:\d\d", event)
    assert (src_in, src_out) == ("00:00:00:00", "00:30:00:00")  # the whole 30 min source
    assert (rec_in, rec_out) == ("00:00:01:19", "00:30:02:08")  # 1.75 s in, 1800.54 s long
    m2 = next(ln for ln in text.splitlines() if ln.startswith("M2"))
    assert float(m2.split()[-2]) == pytest.approx(25 * SPEED)


def test_a_clip_without_drift_gets_no_speed_effect_anywhere() -> None:
    clips = [c for c in _clips() if c.speed == 1.0] + [
        TimelineClip("9", "c.mp4", "c.mp4", 2.0, 10.0, fps=30.0, camera="Cam C")
    ]
    timeline = build_timeline(clips)
    assert b"timeremap" not in write(timeline, "xml")
    assert b"timeMap" not in write(timeline, "fcpxml")
    edls = zipfile.ZipFile(io.BytesIO(write(timeline, "edl")))
    assert not any(b"M2 " in edls.read(n) for n in edls.namelist())
