"""Uploads are probed in a decoder child: a cut-off copy or a crashing decoder is refused cleanly.

Nothing is stored for a refused upload, the message names the user's file (never the temporary
one) and says what to do, and the process that served the upload carries on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from projects import services
from projects.models import Video
from projects.services import ServiceError
from tests.engine.decoder_faults import (
    PCM8,
    crash_decoder_on_start,
    needs_pcm8,
    stored_files,
)
from tests.projects.base import BaseTestCase


@pytest.fixture(autouse=True)
def _media(request, cut_copies) -> None:
    request.cls.cut_copies = cut_copies


class UploadProbeTests(BaseTestCase):
    cut_copies: dict[str, Path]

    def test_a_cut_off_copy_is_refused_as_truncated_and_nothing_is_stored(self) -> None:
        project = services.project_create(owner=self.owner, name="Gig")
        before = stored_files(self.media_root)
        for suffix in (".mp4", ".mkv"):
            with self.subTest(suffix), self.captureOnCommitCallbacks(execute=True):
                upload = self.upload(self.cut_copies[f"cut{suffix}"], f"Concert cam 2{suffix}")
                with pytest.raises(ServiceError) as caught:
                    services.video_add(project=project, upload=upload)
            err = caught.value
            assert err.code == "truncated"
            assert err.message.startswith(f"'Concert cam 2{suffix}' is incomplete: it declares")
            assert "Copy the complete file from the camera or card again" in err.message
            assert "syncsite-probe-" not in err.message and "/tmp" not in err.message
        assert not Video.objects.exists()
        assert stored_files(self.media_root) == before

    def test_the_whole_copies_are_accepted(self) -> None:
        project = services.project_create(owner=self.owner, name="Gig")
        for suffix in (".mp4", ".mkv"):
            upload = self.upload(self.cut_copies[f"whole{suffix}"])
            video = services.video_add(project=project, upload=upload)
            assert video.duration_s == pytest.approx(20.0, abs=0.1)

    def test_a_crashed_decoder_refuses_that_upload_only(self) -> None:
        project = services.project_create(owner=self.owner, name="Gig")
        before = stored_files(self.media_root)
        upload = self.upload(self.cut_copies["whole.mp4"], "Stage left.mp4")
        with crash_decoder_on_start("probe") as killed, pytest.raises(ServiceError) as caught:
            services.video_add(project=project, upload=upload)
        assert len(killed) == 1
        err = caught.value
        assert err.code == "decoder_crashed"
        assert err.message.startswith("'Stage left.mp4' crashed the video decoder (SIGSEGV)")
        assert "Re-export it as MP4" in err.message and "syncsite-probe-" not in err.message
        assert not Video.objects.exists() and stored_files(self.media_root) == before
        # This process carries on: the same file goes in once its decoder is left alone.
        with self.captureOnCommitCallbacks(execute=True):
            upload = self.upload(self.cut_copies["whole.mp4"], "Stage left.mp4")
            video = services.video_add(project=project, upload=upload)
        video.refresh_from_db()
        assert video.status == Video.Status.READY, video.error_message

    @needs_pcm8
    def test_the_8_channel_pcm_mov_is_accepted_and_previewed(self) -> None:
        project = services.project_create(owner=self.owner, name="Gig")
        with self.captureOnCommitCallbacks(execute=True):
            video = services.video_add(project=project, upload=self.upload(PCM8, "A7S 7.1.mov"))
        video.refresh_from_db()
        assert (video.audio_codec, video.channels, video.sample_rate_hz) == ("pcm_s24le", 8, 48000)
        assert (video.width, video.height) == (320, 240)
        assert video.status == Video.Status.READY, video.error_message
