"""Clips keyed by the caller's keys: sync results and renders map back by key, never by name."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mediasynth.clips import CameraSpec, write_clips, write_not_media
from syncengine import ClipInput, Placement, estimate_offsets
from syncengine.errors import ParameterError, UnreadableMedia
from syncengine.media import ffmpeg_executable, probe
from syncengine.render import AAC_RATES_HZ, aac_audio, render_synced

SMALL = {"width": 160, "height": 120}
CAMERAS = (
    CameraSpec("ref", 0.0, 6.0, **SMALL),
    CameraSpec("late", 1.25, 5.0, **SMALL),
)
FRAME_S = 1 / 30
AUDIO_TOL_S = 0.002


@pytest.fixture(scope="module")
def same_name(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two different clips stored in two folders under the same file name, ``clip.mp4``."""
    made = write_clips(CAMERAS, tmp_path_factory.mktemp("keys-src"), seed=5)
    out = {}
    for key, name in (("7", "ref"), ("9", "late")):
        folder = tmp_path_factory.mktemp(f"stored-{key}")
        out[key] = Path(shutil.copy(made[name], folder / "clip.mp4"))
    return out


def test_results_are_keyed_by_the_callers_keys_and_name_the_display_names(same_name) -> None:
    clips = [
        ClipInput("7", same_name["7"], display_name="clip.mp4"),
        ClipInput("9", same_name["9"], display_name="clip.mp4"),
    ]
    result = estimate_offsets(clips, method="audio", reference="7")
    assert [v.key for v in result.videos] == ["7", "9"]
    assert result.reference == "7" and result.video("7").is_reference
    assert result.video("9").offset_s == pytest.approx(1.25, abs=AUDIO_TOL_S)
    assert result.offsets()["9"] == pytest.approx(1.25, abs=AUDIO_TOL_S)
    assert set(result.by_key()) == {"7", "9"}
    assert all(v.filename == "clip.mp4" for v in result.videos)
    # The stored form keeps the display name beside the key when they differ.
    stored = result.to_dict()
    assert set(stored["videos"]) == {"7", "9"} and stored["reference"] == "7"
    assert stored["videos"]["9"]["filename"] == "clip.mp4"


def test_a_mapping_is_keyed_by_its_keys_and_plain_paths_by_file_name(same_name, tmp_path) -> None:
    result = estimate_offsets({"b": same_name["9"], "a": same_name["7"]}, method="audio")
    assert result.reference == "b"  # the first clip, as with paths
    assert result.video("a").offset_s == pytest.approx(-1.25, abs=AUDIO_TOL_S)
    renamed = Path(shutil.copy(same_name["9"], tmp_path / "late.mp4"))
    plain = estimate_offsets([same_name["7"], renamed], method="audio")
    assert [v.key for v in plain.videos] == ["clip.mp4", "late.mp4"]
    assert "filename" not in plain.to_dict()["videos"]["late.mp4"]  # the CLI's JSON as before


def test_shared_keys_and_shared_file_names_are_refused(same_name) -> None:
    with pytest.raises(ParameterError, match="share a file name"):
        estimate_offsets([same_name["7"], same_name["9"]])
    with pytest.raises(ParameterError, match="share a key"):
        estimate_offsets([ClipInput("1", same_name["7"]), ClipInput("1", same_name["9"])])
    with pytest.raises(ParameterError, match="not one of the input files"):
        estimate_offsets({"a": same_name["7"], "b": same_name["9"]}, reference="c")


def test_an_error_names_the_clip_by_its_display_name_never_its_stored_path(
    same_name, tmp_path
) -> None:
    stored = write_not_media(tmp_path / "tmp5arfgjqa.upload.mkv")
    clips = [ClipInput("1", same_name["7"]), ClipInput("2", stored, display_name="Take 2.mkv")]
    with pytest.raises(UnreadableMedia) as caught:
        estimate_offsets(clips, method="audio")
    assert "'Take 2.mkv'" in caught.value.message, caught.value.message
    assert "tmp5arfgjqa" not in caught.value.message and str(tmp_path) not in caught.value.message
    assert caught.value.extra["filename"] == "Take 2.mkv"


def _placements(result) -> list[Placement]:
    names = {"7": "clip.mp4", "9": "clip (2).mp4"}
    return [
        Placement(
            key=v.key,
            path=Path(v.path),
            offset_s=v.offset_s,
            name=names[v.key],
            estimate_s=v.offset_s,
            is_reference=v.is_reference,
        )
        for v in result.videos
    ]


def test_placements_render_to_their_names_and_map_back_by_key(same_name, tmp_path) -> None:
    clips = [ClipInput(k, same_name[k], display_name="clip.mp4") for k in ("7", "9")]
    result = estimate_offsets(clips, method="audio")
    rendered = render_synced(_placements(result), tmp_path, method="audio")
    assert rendered.verified, rendered
    by_key = {f.key: Path(f.output).name for f in rendered.files}
    assert by_key == {"7": "clip_synced.mp4", "9": "clip (2)_synced.mp4"}
    assert {f.key: f.source for f in rendered.files} == {k: str(same_name[k]) for k in by_key}
    assert rendered.files[1].lead_s - rendered.files[0].lead_s == pytest.approx(
        result.video("9").offset_s, abs=1e-9
    )


