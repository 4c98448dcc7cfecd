"""The OpenAPI schema is valid, warning-free, served, and says what the API really does."""

from __future__ import annotations

import json

import yaml
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse


class SchemaTests(TestCase):
    def schema(self) -> dict:
        response = self.client.get(reverse("api-schema"), HTTP_ACCEPT="application/json")
        assert response.status_code == 200, response.content[:300]
        return json.loads(response.content)

    def test_the_schema_validates_without_warnings(self) -> None:
        # --validate checks it against the OpenAPI 3 JSON schema; --fail-on-warn turns any
        # generation warning (unknown types, name clashes) into an error.
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")

    def test_every_operation_documents_its_errors_in_the_common_body(self) -> None:
        schema = self.schema()
        error = schema["components"]["schemas"]["Error"]
        assert error["required"] == ["code", "extra", "message"]
        operations = [
            (path, method, op)
            for path, item in schema["paths"].items()
            for method, op in item.items()
        ]
        assert len(operations) >= 17
        for path, _method, op in operations:
            assert path.startswith("/api/v1/")
            for status in ("401", "403", "404", "405", "406"):
                content = op["responses"][status]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (path, status)
            assert op["security"] == [{"tokenAuth": []}, {"cookieAuth": []}]
        token = schema["components"]["securitySchemes"]["tokenAuth"]
        assert token["type"] == "apiKey" and token["in"] == "header"
        assert token["name"] == "Authorization" and '"Token"' in token["description"]

    def test_uploads_are_multipart_and_downloads_binary(self) -> None:
        paths = self.schema()["paths"]
        upload = paths["/api/v1/projects/{project_id}/videos/"]["post"]
        body = upload["requestBody"]["content"]
        assert list(body) == ["multipart/form-data"]
        ref = body["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
        file_schema = self.schema()["components"]["schemas"][ref]["properties"]["file"]
        assert file_schema["format"] == "binary"
        assert {"413", "415", "429"} <= set(upload["responses"])
        proxy = paths["/api/v1/videos/{video_id}/proxy/"]["get"]["responses"]
        assert proxy["200"]["content"]["video/mp4"]["schema"] == {
            "type": "string",
            "format": "binary",
        }
        assert "206" in proxy and "416" in proxy
        listing = paths["/api/v1/projects/"]["get"]
        assert [p["name"] for p in listing["parameters"]] == ["page", "page_size"]

    def test_runs_search_the_whole_overlap_by_default_and_results_say_why_a_clip_failed(
        self,
    ) -> None:
        schemas = self.schema()["components"]["schemas"]
        start = schemas["RunStartInputRequest"]
        assert "max_offset_s" not in start.get("required", [])
        assert start["properties"]["max_offset_s"]["nullable"] is True
        assert "the whole overlap" in start["properties"]["max_offset_s"]["description"]
        reason = schemas["OffsetOutput"]["properties"]["reason"]
        assert reason["type"] == "string" and reason["nullable"] is True
        loop = schemas["OffsetOutput"]["properties"]["loop_residual_s"]
        assert loop["type"] == "number" and loop["nullable"] is True and loop["description"]

    def test_the_docs_page_uses_local_assets_only(self) -> None:
        page = self.client.get(reverse("api-docs"))
        assert page.status_code == 200
        html = page.content.decode()
        assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
        assert "cdn" not in html.lower() and "https://" not in html
        # The YAML form is served too.
        schema = yaml.safe_load(self.client.get(reverse("api-schema")).content)
        assert schema["openapi"].startswith("3.")
