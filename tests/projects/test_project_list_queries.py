"""The project list costs the same number of queries for 1 project or 40: the video counts are
an annotation of the one list query, never a query per row (benchmarks/bench_portal.py measures
its latency under 50 concurrent clients)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from projects import selectors
from projects.models import Project, Video

pytestmark = pytest.mark.django_db


def _projects(owner, count: int, videos: int, prefix: str = "Event") -> None:
    for p in range(count):
        project = Project.objects.create(owner=owner, name=f"{prefix} {p}")
        Video.objects.bulk_create(
            Video(project=project, original_name=f"cam{k}.mp4", file=f"x/{p}/{k}.mp4", position=k)
            for k in range(videos)
        )


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


@pytest.fixture()
def owner():
    users = get_user_model().objects
    other = users.create_user("other", password="password-other")
    _projects(other, 3, 2, prefix="Other")  # another user's projects are neither counted nor shown
    return users.create_user("alice", password="password-alice")


def test_the_list_is_one_query_with_every_projects_video_count(
    owner, django_assert_num_queries
) -> None:
    _projects(owner, 40, 3)
    Project.objects.create(owner=owner, name="Empty")
    with django_assert_num_queries(1):
        rows = {p.name: p.n_videos for p in selectors.project_list_for_user(user=owner)}
    assert len(rows) == 41 and rows["Empty"] == 0
    assert all(n == 3 for name, n in rows.items() if name != "Empty")


@pytest.mark.parametrize("path", ["/", "/api/v1/projects/"])
def test_the_page_and_the_api_cost_no_query_per_project(
    owner, client: Client, path: str, django_assert_max_num_queries
) -> None:
    client.force_login(owner)
    _projects(owner, 1, 3)
    one = _queries(client, path)
    _projects(owner, 39, 3, prefix="Later")
    with django_assert_max_num_queries(one):
        response = client.get(path)
    text = response.content.decode()
    assert "Later 38" in text and "Other" not in text
