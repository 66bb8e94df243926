"""Typed domain errors and their one mapping to application/problem+json (RFC 9457)."""

from __future__ import annotations

from typing import Any

from flask import Response, json, request
from werkzeug.exceptions import HTTPException

PROBLEM = "application/problem+json"


class DomainError(Exception):
    """Base of errors a service raises for a person to act on."""

    status = 400
    title = "Bad request"
    slug = "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        errors: dict[str, Any] | None = None,
        headers=None,
        slug: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if slug is not None:
            self.slug = slug  # a more precise problem type than the class's
        self.errors = errors
        self.headers = headers or {}


class Unauthorized(DomainError):
    """No valid staff token."""

    status, title, slug = 401, "Unauthorized", "unauthorized"


class Forbidden(DomainError):
    """The caller's role may not do this."""

    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(DomainError):
    """No such resource (or the caller may not know it exists)."""

    status, title, slug = 404, "Not found", "not-found"


class Conflict(DomainError):
    """The action is not allowed in the resource's current state.

    Every raise passes its own `slug` (wrong-status, request-closed, measure-required...),
    so a client tells conflicts apart by the problem `type` (tests/test_conflicts.py).
    """

    status, title, slug = 409, "Conflict", "conflict"


class PreconditionFailed(DomainError):
    """If-Match named a version that is no longer current."""

    status, title, slug = 412, "Precondition failed", "stale-version"


class TooManyRequests(DomainError):
    """The caller spent a budget (e.g. failed authentications); headers carry Retry-After."""

    status, title, slug = 429, "Too many requests", "rate-limited"


class Gone(DomainError):
    """The resource existed but its content was erased (retention, SPEC §8.2)."""

    status, title, slug = 410, "Gone", "erased"


class TooLarge(DomainError):
    """A body or file over its limit (413)."""

    status, title, slug = 413, "Content too large", "too-large"


class UnsupportedType(DomainError):
    """A body or file of a type this endpoint does not take (415)."""

    status, title, slug = 415, "Unsupported media type", "unsupported-type"


class Invalid(DomainError):
    """Input that parsed but breaks a rule; `errors` maps fields to messages."""

    status, title, slug = 422, "Unprocessable content", "invalid"


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str | None = None,
    errors: dict[str, Any] | None = None,
    headers=None,
) -> Response:
    """Build one problem+json response."""
    body: dict[str, Any] = {
        "type": f"urn:pirights:problem:{slug}" if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    text = json.dumps(body, ensure_ascii=False)
    try:
        payload = text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate echoed from the input (e.g. an unknown field's name) has no
        # UTF-8 form; JSON's \uXXXX escapes carry it safely.
        payload = json.dumps(body, ensure_ascii=True).encode("ascii")
    resp = Response(payload, status=status, mimetype=PROBLEM)
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


HTTP_DETAILS = {
    400: "The request could not be read; check that the body is valid JSON.",
    404: "There is nothing at this address.",
    405: "This address does not accept that method.",
    413: "The request body is larger than this server accepts.",
    415: "Send the body as application/json.",
    429: "Too many requests; wait before trying again.",
    503: "The database is not answering right now; nothing was applied. Retry shortly.",
    500: "Something went wrong on our side; the request was not applied.",
}


def handle_domain_error(exc: DomainError) -> Response:
    """Map a DomainError to its problem response."""
    return problem(
        exc.status, exc.title, exc.detail, slug=exc.slug, errors=exc.errors, headers=exc.headers
    )


def handle_http_exception(exc: HTTPException) -> Response:
    """Map werkzeug/webargs HTTP errors to problem+json; 422s carry field errors."""
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    if status == 422 and isinstance(errors, dict):
        # webargs nests messages by location ({"json": {...}}); people want fields.
        if set(errors) <= {"json", "query", "headers", "form", "view_args"}:
            flat: dict[str, Any] = {}
            for part in errors.values():
                flat.update(part)
            errors = flat
        return problem(
            422,
            "Unprocessable content",
            "Some fields are missing or invalid; see errors.",
            slug="invalid",
            errors=errors,
        )
    detail = data.get("message") or HTTP_DETAILS.get(status) or exc.description or exc.name
    headers = dict(data.get("headers") or {})
    if status == 405 and exc.get_response().headers.get("Allow"):
        headers["Allow"] = exc.get_response().headers["Allow"]
    if status == 400 and request.mimetype == "application/json":
        detail = HTTP_DETAILS[400]
    return problem(status, exc.name, detail, headers=headers)


CONCURRENT_CHANGE = (
    "Someone else changed this at the same moment and your change was not applied; "
    "fetch it again and retry."
)


def handle_stale_data(_exc: Exception) -> Response:
    """A safety net for SQLAlchemy's StaleDataError: a conflict to retry, never a 500.

    Writers lock the row they change before reading it (requests.service.locked), so an
    UPDATE should never meet a version it did not read; if one ever does, the unit of
    work has rolled back and the client is told to retry.
    """
    return problem(
        409,
        "Conflict",
        CONCURRENT_CHANGE,
        slug="concurrent-change",
        headers={"Retry-After": "1"},
    )


def handle_unexpected(exc: Exception) -> Response:
    """Last resort: log the failure (without request data) and answer 500."""
    from flask import current_app

    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return problem(500, "Internal server error", HTTP_DETAILS[500])


# Seconds a client should wait after a 503 for an unreachable database: long enough for a
# restart or fail-over to finish, short enough that a retrying client is not held up.
DATABASE_RETRY_AFTER = 5


def database_unavailable(exc: Exception) -> bool:
    """True for driver errors that mean "the database cannot be reached", not a bug.

    OperationalError covers refused or lost connections, a server shutting down or starting
    up, and SQLite's unopenable or locked file; InterfaceError a connection already closed;
    pool TimeoutError no connection free in time; any DBAPIError whose connection SQLAlchemy
    has just invalidated was a disconnect.
    """
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and bool(exc.connection_invalidated)


def handle_database_error(exc: Exception) -> Response:
    """503 problem with Retry-After while the database is unreachable; other faults are 500s."""
    if not database_unavailable(exc):
        return handle_unexpected(exc)
    from flask import current_app

    current_app.logger.warning(
        "database unavailable on %s %s: %s", request.method, request.path, type(exc).__name__
    )
    return problem(
        503,
        "Service unavailable",
        HTTP_DETAILS[503],
        slug="database-unavailable",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
    )
