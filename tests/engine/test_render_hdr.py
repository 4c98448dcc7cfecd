"""Exports of HDR sources: tone-mapped to 8-bit SDR BT.709 like the proxy, frames where they were.

The HDR clip is a real libx265 ``yuv420p10le`` encode of an SDR camera's clip, written as
BT.2020 PQ (as in tests/engine/test_phone_hevc.py). Both are exported next to a reference; the
HDR clip's synced file must look like the SDR clip's synced file (contrast, frame by frame) and
be tagged BT.709, and the render's verification must place it within a frame.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from mediasynth.clips import CameraSpec, write_clip
from syncengine.media import ffmpeg_executable, iter_gray_frames, probe, video_color
from syncengine.render import render_synced
from syncengine.render_chains import color_filters, video_chain
from syncengine.types import Placement, RenderedFile, RenderResult

FPS = 30.0
FRAME_S = 1 / FPS
START_S = 1.25  # the SDR and HDR clips start 1.25 s after the reference
DURATION_S = 4.5
PQ = 16
_TO_PQ = (
    "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv,"
    "zscale=t=linear:npl=203,format=gbrpf32le,zscale=p=bt2020,"
    "zscale=t=smpte2084:m=2020_ncl:r=limited:npl=203,format=yuv420p10le"
)
_X265 = ("-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error",
         "-pix_fmt", "yuv420p10le", "-tag:v", "hvc1")  # fmt: skip


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("render_hdr")
    ref = write_clip(CameraSpec("ref", 0.0, 6.0, width=320, height=180, fps=FPS), folder, seed=3)
    sdr = write_clip(
        CameraSpec("sdr", START_S, DURATION_S, width=320, height=180, fps=FPS), folder, seed=3
    )
    pq = folder / "phone_pq.mp4"
    subprocess.run(
        [ffmpeg_executable(), "-nostdin", "-v", "error", "-y", "-i", str(sdr),
         "-vf", _TO_PQ, *_X265, "-c:a", "copy", str(pq)],
        check=True, capture_output=True,
    )  # fmt: skip
    return {"ref": ref, "sdr": sdr, "pq": pq}


def _placements(clips: dict[str, Path], *, cameras: bool = False) -> list[Placement]:
    ref = Placement("ref", clips["ref"], 0.0, "ref.mp4", estimate_s=0.0, is_reference=True)
    return [ref] + [
        Placement(k, clips[k], START_S, f"{k}.mp4", estimate_s=START_S, camera=k if cameras else "")
        for k in ("sdr", "pq")
    ]


@pytest.fixture(scope="module")
def per_clip(clips, tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    return render_synced(_placements(clips), tmp_path_factory.mktemp("per-clip"))


def _by_name(result: RenderResult) -> dict[str, RenderedFile]:
    return {Path(f.output).name: f for f in result.files}


def _footage(path: Path, f: RenderedFile) -> NDArray[np.float64]:
    """The output's gray frames where its clip's own footage is (padding left out)."""
    frames = np.array([g.astype(np.float64) for _, g in iter_gray_frames(path)])
    first = round(f.lead_s * FPS) + 2
    return frames[first : first + round(DURATION_S * FPS) - 4]


def _motion_r(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    r = np.corrcoef(np.diff(a, axis=0).ravel(), np.diff(b, axis=0).ravel())[0, 1]
    return round(float(r), 3)


def _check(result: RenderResult, sdr_name: str, pq_name: str, source: Path) -> None:
    files = _by_name(result)
    assert result.verified, result
    for f in result.files:
        assert f.residual_s is not None and abs(f.residual_s) <= FRAME_S, f
    sdr_out, pq_out = Path(files[sdr_name].output), Path(files[pq_name].output)
    color = video_color(pq_out)
    video = probe(pq_out).video
    assert color is not None and video is not None
    assert (video.codec, color.pixel_format) == ("h264", "yuv420p")
    assert (color.transfer, color.primaries, color.matrix) == (1, 1, 1)  # bt709 throughout
    sdr, hdr = _footage(sdr_out, files[sdr_name]), _footage(pq_out, files[pq_name])
    plain = np.array([g.astype(np.float64) for _, g in iter_gray_frames(source)])
    assert sdr.shape == hdr.shape and len(sdr) > 100
    # Frame by frame: the HDR export's picture changes where the SDR export's does (the
    # correlation of frame-to-frame changes), at no shift and not a frame either way.
    moves = {s: _motion_r(hdr[2:-2], sdr[2 + s : len(sdr) - 2 + s]) for s in (-1, 0, 1)}
    r = float(np.corrcoef(hdr.ravel(), sdr.ravel())[0, 1])
    residual_ms = 1000 * (files[pq_name].residual_s or 0.0)
    print(
        f"{pq_name}: residual {residual_ms:+.2f} ms; contrast SDR export "
        f"{sdr.std():.1f}, HDR export {hdr.std():.1f}, PQ source as 8-bit {plain.std():.1f}; "
        f"r={r:.3f}; mean {sdr.mean():.1f} vs {hdr.mean():.1f}; motion r by shift {moves}"
    )
    assert moves[0] > 0.9 and moves[0] > max(moves[-1], moves[1]) + 0.3
    assert hdr.std() > 0.6 * sdr.std() and hdr.std() > 1.3 * plain.std()
    assert r > 0.95 and abs(hdr.mean() - sdr.mean()) < 20


def test_an_hdr_clip_is_exported_tone_mapped_to_sdr_bt709(clips, per_clip: RenderResult) -> None:
    _check(per_clip, "sdr_synced.mp4", "pq_synced.mp4", clips["pq"])


def test_an_sdr_clip_keeps_its_chain_and_tags(clips, per_clip: RenderResult) -> None:
    sdr = video_color(clips["sdr"])
    assert sdr is not None and not sdr.hdr and not sdr.wide_gamut
    assert color_filters(sdr) == (["format=yuv420p"], [])
    assert video_chain(lead_s=1.0, fps=FPS, total_s=3.0, color=sdr) == video_chain(
        lead_s=1.0, fps=FPS, total_s=3.0
    )
    out = video_color(Path(_by_name(per_clip)["sdr_synced.mp4"].output))
    assert out is not None and (out.transfer, out.primaries) == (sdr.transfer, sdr.primaries)


def test_the_tone_map_comes_after_the_timing_filters(clips) -> None:
    color = video_color(clips["pq"])
    assert color is not None and color.transfer == PQ and color.primaries == 9
    chain = video_chain(lead_s=1.0, fps=FPS, total_s=3.0, color=color)
    timing = video_chain(lead_s=1.0, fps=FPS, total_s=3.0)
    filters, tags = color_filters(color)
    assert chain == ",".join([timing, *filters]) and "tonemap=tonemap=hable" in chain
    assert tags == ["-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709"]


def test_a_per_camera_export_of_an_hdr_clip_is_tone_mapped(clips, tmp_path: Path) -> None:
    result = render_synced(_placements(clips, cameras=True), tmp_path, layout="camera")
    names = {Path(f.output).name for f in result.files}
    sdr = next(n for n in names if n.startswith("sdr"))
    pq = next(n for n in names if n.startswith("pq"))
    _check(result, sdr, pq, clips["pq"])
