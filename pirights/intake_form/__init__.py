"""The HTML request form and status page (SPEC §7)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the form's routes (filled in by the form issue)."""
