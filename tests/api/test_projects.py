"""Projects over the API: list, create, read, update, delete; owner, another user, anonymous."""

from __future__ import annotations

from django.urls import reverse

from projects import services
from projects.api.errors import NOT_FOUND
from projects.models import Project
from tests.api.base import ApiTestCase

LIST = reverse("api-project-list")


def detail(project: Project) -> str:
    return reverse("api-project-detail", args=[project.pk])


class ProjectApiTests(ApiTestCase):
    def test_the_owner_creates_reads_updates_and_deletes_a_project(self) -> None:
        response = self.call("POST", LIST, {"name": "  Gig  ", "notes": "3 cams"})
        assert response.status_code == 201, response.content
        body = response.json()
        project = Project.objects.get(pk=body["id"])
        assert project.owner == self.owner and project.name == "Gig"
        assert body["name"] == "Gig" and body["notes"] == "3 cams"
        assert set(body) == {
            "id",
            "name",
            "notes",
            "master_audio",
            "master_channel",
            "created_at",
            "updated_at",
        }

        assert self.call("GET", detail(project)).json() == body
        response = self.call("PATCH", detail(project), {"name": "Gig 2024"})
        assert response.status_code == 200
        assert response.json()["name"] == "Gig 2024" and response.json()["notes"] == "3 cams"
        response = self.call("PATCH", detail(project), {"notes": ""})
        assert response.json()["name"] == "Gig 2024" and response.json()["notes"] == ""

        response = self.call("DELETE", detail(project))
        assert response.status_code == 204 and response.content == b""
        assert not Project.objects.filter(pk=project.pk).exists()
        self.assert_error(self.call("GET", detail(project)), 404, "not_found", NOT_FOUND)

    def test_the_list_is_mine_only_paginated_and_in_constant_queries(self) -> None:
        services.project_create(owner=self.outsider, name="Not yours")
        for i in range(3):
            services.project_create(owner=self.owner, name=f"P{i}")
        self.call("GET", LIST)  # the token's first use notes last_used_at (once a minute)
        with self.assertNumQueries(3):  # token, count, page
            response = self.call("GET", LIST, HTTP_ACCEPT="application/json")
        body = response.json()
        assert body["count"] == 3 and body["next"] is None and body["previous"] is None
        assert [p["name"] for p in body["results"]] == ["P2", "P1", "P0"]
        for i in range(3, 8):
            services.project_create(owner=self.owner, name=f"P{i}")
        with self.assertNumQueries(3):
            response = self.call("GET", LIST + "?page_size=3&page=2")
        body = response.json()
        assert body["count"] == 8 and [p["name"] for p in body["results"]] == ["P4", "P3", "P2"]
        assert body["next"].endswith("page=3&page_size=3") and "page_size=3" in body["previous"]
        self.assert_error(self.call("GET", LIST + "?page=99"), 404, "not_found")
        self.assert_error(self.call("GET", LIST + "?page=abc"), 404, "not_found")

    def test_another_users_project_is_a_404_like_a_missing_one(self) -> None:
        project = services.project_create(owner=self.owner, name="Wedding")
        for method, data in (("GET", None), ("PATCH", {"name": "Mine now"}), ("DELETE", None)):
            with self.subTest(method):
                body = self.assert_error(
                    self.call(method, detail(project), data, key="outsider"),
                    404,
                    "not_found",
                    NOT_FOUND,
                )
                assert body["extra"] == {}
        missing = reverse("api-project-detail", args=[project.pk + 1000])
        assert (
            self.call("GET", missing).json()
            == self.call("GET", detail(project), key="outsider").json()
        )
        assert self.call("GET", LIST, key="outsider").json()["count"] == 0
        project.refresh_from_db()
        assert project.name == "Wedding"

    def test_anonymous_callers_get_401_with_a_token_challenge(self) -> None:
        project = services.project_create(owner=self.owner, name="Wedding")
        for method, url in (
            ("GET", LIST),
            ("POST", LIST),
            ("GET", detail(project)),
            ("PATCH", detail(project)),
            ("DELETE", detail(project)),
        ):
            with self.subTest(method=method, url=url):
                response = self.call(method, url, {"name": "x"}, key=None)
                self.assert_error(response, 401, "not_authenticated")
                assert response["WWW-Authenticate"] == "Token"
        assert Project.objects.count() == 1

    def test_invalid_input_names_the_fields(self) -> None:
        body = self.assert_error(self.call("POST", LIST, {"name": "   "}), 400, "invalid")
        assert body["extra"]["fields"] == {"name": ["This field may not be blank."]}
        assert body["message"] == "Some fields are not valid: name."
        body = self.assert_error(self.call("POST", LIST, {}), 400, "invalid")
        assert body["extra"]["fields"] == {"name": ["This field is required."]}
        body = self.assert_error(
            self.call("POST", LIST, {"name": "x" * 201, "notes": 5}), 400, "invalid"
        )
        assert list(body["extra"]["fields"]) == ["name"]  # a number is accepted as notes text
        body = self.assert_error(self.call("POST", LIST, ["a list"]), 400, "invalid")
        assert body["message"].startswith("Invalid data. Expected a dictionary")
        body = self.assert_error(self.call("POST", LIST, {"name": "a\x00b"}), 400, "invalid")
        assert "Null characters are not allowed." in body["extra"]["fields"]["name"]
        project = services.project_create(owner=self.owner, name="Wedding")
        body = self.assert_error(self.call("PATCH", detail(project), {"name": ""}), 400, "invalid")
        assert not Project.objects.exclude(pk=project.pk).exists()
