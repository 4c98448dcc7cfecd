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
