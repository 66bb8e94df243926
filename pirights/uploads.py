"""Which endpoints take files, and how large a body each takes (SPEC §12.3).

A leaf module: feature routes mark their views here, and the input guards
(pirights.security.input_guard) read the mark, without either importing the other.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import IO

import flask
from flask import current_app, request

UPLOAD_LIMIT = "pirights_upload_limit"


def accepts_upload(max_body_bytes: int) -> Callable[[Callable], Callable]:
    """Mark a view as taking multipart/form-data bodies up to `max_body_bytes`.

    Put it right under the route decorator (the outermost function is the one registered).
    """

    def mark(view: Callable) -> Callable:
        """Set the limit on the view."""
        setattr(view, UPLOAD_LIMIT, max_body_bytes)
        return view

    return mark


def upload_limit() -> int | None:
    """The body limit of the current endpoint if it takes files, else None."""
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, UPLOAD_LIMIT, None)


class Request(flask.Request):
    """Flask's request, holding the files of a parsed form in memory.

    werkzeug spools form files over 500 KB to temporary files on disk, in clear; a
    requester's evidence must never be stored unencrypted, even for a moment. The form
    pages' body limits (set above, per endpoint) bound what a request can hold; the JSON
    API's uploads are streamed by pirights.files and never parsed this way.
    """

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        """An in-memory buffer for one file part."""
        return io.BytesIO()
