"""Editor timelines of a run: ``GET /api/v1/runs/{id}/timeline/{format}/``."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request

from projects import selectors
from projects.api.downloads import DownloadApi, binary_responses
from projects.api.errors import error_responses
from projects.timelines import MEDIA_CHOICES, TIMELINE_FORMATS, run_timeline_file
from syncengine.editors import FORMATS

__all__ = ["RunTimelineApi"]

_FORMAT_HELP = "; ".join(f"{slug}: {f.label} ({f.editors})" for slug, f in FORMATS.items())


class RunTimelineApi(DownloadApi):
    class InputSerializer(serializers.Serializer):
        media = serializers.ChoiceField(
            choices=[(m, m) for m in MEDIA_CHOICES],
            default=MEDIA_CHOICES[0],
            help_text="original: link the uploads, each at its effective offset; synced: link "
            "the files of the run's newest finished export (409 render_not_ready without one)",
        )

    @extend_schema(
        operation_id="runs_timeline",
        tags=["runs"],
        parameters=[
            OpenApiParameter(
                "fmt",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=list(TIMELINE_FORMATS),
                description=_FORMAT_HELP,
            ),
            InputSerializer,
        ],
        responses={
            **binary_responses(
                *dict.fromkeys(f.content_type for f in FORMATS.values()), ranges=False
            ),
            **error_responses(400, 409),
        },
    )
    def get(self, request: Request, run_id: int, fmt: str) -> HttpResponse:
        """The run's clips on an editor timeline: a track per camera, at their effective offsets.

        Every clip is in it: those the run could not place sit on a disabled track of their
        own. ``edl`` is a ZIP with one CMX 3600 EDL per camera. 404 for an unknown format.
        """
        run = selectors.sync_run_get_for_user(user=request.user, run_id=run_id)
        if fmt not in TIMELINE_FORMATS:
            raise Http404("no such timeline")
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data, content_type, filename = run_timeline_file(
            run, fmt, media=params.validated_data["media"]
        )
        response = HttpResponse(data, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response
