"""Structured access logs: one JSON line per request on the logger "pirights.access".

A line holds the request id, who asked (`staff:NAME`, `requester` or `anonymous`), the
route *rule* (never the raw path or query string, which can carry emails, phones and
cursors), the method, the status and the duration. Nothing a requester typed and no
token ever reaches it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, Response, g, request

from pirights.security.limits import is_public

LOGGER = "pirights.access"
REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept only when it looks like an id, so clients cannot inject text.
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")

log = logging.getLogger(LOGGER)


def request_id() -> str:
    """This request's id: the caller's X-Request-ID when well-formed, else a new one."""
    rid = g.get("request_id")
    if rid is None:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        rid = offered if REQUEST_ID_RE.match(offered) else uuid.uuid4().hex
        g.request_id = rid
    return rid


def actor() -> str:
    """Who made the request, in the audit trail's vocabulary (no PII)."""
    staff = g.get("staff_identity") or g.get("member")  # the API's token, or a console session
    if staff is not None:
        return staff.actor
    if request.headers.get("X-Tracking-Token"):
        return "requester"
    if request.method == "POST" and is_public(request.path, request.endpoint):
        return "requester"  # a submission, a reply or a withdrawal from a requester
    return "anonymous"


def start() -> None:
    """Note when the request began and fix its id."""
    g.access_started = time.perf_counter()
    request_id()


def finish(response: Response) -> Response:
    """Write the access line and return the request id to the caller."""
    rid = request_id()
    response.headers[REQUEST_ID_HEADER] = rid
    started = g.get("access_started")
    duration = (time.perf_counter() - started) * 1000 if started is not None else None
    line = {
        "request_id": rid,
        "actor": actor(),
        "method": request.method,
        "route": request.url_rule.rule if request.url_rule is not None else None,
        "status": response.status_code,
        "duration_ms": round(duration, 2) if duration is not None else None,
    }
    log.info(json.dumps(line, separators=(",", ":")))
    return response


def init_app(app: Flask) -> None:
    """Register the hooks; log to stderr when nothing else handles the access logger.

    The stderr handler is then the only writer: the line does not also propagate, since
    an ancestor with a handler (Flask's app logger is "pirights", which gains a handler at
    its first use; a root handler from logging.basicConfig) would write it a second time.
    A deployment that configures handlers on "pirights.access" itself keeps its setup.
    """
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.propagate = False
    log.setLevel(logging.INFO)
    # First of all before-request hooks, so guards' refusals are timed and logged too.
    app.before_request_funcs.setdefault(None, []).insert(0, start)
    app.after_request(finish)
