"""One error body everywhere: malformed bodies, wrong methods and unknown paths included."""

from __future__ import annotations

from django.urls import reverse

from projects import services
from tests.api.base import ApiTestCase

LIST = reverse("api-project-list")


class ErrorFormatTests(ApiTestCase):
    def test_a_method_no_operation_answers_is_a_405_naming_the_allowed_ones(self) -> None:
        project = services.project_create(owner=self.owner, name="Gig")
        url = reverse("api-project-detail", args=[project.pk])
        for method in ("POST", "PUT"):
            with self.subTest(method):
                response = self.call(method, url, {})
                body = self.assert_error(response, 405, "method_not_allowed")
                assert body["extra"]["allowed"] == ["DELETE", "GET", "HEAD", "PATCH"]
                assert response["Allow"] == "DELETE, GET, HEAD, PATCH"
        assert self.call("HEAD", url).status_code == 200

    def test_a_malformed_or_unsupported_body_is_a_400_or_415(self) -> None:
        response = self.client.post(
            LIST,
            b"{not json",
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {self.owner_key}",
        )
        body = self.assert_error(response, 400, "parse_error")
        assert body["message"].startswith("JSON parse error")
        response = self.client.post(
            LIST, "name=x", content_type="text/plain", HTTP_AUTHORIZATION=f"Token {self.owner_key}"
        )
        self.assert_error(response, 415, "unsupported_media_type")
        response = self.client.post(
            LIST,
            b'{"name": NaN}',
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {self.owner_key}",
        )
        self.assert_error(response, 400, "parse_error")

    def test_an_accept_header_the_api_cannot_serve_is_a_406(self) -> None:
        response = self.call("GET", LIST, HTTP_ACCEPT="text/csv")
        assert response.status_code == 406 and response.json()["code"] == "not_acceptable"

    def test_an_unknown_api_path_is_a_json_404(self) -> None:
        for url in (
            "/api/v1/nothing/",
            "/api/v1/projects/abc/",
            "/api/v1/",
            "/api/v1/runs/%0A1/cancel/",
            "/api/v1/projects/99999999999999999999/",
            f"/api/v1/videos/{2**63}/",
        ):
            with self.subTest(url):
                self.assert_error(self.call("GET", url), 404, "not_found")
                self.assert_error(self.call("POST", url, {}, key=None), 404, "not_found")
