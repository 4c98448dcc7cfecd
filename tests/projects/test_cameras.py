"""Cameras in the portal: the project page lists them, its forms regroup, the admin shows them."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.html import escape

from projects import errors, services
from projects.models import Camera, Project, Video
from projects.services import ServiceError
from projects.services import cameras as camera_services
from tests.projects.base import BaseTestCase
from tests.projects.cameras_media import write_camera_media


class CameraPortalTests(BaseTestCase):
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

    def setUp(self) -> None:
        super().setUp()
        self.client.force_login(self.owner)

    def make_project(self, *names: str, owner=None) -> Project:  # noqa: ANN001
        project = services.project_create(owner=owner or self.owner, name="Shoot")
        for name in names:  # previews are not made: their tasks are never run here
            services.video_add(project=project, upload=self.upload(self.media[name]))
        return project

    def page(self, project: Project) -> str:
        response = self.client.get(reverse("project-detail", args=[project.pk]))
        assert response.status_code == 200
        return response.content.decode()

    def test_the_page_lists_cameras_with_clips_in_time_order_and_why(self) -> None:
        project = self.make_project("GX020042.MP4", "ZOOM0001.WAV", "GX010042.MP4")
        html = self.page(project)
        gopro = project.cameras.get(grouped_by="chapters")
        assert "chapters of one recording" in html and "sound only" in html
        assert 'value="Recorder (ZOOM0001.WAV)"' in html
        # The chapters in chapter order under their camera, whatever the upload order.
        assert html.index('"Camera of GX010042.MP4"') < html.index('"Camera of GX020042.MP4"')
        assert html.count(f'data-camera-id="{gopro.pk}"') == 3  # its header and two clips
        rows = self.client.get(reverse("project-video-rows", args=[project.pk])).content.decode()
        assert rows.count("data-video-id=") == 3 and "chapters of one recording" in rows

    def test_a_clip_moves_to_a_new_camera_and_into_another_through_the_form(self) -> None:
        project = self.make_project("GX010042.MP4", "GX020042.MP4", "wide.mp4")
        second = project.videos.get(original_name="GX020042.MP4")
        wide = project.videos.get(original_name="wide.mp4")
        url = reverse("video-camera", args=[second.pk])
        response = self.client.post(url, {"camera": "new"}, follow=True)
        second.refresh_from_db()
        assert project.cameras.count() == 3 and second.camera.clips.count() == 1
        self.assertContains(response, f"is now in camera &#x27;{second.camera.name}&#x27;")
        alone = second.camera
        self.client.post(url, {"camera": str(wide.camera_id)})
        second.refresh_from_db()
        assert second.camera_id == wide.camera_id and second.camera.grouped_by == "user"
        assert not Camera.objects.filter(pk=alone.pk).exists()  # left empty: deleted
        response = self.client.post(url, {"camera": "999999"}, follow=True)
        self.assertContains(response, escape(errors.CAMERA_NOT_IN_PROJECT))

    def test_a_camera_is_merged_into_another_through_the_form(self) -> None:
        project = self.make_project("GX010042.MP4", "wide.mp4")
        gopro, wide = project.cameras.all()
        response = self.client.post(
            reverse("camera-merge", args=[wide.pk]), {"into": ""}, follow=True
        )
        self.assertContains(response, escape(errors.CAMERA_NOT_IN_PROJECT))
        response = self.client.post(
            reverse("camera-merge", args=[wide.pk]), {"into": str(gopro.pk)}, follow=True
        )
        self.assertContains(response, escape(f"are now in '{gopro.name}'"))
        assert list(project.cameras.all()) == [gopro] and gopro.clips.count() == 2

    def test_a_camera_is_renamed_inline_and_an_empty_name_is_refused(self) -> None:
        project = self.make_project("wide.mp4")
        camera = project.cameras.get()
        url = reverse("camera-rename", args=[camera.pk])
        self.client.post(url, {"name": " Stage left "})
        camera.refresh_from_db()
        assert camera.name == "Stage left"
        response = self.client.post(url, {"name": " "}, follow=True)
        self.assertContains(response, errors.CAMERA_NAME_EMPTY)
        camera.refresh_from_db()
        assert camera.name == "Stage left"

    def test_master_audio_is_chosen_on_the_page_recorders_first(self) -> None:
        project = self.make_project("wide.mp4", "mute.mp4", "ZOOM0001.WAV")
        zoom = project.videos.get(original_name="ZOOM0001.WAV")
        html = self.page(project)
        select = html[
            html.index('id="id_master_audio"') : html.index(
                "</select>", html.index('id="id_master_audio"')
            )
        ]
        assert select.index("ZOOM0001.WAV") < select.index("wide.mp4") and "mute.mp4" not in select
        url = reverse("project-master-audio", args=[project.pk])
        response = self.client.post(
            url, {"master_audio": zoom.pk, "master_channel": "1"}, follow=True
        )
        self.assertContains(response, "Master audio: &#x27;ZOOM0001.WAV&#x27; (channel 2).")
        project.refresh_from_db()
        assert project.master_audio == zoom and project.master_channel == 1
        response = self.client.post(
            url, {"master_audio": zoom.pk, "master_channel": "5"}, follow=True
        )
        message = errors.MASTER_CHANNEL_OUT_OF_RANGE.format(name="ZOOM0001.WAV", channels=2, last=1)
        self.assertContains(response, message.replace("'", "&#x27;"))
        mute = project.videos.get(original_name="mute.mp4")
        response = self.client.post(url, {"master_audio": mute.pk}, follow=True)
        self.assertContains(response, "has no sound")
        self.client.post(url, {"master_audio": ""})
        project.refresh_from_db()
        assert project.master_audio is None and project.master_channel is None

    def test_another_users_cameras_and_forms_are_404(self) -> None:
        theirs = self.make_project("wide.mp4", owner=self.outsider)
        video, camera = theirs.videos.get(), theirs.cameras.get()
        for url, data in (
            (reverse("video-camera", args=[video.pk]), {"camera": "new"}),
            (reverse("camera-rename", args=[camera.pk]), {"name": "mine"}),
            (reverse("camera-merge", args=[camera.pk]), {"into": str(camera.pk)}),
            (reverse("project-master-audio", args=[theirs.pk]), {"master_audio": video.pk}),
        ):
            assert self.client.post(url, data).status_code == 404, url
        camera.refresh_from_db()
        assert camera.name != "mine" and theirs.cameras.count() == 1

    def test_services_refuse_another_projects_camera_and_master_audio(self) -> None:
        mine, other = self.make_project("wide.mp4"), self.make_project("mute.mp4")
        with self.assertRaises(ServiceError) as caught:
            camera_services.video_camera_set(video=mine.videos.get(), camera=other.cameras.get())
        assert caught.exception.code == "camera_not_in_project"
        with self.assertRaises(ServiceError) as caught:
            services.project_update(project=mine, master_audio=other.videos.get())
        assert caught.exception.message == errors.MASTER_AUDIO_NOT_IN_PROJECT

    def test_a_deleted_clip_leaves_no_empty_camera_and_old_rows_get_cameras(self) -> None:
        project = self.make_project("wide.mp4", "mute.mp4")
        services.video_delete(video=project.videos.get(original_name="mute.mp4"))
        Video.objects.filter(project=project).update(camera=None)  # as before migration 0008
        self.page(project)
        assert project.cameras.count() == 1
        assert project.cameras.get().clips.get().original_name == "wide.mp4"

    def test_the_admin_lists_cameras_read_only_with_their_clips(self) -> None:
        project = self.make_project("GX010042.MP4", "GX020042.MP4")
        staff = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
        self.client.force_login(staff)
        camera = project.cameras.get()
        changelist = reverse("admin:projects_camera_changelist")
        for query in ("", "?q=gopro", "?grouped_by__exact=chapters"):
            response = self.client.get(changelist + query)
            self.assertContains(response, camera.name)
        page = self.client.get(reverse("admin:projects_camera_change", args=[camera.pk]))
        self.assertContains(page, "GX020042.MP4")
        self.assertNotContains(page, 'name="_save"')  # read-only
        self.client.post(reverse("admin:projects_camera_delete", args=[camera.pk]), {"post": "yes"})
        assert project.cameras.count() == 2  # ungrouped, no clip lost
