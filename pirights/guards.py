"""Request guards for the JSON API: content type and body shape before any view runs."""

from __future__ import annotations

from flask import Flask, request

from pirights.errors import problem

BODY_METHODS = {"POST", "PUT", "PATCH"}


def check_json_request():
    """415 for a body that is not JSON; the size limit (413) is MAX_CONTENT_LENGTH's."""
    if not request.path.startswith("/api/") or request.method not in BODY_METHODS:
        return None
    has_body = (request.content_length or 0) > 0 or request.headers.get("Transfer-Encoding")
    if has_body and request.mimetype != "application/json":
        return problem(415, "Unsupported media type", "Send the body as application/json.")
    return None


def init_app(app: Flask) -> None:
    """Install the guards."""
    app.before_request(check_json_request)
