"""Grouping clips into cameras: chapter names, device tags, back-to-back times, recorders."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syncengine.grouping import ClipFacts, clip_facts_from_media_info, group_clips, order_clips
from syncengine.media import ffmpeg_executable
from syncengine.probe import probe

T0 = datetime(2026, 6, 1, 14, 0, 0, tzinfo=UTC)


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def clip(key: str, name: str = "", *, duration_s: float = 10.0, start_s: float | None = None, **kw):  # noqa: ANN003, ANN201
    facts = {
        "fps": 30.0,
        "width": 1920,
        "height": 1080,
        "video_codec": "h264",
        "audio_codec": "aac",
        "sample_rate_hz": 48000,
    }
    facts.update(kw)
    return ClipFacts(
        key=key,
        file_name=name or f"{key}.mp4",
        duration_s=duration_s,
        creation_time=None if start_s is None else at(start_s),
        **facts,
    )


def recorder(key: str, name: str = "", *, start_s: float | None = None, **kw):  # noqa: ANN003, ANN201
    return ClipFacts(
        key=key,
        file_name=name or f"{key}.wav",
        duration_s=60.0,
        has_video=False,
        audio_codec="pcm_s24le",
        sample_rate_hz=48000,
        creation_time=None if start_s is None else at(start_s),
        **kw,
    )


def by_reason(groups):  # noqa: ANN001, ANN201
    return {g.keys: g.reason for g in groups}


def test_gopro_chapters_form_one_group_in_chapter_order_whatever_the_upload_order() -> None:
    items = [clip("c3", "GX030042.MP4"), clip("c1", "GX010042.MP4"), clip("c2", "GX020042.MP4")]
    assert by_reason(group_clips(items)) == {("c1", "c2", "c3"): "chapters"}
    assert group_clips(items)[0].label == "GoPro"


def test_old_gopro_names_chain_gopr_then_gp01() -> None:
    items = [clip("b", "GP010007.MP4"), clip("a", "GOPR0007.MP4"), clip("x", "GOPR0008.MP4")]
    assert by_reason(group_clips(items)) == {("a", "b"): "chapters", ("x",): "single"}


def test_two_recordings_and_two_families_are_not_mixed() -> None:
    items = [
        clip("a1", "GX010001.MP4"),
        clip("a2", "GX020001.MP4"),
        clip("b1", "GH010001.MP4"),
        clip("c1", "GX010002.MP4"),
    ]
    assert by_reason(group_clips(items)) == {
        ("a1", "a2"): "chapters",
        ("b1",): "single",
        ("c1",): "single",
    }


def test_two_gopros_first_recordings_are_told_apart_by_creation_times() -> None:
    # Both cameras' first recording is 0001: names alone are ambiguous, times decide.
    items = [
        clip("a1", "GX010001.MP4", start_s=0, duration_s=100),
        clip("b1", "GX010001.MP4", start_s=30, duration_s=100),
        clip("a2", "GX020001.MP4", start_s=100, duration_s=50),
        clip("b2", "GX020001.MP4", start_s=130, duration_s=50),
    ]
    assert by_reason(group_clips(items)) == {("a1", "a2"): "chapters", ("b1", "b2"): "chapters"}


def test_chapters_whose_times_contradict_the_names_stay_apart() -> None:
    items = [
        clip("a", "GX010001.MP4", start_s=0, duration_s=100),
        clip("b", "GX020001.MP4", start_s=3600, duration_s=100),
    ]
    assert by_reason(group_clips(items)) == {("a",): "single", ("b",): "single"}


def test_dji_numbers_group_only_when_back_to_back() -> None:
    items = [
        clip("d1", "DJI_0001.MP4", start_s=0, duration_s=60),
        clip("d2", "DJI_0002.MP4", start_s=61, duration_s=60),
        clip("d3", "DJI_0003.MP4", start_s=900, duration_s=60),  # a later flight
        clip("u1", "DJI_0010.MP4"),
        clip("u2", "DJI_0011.MP4"),  # no times: two recordings as far as we know
    ]
    assert by_reason(group_clips(items)) == {
        ("d1", "d2"): "chapters",
        ("d3",): "single",
        ("u1",): "single",
        ("u2",): "single",
    }


def test_same_make_model_and_serial_group_whatever_the_times() -> None:
    tags = {"make": "Sony", "model": "ILCE-7M3", "serial": "123"}
    other = {"make": "Sony", "model": "ILCE-7M3", "serial": "456"}
    items = [
        clip("s1", "C0001.MP4", start_s=0, tags=tags),
        clip("o1", "C0001.MP4", start_s=5, tags=other),
        clip("s2", "C0002.MP4", start_s=600, tags=tags, width=3840, height=2160),
    ]
    groups = group_clips(items)
    assert by_reason(groups) == {("s1", "s2"): "device_tags", ("o1",): "single"}
    assert groups[0].device == "Sony ILCE-7M3 123" and groups[0].label == "Sony ILCE-7M3"


def test_same_model_without_serial_groups_only_when_times_never_overlap() -> None:
    phone = {"make": "Apple", "model": "iPhone 15"}
    one_after_another = [
        clip("p1", start_s=0, tags=phone),
        clip("p2", start_s=120, tags=phone),
    ]
    assert by_reason(group_clips(one_after_another)) == {("p1", "p2"): "device_tags"}
    two_phones = [clip("p1", start_s=0, tags=phone), clip("p2", start_s=5, tags=phone)]
    assert by_reason(group_clips(two_phones)) == {("p1",): "single", ("p2",): "single"}
    no_times = [clip("p1", tags=phone), clip("p2", tags=phone)]
    assert by_reason(group_clips(no_times)) == {("p1",): "single", ("p2",): "single"}


def test_a_model_name_that_starts_with_the_make_is_not_doubled() -> None:
    tags = {"make": "GoPro", "model": "GoPro HERO11 Black", "serial": "C34"}
    groups = group_clips([clip("a", tags=tags), clip("b", tags=tags)])
    assert groups[0].label == "GoPro HERO11 Black"


def test_back_to_back_times_with_identical_format_group() -> None:
    items = [
        clip("x1", "MVI_0101.MOV", start_s=0, duration_s=30),
        clip("x2", "MVI_0102.MOV", start_s=31, duration_s=30),
        clip("x3", "MVI_0103.MOV", start_s=62, duration_s=30, fps=25.0),  # another format
        clip("y1", "other.mp4", start_s=15, duration_s=100),  # overlapping: another camera
    ]
    assert by_reason(group_clips(items)) == {
        ("x1", "x2"): "back_to_back",
        ("x3",): "single",
        ("y1",): "single",
    }


def test_a_gap_longer_than_a_few_seconds_is_not_back_to_back() -> None:
    items = [clip("x1", start_s=0, duration_s=30), clip("x2", start_s=40, duration_s=30)]
    assert by_reason(group_clips(items)) == {("x1",): "single", ("x2",): "single"}


def test_an_unset_camera_clock_counts_as_unknown() -> None:
    items = [
        ClipFacts(key="a", file_name="a.mp4", duration_s=10, creation_time="1970-01-01T00:00:00Z"),
        ClipFacts(key="b", file_name="b.mp4", duration_s=10, creation_time="1970-01-01T00:00:10Z"),
    ]
    assert by_reason(group_clips(items)) == {("a",): "single", ("b",): "single"}


def test_audio_only_files_never_join_a_camera() -> None:
    # Back to back and the same audio format as the camera: still never one group.
    items = [
        clip("cam", "GX010001.MP4", start_s=0, duration_s=60),
        recorder("rec", "ZOOM0001.WAV", start_s=60),
        recorder("rec2", "ZOOM0002.WAV", start_s=121),
    ]
    groups = group_clips(items)
    assert by_reason(groups) == {("cam",): "single", ("rec",): "single", ("rec2",): "single"}
    assert [g.has_video for g in groups] == [True, False, False]
    assert groups[1].label == "Recorder"


def test_recorders_group_where_their_tags_say_so_but_never_overlapping() -> None:
    zoom = {"make": "Zoom", "model": "F8", "serial": "Z1"}
    items = [
        recorder("t1", start_s=0, tags=zoom),
        recorder("t2", start_s=0, tags=zoom),  # a second track of the same take
        recorder("t3", start_s=600, tags=zoom),
    ]
    groups = group_clips(items)
    assert by_reason(groups) == {("t1", "t3"): "device_tags", ("t2",): "single"}
    assert groups[0].label == "Zoom F8"


def test_every_clip_lands_in_exactly_one_group_and_keys_must_be_unique() -> None:
    items = [clip(f"k{i}", f"GX0{i % 3 + 1}000{i // 3}.MP4", start_s=i * 7.0) for i in range(9)]
    keys = [k for g in group_clips(items) for k in g.keys]
    assert sorted(keys) == sorted(c.key for c in items)
    with pytest.raises(ValueError, match="unique"):
        group_clips([clip("a"), clip("a")])


def test_order_clips_uses_creation_time_then_chapter_number() -> None:
    items = [clip("b", start_s=50), clip("c"), clip("a", start_s=0)]
    assert [c.key for c in order_clips(items)] == ["a", "b", "c"]


# --- real files ---------------------------------------------------------------------------


def _ffmpeg(*args: str) -> None:
    subprocess.run(
        [ffmpeg_executable(), "-v", "error", "-nostdin", "-y", *args], check=True, timeout=60
    )


def test_real_chapters_split_by_the_segment_muxer_group_as_chapters(tmp_path: Path) -> None:
    # One 6 s recording cut into three chapters named like a GoPro's, plus a tagged phone's
    # two clips and an unrelated camera.
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
        "-t", "6", "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-c:a", "aac",
        "-metadata", "creation_time=2026-06-01T14:00:00Z",
        "-f", "segment", "-segment_time", "2", "-reset_timestamps", "1",
        "-segment_start_number", "1", str(tmp_path / "GX%02d0042.MP4"),
    )  # fmt: skip
    for name, start in (("IMG_0001.MOV", "14:00:00"), ("IMG_0002.MOV", "14:00:30")):
        _ffmpeg(
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-t", "2",
            "-c:v", "libx264", "-preset", "ultrafast",
            "-metadata", "make=Apple", "-metadata", "model=iPhone 15",
            "-metadata", f"creation_time=2026-06-01T{start}Z",
            "-movflags", "use_metadata_tags", str(tmp_path / name),
        )  # fmt: skip
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "2",
        "-c:v", "libx264", "-preset", "ultrafast", str(tmp_path / "other.mp4"),
    )  # fmt: skip
    chapters = sorted(tmp_path.glob("GX*.MP4"))
    assert [p.name for p in chapters] == ["GX010042.MP4", "GX020042.MP4", "GX030042.MP4"]
    items = []
    for path in [*reversed(chapters), *sorted(tmp_path.glob("*.MOV")), tmp_path / "other.mp4"]:
        info = probe(path)
        facts = clip_facts_from_media_info(path.name, info)
        if not info.tags and path.suffix == ".MOV":  # the probe reads device tags (H1): not yet
            facts = ClipFacts(**{**facts.__dict__, "tags": _ffprobe_tags(path)})
        items.append(facts)
    groups = group_clips(items)
    assert by_reason(groups) == {
        ("GX010042.MP4", "GX020042.MP4", "GX030042.MP4"): "chapters",
        ("IMG_0001.MOV", "IMG_0002.MOV"): "device_tags",
        ("other.mp4",): "single",
    }
    assert groups[1].label == "Apple iPhone 15"


def _ffprobe_tags(path: Path) -> dict[str, str]:
    import json

    ffprobe = str(Path(ffmpeg_executable()).with_name("ffprobe"))
    try:
        out = subprocess.run(
            [ffprobe, "-v", "error", "-show_format", "-of", "json", str(path)],
            capture_output=True,
            check=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        import av

        with av.open(str(path)) as container:
            meta = dict(container.metadata)
    else:
        meta = json.loads(out)["format"].get("tags", {})
    return {k: str(meta[k]) for k in ("make", "model") if k in meta}
