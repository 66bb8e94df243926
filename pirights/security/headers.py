"""Response headers of the JSON API that keep its answers out of caches and sniffers.

Answers of the API carry requesters' personal information, messages, tracking tokens and
staff data: `Cache-Control: no-store` keeps them out of browser and proxy caches (a shared
computer, a corporate proxy), and `X-Content-Type-Options: nosniff` stops a browser from
reading a JSON body as HTML or script. The HTML pages set their own (intake_form.routes).
"""

from __future__ import annotations

from flask import Flask, Response, request

API_PREFIX = "/api/"
# The OpenAPI document holds no data of anyone; clients and tools may cache it.
CACHEABLE = ("/api/v1/openapi.json",)


def api_headers(response: Response) -> Response:
    """Add nosniff to every API answer and no-store to all but the OpenAPI document."""
    if request.path.startswith(API_PREFIX):
        response.headers["X-Content-Type-Options"] = "nosniff"
        if request.path not in CACHEABLE:
            response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Register the after-request hook."""
    app.after_request(api_headers)
