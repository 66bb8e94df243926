"""Which endpoints take files, and how large a body each takes (SPEC §12.3).

A leaf module: feature routes mark their views here, and the input guards
(pirights.security.input_guard) read the mark, without either importing the other.
"""

from __future__ import annotations

from collections.abc import Callable

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
