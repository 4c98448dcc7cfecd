"""Projects, videos, sync runs, per-video offsets and renders.

Fields, statuses and constraints only; all work happens in ``projects.services``. Sync runs and
renders are both a :class:`Job` (one status enum, one lifecycle in ``projects.services.jobs``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


def _video_upload_to(video: Video, filename: str) -> str:
    # A random folder per upload: original names may collide and must never be trusted as paths.
    return f"projects/{video.project_id}/videos/{uuid.uuid4().hex}/{filename}"


def _derived_upload_to(video: Video, filename: str) -> str:
    return f"projects/{video.project_id}/derived/{uuid.uuid4().hex}/{filename}"


class Project(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="projects"
    )
    name = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The position the next upload gets, taken under a row lock (select_for_update) so concurrent
    # uploads never share one; deleting a video leaves a gap, never a duplicate.
    next_position = models.PositiveIntegerField(default=0)
    # The external recorder whose sound exports can use instead of each camera's own.
    master_audio = models.ForeignKey(
        "Video", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    master_channel = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="channel of the master audio (0-based); empty: by energy"
    )

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.name


class Camera(models.Model):
    """One recording device of a project: its clips (``Video.camera``) in time order.

    Grouped automatically from what the files say (device tags, chapter names, back-to-back
    creation times, identical format: ``grouped_by``) or by the user (``grouped_by="user"``).
    Clips of one camera never overlap each other; the solver uses that.
    """

    class GroupedBy(models.TextChoices):
        DEVICE_TAGS = "device_tags", "Same make, model and serial in the files"
        CHAPTERS = "chapters", "Chapters of one recording (file names)"
        BACK_TO_BACK = "back_to_back", "Back-to-back creation times, same format"
        SINGLE = "single", "One clip"
        USER = "user", "Grouped by hand"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="cameras")
    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)
    device = models.CharField(
        max_length=300, blank=True, help_text="make, model and serial the files give; '' unknown"
    )
    grouped_by = models.CharField(
        max_length=20, choices=GroupedBy.choices, default=GroupedBy.SINGLE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Video(models.Model):
    class Status(models.TextChoices):
        PROCESSING = "processing", "Preparing preview"
        READY = "ready", "Ready"
        FAILED = "failed", "Preview failed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="videos")
    file = models.FileField(upload_to=_video_upload_to, max_length=500)
    original_name = models.CharField(max_length=255)
    size_bytes = models.BigIntegerField(default=0)
    position = models.PositiveIntegerField(default=0, help_text="upload order within the project")
    # Probed on arrival (before the row is saved): a file that fails probing never gets a row.
    container = models.CharField(max_length=100, blank=True)
    duration_s = models.FloatField(default=0.0)
    fps = models.FloatField(null=True, blank=True)
    variable_fps = models.BooleanField(default=False)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    rotation_deg = models.IntegerField(default=0)
    video_codec = models.CharField(max_length=50, blank=True)
    has_audio = models.BooleanField(default=False)
    audio_codec = models.CharField(max_length=50, blank=True)
    sample_rate_hz = models.PositiveIntegerField(null=True, blank=True)
    channels = models.PositiveSmallIntegerField(null=True, blank=True)
    creation_time = models.CharField(max_length=64, blank=True)
    timecode = models.CharField(max_length=32, blank=True)
    # False for an audio-only file (a sound recorder's WAV/BWF, MP3, M4A, FLAC).
    has_video = models.BooleanField(default=True)
    # What else the file says, as probed: device tags (make, model, serial), a BWF recorder's
    # TimeReference and sample rate, iXML fields. Used to group cameras and as a first guess.
    metadata = models.JSONField(default=dict, blank=True)
    camera = models.ForeignKey(
        "Camera", on_delete=models.SET_NULL, null=True, blank=True, related_name="clips"
    )
    # Browser proxy (H.264/AAC MP4, <= 720p, faststart) and poster, made in the background.
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROCESSING)
    proxy = models.FileField(upload_to=_derived_upload_to, max_length=500, blank=True)
    poster = models.FileField(upload_to=_derived_upload_to, max_length=500, blank=True)
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the preview task starts and renewed while it runs: a preview whose worker died
    # (killed, crashed decoder) is failed by the sweeper once it stops (services.jobs).
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.original_name


class Job(models.Model):
    """What a sync run and a render share: the queue -> worker lifecycle, progress and failure.

    A worker claims a QUEUED row with a compare-and-set update, renews ``heartbeat_at`` while it
    works (progress reports and a timer), and finishes it; a row whose heartbeat stopped is
    failed by the sweeper (``projects.services.jobs``).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=40, blank=True)
    progress = models.FloatField(default=0.0)
    error_code = models.CharField(max_length=60, blank=True)
    error_message = models.TextField(blank=True)
    request_id = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    elapsed_s = models.FloatField(null=True, blank=True)
    peak_memory_mb = models.FloatField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="last sign of life from the worker running it"
    )
    worker = models.CharField(max_length=100, blank=True, help_text="host:pid that claimed it")

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class SyncRun(Job):
    class Method(models.TextChoices):
        AUTO = "auto", "Automatic (sound and picture)"
        AUDIO = "audio", "Sound only"
        VISUAL = "visual", "Picture only"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="runs")
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.AUTO)
    reference = models.ForeignKey(Video, on_delete=models.SET_NULL, null=True, related_name="+")
    max_offset_s = models.FloatField(null=True, blank=True, help_text="empty: whole overlap")
    engine_version = models.CharField(max_length=20, blank=True)
    plots = models.JSONField(default=list, blank=True, help_text="debug plot paths in MEDIA_ROOT")

    class Meta(Job.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(status__in=["queued", "running"]),
                name="one_active_run_per_project",
            )
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} ({self.method}, {self.status})"


