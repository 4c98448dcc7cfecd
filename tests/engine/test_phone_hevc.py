"""HEVC 10-bit HDR and 1080p60 phone footage: decoded, proxied to 8-bit SDR H.264, synced.

The HDR clips are real encodes with the bundled ffmpeg's libx265 (``yuv420p10le``): an SDR
camera's picture taken to linear light with zscale and written as BT.2020 PQ (SMPTE 2084) or
HLG, SDR white at 203 nits (BT.2408), tagged bt2020 / smpte2084 (or arib-std-b67) / bt2020nc.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from mediasynth.clips import CameraSpec, write_clip
from syncengine import estimate_offsets
from syncengine.media import ffmpeg_executable, iter_gray_frames, probe, video_color
from syncengine.proxy import make_poster, make_proxy

START_S = 1.25  # the phone starts 1.25 s after the reference
_TO_HDR = (
    "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv,"
    "zscale=t=linear:npl=203,format=gbrpf32le,zscale=p=bt2020,"
    "zscale=t={transfer}:m=2020_ncl:r=limited:npl=203,format=yuv420p10le"
)
_X265 = ("-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error",
         "-pix_fmt", "yuv420p10le", "-tag:v", "hvc1")  # fmt: skip
PQ, HLG = 16, 18  # FFmpeg's transfer numbers


def _ffmpeg(*args: str) -> None:
    subprocess.run(
        [ffmpeg_executable(), "-nostdin", "-v", "error", "-y", *args],
        check=True,
        capture_output=True,
    )


def _to_hdr(source: Path, target: Path, *, transfer: str, extra: tuple[str, ...] = ()) -> Path:
    _ffmpeg("-i", str(source), *extra, "-vf", _TO_HDR.format(transfer=transfer), *_X265,
            "-c:a", "copy", str(target))  # fmt: skip
    return target


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("phone_hevc")
    ref = write_clip(CameraSpec("ref", 0.0, 10.0, width=320, height=240), folder, seed=0)
    sdr = write_clip(CameraSpec("sdr", START_S, 7.0, width=640, height=360), folder, seed=0)
    return {
        "ref": ref,
        "sdr": sdr,
        "pq": _to_hdr(sdr, folder / "phone_pq.mp4", transfer="smpte2084"),
        "hlg": _to_hdr(sdr, folder / "phone_hlg.mp4", transfer="arib-std-b67", extra=("-t", "2")),
    }


def _frames(path: Path, **kwargs: int) -> NDArray[np.float64]:
    return np.array([g.astype(np.float64) for _, g in iter_gray_frames(path, **kwargs)])


def test_the_clips_are_hevc_10_bit_hdr(clips: dict[str, Path]) -> None:
    video = probe(clips["pq"]).video
    assert video is not None and video.codec == "hevc"
    assert (video.width, video.height, video.fps) == (640, 360, 30.0)
    for name, transfer in (("pq", PQ), ("hlg", HLG)):
        color = video_color(clips[name])
        assert color is not None
        assert (color.transfer, color.primaries, color.matrix) == (transfer, 9, 9)
        assert color.pixel_format == "yuv420p10le" and color.hdr
    sdr = video_color(clips["sdr"])
    assert sdr is not None and not sdr.hdr and not sdr.wide_gamut


def test_video_color_of_a_file_without_picture_is_none(tmp_path: Path) -> None:
    wav = tmp_path / "sound.wav"
    _ffmpeg("-f", "lavfi", "-i", "sine=d=1", str(wav))
    assert video_color(wav) is None


def test_10_bit_frames_decode_to_their_luma_in_8_bits(clips: dict[str, Path]) -> None:
    """Every frame, at full size, is the stream's 10-bit luma plane shifted down two bits."""
    ours = _frames(clips["pq"], width=640)
    raw = subprocess.run(
        [ffmpeg_executable(), "-v", "error", "-i", str(clips["pq"]), "-map", "0:v:0",
         "-vf", "extractplanes=y", "-f", "rawvideo", "-pix_fmt", "gray10le", "-"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    luma = np.frombuffer(raw, "<u2").reshape(-1, 360, 640) >> 2
    assert ours.shape == luma.shape == (210, 360, 640)
    assert np.array_equal(ours, luma)


def test_hdr_hevc_syncs_within_a_frame(clips: dict[str, Path]) -> None:
    both = estimate_offsets([clips["ref"], clips["pq"]])
    seen = estimate_offsets([clips["ref"], clips["pq"]], method="visual")
    auto, visual = both.offsets()["phone_pq.mp4"], seen.offsets()["phone_pq.mp4"]
    assert auto is not None and visual is not None
    print(f"HEVC 10-bit PQ: auto {1000 * (auto - START_S):+.2f} ms, "
          f"visual {1000 * (visual - START_S):+.2f} ms")  # fmt: skip
    assert abs(auto - START_S) <= 1 / 30
    assert abs(visual - START_S) <= 1 / 30


def _contrast(frames: NDArray[np.float64]) -> float:
    return float(frames.std())


def test_the_hdr_proxy_is_8_bit_sdr_h264_tone_mapped(clips: dict[str, Path], tmp_path) -> None:
    proxy = make_proxy(clips["pq"], tmp_path / "proxy.mp4")
    video = probe(proxy).video
    color = video_color(proxy)
    assert video is not None and color is not None
    assert (video.codec, video.width, video.height, video.variable_fps) == ("h264", 640, 360, False)
    assert color.pixel_format == "yuv420p"
    assert (color.transfer, color.primaries, color.matrix) == (1, 1, 1)  # bt709 throughout
    # PQ code values shown as if they were SDR look flat and grey; tone-mapped, the picture
    # gets most of the SDR original's contrast back.
    sdr, hdr, shown = _frames(clips["sdr"]), _frames(clips["pq"]), _frames(proxy)
    n = min(len(sdr), len(shown))
    similarity = float(np.corrcoef(shown[:n].ravel(), sdr[:n].ravel())[0, 1])
    print(f"contrast: SDR {_contrast(sdr):.1f}, PQ as 8-bit {_contrast(hdr):.1f}, "
          f"proxy {_contrast(shown):.1f}; proxy vs SDR r={similarity:.3f}")  # fmt: skip
    assert _contrast(shown) > 1.3 * _contrast(hdr)
    assert _contrast(shown) > 0.6 * _contrast(sdr)
    assert similarity > 0.95
    assert abs(shown.mean() - sdr.mean()) < 20


def test_an_hlg_proxy_is_tagged_bt709(clips: dict[str, Path], tmp_path: Path) -> None:
    color = video_color(make_proxy(clips["hlg"], tmp_path / "proxy.mp4"))
    assert color is not None
    assert (color.pixel_format, color.transfer, color.primaries) == ("yuv420p", 1, 1)


def test_the_hdr_poster_is_tone_mapped_like_the_proxy(clips: dict[str, Path], tmp_path) -> None:
    import cv2

    poster = make_poster(clips["pq"], tmp_path / "poster.jpg")
    assert poster is not None
    image = cv2.imread(str(poster), cv2.IMREAD_GRAYSCALE)
    assert image.shape == (360, 640)
    plain = tmp_path / "plain.jpg"
    _ffmpeg("-ss", "0.700", "-i", str(clips["pq"]), "-frames:v", "1", str(plain))
    flat = cv2.imread(str(plain), cv2.IMREAD_GRAYSCALE)
    assert float(image.std()) > 1.3 * float(flat.std())


def test_a_1080p60_hevc_10_bit_phone_syncs_within_a_frame(clips, tmp_path: Path) -> None:
    """2 s of 1080p60 HEVC 10-bit (the SDR camera scaled up, frames doubled)."""
    phone = tmp_path / "phone_1080p60.mp4"
    _ffmpeg("-i", str(clips["sdr"]), "-t", "2", "-vf", "scale=1920:1080,fps=60", *_X265,
            "-c:a", "copy", str(phone))  # fmt: skip
    video = probe(phone).video
    assert video is not None
    assert (video.codec, video.width, video.height, video.fps) == ("hevc", 1920, 1080, 60.0)
    frames = list(iter_gray_frames(phone))
    assert len(frames) == 120 and frames[0][1].shape == (90, 160)
    result = estimate_offsets([clips["ref"], phone])
    placed = result.offsets()["phone_1080p60.mp4"]
    assert placed is not None
    print(f"1080p60 HEVC 10-bit: {1000 * (placed - START_S):+.2f} ms")
    assert abs(placed - START_S) <= 1 / 60
