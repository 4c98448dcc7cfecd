"""An upload handler that stops reading a file as soon as it passes ``UPLOAD_MAX_BYTES``.

Without it a client could stream a huge file to disk before the service refuses it. It runs
before Django's TemporaryFileUploadHandler, which streams accepted files to a temporary file.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

_FORM_SLACK_BYTES = 1 << 20  # multipart headers and other fields


class SizeLimitedUploadHandler(FileUploadHandler):
    def handle_raw_input(self, input_data: Any, META: Any, content_length: int, *args: Any,
                         **kwargs: Any) -> None:  # fmt: skip
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