class VideoOffset(models.Model):
    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="offsets")
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="offsets")
    offset_s = models.FloatField(
        null=True, blank=True, help_text="engine estimate; empty: not synced"
    )
    confidence = models.FloatField(default=0.0)
    band = models.CharField(max_length=20, blank=True)
    synced = models.BooleanField(default=False)
    is_reference = models.BooleanField(default=False)
    audio_offset_s = models.FloatField(null=True, blank=True)
    audio_confidence = models.FloatField(null=True, blank=True)
    visual_offset_s = models.FloatField(null=True, blank=True)
    visual_confidence = models.FloatField(null=True, blank=True)
    audio_video_diff_s = models.FloatField(null=True, blank=True)
    sound_skew_s = models.FloatField(
        null=True,
        blank=True,
        help_text="how late the clip's own sound runs against its own picture (seconds), when "
        "the sync found it off while the other clips agree; empty: none found",
    )
    drift_ppm = models.FloatField(null=True, blank=True)
    residual_s = models.FloatField(null=True, blank=True)
    loop_residual_s = models.FloatField(
        null=True,
        blank=True,
        help_text="largest disagreement around the loops of three clips through this one, "
        "seconds; empty: no loop could be checked",
    )
    loops_closed = models.PositiveIntegerField(
        default=0, help_text="loops of three clips through this one that were checked"
    )
    notes = models.JSONField(default=list, blank=True)
    # How the clip got its place: "content" (sound/picture), "camera" (its own camera's
    # neighbouring clips), "metadata" (creation time, timecode, BWF TimeReference), "" (not placed).
    placed_by = models.CharField(max_length=20, blank=True)
    # The measured offset along the overlap for the drift plot: [[reference time s, offset s], ...].
    drift_points = models.JSONField(default=list, blank=True)
    # The user's correction is kept apart from the estimate, which stays on record.
    manual_offset_s = models.FloatField(null=True, blank=True)
    manual_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["video__position", "video_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "video"], name="one_offset_per_video_and_run")
        ]

    def __str__(self) -> str:
        return f"{self.video} in run {self.run_id}"

    @property
    def effective_offset_s(self) -> float | None:
        return self.manual_offset_s if self.manual_offset_s is not None else self.offset_s


class Render(Job):
    """Synced files rendered from one run's offsets, with their verification."""

    class Mode(models.TextChoices):
        """The engine's render timelines (``syncengine.constants.RENDER_MODES``; a test pins
        them together), with what each means to a user."""

        UNION = "union", "Keep all footage (starts with the earliest camera)"
        REFERENCE = "reference", "Start with the reference video"

    class Audio(models.TextChoices):
        CAMERA = "camera", "Each camera's own sound"
        MASTER = "master", "The master audio instead of the camera's sound"
        MASTER_AND_CAMERA = "master_and_camera", "Master audio first, camera sound second"

    class Layout(models.TextChoices):
        CLIP = "clip", "One file per clip"
        CAMERA = "camera", "One file per camera (its clips on one timeline)"

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="renders")
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.UNION)
    reencode = models.BooleanField(default=True)
    audio = models.CharField(max_length=20, choices=Audio.choices, default=Audio.CAMERA)
    layout = models.CharField(max_length=10, choices=Layout.choices, default=Layout.CLIP)
    start_timecode = models.CharField(
        max_length=16, blank=True, help_text="common start timecode stamped into every file"
    )
    correct_skew = models.BooleanField(
        default=False,
        help_text="move back the sound of a clip whose own sound runs off its own picture",
    )
    verified = models.BooleanField(default=False)
    max_residual_s = models.FloatField(null=True, blank=True)
    tolerance_s = models.FloatField(null=True, blank=True)
    timeline_start_s = models.FloatField(null=True, blank=True)
    timeline_duration_s = models.FloatField(null=True, blank=True)
    notes = models.JSONField(default=list, blank=True)
    # The offsets the files were placed at ({video id: seconds}), manual adjustments included:
    # a later adjustment makes this render out of date, which the page says.
    placed_offsets = models.JSONField(default=dict, blank=True)

    class Meta(Job.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["run"],
                condition=models.Q(status__in=["queued", "running"]),
                name="one_active_render_per_run",
            )
        ]

    def __str__(self) -> str:
        return f"Render {self.pk} of run {self.run_id} ({self.status})"


class RenderOutput(models.Model):
    render = models.ForeignKey(Render, on_delete=models.CASCADE, related_name="outputs")
    # One clip's file; a per-camera file names its camera and its first clip.
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="+")
    camera = models.ForeignKey(
        Camera, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file = models.FileField(max_length=500)
    duration_s = models.FloatField(default=0.0)
    lead_s = models.FloatField(default=0.0)
    residual_s = models.FloatField(null=True, blank=True)
    # The verification's windows: [{"at": "start"|"middle"|"end", "time_s", "picture_s",
    # "sound_s", "master_s"}, ...] (residuals in seconds; None where not measured).
    windows = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["video__position", "video_id"]

    def __str__(self) -> str:
        return self.file.name.rsplit("/", 1)[-1]
