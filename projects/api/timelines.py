"""Editor timelines of a run: ``GET /api/v1/runs/{id}/timeline/{format}/``."""

from __future__ import annotations

import json

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

__all__ = ["WARNINGS_HEADER", "RunTimelineApi"]

#: The response header that carries what to tell the user before the import (a variable frame
#: rate): a JSON list of sentences, non-ASCII escaped; absent when there is nothing to say.
WARNINGS_HEADER = "Syncsite-Warnings"

_FORMAT_HELP = "; ".join(f"{slug}: {f.label} ({f.editors})" for slug, f in FORMATS.items())


class RunTimelineApi(DownloadApi):
    class InputSerializer(serializers.Serializer):
        media = serializers.ChoiceField(
            choices=[(m, m) for m in MEDIA_CHOICES],
            default=MEDIA_CHOICES[0],
            help_text="original: link the uploads, each at its effective offset; synced: link "
            "the files of the run's newest finished export (409 render_not_ready without one)",
        )
        camera = serializers.IntegerField(
            required=False,
            min_value=1,
            help_text="with format edl: this camera's (a camera id of the project) one CMX 3600 "
            "EDL as a .edl file instead of the ZIP of every camera's; 400 for another format, "
            "a camera not in the project or one without a placed picture",
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
            OpenApiParameter(
                WARNINGS_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                response=[200],
                description="present when the user should know something before importing: "
                "a JSON list of sentences (ASCII, non-ASCII escaped), e.g. a clip with a "
                "variable frame rate",
            ),
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
        own, the project's master audio on a track of its own, a drift-corrected clip at its
        speed (not in AAF). ``edl`` is a ZIP with one CMX 3600 EDL per camera (``?camera=``:
        one camera's EDL). A clip with a variable frame rate is named in the
        ``Syncsite-Warnings`` header. 404 for an unknown format.
        """
        run = selectors.sync_run_get_for_user(user=request.user, run_id=run_id)
        if fmt not in TIMELINE_FORMATS:
            raise Http404("no such timeline")
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        timeline = run_timeline_file(
            run,
            fmt,
            media=params.validated_data["media"],
            camera=params.validated_data.get("camera"),
        )
        response = HttpResponse(timeline.data, content_type=timeline.content_type)
        response["Content-Disposition"] = content_disposition_header(True, timeline.filename)
        if timeline.warnings:
            response[WARNINGS_HEADER] = json.dumps(list(timeline.warnings), ensure_ascii=True)
        return response
