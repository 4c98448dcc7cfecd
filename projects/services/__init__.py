"""Writes: the only code that changes models or calls the engine.

Split by entity: :mod:`.projects`, :mod:`.videos`, :mod:`.runs`.
"""

from __future__ import annotations

from projects.services.errors import ServiceError
from projects.services.projects import project_create, project_delete, project_update
from projects.services.renders import (
    render_cancel,
    render_delete,
    render_execute,
    render_fail_if_unfinished,
    render_fail_stale,
    render_start,
)
from projects.services.runs import (
    offset_adjust,
    sync_run_cancel,
    sync_run_execute,
    sync_run_fail_if_unfinished,
    sync_run_fail_stale,
    sync_run_start,
)
from projects.services.scratch import scratch_sweep
from projects.services.tokens import api_token_create, api_token_revoke
from projects.services.videos import video_add, video_delete, video_prepare_preview

__all__ = [
    "ServiceError",
    "api_token_create",
    "api_token_revoke",
    "offset_adjust",
    "project_create",
    "project_delete",
    "project_update",
    "render_cancel",
    "render_delete",
    "render_execute",
    "render_fail_if_unfinished",
    "render_fail_stale",
    "render_start",
    "scratch_sweep",
    "sync_run_cancel",
    "sync_run_execute",
    "sync_run_fail_if_unfinished",
    "sync_run_fail_stale",
    "sync_run_start",
    "video_add",
    "video_delete",
    "video_prepare_preview",
]
