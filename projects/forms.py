"""HTML forms: they check input and hand clean values to services; they never save models."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import UserCreationForm

from projects.models import Project, Render, SyncRun
from syncengine.constants import DEFAULT_MAX_LAG_S

__all__ = [
    "ProjectForm",
    "RenderForm",
    "SignupForm",
    "SyncRunForm",
]


class SignupForm(UserCreationForm):
    """Username and password twice; Django's validators apply."""


class ProjectForm(forms.Form):
    name = forms.CharField(max_length=Project._meta.get_field("name").max_length)
    notes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Anything worth remembering: the event, the cameras, who filmed.",
    )


class SyncRunForm(forms.Form):
    method = forms.ChoiceField(
        choices=SyncRun.Method.choices,
        initial=SyncRun.Method.AUTO,
        help_text="Automatic uses sound and picture and cross-checks them.",
    )
    reference = forms.ModelChoiceField(
        queryset=None,
        empty_label=None,
        help_text="Offsets are measured against this video's timeline.",
    )
    max_offset_s = forms.FloatField(
        label="Maximum offset (s)",
        required=False,
        min_value=0.1,
        widget=forms.NumberInput(attrs={"step": "0.1", "placeholder": "whole overlap"}),
        help_text="Empty (the default): search the whole overlap. A number narrows the search "
        "to cameras started at most that many seconds apart.",
    )

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        videos = project.videos.all()
        self.fields["reference"].queryset = videos
        # The first uploaded video is the default reference (videos are ordered by position).
        self.fields["reference"].initial = next(iter(videos), None)
        self.fields["max_offset_s"].initial = DEFAULT_MAX_LAG_S  # the engine's: the whole overlap


class RenderForm(forms.Form):
    mode = forms.ChoiceField(
        label="Timeline",
        initial=Render.Mode.UNION,
        choices=Render.Mode.choices,
    )
    reencode = forms.TypedChoiceField(
        label="Quality",
        initial="1",
        coerce=lambda v: v == "1",
        choices=[
            ("1", "Exact: re-encode, frame-accurate, same length (slower)"),
            ("0", "Fast: copy without re-encoding, only cuts (keyframe accuracy)"),
        ],
    )
    # Not sent (an older page, a script): the camera's own sound, a file per clip.
    audio = forms.TypedChoiceField(
        label="Sound",
        required=False,
        initial=Render.Audio.CAMERA,
        empty_value=Render.Audio.CAMERA,
        choices=Render.Audio.choices,
    )
    layout = forms.TypedChoiceField(
        label="Files",
        required=False,
        initial=Render.Layout.CLIP,
        empty_value=Render.Layout.CLIP,
        choices=Render.Layout.choices,
    )
    start_timecode = forms.CharField(
        label="Start timecode",
        required=False,
        max_length=11,
        widget=forms.TextInput(attrs={"placeholder": "01:00:00:00", "size": 11}),
        help_text="stamped into every file, so editors line the angles up by timecode",
    )
    # Shown only when a clip of the run has a sound skew (the export panel names them).
    correct_skew = forms.BooleanField(
        label="Correct a camera whose sound runs off its own picture",
        required=False,
        help_text="its sound is moved back to its picture (exact files only)",
    )
