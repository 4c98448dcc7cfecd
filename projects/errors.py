"""User-facing text for every failure, keyed by the engine's stable error codes."""

from __future__ import annotations

GENERIC_FAILURE = "Sync failed unexpectedly; the error was logged."
WORKER_LOST = (
    "The sync stopped before it finished (the worker was stopped or ran out of time). "
    "Start it again; if it keeps failing, try a shorter maximum offset or fewer videos."
)
RENDER_GENERIC_FAILURE = "Render failed unexpectedly; the error was logged."
RENDER_WORKER_LOST = (
    "The render stopped before it finished (the worker was stopped or ran out of time). "
    "Start it again; if it keeps failing, try fewer videos or keep the original encoding."
)
# A job whose worker stopped giving signs of life (killed, crashed, machine lost).
WORKER_STOPPED_SYNC = (
    "Sync failed: the worker stopped while syncing (no sign of life for {seconds} s); "
    "start it again."
)
WORKER_STOPPED_RENDER = (
    "Render failed: the worker stopped while making the synced files (no sign of life for "
    "{seconds} s); start it again."
)
WORKER_STOPPED_PREVIEW = (
    "The browser preview could not be made: the worker stopped while preparing it (no sign of "
    "life for {seconds} s). Delete the video and upload it again."
)
PREVIEW_WORKER_LOST = (
    "The browser preview could not be made: the worker stopped or ran out of time. Delete the "
    "video and upload it again."
)
PREVIEW_QUEUE_LOST = (
    "The browser preview could not be made: it waited too long for a worker. Delete the video "
    "and upload it again."
)
# Per kind of job (services.jobs.job_message): what failed, lost (timeout) and stopped say.
JOB_MESSAGES = {
    "sync": {
        "failed": GENERIC_FAILURE,
        "lost": WORKER_LOST,
        "queue_lost": WORKER_LOST,
        "stopped": WORKER_STOPPED_SYNC,
    },
    "render": {
        "failed": RENDER_GENERIC_FAILURE,
        "lost": RENDER_WORKER_LOST,
        "queue_lost": RENDER_WORKER_LOST,
        "stopped": WORKER_STOPPED_RENDER,
    },
    "preview": {
        "failed": PREVIEW_WORKER_LOST,
        "lost": PREVIEW_WORKER_LOST,
        "queue_lost": PREVIEW_QUEUE_LOST,
        "stopped": WORKER_STOPPED_PREVIEW,
    },
}
CANCELLED = "Cancelled by the user."
UPLOAD_TOO_LARGE = "'{name}' is {size} - larger than the {limit} limit. Trim or compress it first."
UPLOAD_TOO_LARGE_STREAM = (
    "The upload was stopped at {size}: files may be at most {limit}. Trim or compress it first."
)
NEED_TWO_VIDEOS = "Add at least two videos to the project before syncing."
RUN_ALREADY_ACTIVE = "A sync is already running for this project; wait for it or cancel it."
VIDEO_NOT_IN_PROJECT = "The reference video must be one of this project's videos."
REFERENCE_OFFSET_FIXED = (
    "The reference video defines the timeline: its offset is always 0. Adjust the other videos."
)
DISK_FULL = (
    "The server ran out of disk space while saving '{name}'. Nothing was changed; try later."
)

# Engine codes -> final user text. The engine's own message (which names the file) is used
# when a code is not listed here, so every error stays specific.
ENGINE_HINTS = {
    "no_audio_stream": "Choose 'Picture only' or 'Automatic' to sync clips without sound.",
    "silent_audio": "Choose 'Picture only' or 'Automatic' for clips with silent sound.",
    "static_picture": "Choose 'Sound only' or 'Automatic' for clips that do not move.",
    "clip_too_short": "Clips need at least a second of overlapping material.",
}


def engine_message(code: str, message: str) -> str:
    """The engine's message plus a hint on what to do next, when we have one."""
    hint = ENGINE_HINTS.get(code)
    return f"{message} {hint}" if hint else message


def human_size(n_bytes: int) -> str:
    size = float(n_bytes)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


# Renders (synced files) and downloads.
RENDER_RUN_NOT_DONE = "Synced files can only be made from a finished sync. Wait for it to finish."
RENDER_NEED_TWO = (
    "At least two videos must have an offset to make synced files. Adjust the unsynced ones by "
    "hand in the player, or sync again with another method."
)
RENDER_ALREADY_ACTIVE = "Synced files are already being made for this run; wait for them."
RENDER_BAD_MODE = "Choose a timeline: 'union' (keep all footage) or 'reference'."
RENDER_ALREADY_FINISHED = "This export had already finished; nothing to cancel."
RENDER_NOT_READY = "These synced files are not ready: the export has not finished successfully."
RENDER_NOT_KEPT = (
    "The files were not kept. Check the offsets in the player, adjust them by hand if needed, "
    "and export again."
)
RENDER_DISK_FULL = (
    "The server ran out of disk space while writing the synced files. Nothing was kept; free "
    "space or try later."
)
# The portal's form posts share the API's per-user throttles (API_THROTTLE_RUNS / _RENDERS).
RUNS_THROTTLED = (
    "Too many syncs started in the last hour. Try again in about {minutes} min, or wait for a "
    "running sync to finish."
)
RENDERS_THROTTLED = (
    "Too many exports started in the last hour. Try again in about {minutes} min, or wait for "
    "an export under way to finish."
)

# Cameras (a project's devices) and the master audio (an external recorder).
CAMERA_NOT_IN_PROJECT = "That camera belongs to another project; choose one of this project's."
CAMERA_VIDEO_NOT_IN_PROJECT = "Every clip of a camera must be one of this project's videos."
CAMERA_NEEDS_CLIPS = "A camera needs at least one clip: name the videos it holds (video_ids)."
CAMERA_NAME_EMPTY = "Give the camera a name (it cannot be empty)."
CAMERA_MERGE_SELF = "A camera cannot be merged into itself; choose another camera."
MASTER_AUDIO_NOT_IN_PROJECT = (
    "The master audio must be one of this project's clips; upload the recorder's file here first."
)
MASTER_AUDIO_NO_SOUND = (
    "'{name}' has no sound, so it cannot be the master audio. Choose a clip or recorder with sound."
)
MASTER_CHANNEL_OUT_OF_RANGE = (
    "'{name}' has {channels} channel(s): choose a channel from 0 to {last}, or null to pick the "
    "loudest by energy."
)
MASTER_CHANNEL_WITHOUT_MASTER = "Choose the master audio first; a channel needs a master audio."
