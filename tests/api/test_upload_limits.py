"""Uploads declaring a huge picture or a huge duration are refused from the headers (engine, API,
portal), and nothing is stored. The files are tiny: one 7696x4336 frame at the worst quality
(about 100 KB), one 8208x16 frame, and a 1 s MKV whose Duration element says 1,000,000 s."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest
from django.urls import reverse

from projects.models import Video
from syncengine.cli import EXIT_BAD_INPUT, main
from syncengine.errors import MediaTooLong, PictureTooLarge, UnsupportedMedia
from syncengine.limits import MAX_DURATION_S, MAX_PICTURE_PIXELS, MAX_PICTURE_SIDE
from syncengine.probe import probe
from tests.api.base import ApiTestCase

_MKV_DURATION = b"\x44\x89\x88"  # EBML id of Segment/Info/Duration, then an 8-byte float (ms)


def _ffmpeg(*args: str) -> None:
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run([exe, "-y", "-v", "error", *args], check=True, timeout=120)


def _one_frame(path: Path, size: str) -> Path:
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"color=c=black:s={size}:r=25",
        "-frames:v",
        "1",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-crf",
        "51",
        str(path),
    )
    return path


def _declaring_a_million_seconds(path: Path) -> Path:
    one_second = path.with_name("one_second.mkv")
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "sine=d=1",
        "-f",
        "lavfi",
        "-i",
        "color=s=64x64:d=1",
        "-c:v",
        "mpeg4",
        "-c:a",
        "pcm_s16le",
        str(one_second),
    )
    data = bytearray(one_second.read_bytes())
    at = data.find(_MKV_DURATION) + len(_MKV_DURATION)
    assert at >= len(_MKV_DURATION) and struct.unpack(">d", data[at : at + 8]) == (1000.0,)
    data[at : at + 8] = struct.pack(">d", 1_000_000_000.0)  # 1,000,000 s in milliseconds
    path.write_bytes(bytes(data))
    return path


@pytest.fixture(scope="module")
def huge(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("huge")
    return {
        "many_pixels": _one_frame(root / "many_pixels.mp4", "7696x4336"),
        "wide": _one_frame(root / "wide.mp4", "8208x16"),
        "long": _declaring_a_million_seconds(root / "long.mkv"),
    }


@pytest.fixture()
def _huge(request: pytest.FixtureRequest, huge: dict[str, Path]) -> None:
    request.cls.huge = huge


def test_the_limits_are_8k_and_8192_a_side_and_six_hours() -> None:
    assert MAX_PICTURE_PIXELS == 7680 * 4320 and MAX_PICTURE_SIDE == 8192
    assert MAX_DURATION_S == 6 * 3600


def test_the_probe_refuses_a_huge_picture_from_its_header(huge: dict[str, Path]) -> None:
    for name, size in [("many_pixels", (7696, 4336)), ("wide", (8208, 16))]:
        path = huge[name]
        assert path.stat().st_size < 200_000
        with pytest.raises(PictureTooLarge) as caught:
            probe(path)
        exc = caught.value
        assert isinstance(exc, UnsupportedMedia) and exc.code == "picture_too_large"
        assert (exc.extra["width"], exc.extra["height"]) == size and exc.filename == path.name
        assert exc.message.startswith(f"'{path.name}' has a {size[0]}x{size[1]} picture")
        assert "Re-export it at 4K or lower" in exc.message


def test_the_probe_refuses_a_declared_duration_over_six_hours(huge: dict[str, Path]) -> None:
    path = huge["long"]
    with pytest.raises(MediaTooLong) as caught:
        probe(path)
    exc = caught.value
    assert isinstance(exc, UnsupportedMedia) and exc.code == "too_long"
    assert exc.extra["duration_s"] == pytest.approx(1_000_000.0)
    assert "at most 6 hours" in exc.message and "277.8 hours" in exc.message


def test_the_cli_refuses_them_before_syncing(
    huge: dict[str, Path], clips: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    for name, code in [("many_pixels", "picture_too_large"), ("long", "too_long")]:
        argv = ["sync", str(clips["a"]), str(huge[name]), "--method", "audio", "--quiet"]
        assert main(argv) == EXIT_BAD_INPUT
        assert f"error [{code}]: '{huge[name].name}'" in capsys.readouterr().err


def test_the_unpatched_one_second_clip_is_accepted(huge: dict[str, Path]) -> None:
    info = probe(huge["long"].with_name("one_second.mkv"))
    assert info.duration_s == pytest.approx(1.0, abs=0.05) and info.video.width == 64


class UploadSchemaTests(ApiTestCase):
    def test_the_upload_operation_documents_the_refusal_codes(self) -> None:
        response = self.client.get(reverse("api-schema"), HTTP_ACCEPT="application/json")
        operation = response.json()["paths"]["/api/v1/projects/{project_id}/videos/"]["post"]
        for code in ("unreadable_media", "unsupported_media", "picture_too_large", "too_long"):
            assert f"`{code}`" in operation["description"], code
        assert "400" in operation["responses"]


def _stored(root: str) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


@pytest.mark.usefixtures("_huge")
class UploadLimitTests(ApiTestCase):
    huge: dict[str, Path]
    cases = {"many_pixels": "picture_too_large", "wide": "picture_too_large", "long": "too_long"}

    def test_the_api_refuses_them_with_400_and_a_stable_code_and_stores_nothing(self) -> None:
        from projects import services

        project = services.project_create(owner=self.owner, name="Gig")
        url = reverse("api-video-list", args=[project.pk])
        for name, code in self.cases.items():
            with self.subTest(name):
                path = self.huge[name]
                upload = self.upload(path, name=f"My {name} clip{path.suffix}")
                response = self.call("POST", url, {"file": upload}, multipart=True)
                body = self.assert_error(response, 400, code)
                assert body["message"].startswith(f"'My {name} clip"), body
                assert not Video.objects.exists()
                assert _stored(self.media_root) == []
