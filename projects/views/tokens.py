"""API tokens page: list, create (the key is shown once, on the page that made it), revoke."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from projects import services
from projects.api.models import ApiToken
from projects.services import tokens as token_selectors

__all__ = ["ApiTokenForm", "token_list", "token_revoke"]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text="What will use it, e.g. 'nightly export script'.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    new_key = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            name = form.cleaned_data["name"]
            _, new_key = services.api_token_create(user=request.user, name=name)
            form = ApiTokenForm()
            status = 201
        else:
            status = 400
    tokens = token_selectors.api_token_list_for_user(user=request.user)
    response = render(
        request,
        "projects/tokens.html",
        {
            "form": form,
            "tokens": tokens,
            "new_key": new_key,
        },
        status=status,
    )
    if new_key is not None:
        response["Cache-Control"] = "no-store"  # the key must not linger in any cache
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = token_selectors.api_token_get_for_user(user=request.user, token_id=token_id)
    name = token.name
    services.api_token_revoke(token=token)
    messages.success(request, f"Token '{name}' was revoked; programs using it are locked out.")
    return redirect("token-list")
