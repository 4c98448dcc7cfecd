"""The run's sync check sheet (a PNG): shown on the run page and downloadable, owner only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from projects import selectors
from projects.models import SyncRun
from projects.services.check_sheets import check_sheet_path
from projects.views.files import ranged_file_response

__all__ = ["CHECK_SHEET_MISSING", "check_sheet_response", "run_check_sheet"]

CHECK_SHEET_MISSING = (
    "This run has no check sheet (fewer than two clips were placed, or it could not be made)."
)


def check_sheet_response(request: HttpRequest, run: SyncRun, *, download: bool) -> HttpResponse:
    """The PNG, inline or as a download; 404 when the run has none."""
    path = check_sheet_path(run)
    if not path.is_file():
        raise Http404(CHECK_SHEET_MISSING)
    response = ranged_file_response(request, path, content_type="image/png")
    if download:
        filename = f"run{run.pk}_check_sheet.png"
        response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@login_required
@require_GET
def run_check_sheet(request: HttpRequest, run_id: int) -> HttpResponse:
    """``?download=1`` answers it as an attachment."""
    run = selectors.sync_run_get_for_user(user=request.user, run_id=run_id)
    return check_sheet_response(request, run, download=request.GET.get("download") == "1")
