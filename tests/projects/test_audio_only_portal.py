"""An audio-only recording in the portal: the project page lists it Ready with its waveform
still, it syncs with the cameras, and the run page gives the player its waveform peaks."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from syncengine.media import ffmpeg_executable
from tests.projects.base import BaseTestCase


@pytest.fixture()
def _clips(request, clips, tmp_path) -> None:
    # The recorder: b_late's sound alone (+1.25 s against a), as a 24-bit stereo WAV.
    recorder = tmp_path / "recorder.wav"
    subprocess.run(
        [ffmpeg_executable(), "-nostdin", "-v", "error", "-i", str(clips["b_late"]), "-vn"]
        + ["-c:a", "pcm_s24le", "-y", str(recorder)],
        check=True,
        timeout=60,
    )
    request.cls.clips = {"a": clips["a"], "recorder": recorder}
    request.cls.truth_s = clips.truth_s("b_late")


@pytest.mark.usefixtures("_clips")
class AudioOnlyPortalTests(BaseTestCase):
    clips: dict[str, Path]
    truth_s: float

    def test_a_recording_is_ready_synced_and_drawn_as_a_waveform_on_the_run_page(self) -> None:
        project = self.project_with("a", "recorder")
        recorder = project.videos.get(original_name="recorder.wav")
        assert not recorder.has_video and recorder.status == "ready", recorder.error_message
        self.client.force_login(self.owner)
        page = self.client.get(reverse("project-detail", args=[project.pk])).content.decode()
        row = re.search(rf'<tr data-video-id="{recorder.pk}".*?</tr>', page, re.S)
        assert row is not None, page
        assert 'data-status="ready"' in row.group(0) and "Preview failed" not in row.group(0)
        poster = self.client.get(reverse("video-media", args=[recorder.pk, "poster"]))
        assert poster.status_code == 200 and poster["Content-Type"] == "image/jpeg"

        run = self.run_synced(project)
        offset = run.offsets.get(video=recorder)
        assert offset.synced and offset.offset_s == pytest.approx(self.truth_s, abs=1 / 48)
        html = self.client.get(reverse("run-detail", args=[run.pk])).content.decode()
        found = re.search(r'<script id="player-data" type="application/json">(.*?)</script>', html)
        assert found is not None
        data = json.loads(found.group(1))
        assert set(data["waveforms"]) == {str(recorder.pk)}  # the camera clip has no lane
        waveform = data["waveforms"][str(recorder.pk)]
        assert waveform["channels"] == 2 and 0 < len(waveform["peaks"][0]) <= 2000
        assert waveform["duration_s"] == pytest.approx(recorder.duration_s, abs=0.05)
        assert max(waveform["peaks"][0]) > 0
        video = next(v for v in data["videos"] if v["id"] == recorder.pk)
        assert video["has_video"] is False and video["proxy_url"]
