"""Protection of the service itself: input guards, rate limits, access logs (SPEC §8.3)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Access logs, then rate limits (so floods of garbage count too), then input guards."""
    from pirights.security import access_log, headers, input_guard, limits

    access_log.init_app(app)
    headers.init_app(app)
    limits.init_app(app)
    input_guard.init_app(app)
