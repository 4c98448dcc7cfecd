"""Audio-only uploads over the API: a sound recorder's WAV (16/24-bit, 32-bit float), MP3,
M4A/AAC, FLAC and multichannel files are accepted, probed as audio-only and get a browser
preview (an AAC audio proxy and a waveform); a corrupt WAV is refused with a clear message."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects import services
from projects.models import Video
from projects.services.videos import WAVEFORM_NAME, video_waveform
from syncengine import probe
from syncengine.media import ffmpeg_executable
from syncengine.waveform import DEFAULT_POINTS
from tests.api.base import ApiTestCase

NOISE = "anoisesrc=seed=7:duration=4:sample_rate=48000:amplitude=0.5"
#: name -> (lavfi source, ffmpeg output options, expected channels)
FORMATS = {
    "rec16.wav": (NOISE, ["-c:a", "pcm_s16le"], 1),
    "rec24.wav": (NOISE, ["-c:a", "pcm_s24le", "-ac", "2"], 2),
    "rec32f.wav": (NOISE, ["-c:a", "pcm_f32le"], 1),
    "voice.mp3": (NOISE, ["-c:a", "libmp3lame", "-b:a", "128k"], 1),
    "memo.m4a": (NOISE, ["-c:a", "aac", "-b:a", "96k"], 1),
    "take.flac": (NOISE, ["-c:a", "flac", "-ac", "2"], 2),
    "six.wav": (NOISE, ["-c:a", "pcm_s24le", "-ac", "6"], 6),
    "silent.wav": ("anullsrc=r=48000:cl=stereo", ["-t", "4", "-c:a", "pcm_s16le"], 2),
}


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("recordings")
    paths = {}
    for name, (source, options, _) in FORMATS.items():
        path = folder / name
        subprocess.run(
            [ffmpeg_executable(), "-nostdin", "-v", "error", "-f", "lavfi", "-i", source]
            + options
            + ["-y", str(path)],
            check=True,
            timeout=60,
        )
        paths[name] = path
    # A WAV whose header promises a minute of sound, cut to its first bytes: unreadable.
    corrupt = folder / "corrupt.wav"
    corrupt.write_bytes(paths["rec16.wav"].read_bytes()[:30])
    paths["corrupt.wav"] = corrupt
    return paths


@pytest.fixture()
def _recordings(request, recordings) -> None:
    request.cls.recordings = recordings


@pytest.mark.usefixtures("_recordings")
class AudioOnlyUploadTests(ApiTestCase):
    recordings: dict[str, Path]

    def post(self, project, name: str):  # noqa: ANN001, ANN201
        path = self.recordings[name]
        with self.captureOnCommitCallbacks(execute=True):
            return self.call(
                "POST",
                reverse("api-video-list", args=[project.pk]),
                {"file": SimpleUploadedFile(name, path.read_bytes())},
                multipart=True,
            )

    def test_every_recorder_format_is_probed_and_gets_an_audio_preview(self) -> None:
        project = services.project_create(owner=self.owner, name="Recorder")
        for name, (_, _, channels) in FORMATS.items():
            with self.subTest(name):
                response = self.post(project, name)
                assert response.status_code == 201, response.content
                body = self.call("GET", reverse("api-video-detail", args=[response.json()["id"]]))
                body = body.json()
                assert body["has_video"] is False and body["has_audio"] is True, body
                assert body["width"] is None and body["fps"] is None
                assert body["channels"] == channels
                assert body["duration_s"] == pytest.approx(4.0, abs=0.1)
                assert body["status"] == "ready", body["error_message"]
                video = Video.objects.get(pk=body["id"])
                proxy = probe(video.proxy.path)
                assert proxy.video is None and proxy.audio is not None
                assert proxy.audio.codec == "aac"
                assert proxy.duration_s == pytest.approx(4.0, abs=0.1)
                response = self.call("GET", body["proxy_url"])
                assert response.status_code == 200
                waveform = video_waveform(video=video)
                assert waveform is not None and waveform["channels"] == channels
                assert waveform["duration_s"] == pytest.approx(4.0, abs=0.1)
                assert all(0 < len(p) <= DEFAULT_POINTS for p in waveform["peaks"])
                loudest = max(max(p) for p in waveform["peaks"])
                if name == "silent.wav":
                    assert loudest == 0  # a silent recording still gets a (flat) waveform
                else:
                    assert loudest > 100  # noise at half scale: its level is far above zero
                response = self.call("GET", body["poster_url"])
                assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"

    def test_the_waveform_is_kept_beside_the_poster_and_deleted_with_the_clip(self) -> None:
        project = services.project_create(owner=self.owner, name="Recorder")
        video = Video.objects.get(pk=self.post(project, "rec24.wav").json()["id"])
        stored = Path(video.poster.path).with_name(WAVEFORM_NAME)
        assert json.loads(stored.read_text())["channels"] == 2
        response = self.call("DELETE", reverse("api-video-detail", args=[video.pk]))
        assert response.status_code == 204
        assert not stored.exists() and not Path(video.proxy.path).exists()

    def test_a_corrupt_wav_is_refused_with_a_clear_message_and_nothing_is_stored(self) -> None:
        project = services.project_create(owner=self.owner, name="Recorder")
        response = self.post(project, "corrupt.wav")
        body = self.assert_error(response, 400, "unreadable_media")
        assert "'corrupt.wav'" in body["message"] and "corrupt" in body["message"]
        assert not project.videos.exists()
