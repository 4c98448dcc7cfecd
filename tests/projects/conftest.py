"""Portal tests run django-q2 tasks synchronously (in the test's transaction hooks)."""

from __future__ import annotations

import pytest
from django.conf import settings


@pytest.fixture(autouse=True, scope="session")
def _q_sync() -> None:
    from django_q.conf import Conf

    settings.Q_CLUSTER["sync"] = True
    Conf.SYNC = True
