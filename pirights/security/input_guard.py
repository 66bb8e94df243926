"""Guards against hostile input that no schema sees first (SPEC §8.4: never a 500).

- The standard library's JSON parser raises RecursionError on deeply nested arrays (a
  100 000-level `[[[[` fits easily in the body limit) and a bare ValueError for integers
  over 4 300 digits; webargs only catches JSONDecodeError, so both would surface as 500s.
  Parsing once here, before any view, turns every unreadable body into the same 400.
- PostgreSQL refuses NUL characters in text and UTF-8 has no lone surrogates, so a string
  holding either would fail inside the database driver wherever it reaches a query (an
  assignee name, a reference, a cursor). Refusing them at the edge, with a 422 naming the
  field, protects every endpoint and every future field at once.
- A body sent with `Transfer-Encoding: chunked` has no Content-Length for werkzeug to
  compare with MAX_CONTENT_LENGTH: it reads such a stream only up to the limit and stops
  silently, so an oversized body arrived truncated and was refused as invalid JSON. The
  chunked check reads one byte past the limit and answers 413, as for a sized body.
- A body that is not JSON is refused (415) on the JSON API before any view parses it.
- Endpoints that take files (`accepts_upload`) have their own body limit, set on the
  request before anything reads the body, and take multipart/form-data instead of JSON;
  their views stream the body themselves (pirights.files), so no guard reads it first.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, current_app, request

from pirights.errors import HTTP_DETAILS, problem
from pirights.uploads import upload_limit

BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Methods whose JSON API body must be JSON (a DELETE body is ignored, so not checked).
JSON_BODY_METHODS = {"POST", "PUT", "PATCH"}
BAD_TEXT = "must not contain NUL characters or invalid Unicode"
MULTIPART = "multipart/form-data"


def set_upload_limit() -> None:
    """Raise (or lower) the body limit of an upload endpoint before anything reads the body:
    werkzeug then answers 413 for a larger Content-Length, or as soon as a chunked body
    passes the limit, without reading the rest."""
    limit = upload_limit()
    if limit is not None:
        request.max_content_length = limit


def is_storable(text: str) -> bool:
    """True when a database can store `text`: no NUL and no lone surrogate."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_json(mimetype: str) -> bool:
    """True for the media types webargs will parse as JSON."""
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def text_errors(value: Any) -> Any:
    """Field errors for unstorable strings in a decoded JSON value, shaped like marshmallow's.

    Returns None when every string (keys included) is storable.
    """
    if isinstance(value, str):
        return None if is_storable(value) else [BAD_TEXT]
    if isinstance(value, dict):
        found = {}
        for key, item in value.items():
            if not is_storable(key):
                # The bad key cannot name its own error readably; escape it.
                found[key.encode("utf-8", "backslashreplace").decode()] = [BAD_TEXT]
                continue
            sub = text_errors(item)
            if sub is not None:
                found[key] = sub
        return found or None
    if isinstance(value, list):
        found = {str(i): sub for i, item in enumerate(value) if (sub := text_errors(item))}
        return found or None
    return None


def _invalid(errors: dict[str, Any]):
    """The 422 problem for unstorable text."""
    return problem(
        422,
        "Unprocessable content",
        "Some fields are missing or invalid; see errors.",
        slug="invalid",
        errors=errors,
    )


def check_url():
    """404 for a path holding NUL, 422 for query parameters holding it."""
    if "\x00" in request.path:
        return problem(404, "Not Found", HTTP_DETAILS[404])
    bad = {
        key if is_storable(key) else "?": [BAD_TEXT]
        for key, value in request.args.items(multi=True)
        if not (is_storable(key) and is_storable(value))
    }
    return _invalid(bad) if bad else None


def check_json_body():
    """400 for a JSON body that cannot be decoded; 422 for unstorable strings in it."""
    if not request.path.startswith("/api/") or request.method not in BODY_METHODS:
        return None
    if not _is_json(request.mimetype):
        return None
    raw = request.get_data(cache=True)
    if not raw:
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        # JSONDecodeError and UnicodeDecodeError are ValueErrors; RecursionError is not.
        return problem(400, "Bad Request", HTTP_DETAILS[400])
    try:
        errors = text_errors(data)
    except RecursionError:
        return problem(400, "Bad Request", HTTP_DETAILS[400])
    return _invalid(errors if isinstance(errors, dict) else {"_schema": errors}) if errors else None


def check_json_request():
    """415 for a body that is not JSON; the size limit (413) is MAX_CONTENT_LENGTH's."""
    if not request.path.startswith("/api/") or request.method not in JSON_BODY_METHODS:
        return None
    has_body = (request.content_length or 0) > 0 or request.headers.get("Transfer-Encoding")
    if upload_limit() is not None:
        if request.mimetype != MULTIPART:
            return problem(
                415,
                "Unsupported media type",
                "Send the file as multipart/form-data, in a part named `file`.",
                slug="unsupported-type",
            )
        return None
    if has_body and request.mimetype != "application/json":
        return problem(415, "Unsupported media type", "Send the body as application/json.")
    return None


def check_chunked_size():
    """413 for a chunked body longer than MAX_CONTENT_LENGTH, as for a sized one.

    werkzeug's limited stream stops at the limit without saying so; reading the body here
    (cached for the view and the form parser) and then one byte more from the server's
    own stream tells a body that fits exactly from one that was cut.
    """
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is None or request.content_length is not None or upload_limit() is not None:
        return None
    if "chunked" not in request.headers.get("Transfer-Encoding", "").lower():
        return None
    body = request.get_data(cache=True)
    if len(body) >= limit and request.environ["wsgi.input"].read(1):
        return problem(413, "Request Entity Too Large", HTTP_DETAILS[413])
    return None


def init_app(app: Flask) -> None:
    """Install the guards, cheapest first: size, media type, URL, then the JSON body.

    The upload limit goes first of all the app's hooks: the rate limits read a form post's
    fields, and the body limit must be in place before anything reads the body.
    """
    app.before_request_funcs.setdefault(None, []).insert(0, set_upload_limit)
    for guard in (check_chunked_size, check_json_request, check_url, check_json_body):
        app.before_request(guard)
