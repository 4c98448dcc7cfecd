"""File responses for media and downloads, after the caller checked the owner.

With ``SENDFILE_BACKEND=nginx`` (production, deploy/nginx.conf) the answer is empty and carries
``X-Accel-Redirect`` (django-sendfile2): nginx sends the file from its internal location, with
Range, and the web process is free at once. Otherwise Django streams the file itself with HTTP
Range support (browsers need 206 to seek in a video).

Only single ranges are honoured (``bytes=a-b``, ``bytes=a-``, ``bytes=-n``); a malformed or
multi-range header is ignored and the whole file is sent, as RFC 9110 allows. A range that
starts past the end gets 416 with ``Content-Range: bytes */size``.
"""

from __future__ import annotations

import mimetypes
import os
import re
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import http_date
from django_sendfile import sendfile

__all__ = ["RangeNotSatisfiable", "parse_range", "path_inside", "ranged_file_response"]

_CHUNK_BYTES = 256 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# Private media: never run as a document (deploy/nginx.conf's internal location says the same).
_MEDIA_CSP = "sandbox; default-src 'none'"


class RangeNotSatisfiable(Exception):
    pass


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """``(first, last)`` inclusive byte positions, or ``None`` to send the whole file.

    Raises ``RangeNotSatisfiable`` when the range is well formed but lies outside the file.
    """
    match = _RANGE.match(header.strip().replace(" ", ""))
    if match is None:
        return None
    first_s, last_s = match.groups()
    if not first_s and not last_s:
        return None
    if not first_s:  # suffix: the last n bytes
        n = int(last_s)
        if n == 0 or size == 0:
            raise RangeNotSatisfiable
        return max(0, size - n), size - 1
    first = int(first_s)
    if last_s and int(last_s) < first:
        return None  # syntactically invalid: ignore the header
    if first >= size:
        raise RangeNotSatisfiable
    return first, min(int(last_s), size - 1) if last_s else size - 1


def _read_range(path: Path, first: int, length: int) -> Iterator[bytes]:
    # A generator: Django closes it (and so the file) when the response is closed.
    with path.open("rb") as fh:
        fh.seek(first)
        remaining = length
        while remaining > 0:
            chunk = fh.read(min(_CHUNK_BYTES, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk


def _accel_redirect_response(
    request: HttpRequest, path: Path, *, content_type: str
) -> HttpResponse | None:
    """The X-Accel-Redirect answer for a file under SENDFILE_ROOT; None when not configured."""
    if settings.SENDFILE_BACKEND is None:
        return None
    root = Path(settings.SENDFILE_ROOT)
    try:
        relative = path.resolve().relative_to(root.resolve())
    except ValueError:
        return None  # not under the folder nginx maps: stream it here
    # sendfile maps root/relative to SENDFILE_URL/relative (URL-quoted) for nginx.
    response = sendfile(request, str(root / relative), mimetype=content_type)
    # nginx sends the body and its length; an empty body must not claim the file's length.
    del response["Content-Length"]
    return response


def ranged_file_response(
    request: HttpRequest, path: Path, *, content_type: str | None = None
) -> HttpResponse:
    """Stream ``path`` (whole, or the requested byte range) without reading it into memory.

    Or hand it to nginx (``SENDFILE_BACKEND=nginx``), which honours the Range header itself.
    """
    stat = path.stat()
    size = stat.st_size
    content_type = content_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    accel = _accel_redirect_response(request, path, content_type=content_type)
    if accel is not None:
        accel["Accept-Ranges"] = "bytes"
        accel["Cache-Control"] = "private, max-age=3600"  # nginx passes this one on
        accel["Content-Security-Policy"] = _MEDIA_CSP  # this one nginx.conf's location adds
        return accel
    header = request.headers.get("Range", "")
    try:
        byte_range = parse_range(header, size) if header else None
    except RangeNotSatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    else:
        if byte_range is None:
            response = FileResponse(path.open("rb"), content_type=content_type)
        else:
            first, last = byte_range
            length = last - first + 1
            response = StreamingHttpResponse(
                _read_range(path, first, length), status=206, content_type=content_type
            )
            response["Content-Length"] = str(length)
            response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Last-Modified"] = http_date(stat.st_mtime)
    # Private media: never cached by shared caches, never run as a document.
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = _MEDIA_CSP
    return response


def path_inside(root: str | os.PathLike[str], candidate: str | os.PathLike[str]) -> Path | None:
    """``candidate`` (absolute, or relative to ``root``) if it resolves to a file inside root."""
    root_path = Path(root).resolve()
    path = (root_path / candidate).resolve()
    if not path.is_relative_to(root_path) or not path.is_file():
        return None
    return path
