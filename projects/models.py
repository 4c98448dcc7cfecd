"""Models for projects, videos and sync runs (the portal issue fills these in)."""

from __future__ import annotations
