"""Editor timelines of a real shoot over the API: a track per camera (one camera's two clips on
one track with their gap), the master audio on a track of its own, a drift-corrected clip at
its speed, the clip the sync could not place on a disabled track, a variable-frame-rate
warning before the download, and one camera's EDL. Every file is read back with OTIO's
adapters (FCPXML by our parser) and held against the run's placements.

One synced run for the whole class (``setUpTestData``): six clips made with ffmpeg at test time
(:mod:`tests.api.exports_media`), synced by sound.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import opentimelineio as otio
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects import services, timelines
from projects.api.timelines import WARNINGS_HEADER
from projects.models import Project, SyncRun, Video
from projects.services.cameras import camera_merge, camera_update
from syncengine.editors import FORMATS, UNPLACED_TRACK
from syncengine.editors.fcpxml import parse
from syncengine.editors.readback import SPEED_FORMATS, compare, read
from tests.api.base import ApiTestCase
from tests.api.exports_media import NAMES, write_shoot

DRIFT_PPM = 400.0  # as if the run had measured cam_b1's clock 400 ppm off: 1.6 ms over 4 s
SPEED = 1 / (1 + DRIFT_PPM * 1e-6)


class ShootTimelineTests(ApiTestCase):
    project: Project
    shoot_run: SyncRun
    key: str
    media_dir: str

    @classmethod
    def setUpTestData(cls) -> None:
        cls.media_dir = tempfile.mkdtemp(prefix="syncsite-shoot-")
        shoot = write_shoot(Path(cls.media_dir))
        user = get_user_model().objects.create_user("dana", "dana@example.org", "password-dana")
        _, cls.key = services.api_token_create(user=user, name="tests")
        cls.project = services.project_create(owner=user, name="Shoot")
        videos = {}
        for name in NAMES:  # previews are not made (their tasks never run): not needed here
            upload = SimpleUploadedFile(name, shoot[name].read_bytes())
            videos[name] = services.video_add(project=cls.project, upload=upload)
        b1, b2 = (Video.objects.get(pk=videos[n].pk) for n in ("cam_b1.mov", "cam_b2.mov"))
        camera = camera_merge(camera=b2.camera, into=b1.camera)
        camera_update(camera=camera, name="Cam B")
        services.project_update(project=cls.project, master_audio=videos["ZOOM0001.WAV"])
        with cls.captureOnCommitCallbacks(execute=True):
            run = services.sync_run_start(project=cls.project, method="audio", max_offset_s=20.0)
        run.refresh_from_db()
        assert run.status == SyncRun.Status.DONE, run.error_message
        run.offsets.filter(video=b1).update(drift_ppm=DRIFT_PPM)
        cls.shoot_run = run

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()
        shutil.rmtree(cls.media_dir, ignore_errors=True)

    def get(self, fmt: str, query: str = "") -> object:
        url = reverse("api-run-timeline", args=[self.shoot_run.pk, fmt])
        return self.call("GET", f"{url}?{query}" if query else url, key=self.key)

    def test_every_format_holds_the_cameras_the_master_the_speed_and_the_unplaced(self) -> None:
        placed = {o.video.original_name: o.effective_offset_s for o in self.shoot_run.offsets.all()}
        assert placed["other.mp4"] is None and all(
            v is not None for k, v in placed.items() if k != "other.mp4"
        ), placed
        clips = timelines.run_timeline_clips(self.shoot_run)
        by_name = {c.name: c for c in clips}
        assert by_name["cam_b1.mov"].track == by_name["cam_b2.mov"].track == "Cam B"
        assert by_name["ZOOM0001.WAV"].track == timelines.MASTER_TRACK
        assert by_name["cam_b1.mov"].speed == SPEED and by_name["cam_b2.mov"].speed == 1.0
        for fmt in FORMATS:
            with self.subTest(fmt=fmt):
                response = self.get(fmt)
                assert response.status_code == 200, response.content[:300]
                assert compare(clips, fmt, response.content) == []
                rows = read(response.content, fmt, edl_rates={"Cam B": 25.0, "wide.mp4": 30.0})
                b1 = [r for r in rows if r.name == "cam_b1.mov"]
                if fmt in SPEED_FORMATS:
                    assert b1 and all(abs(r.speed - SPEED) < 1e-9 for r in b1), b1
        # OTIO: Cam B's two clips on one video track with the 2 s gap between them, the
        # recorder alone on the master's audio track, the unplaced clip disabled.
        timeline = otio.adapters.read_from_string(self.get("otio").content.decode(), "otio_json")
        cam_b = next(t for t in timeline.video_tracks() if t.name == "Cam B")
        items = list(cam_b)
        kinds = [type(i).__name__ for i in items]
        assert kinds[-3:] == ["Clip", "Gap", "Clip"], kinds
        b1_end = cam_b.range_of_child(items[-3]).end_time_exclusive().to_seconds()
        b2_start = cam_b.range_of_child(items[-1]).start_time.to_seconds()
        assert abs((b2_start - b1_end) - 2.0) <= 2 / 30, (b1_end, b2_start)
        master = [t for t in timeline.audio_tracks() if t.name == timelines.MASTER_TRACK]
        assert [c.name for t in master for c in t.find_clips()] == ["ZOOM0001.WAV"]
        assert not any(t.name == timelines.MASTER_TRACK for t in timeline.video_tracks())
        lost = [t for t in timeline.tracks if t.name == UNPLACED_TRACK]
        assert lost and not any(t.enabled for t in lost)
        assert [c.name for c in lost[0].find_clips()] == ["other.mp4"]
        # FCPXML: an angle per camera, the master among them, cam_b1 retimed by its timeMap.
        clips_fcp = parse(self.get("fcpxml").content)
        angles = {c.angle for c in clips_fcp if c.angle}
        assert {"Cam B", timelines.MASTER_TRACK} <= angles and len(angles) == 4, angles
        retimed = next(c for c in clips_fcp if c.name == "cam_b1.mov")
        assert abs(retimed.speed - SPEED) < 1e-9  # the timeMap's rational times: ~1e-10
        assert not next(c for c in clips_fcp if c.name == "other.mp4").enabled

    def test_a_variable_frame_rate_is_said_before_the_download(self) -> None:
        response = self.get("xml")
        warnings = json.loads(response[WARNINGS_HEADER])
        assert warnings == [timelines.VFR_WARNING.format(name="phone_vfr.mp4")]
        rows = read(self.get("otio").content, "otio")
        assert {r.name for r in rows if r.enabled} >= {"phone_vfr.mp4"}
        timeline = otio.adapters.read_from_string(self.get("otio").content.decode(), "otio_json")
        phone = next(c for c in timeline.find_clips() if c.name == "phone_vfr.mp4")
        assert [m.name for m in phone.markers] == [timelines.VFR_MARKER]
        # The export panel says it above the timeline links, and links each camera's EDL.
        self.client.force_login(self.project.owner)
        page = self.client.get(reverse("run-detail", args=[self.shoot_run.pk])).content.decode()
        vfr_note = page[page.index('class="warning timeline-vfr"') :]
        assert vfr_note.index("<strong>phone_vfr.mp4</strong> has a variable frame rate") < (
            vfr_note.index('class="timeline-links"')
        )
        assert page.count('class="warning timeline-vfr"') == 1
        cam_b = self.project.cameras.get(name="Cam B")
        edl_url = reverse("run-timeline", args=[self.shoot_run.pk, "edl"])
        assert f'href="{edl_url}?media=original&amp;camera={cam_b.pk}" download>Cam B</a>' in page
        # Every camera with a picture (other.mp4's too: its link says why it has no EDL), not
        # the recorder's.
        assert page.count('class="camera-edl"') == 4
        recorder = Video.objects.get(project=self.project, original_name="ZOOM0001.WAV").camera
        assert recorder is not None and f'camera={recorder.pk}"' not in page
        single = self.client.get(f"{edl_url}?media=original&camera={cam_b.pk}")
        assert single.status_code == 200 and single.content.startswith(b"TITLE: Cam B\n")
        # A run without the phone: nothing to say, no header.
        vfr = self.shoot_run.offsets.get(video__original_name="phone_vfr.mp4").video
        Video.objects.filter(pk=vfr.pk).update(variable_fps=False)
        assert WARNINGS_HEADER not in self.get("xml")

    def test_one_cameras_edl_and_the_errors_around_it(self) -> None:
        cam_b = self.project.cameras.get(name="Cam B")
        response = self.get("edl", f"camera={cam_b.pk}")
        assert response.status_code == 200, response.content[:300]
        assert response["Content-Type"] == "application/octet-stream"
        disposition = response["Content-Disposition"]
        assert f'filename="Shoot_run{self.shoot_run.pk}_Cam_B_synced.edl"' in disposition
        text = response.content.decode()
        edl = otio.adapters.read_from_string(text, "cmx_3600", rate=25.0)
        assert [c.name for c in edl.find_clips()] == ["cam_b1.mov", "cam_b2.mov"]
        assert text.count("\nM2 ") == 1 and "M2   cam_b1.mov" in text
        offsets = {
            o.video.original_name: o.effective_offset_s for o in self.shoot_run.offsets.all()
        }
        origin = min(v for v in offsets.values() if v is not None)
        records = [ln.split()[-2] for ln in text.splitlines() if ln[:3].isdigit()]
        for name, record in zip(("cam_b1.mov", "cam_b2.mov"), records, strict=True):
            at_s = otio.opentime.from_timecode(record, 25.0).to_seconds()
            assert abs(at_s - (offsets[name] - origin)) <= 0.5 / 25, (name, record)
        # Errors: another format, a camera of no project of ours, one without a picture.
        body = self.assert_error(self.get("otio", f"camera={cam_b.pk}"), 400, "invalid")
        assert body["message"] == timelines.CAMERA_EDL_ONLY
        body = self.assert_error(self.get("edl", "camera=999999"), 400, "invalid")
        assert "There is no camera 999999 in this project" in body["message"]
        assert "Cam B" in body["message"]
        recorder = Video.objects.get(project=self.project, original_name="ZOOM0001.WAV").camera
        body = self.assert_error(self.get("edl", f"camera={recorder.pk}"), 400, "invalid")
        assert body["message"] == timelines.CAMERA_NOT_PLACED.format(name=recorder.name)
        body = self.assert_error(self.get("edl", "camera=first"), 400, "invalid")
        assert "camera" in body["extra"]["fields"]

    def test_the_schema_keeps_the_format_enum_and_documents_camera_and_the_header(self) -> None:
        schema = self.call("GET", reverse("api-schema") + "?format=json").json()
        operation = schema["paths"]["/api/v1/runs/{run_id}/timeline/{fmt}/"]["get"]
        params = {p["name"]: p for p in operation["parameters"]}
        assert sorted(params["fmt"]["schema"]["enum"]) == sorted(FORMATS)
        assert params["camera"]["in"] == "query" and params["camera"]["schema"]["type"] == "integer"
        assert WARNINGS_HEADER in operation["responses"]["200"]["headers"]

    def test_a_copy_exports_files_keep_their_drift_speed_and_their_vfr_warning(self) -> None:
        # A copy starts where the last camera started (cam_b2, 7 s): cam_b1 is left out, so
        # cam_b2 drifts here too.
        self.shoot_run.offsets.filter(video__original_name="cam_b2.mov").update(drift_ppm=DRIFT_PPM)
        with self.captureOnCommitCallbacks(execute=True):
            render = services.render_start(run=self.shoot_run, reencode=False)
        render.refresh_from_db()
        assert render.status == "done", render.error_message
        response = self.get("otio", "media=synced")
        assert response.status_code == 200, response.content[:300]
        # A copy only cuts: the phone is still VFR and cam_b1 still drifts, so both are said.
        assert json.loads(response[WARNINGS_HEADER]) == [
            timelines.VFR_WARNING.format(name="phone_vfr.mp4")
        ]
        rows = read(response.content, "otio")
        b2 = [r for r in rows if r.name == "cam_b2_synced.mov"]
        assert b2 and all(abs(r.speed - SPEED) < 1e-9 for r in b2), rows
        assert "'cam_b2.mov' drifts +400.0 ppm" in " ".join(render.notes)
        clips = timelines.run_timeline_clips(self.shoot_run, media="synced")
        assert compare(clips, "otio", response.content) == []
        # The master (the cameras kept their own sound) is the recorder's synced copy, a WAV
        # like its original (a copy keeps the PCM).
        master = [r for r in rows if r.track == timelines.MASTER_TRACK]
        assert {r.media for r in master} == {"ZOOM0001_synced.wav"}, master
