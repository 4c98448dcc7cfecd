"""The error services raise for anything the user can fix: a stable code and a message."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    def __init__(self, message: str, *, code: str = "invalid", **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra
