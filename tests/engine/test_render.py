"""Rendering synced files on real clips, verified by syncing the outputs again."""

from __future__ import annotations

import io
import shutil
import struct
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from mediasynth.clips import CameraSpec, write_clips
from syncengine import estimate_offsets
from syncengine.archive import iter_zip
from syncengine.errors import ParameterError, RenderError, RenderVerificationFailed
from syncengine.media import probe
from syncengine.render import (
    _audio_chain,
    _video_chain,
    plan_timeline,
    render_synced,
    zip_outputs,
)
from syncengine.types import RenderResult, SyncResult, VideoOffset

SMALL = {"width": 160, "height": 120}
CAMERAS = (
    CameraSpec("ref", 0.0, 7.0, **SMALL),
    CameraSpec("late", 1.25, 6.0, **SMALL),
    # Another frame rate, sample rate and container; keyframes every 2 s (at 0, 2, 4 s).
    CameraSpec("early", -1.5, 6.5, fps=25.0, sample_rate_hz=44100, container="mkv", **SMALL),
    CameraSpec("mute", 0.6, 6.0, audio="none", container="mov", **SMALL),
)
FRAME_S = 1 / 25  # one frame of the slowest camera
AUDIO_TOL_S = 0.001  # audio is shifted to the sample; the measurement is sub-millisecond


@dataclass(frozen=True)
class Clips:
    paths: dict[str, Path]

    def truth_s(self, name: str, reference: str = "ref") -> float:
        by_name = {c.name: c for c in CAMERAS}
        return by_name[name].start_s - by_name[reference].start_s

    def sync(self, names: list[str], *, reference: str = "ref", unsynced=()) -> SyncResult:
        """A SyncResult built from the true offsets, as estimate_offsets would return it."""
        videos = tuple(
            VideoOffset(
                filename=self.paths[n].name,
                path=str(self.paths[n]),
                offset_s=None if n in unsynced else self.truth_s(n, reference),
                confidence=0.0 if n in unsynced else 1.0,
                band="excellent",
                synced=n not in unsynced,
                is_reference=n == reference,
            )
            for n in names
        )
        return SyncResult(
            method="auto", reference=self.paths[reference].name, max_lag_s=20.0, videos=videos
        )


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Clips:
    return Clips(write_clips(CAMERAS, tmp_path_factory.mktemp("render-src"), seed=11))


@pytest.fixture(scope="module")
def union(clips: Clips, tmp_path_factory: pytest.TempPathFactory):
    seen: list[tuple[str, float]] = []
    result = render_synced(
        clips.sync(["ref", "late", "early", "mute"]),
        tmp_path_factory.mktemp("union"),
        progress=lambda stage, fraction: seen.append((stage, fraction)),
    )
    return result, seen


def _by_name(result: RenderResult) -> dict[str, object]:
    return {Path(f.output).name: f for f in result.files}


# plan_timeline: pure --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offsets_s", "durations_s", "mode", "expected"),
    [
        ([0.0, 1.25], [10.0, 10.0], "union", (0.0, 11.25)),
        ([0.0, -2.4], [10.0, 10.0], "union", (-2.4, 12.4)),
        ([0.0, 1.25, -2.4], [12.0, 10.0, 10.0], "union", (-2.4, 14.4)),
        ([0.0, 0.0], [5.0, 8.0], "union", (0.0, 8.0)),
        ([0.0, -1.0], [10.0, 4.0], "union", (-1.0, 11.0)),  # the reference ends last
        ([0.0, 1.25], [10.0, 10.0], "reference", (0.0, 11.25)),
        ([0.0, -2.4], [10.0, 10.0], "reference", (0.0, 10.0)),  # the early camera is cut
        ([-3.0, 0.0, 2.0], [20.0, 5.0, 1.0], "reference", (0.0, 17.0)),
    ],
)
def test_plan_timeline_spans_the_chosen_footage(offsets_s, durations_s, mode, expected) -> None:
    assert plan_timeline(offsets_s, durations_s, mode=mode) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("offsets_s", "durations_s", "mode", "match"),
    [
        ([0.0, 1.0], [5.0, 5.0], "longest", "mode must be one of"),
        ([0.0, 1.0], [5.0], "union", "one duration per offset"),
        ([], [], "union", "one duration per offset"),
        ([0.0, float("nan")], [5.0, 5.0], "union", "finite"),
        ([0.0, 1.0], [5.0, 0.0], "union", "durations must be positive"),
        ([-9.0, -8.0], [5.0, 5.0], "reference", "ends before the reference starts"),
    ],
)
def test_plan_timeline_rejects_bad_input(offsets_s, durations_s, mode, match) -> None:
    with pytest.raises(ParameterError, match=match):
        plan_timeline(offsets_s, durations_s, mode=mode)


def test_video_is_shifted_by_one_tpad_that_pads_both_ends() -> None:
    pad = _video_chain(lead_s=1.0, fps=30.0, total_s=9.0)
    cut = _video_chain(lead_s=-1.02, fps=25.0, total_s=9.0)
    assert pad.count("tpad") == 1 and "tpad=start=30:stop=-1:stop_mode=add" in pad
    assert pad.endswith("trim=end_frame=270")
    assert "trim=start_frame=26" in cut and "tpad=start=0:stop=-1" in cut
    assert _video_chain(lead_s=0.0, fps=30000 / 1001, total_s=1.0).count("fps=30000/1001") == 1


def test_audio_is_shifted_and_cut_to_the_sample() -> None:
    assert "adelay=62400S:all=1" in _audio_chain(lead_s=1.3, sample_rate_hz=48000, total_s=9.0)
    cut = _audio_chain(lead_s=-1.5, sample_rate_hz=44100, total_s=9.0)
    assert "atrim=start_sample=66150" in cut and cut.endswith("atrim=end_sample=396900")


# Re-encode -----------------------------------------------------------------------------------


def test_union_outputs_share_one_timeline_and_are_verified(union) -> None:
    result, _ = union
    files = _by_name(result)
    assert set(files) == {
        "ref_synced.mp4",
        "late_synced.mp4",
        "early_synced.mkv",
        "mute_synced.mov",
    }
    assert result.verified and result.mode == "union" and result.skipped == ()
    assert result.timeline_start_s == pytest.approx(-1.5)
    assert result.timeline_duration_s == pytest.approx(8.75)  # from -1.5 to late's end, 7.25
    assert result.tolerance_s == pytest.approx(FRAME_S)
    for f in result.files:
        assert abs(f.duration_s - result.timeline_duration_s) <= FRAME_S, f
        assert f.residual_s is not None and abs(f.residual_s) <= FRAME_S, f
    assert files["late_synced.mp4"].lead_s == pytest.approx(2.75)
    assert files["early_synced.mkv"].lead_s == pytest.approx(0.0)
    assert result.max_residual_s == max(abs(f.residual_s) for f in result.files)


def test_outputs_keep_each_camera_frame_rate_and_sample_rate(union) -> None:
    files = _by_name(union[0])
    early = probe(files["early_synced.mkv"].output)
    assert early.video.fps == pytest.approx(25.0) and early.audio.sample_rate_hz == 44100
    ref = probe(files["ref_synced.mp4"].output)
    assert ref.video.fps == pytest.approx(30.0) and ref.audio.sample_rate_hz == 48000
    assert ref.video.frame_count == round(8.75 * 30) and ref.video.codec == "h264"
    assert probe(files["mute_synced.mov"].output).audio is None  # no audio in, none out


def test_progress_reports_rendering_then_verifying(union) -> None:
    _, seen = union
    stages = [stage for stage, _ in seen]
    assert stages[0] == "rendering" and stages[-1] == "verifying"
    assert stages.index("verifying") > max(i for i, s in enumerate(stages) if s == "rendering")
    fractions = [fraction for _, fraction in seen]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)


