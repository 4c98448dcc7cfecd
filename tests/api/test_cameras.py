"""Cameras through the API: grouping on upload, regrouping, master audio, a run with cameras."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from django.urls import reverse

from projects import errors
from projects.models import Camera, Project, Video
from tests.api.base import ApiTestCase
from tests.projects.cameras_media import write_camera_media


class CameraApiTests(ApiTestCase):
    media: dict[str, Path]

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls._folder = Path(tempfile.mkdtemp(prefix="syncsite-cameras-"))
        cls.media = write_camera_media(cls._folder)

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls._folder, ignore_errors=True)
        super().tearDownClass()

    def make_project(self, *names: str, owner: str = "owner") -> Project:
        response = self.call("POST", reverse("api-project-list"), {"name": "Shoot"}, key=owner)
        assert response.status_code == 201, response.content
        project = Project.objects.get(pk=response.json()["id"])
        url = reverse("api-video-list", args=[project.pk])
        for name in names:
            # The previews (on commit) are left out: nothing here needs them.
            with self.media[name].open("rb") as fh:
                response = self.call("POST", url, {"file": fh}, key=owner, multipart=True)
            assert response.status_code == 201, response.content
        return project

    def cameras(self, project: Project) -> list[dict]:
        response = self.call("GET", reverse("api-camera-list", args=[project.pk]))
        assert response.status_code == 200, response.content
        return response.json()["results"]

    def video(self, project: Project, name: str) -> Video:
        return project.videos.get(original_name=name)

    # --- grouping on upload ---------------------------------------------------------------

    def test_chapters_uploaded_last_first_become_one_camera_with_reason_chapters(self) -> None:
        project = self.make_project("GX020042.MP4", "wide.mp4", "GX010042.MP4")
        cameras = self.cameras(project)
        assert [[c["name"] for c in cam["clips"]] for cam in cameras] == [
            ["GX010042.MP4", "GX020042.MP4"],
            ["wide.mp4"],
        ]
        gopro, wide = cameras
        assert gopro["grouped_by"] == "chapters"
        assert gopro["grouped_by_label"] == Camera.GroupedBy.CHAPTERS.label
        assert gopro["name"] == "GoPro (GX020042.MP4)"  # named when its first file arrived
        assert wide["grouped_by"] == "single" and wide["name"] == "Camera 2"
        assert not gopro["sound_only"]

    def test_tagged_phone_clips_group_by_device_and_a_recorder_stays_apart(self) -> None:
        project = self.make_project("IMG_0001.MOV", "ZOOM0001.WAV", "IMG_0002.MOV")
        cameras = self.cameras(project)
        assert [[c["name"] for c in cam["clips"]] for cam in cameras] == [
            ["IMG_0001.MOV", "IMG_0002.MOV"],
            ["ZOOM0001.WAV"],
        ]
        phone, zoom = cameras
        assert phone["grouped_by"] == "device_tags" and phone["device"] == "Apple iPhone 15"
        assert phone["name"] == "Apple iPhone 15 (IMG_0001.MOV)"
        assert zoom["name"] == "Recorder (ZOOM0001.WAV)" and zoom["sound_only"]
        assert self.video(project, "IMG_0001.MOV").metadata["model"] == "iPhone 15"

    def test_videos_from_before_cameras_get_one_camera_each_on_first_read(self) -> None:
        project = self.make_project("GX010042.MP4", "GX020042.MP4")
        project.videos.update(camera=None)
        project.cameras.all().delete()
        cameras = self.cameras(project)
        assert [len(c["clips"]) for c in cameras] == [1, 1]
        assert not project.videos.filter(camera__isnull=True).exists()
        assert self.cameras(project) == cameras  # once only

    # --- regrouping ----------------------------------------------------------------------

    def test_a_clip_moves_to_a_new_camera_and_back_and_an_emptied_camera_goes(self) -> None:
        project = self.make_project("GX010042.MP4", "GX020042.MP4", "wide.mp4")
        second = self.video(project, "GX020042.MP4")
        gopro = second.camera
        url = reverse("api-video-detail", args=[second.pk])
        response = self.call("PATCH", url, {"camera": None})
        assert response.status_code == 200, response.content
        second.refresh_from_db()
        assert second.camera != gopro and response.json()["camera"] == second.camera_id
        assert second.camera.grouped_by == "user" and second.camera.clips.count() == 1
        alone = second.camera
        response = self.call("PATCH", url, {"camera": gopro.pk})
        assert response.status_code == 200, response.content
        assert not Camera.objects.filter(pk=alone.pk).exists()
        gopro.refresh_from_db()
        assert gopro.clips.count() == 2 and gopro.grouped_by == "user"

    def test_a_camera_is_renamed_reordered_merged_created_and_ungrouped(self) -> None:
        project = self.make_project("GX010042.MP4", "GX020042.MP4", "wide.mp4")
        gopro, wide = project.cameras.all()
        url = reverse("api-camera-detail", args=[gopro.pk])
        response = self.call("PATCH", url, {"name": "  Helmet cam ", "position": 5})
        assert response.status_code == 200, response.content
        assert response.json()["name"] == "Helmet cam" and response.json()["position"] == 5
        body = self.assert_error(self.call("PATCH", url, {"name": "  "}), 400, "invalid")
        assert body["extra"]["fields"]["name"] == [errors.CAMERA_NAME_EMPTY]

        merge = reverse("api-camera-merge", args=[wide.pk])
        self.assert_error(self.call("POST", merge, {"into": wide.pk}), 400, "invalid")
        response = self.call("POST", merge, {"into": gopro.pk})
        assert response.status_code == 200, response.content
        assert len(response.json()["clips"]) == 3 and not Camera.objects.filter(pk=wide.pk).exists()

        ids = [self.video(project, "wide.mp4").pk]
        create = reverse("api-camera-list", args=[project.pk])
        response = self.call("POST", create, {"name": "Wide", "video_ids": ids})
        assert response.status_code == 201, response.content
        assert response.json()["grouped_by"] == "user"
        assert [c["name"] for c in response.json()["clips"]] == ["wide.mp4"]
        body = self.assert_error(self.call("POST", create, {"video_ids": []}), 400, "invalid")
        assert body["extra"]["fields"]["video_ids"] == [errors.CAMERA_NEEDS_CLIPS]

        response = self.call("DELETE", url)
        assert response.status_code == 204
        assert project.cameras.count() == 3  # the two chapters apart, and Wide
        assert project.videos.filter(camera__isnull=True).count() == 0

    def test_cameras_and_clips_of_other_projects_and_users_are_refused(self) -> None:
        mine = self.make_project("wide.mp4", "mute.mp4")
        theirs = self.make_project("GX010042.MP4", owner="outsider")
        their_camera = theirs.cameras.get()
        my_video = mine.videos.first()
        # Another user's camera is a 404 everywhere, like a missing one.
        for method, name, data in (
            ("GET", "api-camera-detail", None),
            ("PATCH", "api-camera-detail", {"name": "x"}),
            ("DELETE", "api-camera-detail", None),
            ("POST", "api-camera-merge", {"into": their_camera.pk}),
        ):
            response = self.call(method, reverse(name, args=[their_camera.pk]), data)
            self.assert_error(response, 404, "not_found")
        self.assert_error(
            self.call("GET", reverse("api-camera-list", args=[theirs.pk])), 404, "not_found"
        )
        # ... and a camera of another project is refused where a camera of this one is asked.
        url = reverse("api-video-detail", args=[my_video.pk])
        body = self.assert_error(
            self.call("PATCH", url, {"camera": their_camera.pk}), 400, "camera_not_in_project"
        )
        assert body["extra"]["fields"]["camera"] == [errors.CAMERA_NOT_IN_PROJECT]
        merge = reverse("api-camera-merge", args=[my_video.camera_id])
        self.assert_error(
            self.call("POST", merge, {"into": their_camera.pk}), 400, "camera_not_in_project"
        )
        create = reverse("api-camera-list", args=[mine.pk])
        their_video = theirs.videos.get()
        body = self.assert_error(
            self.call("POST", create, {"video_ids": [their_video.pk]}), 400, "video_not_in_project"
        )
        their_video.refresh_from_db()
        assert their_video.camera == their_camera

    # --- master audio --------------------------------------------------------------------

    def test_master_audio_is_set_with_a_channel_and_cleared(self) -> None:
        project = self.make_project("wide.mp4", "ZOOM0001.WAV")
        zoom = self.video(project, "ZOOM0001.WAV")
        url = reverse("api-project-detail", args=[project.pk])
        response = self.call("PATCH", url, {"master_audio": zoom.pk, "master_channel": 1})
        assert response.status_code == 200, response.content
        assert response.json()["master_audio"] == zoom.pk and response.json()["master_channel"] == 1
        project.refresh_from_db()
        assert project.master_audio == zoom and project.master_channel == 1
        response = self.call("PATCH", url, {"master_channel": None})
        assert response.json()["master_channel"] is None
        response = self.call("PATCH", url, {"master_audio": None})
        assert response.json()["master_audio"] is None
        assert self.call("GET", url).json()["master_audio"] is None
        self.call("PATCH", url, {"master_audio": zoom.pk, "master_channel": 0})
        response = self.call("DELETE", reverse("api-video-detail", args=[zoom.pk]))
        assert response.status_code == 204
        body = self.call("GET", url).json()  # the deleted master's channel means nothing now
        assert body["master_audio"] is None and body["master_channel"] is None

    def test_master_audio_refusals_say_what_to_choose(self) -> None:
        project = self.make_project("wide.mp4", "ZOOM0001.WAV", "mute.mp4")
        other = self.make_project("wide.mp4")
        url = reverse("api-project-detail", args=[project.pk])
        zoom, mute = self.video(project, "ZOOM0001.WAV"), self.video(project, "mute.mp4")

        body = self.assert_error(
            self.call("PATCH", url, {"master_audio": other.videos.get().pk}),
            400,
            "master_audio_not_in_project",
            errors.MASTER_AUDIO_NOT_IN_PROJECT,
        )
        assert list(body["extra"]["fields"]) == ["master_audio"]
        self.assert_error(
            self.call("PATCH", url, {"master_audio": mute.pk}),
            400,
            "master_audio_no_sound",
            errors.MASTER_AUDIO_NO_SOUND.format(name="mute.mp4"),
        )
        self.assert_error(
            self.call("PATCH", url, {"master_channel": 0}),
            400,
            "master_channel_invalid",
            errors.MASTER_CHANNEL_WITHOUT_MASTER,
        )
        self.assert_error(
            self.call("PATCH", url, {"master_audio": zoom.pk, "master_channel": 2}),
            400,
            "master_channel_invalid",
            errors.MASTER_CHANNEL_OUT_OF_RANGE.format(name="ZOOM0001.WAV", channels=2, last=1),
        )
        self.assert_error(self.call("PATCH", url, {"master_channel": -1}), 400, "invalid")
        project.refresh_from_db()
        assert project.master_audio is None and project.master_channel is None

    # --- a run ---------------------------------------------------------------------------

    def test_a_run_places_a_chapter_no_other_camera_sees_by_its_camera(self) -> None:
        # short.mp4 records 0-6 s: the first chapter (2-7 s) overlaps it, the second (7-12 s)
        # overlaps no other camera and is placed only because the engine knows its camera.
        project = self.make_project("short.mp4", "GX010042.MP4", "GX020042.MP4")
        with self.captureOnCommitCallbacks(execute=True):
            response = self.call(
                "POST",
                reverse("api-run-list", args=[project.pk]),
                {"method": "audio", "max_offset_s": 20},
            )
        assert response.status_code == 201, response.content
        run = project.runs.get()
        assert run.status == "done", run.error_message
        results = self.call("GET", reverse("api-run-results", args=[run.pk])).json()
        by_name = {o["video_name"]: o for o in results["offsets"]}
        gopro = project.cameras.get(grouped_by="chapters")
        for name, truth_s, placed_by in (
            ("GX010042.MP4", 2.0, "content"),
            ("GX020042.MP4", 7.0, "camera"),
        ):
            row = by_name[name]
            assert row["camera_id"] == gopro.pk and row["camera_name"] == gopro.name
            assert row["synced"] and abs(row["offset_s"] - truth_s) < 0.05, row
            assert row["placed_by"] == placed_by, row
            assert isinstance(row["drift_points"], list)
        assert "chapter" in " ".join(by_name["GX020042.MP4"]["notes"])
        stored = {
            o.video.original_name: (o.placed_by, o.sound_skew_s)
            for o in run.offsets.select_related("video")
        }
        assert stored == {n: (by_name[n]["placed_by"], by_name[n]["sound_skew_s"]) for n in stored}
        assert by_name["short.mp4"]["is_reference"]
