"""Structured access logs: one JSON line per request on the logger "pirights.access".

A line holds the request id, who asked (`staff:NAME`, `requester` or `anonymous`), the
route *rule* (never the raw path or query string, which can carry emails, phones and
cursors), the method, the status and the duration. Nothing a requester typed and no
token ever reaches it.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import secrets
import sys
import time

from flask import Flask, Response, g, request

from pirights.security.limits import is_public

LOGGER = "pirights.access"
REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_ENVIRON = "HTTP_X_REQUEST_ID"  # the header as WSGI names it, read directly
# An incoming id is kept only when it looks like an id, so clients cannot inject text.
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")

log = logging.getLogger(LOGGER)


def _new_id_source() -> None:
    """A random 80-bit prefix for this process, then a counter: ids as unique as uuid4's
    (32 hex characters) for a fraction of the cost (uuid4 reads the OS's random source on
    every request). Renewed in each forked worker, so workers never share a prefix."""
    global _id_prefix, _id_counter
    _id_prefix, _id_counter = secrets.token_hex(10), itertools.count()


_new_id_source()
os.register_at_fork(after_in_child=_new_id_source)


def request_id() -> str:
    """This request's id: the caller's X-Request-ID when well-formed, else a new one."""
    rid = g.get("request_id")
    if rid is None:
        offered = request.environ.get(REQUEST_ID_ENVIRON, "")
        rid = offered if REQUEST_ID_RE.match(offered) else f"{_id_prefix}{next(_id_counter):012x}"
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
    text = _encode(line)
    handler = _only_default_handler()
    if handler is not None:
        handler.write_line(text)
    else:
        log.info(text)
    return response


_encode = json.JSONEncoder(separators=(",", ":")).encode


class LineHandler(logging.StreamHandler):
    """The default handler: the message alone, one line per request, on stderr."""

    _descriptor_of: tuple[object, int | None] = (None, None)

    def write_line(self, text: str) -> None:
        """Write one line as emit() would, without a LogRecord or a formatter.

        Where the stream is a file descriptor (stderr, a pipe, a file), the line is one
        write(2) of its own, which needs no lock: a pipe takes up to PIPE_BUF bytes whole,
        and the line is ASCII JSON of ~200. The handler's lock was a convoy under load
        (issue 17): the thread holding it lets go of the GIL to write, and every other
        thread that reaches it sleeps and wakes in turn."""
        fd = self._descriptor()
        if fd is not None:
            data = (text + self.terminator).encode()
            while data:
                data = data[os.write(fd, data) :]
            return
        self.acquire()
        try:
            self.stream.write(text + self.terminator)
            self.flush()
        finally:
            self.release()

    def _descriptor(self) -> int | None:
        """The stream's file descriptor, or None (a StringIO, a test's capture)."""
        stream = self.stream
        known, fd = self._descriptor_of
        if stream is not known:
            try:
                stream.flush()  # what it buffered goes before our direct writes
                fd = stream.fileno()
            except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation
                fd = None
            self._descriptor_of = (stream, fd)
        return fd


def _only_default_handler() -> LineHandler | None:
    """Our stderr handler when it is the logger's only, unfiltered, enabled way out: the
    line can then be written directly (a LogRecord and its formatting cost more than the
    rest of a small API call's access logging). Any other set-up goes through logging."""
    handlers = log.handlers
    if (
        len(handlers) == 1
        and type(handlers[0]) is LineHandler
        and not log.filters
        and not handlers[0].filters
        and not log.disabled
        and handlers[0].level <= logging.INFO
        and log.isEnabledFor(logging.INFO)
    ):
        return handlers[0]
    return None


def init_app(app: Flask) -> None:
    """Register the hooks; log to stderr when nothing else handles the access logger.

    The stderr handler is then the only writer: the line does not also propagate, since
    an ancestor with a handler (Flask's app logger is "pirights", which gains a handler at
    its first use; a root handler from logging.basicConfig) would write it a second time.
    A deployment that configures handlers on "pirights.access" itself keeps its setup.
    """
    if not log.handlers:
        handler = LineHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.propagate = False
    log.setLevel(logging.INFO)
    # First of all before-request hooks, so guards' refusals are timed and logged too.
    app.before_request_funcs.setdefault(None, []).insert(0, start)
    app.after_request(finish)
