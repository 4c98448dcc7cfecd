"""Export options of a real shoot: the master audio, a file per camera and a start timecode,
through the service, the API and the export panel; the verification's windows stored and
shown; the ZIP with the editor timeline beside the synced files on request.

One synced run and one export for the class (``setUpTestData``): ``wide.mp4`` (the reference),
a camera whose two clips have a gap (``Cam B``) and the recorder ``ZOOM0001.WAV`` as the master
audio, made with ffmpeg at test time (:mod:`tests.api.exports_media`); the export puts the
master first and each camera's own sound second, one file per camera, timecode 01:00:00:00.
"""

from __future__ import annotations

import html
import io
import shutil
import tempfile
import zipfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects import services, timelines
from projects.models import Project, Render, SyncRun, Video
from projects.services import renders as render_service
from projects.services.cameras import camera_merge, camera_update
from projects.views.present_exports import windows_text
from syncengine.editors.fcpxml import parse
from syncengine.editors.readback import compare, read
from syncengine.media import probe
from syncengine.verify import WINDOWS
from tests.api.base import ApiTestCase
from tests.api.exports_media import write_shoot

NAMES = ("wide.mp4", "cam_b1.mov", "cam_b2.mov", "ZOOM0001.WAV")
MASTER_TOLERANCE_S = 0.002  # the goal: the master within 2 ms at start, middle and end