def test_reference_mode_starts_at_the_reference_and_cuts_earlier_footage(
    clips: Clips, tmp_path: Path
) -> None:
    # Audio clips only: every residual is then an audio measurement, so it shows the sample
    # accuracy (with a picture-only clip in the set, its visual lags pull the joint solve).
    result = render_synced(clips.sync(["ref", "late", "early"]), tmp_path, mode="reference")
    files = _by_name(result)
    assert result.verified and result.timeline_start_s == 0.0
    assert result.timeline_duration_s == pytest.approx(7.25)
    assert files["early_synced.mkv"].lead_s == pytest.approx(-1.5)  # 1.5 s cut
    for f in result.files:
        assert abs(f.duration_s - 7.25) <= FRAME_S and abs(f.residual_s) <= AUDIO_TOL_S, f


def test_a_clip_without_audio_is_placed_and_verified_by_its_picture(
    clips: Clips, tmp_path: Path
) -> None:
    sync = estimate_offsets([clips.paths[n] for n in ("ref", "late", "mute")])
    mute = sync.video("mute.mov")
    assert mute.audio_offset_s is None and mute.visual_offset_s is not None and mute.synced
    result = render_synced(sync, tmp_path)
    residual_s = _by_name(result)["mute_synced.mov"].residual_s
    assert result.verified and abs(residual_s) <= 1 / 30


