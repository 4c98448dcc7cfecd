"""Browser tests: django-q2 runs tasks synchronously, so an upload or a sync started from the
page runs inside that request (when its transaction commits) on the live server."""

from __future__ import annotations

import pytest
from django.conf import settings


@pytest.fixture(autouse=True, scope="session")
def _q_sync() -> None:
    from django_q.conf import Conf

    settings.Q_CLUSTER["sync"] = True
    Conf.SYNC = True


#: The password of the users the browser tests create (``synced_run``).
PASSWORD = "a-long-pass-phrase"


@pytest.fixture()
def synced_run(clips, settings, tmp_path, django_user_model):  # noqa: ANN001, ANN201
    """``synced_run(names, shown={name: upload name})``: alice's project "Concert" with those
    shared clips uploaded (under their shown names) and synced by sound; returns the run's id.
    Log in as "alice" with :data:`PASSWORD`."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from projects import services
    from projects.models import SyncRun

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    def make(names: tuple[str, ...], shown: dict[str, str] | None = None) -> int:
        owner = django_user_model.objects.create_user("alice", "alice@example.org", PASSWORD)
        project = services.project_create(owner=owner, name="Concert")
        for name in names:
            path = clips[name]
            upload_name = (shown or {}).get(name, path.name)
            services.video_add(
                project=project, upload=SimpleUploadedFile(upload_name, path.read_bytes())
            )
        run = services.sync_run_start(project=project, method="audio", max_offset_s=20)
        run.refresh_from_db()
        assert run.status == SyncRun.Status.DONE, run.error_message
        return run.pk

    return make
