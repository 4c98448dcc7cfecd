"""API tests run django-q2 tasks synchronously, like the portal tests."""

from __future__ import annotations

import pytest

from tests.projects.conftest import _q_sync  # noqa: F401 (the autouse fixture, reused)


@pytest.fixture()
def _clips(request, clips) -> None:
    request.cls.clips = clips