def test_unsynced_videos_are_skipped_and_listed(clips: Clips, tmp_path: Path) -> None:
    sync = clips.sync(["ref", "late", "mute"], unsynced={"mute"})
    result = render_synced(sync, tmp_path, verify=False)
    assert result.skipped == ("mute.mov",) and "not synced" in result.notes[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["late_synced.mp4", "ref_synced.mp4"]
    assert not result.verified and all(f.residual_s is None for f in result.files)


def test_it_refuses_fewer_than_two_synced_videos(clips: Clips, tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="at least two synced videos.*got 1"):
        render_synced(clips.sync(["ref", "late"], unsynced={"late"}), tmp_path)


def test_it_refuses_to_overwrite_an_input(clips: Clips, tmp_path: Path) -> None:
    # "late" was uploaded as ref_synced.mp4: ref's output would overwrite it.
    renamed = Clips({"ref": tmp_path / "ref.mp4", "late": tmp_path / "ref_synced.mp4"})
    for name, path in renamed.paths.items():
        shutil.copy(clips.paths[name], path)
    with pytest.raises(ParameterError, match="ref_synced.mp4"):
        render_synced(renamed.sync(["ref", "late"]), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ref.mp4", "ref_synced.mp4"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"mode": "longest"}, "mode must be one of"), ({"tolerance_s": 0.0}, "tolerance_s")],
)
def test_it_rejects_bad_options(clips: Clips, tmp_path: Path, kwargs, match) -> None:
    with pytest.raises(ParameterError, match=match):
        render_synced(clips.sync(["ref", "late"]), tmp_path, **kwargs)


def test_a_failed_render_leaves_nothing_behind(clips: Clips, tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="rendering 'ref.mp4' failed"):
        render_synced(clips.sync(["ref", "late"]), tmp_path, timeout_s=0.001)
    assert list(tmp_path.iterdir()) == []


def test_a_render_that_does_not_line_up_fails_verification(clips: Clips, tmp_path: Path) -> None:
    wrong = clips.sync(["ref", "late"])
    late = replace(wrong.videos[1], offset_s=1.25 + 0.2)  # 200 ms off
    wrong = replace(wrong, videos=(wrong.videos[0], late))
    with pytest.raises(RenderVerificationFailed, match="late_synced.mp4") as info:
        render_synced(wrong, tmp_path)
    result = info.value.result
    assert not result.verified and info.value.filename == "late_synced.mp4"
    assert _by_name(result)["late_synced.mp4"].residual_s == pytest.approx(-0.2, abs=0.001)
    assert {p.name for p in tmp_path.iterdir()} == {"ref_synced.mp4", "late_synced.mp4"}


# Copy mode -----------------------------------------------------------------------------------


def test_copy_mode_cuts_at_keyframes_and_reports_the_snap(clips: Clips, tmp_path: Path) -> None:
    # With the latest camera as reference every other clip is cut, never shifted later.
    sync = clips.sync(["ref", "late", "early", "mute"], reference="late")
    result = render_synced(sync, tmp_path, mode="reference", reencode=False)
    files = _by_name(result)
    assert result.verified
    # MP4/MOV: the edit list hides the frames before the cut, exact for FFmpeg readers.
    assert abs(files["ref_synced.mp4"].residual_s) <= FRAME_S
    assert abs(files["mute_synced.mov"].residual_s) <= FRAME_S
    # MKV: the cut at 2.75 s starts at the keyframe at 2.0 s, so the clip is 0.75 s early.
    assert files["early_synced.mkv"].residual_s == pytest.approx(-0.75, abs=FRAME_S)
    # Each output may be off by its own snap; the largest is ref's (cut 1.25 s, keyframe at 0).
    assert result.tolerance_s == pytest.approx(1.25 + FRAME_S)
    assert files["ref_synced.mp4"].duration_s == pytest.approx(7.0 - 1.25, abs=FRAME_S)
    assert files["early_synced.mkv"].duration_s == pytest.approx(6.5 - 2.0, abs=FRAME_S)


def test_copy_mode_only_cuts_so_it_starts_with_the_last_camera(
    clips: Clips, tmp_path: Path
) -> None:
    sync = clips.sync(["ref", "late", "early"])  # union mode asked, but copy can only cut
    result = render_synced(sync, tmp_path, reencode=False)
    files = _by_name(result)
    assert result.timeline_start_s == pytest.approx(1.25)
    assert any("start when the last camera started" in note for note in result.notes)
    assert files["late_synced.mp4"].lead_s == 0.0
    assert files["ref_synced.mp4"].lead_s == pytest.approx(-1.25)
    assert result.verified
    assert abs(files["ref_synced.mp4"].residual_s) <= FRAME_S  # MP4 edit list: exact
    assert files["early_synced.mkv"].residual_s == pytest.approx(-0.75, abs=FRAME_S)  # snapped


# ZIP -----------------------------------------------------------------------------------------


def test_zip_holds_exactly_the_synced_files(union, tmp_path: Path) -> None:
    result, _ = union
    (Path(result.files[0].output).parent / "notes.txt").write_text("not a synced file")
    zip_path = zip_outputs(result, tmp_path / "synced.zip")
    with zipfile.ZipFile(zip_path) as zf:
        infos = zf.infolist()
        assert sorted(i.filename for i in infos) == sorted(_by_name(result))
        assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
        for f in result.files:
            assert zf.read(Path(f.output).name) == Path(f.output).read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["synced.zip"]  # no partial file left


def test_zip_refuses_files_that_are_not_synced_outputs(union, tmp_path: Path) -> None:
    result, _ = union
    stray = replace(result.files[0], output=str(tmp_path / "other.mp4"))
    (tmp_path / "other.mp4").write_bytes(b"x")
    with pytest.raises(ParameterError, match="other.mp4"):
        zip_outputs(replace(result, files=(stray,)), tmp_path / "synced.zip")


def test_zip_streams_in_pieces_no_larger_than_a_chunk(union) -> None:
    result, _ = union
    pieces = list(iter_zip([f.output for f in result.files], chunk_bytes=4096))
    assert len(pieces) > 3 and max(len(p) for p in pieces) <= 4096 + 1024  # data + one header
    with zipfile.ZipFile(io.BytesIO(b"".join(pieces))) as zf:
        assert zf.testzip() is None
        assert sorted(zf.namelist()) == sorted(_by_name(result))


def test_zip_of_a_file_over_4_gb_uses_zip64(tmp_path: Path) -> None:
    big = tmp_path / "big_synced.mp4"
    with big.open("wb") as fh:  # sparse: 4.1 GB on paper, nothing on disk
        fh.truncate(4_100_000_000)
    stream = iter_zip([big])
    head = next(stream)
    assert head.startswith(b"PK\x03\x04")
    # The local header announces ZIP64 (extra field id 0x0001) before any data is sent.
    name_len, extra_len = struct.unpack("<HH", head[26:30])
    extra = head[30 + name_len : 30 + name_len + extra_len]
    assert head[30 : 30 + name_len] == b"big_synced.mp4" and extra[:2] == b"\x01\x00"
    stream.close()


# Placed (manual) offsets ---------------------------------------------------------------------


def test_a_video_placed_by_hand_is_rendered_there_and_verified_against_the_expectation(
    clips: Clips, tmp_path: Path
) -> None:
    sync = clips.sync(["ref", "late"])
    placed = {"late.mp4": 1.25 + 0.1}  # the user moved it 100 ms later on purpose
    result = render_synced(sync, tmp_path, placed_offsets_s=placed)
    files = _by_name(result)
    assert result.verified
    assert files["late_synced.mp4"].offset_s == pytest.approx(1.35)
    assert files["late_synced.mp4"].lead_s == pytest.approx(1.35)
    # Measured -0.1 s against the reference's output, as expected: the residual is ~0.
    assert abs(files["late_synced.mp4"].residual_s) <= AUDIO_TOL_S


def test_an_unsynced_video_placed_by_hand_is_rendered_but_not_checked(
    clips: Clips, tmp_path: Path
) -> None:
    sync = clips.sync(["ref", "late", "early"], unsynced=("early",))
    result = render_synced(sync, tmp_path, placed_offsets_s={"early.mkv": -1.5})
    files = _by_name(result)
    assert result.verified and files["early_synced.mkv"].residual_s is None
    assert any("placed by hand" in note for note in result.notes)
    assert result.timeline_start_s == pytest.approx(-1.5)


@pytest.mark.parametrize(
    ("placed", "match"),
    [({"nope.mp4": 1.0}, "not one of the videos"), ({"late.mp4": float("nan")}, "finite")],
)
def test_it_rejects_bad_placed_offsets(clips: Clips, tmp_path: Path, placed, match) -> None:
    with pytest.raises(ParameterError, match=match):
        render_synced(clips.sync(["ref", "late"]), tmp_path, placed_offsets_s=placed)


def _can_mount_tmpfs() -> bool:
    import subprocess

    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
        capture_output=True,
        timeout=30,
    )
    return shutil.which("unshare") is not None and probe.returncode == 0


