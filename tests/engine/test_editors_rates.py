"""A clip whose rate no timecode counts in (a phone's variable frame rate averages 26.8 fps) is
written at the nearest timecode rate in every format, and reads back in place."""

from __future__ import annotations

import pytest

from syncengine.editors import FORMATS, TimelineClip, build_timeline, write
from syncengine.editors.model import editor_rate
from syncengine.editors.readback import compare, read

VFR_AVERAGE_FPS = 26.81564245810056  # what the probe reports for the export tests' phone clip


def test_editor_rate_keeps_timecode_rates_and_moves_others_to_the_nearest() -> None:
    assert [float(editor_rate(f)) for f in (23.976, 25.0, 29.97, 30.0, 59.94)] == pytest.approx(
        [24000 / 1001, 25, 30000 / 1001, 30, 60000 / 1001]
    )
    assert editor_rate(VFR_AVERAGE_FPS) == 25


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_vfr_clip_is_written_at_the_nearest_timecode_rate_and_reads_back(fmt: str) -> None:
    clips = [
        TimelineClip("1", "wide.mp4", "wide.mp4", 0.0, 12.0, fps=30.0, is_reference=True),
        TimelineClip("2", "phone_vfr.mp4", "phone_vfr.mp4", 2.0, 6.0, fps=VFR_AVERAGE_FPS),
    ]
    data = write(build_timeline(clips), fmt)
    assert compare(clips, fmt, data) == []
    rows = [r for r in read(data, fmt, edl_rates={"phone_vfr.mp4": 25.0}) if r.kind == "video"]
    phone = [r for r in rows if r.name == "phone_vfr.mp4"]
    assert phone and all(abs(r.start_s - 2.0) <= 0.5 / 30 for r in phone)
    if fmt in ("otio", "xml", "fcpxml"):
        assert all(r.rate == pytest.approx(25.0) for r in phone)