def test_an_unplaced_clip_is_skipped_by_key_and_noted_by_name(same_name, tmp_path) -> None:
    third = Path(shutil.copy(same_name["9"], tmp_path / "stored-3.mp4"))
    placements = [
        Placement("7", same_name["7"], 0.0, "a.mp4", estimate_s=0.0, is_reference=True),
        Placement("9", same_name["9"], 1.25, "b.mp4", estimate_s=None),  # placed by hand
        Placement("3", third, None, "c.mp4"),
    ]
    rendered = render_synced(placements, tmp_path / "out", verify=False)
    assert rendered.skipped == ("3",)
    assert "'c.mp4' is not synced, so no synced copy was written" in rendered.notes
    assert "'b.mp4' was placed by hand; its placement cannot be verified" in rendered.notes
    assert [f.key for f in rendered.files] == ["7", "9"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../clip.mp4", "bare file name"),
        ("", "bare file name"),
        ("x" * 250 + ".mp4", "shorten the file name"),
    ],
)
def test_a_name_that_is_no_safe_output_name_is_refused(same_name, tmp_path, name, message):
    placements = [
        Placement("7", same_name["7"], 0.0, "a.mp4", estimate_s=0.0, is_reference=True),
        Placement("9", same_name["9"], 1.25, name, estimate_s=1.25),
    ]
    with pytest.raises(ParameterError, match=message):
        render_synced(placements, tmp_path, verify=False)
    assert not list(tmp_path.glob("*_synced.*"))


def test_placements_with_a_shared_key_or_with_placed_offsets_are_refused(same_name, tmp_path):
    placements = [
        Placement("7", same_name["7"], 0.0, "a.mp4", is_reference=True),
        Placement("7", same_name["9"], 1.25, "b.mp4"),
    ]
    with pytest.raises(ParameterError, match="share a key"):
        render_synced(placements, tmp_path, verify=False)
    with pytest.raises(ParameterError, match="goes with a SyncResult"):
        render_synced(placements[:1], tmp_path, verify=False, placed_offsets_s={"7": 0.0})
    with pytest.raises(ParameterError, match="Placement values"):
        render_synced([str(same_name["7"]), str(same_name["9"])], tmp_path)  # type: ignore[list-item]


def test_a_render_error_names_the_placement_never_its_stored_path(same_name, tmp_path) -> None:
    stored = write_not_media(tmp_path / "tmp5arfgjqa.upload.mp4")
    placements = [
        Placement("7", same_name["7"], 0.0, "a.mp4", estimate_s=0.0, is_reference=True),
        Placement("9", stored, 1.25, "Take 2.mp4", estimate_s=1.25),
    ]
    with pytest.raises(UnreadableMedia) as caught:
        render_synced(placements, tmp_path / "out")
    assert "'Take 2.mp4'" in caught.value.message and "tmp5arfgjqa" not in caught.value.message


@pytest.mark.parametrize(
    ("rate_hz", "channels", "expected"),
    [
        (48000, 2, (48000, 2, "192k")),
        (44100, 1, (44100, 1, "192k")),
        (192000, 8, (96000, 8, "768k")),
        (176400, 6, (96000, 6, "576k")),
        (50000, 12, (48000, 8, "768k")),
        (4000, 1, (8000, 1, "192k")),
    ],
)
def test_aac_takes_the_highest_rate_it_supports_and_at_most_7_1(rate_hz, channels, expected):
    assert aac_audio(rate_hz, channels) == expected
    assert expected[0] in AAC_RATES_HZ


def test_a_7_1_flac_at_192_khz_in_mkv_syncs_and_renders(same_name, tmp_path) -> None:
    """Issue 13: such a file synced, but its render failed (AAC takes neither 192 kHz as is)."""
    surround = tmp_path / "surround.mkv"
    pan = "7.1|" + "|".join(f"c{k}=c0" for k in range(8))
    subprocess.run(
        [
            ffmpeg_executable(),
            "-v",
            "error",
            "-nostdin",
            "-i",
            str(same_name["9"]),
            "-map",
            "0:v:0",
            "-map",
            "0:a:0",
            "-c:v",
            "copy",
            "-af",
            f"aresample=192000,pan={pan}",
            "-c:a",
            "flac",
            str(surround),
        ],
        check=True,
        timeout=120,
    )
    info = probe(surround)
    assert info.audio is not None and info.audio.codec == "flac"
    assert (info.audio.sample_rate_hz, info.audio.channels) == (192000, 8)
    result = estimate_offsets([same_name["7"], surround], method="audio")
    assert result.video("surround.mkv").offset_s == pytest.approx(1.25, abs=AUDIO_TOL_S)
    rendered = render_synced(result, tmp_path / "out")
    assert rendered.verified and rendered.max_residual_s <= FRAME_S, rendered
    output = probe(rendered.files[1].output)
    assert Path(output.path).name == "surround_synced.mkv"
    assert output.audio is not None and output.audio.codec == "aac"
    assert (output.audio.sample_rate_hz, output.audio.channels) == (96000, 8)
    assert output.duration_s == pytest.approx(rendered.timeline_duration_s, abs=FRAME_S)
    assert any("192000 Hz audio is written at 96000 Hz" in n for n in rendered.notes)