FULL_DISK_SCRIPT = """
import sys
from pathlib import Path
from tests.engine.test_render import Clips
from syncengine.errors import RenderError
from syncengine.render import render_synced
clips = Clips({p.split("=")[0]: Path(p.split("=")[1]) for p in sys.argv[2:]})
try:
    render_synced(clips.sync(["ref", "late"]), sys.argv[1])
except RenderError as exc:
    print("ERROR", exc.code, exc.message)
print("LEFT", sorted(p.name for p in Path(sys.argv[1]).iterdir()))
"""


@pytest.mark.skipif(not _can_mount_tmpfs(), reason="needs unshare -m and mount (root)")
def test_a_full_disk_fails_the_render_with_the_reason_and_leaves_nothing(
    clips: Clips, tmp_path: Path
) -> None:
    import subprocess
    import sys

    out = tmp_path / "full"
    out.mkdir()
    args = [f"{k}={v}" for k, v in clips.paths.items()]
    # A 64 KB file system of its own, in a mount namespace of its own: a real ENOSPC.
    command = (
        f"mount -t tmpfs -o size=64k tmpfs {out} && "
        f"exec {sys.executable} -c '{FULL_DISK_SCRIPT}' {out} {' '.join(args)}"
    )
    run = subprocess.run(
        ["unshare", "-m", "sh", "-c", command],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "ERROR render_failed rendering 'ref.mp4' failed" in run.stdout, run.stdout
    assert "No space left on device" in run.stdout
    assert "LEFT []" in run.stdout  # no partial output, no hidden temp folder
