"""Structured access logs: one JSON line per request, with no PII and no tokens."""

from __future__ import annotations

import io
import json
import logging

import pytest

from tests.security.helpers import full_lifecycle

ACCESS = "pirights.access"


@pytest.fixture(autouse=True)
def capture_access(caplog, app):
    """Let caplog see access lines, which are written by their own handler, not propagated."""
    logger = logging.getLogger(ACCESS)
    logger.addHandler(caplog.handler)
    yield
    logger.removeHandler(caplog.handler)


def access_lines(caplog) -> list[dict]:
    """The parsed access-log lines captured so far."""
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == ACCESS]


def test_a_full_lifecycle_logs_one_line_per_request_without_pii_or_tokens(caplog, client, auth):
    admin = auth("admin")
    caplog.set_level(logging.DEBUG)  # everything every logger says, not only access lines
    secrets = full_lifecycle(client, admin)
    lines = access_lines(caplog)
    assert len(lines) == 13  # the requests full_lifecycle makes
    for line in lines:
        assert set(line) == {"request_id", "actor", "method", "route", "status", "duration_ms"}
        assert line["duration_ms"] >= 0
    routes = {(line["method"], line["route"]) for line in lines}
    assert ("POST", "/api/v1/requests/<string:reference>/transitions") in routes
    assert ("GET", "/api/v1/public/requests/<string:reference>") in routes
    assert {line["actor"] for line in lines} == {"requester", "staff:admin"}
    everything = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    for key in ("tracking_token", "staff_token", "reference", *secrets.keys()):
        value = secrets[key]
        if key == "reference":
            continue  # references are not PII; the rule is logged instead, but don't insist
        assert value not in everything, key
        assert json.dumps(value)[1:-1] not in everything, key  # nor JSON-escaped
    # Not even as the raw path.
    assert secrets["reference"] not in "\n".join(
        r.getMessage() for r in caplog.records if r.name == ACCESS
    )


def test_request_id_is_kept_when_well_formed_and_made_otherwise(caplog, client):
    caplog.set_level(logging.INFO, logger=ACCESS)
    resp = client.get("/healthz", headers={"X-Request-ID": "lb-1234abcd"})
    assert resp.headers["X-Request-ID"] == "lb-1234abcd"
    hostile = client.get("/healthz", headers={"X-Request-ID": "zs@example.cn <script>"})
    rid = hostile.headers["X-Request-ID"]
    assert rid != "zs@example.cn <script>" and len(rid) == 32
    lines = access_lines(caplog)
    assert [line["request_id"] for line in lines] == ["lb-1234abcd", rid]
    assert lines[0] == {**lines[0], "actor": "anonymous", "route": "/healthz", "status": 200}


def test_refusals_and_unknown_routes_are_logged_too(caplog, client):
    caplog.set_level(logging.INFO, logger=ACCESS)
    client.post("/api/v1/public/requests", data="x", content_type="text/plain")
    client.get("/api/v1/no/such/place?email=zs@example.cn")
    client.get("/api/v1/requests", headers={"Authorization": "Bearer pir_wrong-token-value"})
    lines = access_lines(caplog)
    assert [line["status"] for line in lines] == [415, 404, 401]
    assert lines[1]["route"] is None
    assert "zs@example.cn" not in caplog.text and "pir_wrong-token-value" not in caplog.text


class Counter(logging.Handler):
    """Counts the access lines that reach it."""

    def __init__(self) -> None:
        super().__init__()
        self.lines = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == ACCESS:
            self.lines += 1


def test_each_access_line_is_written_once(app, client, caplog):
    logging.getLogger(ACCESS).removeHandler(caplog.handler)  # count only real writers
    own = next(
        h for h in logging.getLogger(ACCESS).handlers if isinstance(h, logging.StreamHandler)
    )
    written = io.StringIO()
    previous = own.setStream(written)
    root = Counter()  # as a deployment's logging.basicConfig would install
    logging.getLogger().addHandler(root)
    flask_errors = io.StringIO()
    try:
        app.logger.info("the app logger now has Flask's default handler")
        for _ in range(3):
            client.get("/healthz", environ_overrides={"wsgi.errors": flask_errors})
    finally:
        own.setStream(previous)
        logging.getLogger().removeHandler(root)
    lines = written.getvalue().splitlines()
    assert len(lines) == 3 and all(json.loads(line)["route"] == "/healthz" for line in lines)
    assert root.lines == 0
    assert "healthz" not in flask_errors.getvalue()


def test_lines_to_a_file_descriptor_are_whole_and_take_no_lock(app, tmp_path):
    # On a descriptor (stderr, a pipe, a file) each line is one write(2) of its own: no
    # handler lock, which threads queued on under load (issue 17), and no torn lines.
    import threading

    from pirights.security.access_log import LineHandler

    logger = logging.getLogger(ACCESS)
    handlers = logger.handlers
    own = next(h for h in handlers if isinstance(h, LineHandler))
    logger.handlers = [own]  # our handler alone, as deployed (no test capture beside it)
    path = tmp_path / "access.log"

    def no_lock():
        raise AssertionError("the handler's lock was taken")

    with path.open("a") as out:
        previous = own.setStream(out)
        own.acquire, restore = no_lock, own.acquire
        try:

            def hammer():
                mine = app.test_client()
                for _ in range(25):
                    mine.get("/healthz")

            threads = [threading.Thread(target=hammer) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            own.acquire = restore
            own.setStream(previous)
            logger.handlers = handlers
    lines = path.read_text().splitlines()
    assert len(lines) == 100
    assert all(json.loads(line)["route"] == "/healthz" for line in lines)