class ExportOptionTests(ApiTestCase):
    project: Project
    shoot_run: SyncRun
    export: Render
    key: str
    media_dir: str

    @classmethod
    def setUpTestData(cls) -> None:
        cls.media_dir = tempfile.mkdtemp(prefix="syncsite-export-")
        shoot = write_shoot(Path(cls.media_dir))
        cls.user = get_user_model().objects.create_user("erin", "erin@example.org", "pw-erin")
        _, cls.key = services.api_token_create(user=cls.user, name="tests")
        cls.project = services.project_create(owner=cls.user, name="Shoot")
        videos = {}
        for name in NAMES:  # no previews (their tasks never run): not needed here
            upload = SimpleUploadedFile(name, shoot[name].read_bytes())
            videos[name] = services.video_add(project=cls.project, upload=upload)
        b1, b2 = (Video.objects.get(pk=videos[n].pk) for n in ("cam_b1.mov", "cam_b2.mov"))
        camera_update(camera=camera_merge(camera=b2.camera, into=b1.camera), name="Cam B")
        services.project_update(project=cls.project, master_audio=videos["ZOOM0001.WAV"])
        with cls.captureOnCommitCallbacks(execute=True):
            run = services.sync_run_start(project=cls.project, method="audio", max_offset_s=20.0)
        run.refresh_from_db()
        assert run.status == SyncRun.Status.DONE, run.error_message
        cls.shoot_run = run
        with cls.captureOnCommitCallbacks(execute=True):
            export = services.render_start(
                run=run,
                audio=Render.Audio.MASTER_AND_CAMERA,
                layout=Render.Layout.CAMERA,
                start_timecode="01:00:00:00",
            )
        export.refresh_from_db()
        cls.export = export

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()
        shutil.rmtree(cls.media_dir, ignore_errors=True)

    def start(self, **data: object) -> object:
        url = reverse("api-render-list", args=[self.shoot_run.pk])
        with self.captureOnCommitCallbacks(execute=True):
            return self.call("POST", url, data, key=self.key)

    # --- the export made with every option --------------------------------------------

    def test_the_export_holds_a_file_per_camera_with_the_master_and_its_windows(self) -> None:
        export = self.export
        assert export.status == Render.Status.DONE and export.verified, export.error_message
        assert (export.audio, export.layout, export.start_timecode) == (
            "master_and_camera",
            "camera",
            "01:00:00:00",
        )
        outputs = {Path(o.file.name).name: o for o in export.outputs.select_related("camera")}
        # A file per camera, named after its first clip; the audio-only master gets none.
        assert sorted(outputs) == ["cam_b1_synced.mov", "wide_synced.mp4"], sorted(outputs)
        cam_b = outputs["cam_b1_synced.mov"]
        assert cam_b.camera is not None and cam_b.camera.name == "Cam B"
        assert (
            outputs["wide_synced.mp4"].camera_id
            == Video.objects.get(project=self.project, original_name="wide.mp4").camera_id
        )
        for name, output in outputs.items():
            master = [w["master_s"] for w in output.windows if w["master_s"] is not None]
            assert master and all(abs(m) <= MASTER_TOLERANCE_S for m in master), (name, master)
            # Per clip in a camera's file: start/middle/end, or one window over a short overlap.
            assert {w["at"] for w in output.windows} <= {*WINDOWS, "whole"}, output.windows
            # Where each window was measured: its centre on the output, inside the file.
            assert all(0 <= w["time_s"] <= output.duration_s for w in output.windows), name
            # Every file starts at the export's timecode (stamped by remux).
            assert probe(output.file.path).timecode == "01:00:00:00", name
        sound = [w["sound_s"] for w in cam_b.windows if w["sound_s"] is not None]
        assert sound and all(abs(s) <= 1 / 30 for s in sound), cam_b.windows
        # The API returns the options, each file's camera and its windows.
        url = reverse("api-render-detail", args=[export.pk])
        body = self.call("GET", url, key=self.key).json()
        assert (body["audio"], body["layout"], body["start_timecode"]) == (
            "master_and_camera",
            "camera",
            "01:00:00:00",
        )
        files = {f["name"]: f for f in body["outputs"]}
        assert files["cam_b1_synced.mov"]["camera_id"] == cam_b.camera_id
        assert files["cam_b1_synced.mov"]["windows"] == cam_b.windows
        # The export panel shows each file's windows, as "start +0.2 ms · middle ...".
        self.client.force_login(self.user)
        page = self.client.get(reverse("run-detail", args=[self.shoot_run.pk])).content.decode()
        for output in outputs.values():
            assert f"master: {windows_text(output.windows, 'master_s')}" in page
        wide = windows_text(outputs["wide_synced.mp4"].windows, "master_s")
        assert wide.startswith("start ") and " · middle " in wide and " · end " in wide, wide
        # Cam B's file: each clip's own window(s), named (4 s clips: one window each).
        cam = windows_text(cam_b.windows, "sound_s")
        assert cam.startswith("cam_b1.mov ") and " · cam_b2.mov " in cam, cam
        assert f'<span class="windows-sound">{cam}</span>' in page
        assert 'timecode <code class="render-timecode">01:00:00:00</code>' in page
        for field in ("audio", "layout", "start_timecode"):
            assert f'name="{field}"' in page  # the export form offers every option

    def test_the_synced_timeline_links_the_camera_files_at_their_timecode(self) -> None:
        clips = timelines.run_timeline_clips(self.shoot_run, media="synced")
        assert sorted(c.name for c in clips) == ["cam_b1_synced.mov", "wide_synced.mp4"]
        assert {c.timecode for c in clips} == {"01:00:00:00"}
        assert next(c for c in clips if c.name == "cam_b1_synced.mov").track == "Cam B"
        url = reverse("api-run-timeline", args=[self.shoot_run.pk, "xml"]) + "?media=synced"
        response = self.call("GET", url, key=self.key)
        assert response.status_code == 200 and compare(clips, "xml", response.content) == []
        # The master's sound is in the files: no track of its own beside them.
        assert not any(c.track == timelines.MASTER_TRACK for c in clips)

    # --- the ZIP ----------------------------------------------------------------------

    def test_the_zip_holds_only_the_synced_files_unless_a_timeline_is_asked_for(self) -> None:
        names = sorted(Path(o.file.name).name for o in self.export.outputs.all())
        url = reverse("api-render-zip", args=[self.export.pk])
        default = zipfile.ZipFile(io.BytesIO(self.call("GET", url, key=self.key).getvalue()))
        assert sorted(default.namelist()) == names
        response = self.call("GET", url + "?timeline=fcpxml", key=self.key)
        assert response.status_code == 200
        archive = zipfile.ZipFile(io.BytesIO(response.getvalue()))
        timeline_name = f"Shoot_run{self.shoot_run.pk}_synced_files.fcpxml"
        assert sorted(archive.namelist()) == sorted([*names, timeline_name])
        data = archive.read(timeline_name)
        # The timeline names the files beside it by relative path, each present in the ZIP.
        assert sorted(c.src for c in parse(data)) == names
        clips = timelines.run_timeline_clips(self.shoot_run, media="synced", render=self.export)
        assert compare(clips, "fcpxml", data) == []
        # An EDL per camera goes in as its files; a bad format is refused.
        edl = zipfile.ZipFile(
            io.BytesIO(self.call("GET", url + "?timeline=edl", key=self.key).getvalue())
        )
        edls = sorted(n for n in edl.namelist() if n.endswith(".edl"))
        assert len(edls) == 2 and sorted(set(edl.namelist()) - set(edls)) == names
        body = self.assert_error(
            self.call("GET", url + "?timeline=prproj", key=self.key), 400, "invalid"
        )
        assert "timeline" in body["extra"]["fields"]
        # The portal's form: ticked, the timeline is in; unticked, only the synced files.
        self.client.force_login(self.user)
        page = reverse("render-zip", args=[self.export.pk])
        ticked = self.client.get(page + "?with_timeline=1&format=otio")
        assert ticked.status_code == 200
        inside = zipfile.ZipFile(io.BytesIO(ticked.getvalue()))
        otio_name = f"Shoot_run{self.shoot_run.pk}_synced_files.otio"
        assert sorted(inside.namelist()) == sorted([*names, otio_name])
        rows = read(inside.read(otio_name), "otio")
        assert {r.media for r in rows} == set(names)
        unticked = self.client.get(page + "?format=otio")
        assert sorted(zipfile.ZipFile(io.BytesIO(unticked.getvalue())).namelist()) == names

    # --- starting with options: what is refused and why ------------------------------

    def test_bad_options_are_refused_with_what_to_do(self) -> None:
        copy = self.start(reencode=False, audio="master")
        assert (
            self.assert_error(copy, 400, "invalid")["message"] == render_service.RENDER_COPY_CANNOT
        )
        body = self.assert_error(self.start(audio="both"), 400, "invalid")
        assert "audio" in body["extra"]["fields"]
        for bad in ("1:00:00:00", "01:00:00;00", "01:00:00:30", "01:61:00:00"):
            body = self.assert_error(self.start(start_timecode=bad), 400, "invalid")
            assert body["message"].startswith(f"Start timecode '{bad}' cannot be used"), body
            assert "start_timecode" in body["extra"]["fields"]
        zoom = self.shoot_run.offsets.get(video__original_name="ZOOM0001.WAV")
        type(zoom).objects.filter(pk=zoom.pk).update(synced=False)  # as if it were not placed
        body = self.assert_error(self.start(audio="master"), 400, "master_not_placed")
        assert body["message"] == render_service.RENDER_MASTER_NOT_PLACED.format(
            name="ZOOM0001.WAV"
        )
        services.project_update(project=self.project, master_audio=None)
        body = self.assert_error(self.start(audio="master_and_camera"), 400, "no_master_audio")
        assert body["message"] == render_service.RENDER_NO_MASTER
        assert self.shoot_run.renders.count() == 1  # nothing was queued
        # The portal's form says the same beside the export panel.
        self.client.force_login(self.user)
        url = reverse("render-start", args=[self.shoot_run.pk])
        response = self.client.post(
            url, {"mode": "union", "reencode": "1", "audio": "master"}, follow=True
        )
        self.assertContains(response, html.escape(render_service.RENDER_NO_MASTER))
        response = self.client.post(
            url, {"mode": "union", "reencode": "1", "start_timecode": "25:00:00:00"}, follow=True
        )
        self.assertContains(response, "Start timecode &#x27;25:00:00:00&#x27; cannot be used")

    def test_a_copy_export_with_a_timecode_starts_through_the_api(self) -> None:
        response = self.start(reencode=False, start_timecode="10:00:00:00")
        assert response.status_code == 201, response.content[:300]
        body = response.json()
        assert (body["audio"], body["layout"], body["start_timecode"]) == (
            "camera",
            "clip",
            "10:00:00:00",
        )
        render = Render.objects.get(pk=body["id"])  # made once the start was committed
        assert render.status == Render.Status.DONE, render.error_message
        for output in render.outputs.all():
            if output.video.has_video:
                assert probe(output.file.path).timecode == "10:00:00:00"
