"""Writes: the only code that changes models or calls the engine.

Split by entity: :mod:`.projects`, :mod:`.videos`, :mod:`.runs`, :mod:`.renders`; the job
lifecycle both runs and renders share is :mod:`.jobs`, its sweeper :mod:`.sweep`.
"""

from __future__ import annotations

from projects.services.errors import ServiceError
from projects.services.jobs import (
    job_cancel,
    job_fail_if_unfinished,
    job_heartbeat,
    preview_fail_if_unfinished,
)
from projects.services.projects import project_create, project_delete, project_update
from projects.services.renders import (
    render_delete,
    render_execute,
    render_fail_if_unfinished,
    render_start,
)
from projects.services.runs import (
    offset_adjust,
    sync_run_execute,
    sync_run_start,
)
from projects.services.scratch import scratch_sweep
from projects.services.sweep import StaleSweep, stale_sweep, sweep_after_worker_start
from projects.services.tokens import api_token_create, api_token_revoke
from projects.services.videos import video_add, video_delete, video_prepare_preview

__all__ = [
    "ServiceError",
    "StaleSweep",
    "api_token_create",
    "api_token_revoke",
    "job_cancel",
    "job_fail_if_unfinished",
    "job_heartbeat",
    "offset_adjust",
    "preview_fail_if_unfinished",
    "project_create",
    "project_delete",
    "project_update",
    "render_delete",
    "render_execute",
    "render_fail_if_unfinished",
    "render_start",
    "scratch_sweep",
    "stale_sweep",
    "sync_run_execute",
    "sweep_after_worker_start",
    "sync_run_start",
    "video_add",
    "video_delete",
    "video_prepare_preview",
]
