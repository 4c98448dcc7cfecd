"""Upload handlers: a size limit, and a temporary file that survives a full disk.

:class:`SizeLimitedUploadHandler` stops reading a file as soon as it passes
``UPLOAD_MAX_BYTES``: without it a client could stream a huge file to disk before the service
refuses it. It runs before :class:`DiskFullSafeTemporaryFileUploadHandler`, Django's
TemporaryFileUploadHandler that, when the temporary folder fills, removes its partial file and
stops the upload (``request.upload_disk_full``) instead of failing the request with a 500.
"""

from __future__ import annotations

import contextlib
import errno
import os
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import (
    FileUploadHandler,
    StopUpload,
    TemporaryFileUploadHandler,
)

#: Write errors that mean the temporary folder has no room left.
NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})

_FORM_SLACK_BYTES = 1 << 20  # multipart headers and other fields


class SizeLimitedUploadHandler(FileUploadHandler):
    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, *args: Any, **kwargs: Any
    ) -> None:
        self.received = 0
        if self.request is not None and content_length > (
            settings.UPLOAD_MAX_BYTES + _FORM_SLACK_BYTES
        ):
            self.request.upload_too_large = content_length  # type: ignore[attr-defined]
            raise StopUpload(connection_reset=False)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received = getattr(self, "received", 0) + len(raw_data)
        if self.received > settings.UPLOAD_MAX_BYTES:
            if self.request is not None:
                self.request.upload_too_large = self.received  # type: ignore[attr-defined]
            raise StopUpload(connection_reset=False)
        return raw_data

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def file_complete(self, file_size: int) -> None:
        return None


class DiskFullSafeTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Streams the file to a temporary file; on ENOSPC removes it and stops the upload.

    The view then finds ``request.upload_disk_full`` (the file's name) and answers 507.
    """

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().new_file(*args, **kwargs)
        except OSError as exc:
            self._disk_full(exc)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        try:
            super().receive_data_chunk(raw_data, start)
        except OSError as exc:
            self._disk_full(exc)

    def file_complete(self, file_size: int) -> Any:
        try:
            self.file.flush()
            return super().file_complete(file_size)
        except OSError as exc:
            self._disk_full(exc)

    def _disk_full(self, exc: OSError) -> None:
        if exc.errno not in NO_SPACE_ERRNOS:
            raise exc
        upload = getattr(self, "file", None)
        if upload is not None:
            path = upload.temporary_file_path()
            with contextlib.suppress(OSError):  # the buffer's flush fails again: no room
                upload.close()
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
            del self.file  # nothing left for the parser to close
        if self.request is not None:
            self.request.upload_disk_full = self.file_name or "video"  # type: ignore[attr-defined]
        raise StopUpload(connection_reset=False) from exc
