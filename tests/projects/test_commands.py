"""``manage.py demo_project``: a project of generated clips, uploaded through the services."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from mediasynth.demo import DEMO_CAMERAS
from tests.projects.base import BaseTestCase


def _demo(**options: object) -> str:
    out = StringIO()
    call_command("demo_project", stdout=out, **options)
    return out.getvalue()


class DemoProjectCommandTests(BaseTestCase):
    def test_it_creates_the_user_and_a_project_with_the_three_clips(self) -> None:
        output = _demo(user="newcomer", create_user=True, password="s3cret-pw", skip_existing=True)
        user = get_user_model().objects.get(username="newcomer")
        assert user.check_password("s3cret-pw") and not user.is_staff
        project = user.projects.get()
        videos = list(project.videos.all())
        assert [v.original_name for v in videos] == ["cam1.mp4", "cam2.mp4", "cam3.mp4"]
        assert all(v.has_audio and v.duration_s > 20 for v in videos)
        assert f"url: /projects/{project.pk}/" in output
        printed = dict(re.findall(r"^\s+(cam\d\.mp4)\s+([+-]\d+\.\d{3}) s$", output, re.M))
        truth = {f"{c.name}.mp4": c.start_s - DEMO_CAMERAS[0].start_s for c in DEMO_CAMERAS}
        assert {name: float(s) for name, s in printed.items()} == pytest.approx(truth)

        # Run again (as scripts/run does every time): nothing new.
        again = _demo(user="newcomer", create_user=True, password="other", skip_existing=True)
        assert "skipped" in again and user.projects.count() == 1
        user.refresh_from_db()
        assert user.check_password("s3cret-pw")

    def test_it_refuses_an_unknown_user_without_create_user(self) -> None:
        with pytest.raises(CommandError, match="no user 'nobody'; pass --create-user"):
            _demo(user="nobody")
        assert not get_user_model().objects.filter(username="nobody").exists()

    def test_it_needs_a_password_to_create_a_user(self) -> None:
        with pytest.raises(CommandError, match="--create-user needs --password"):
            _demo(user="nobody", create_user=True)
