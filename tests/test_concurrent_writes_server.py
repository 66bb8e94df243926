"""16 concurrent calls at every write endpoint of a real server (issue 11 §1, SPEC §8.4).

`pirights serve --workers 4` (gunicorn, 4 threads each) on PostgreSQL, as production runs.
Each batch fires 16 calls at once at one endpoint, most of them on one request so that they
contend for its row, then checks: no 5xx, one audit event per effective change, nothing
lost (rows counted), exactly one winner where only one change can win. The chain verifies
at the end with `pirights audit verify`.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text

from pirights.audit.sequencer import catch_up
from pirights.database import normalise_url
from tests.conftest import TEST_KEY, valid_request
from tests.servers import serving
from tests.verification.conftest import latest_code

pytestmark = pytest.mark.postgres_only

CALLS = 16
WORKERS = 4


class Server:
    """A running server: its address and a way to call it."""

    def __init__(self, port: int) -> None:
        self.port = port

    def call(self, method: str, path: str, body=None, headers=None, form=None, upload=None):
        """One HTTP call without following redirects: (status, headers, text).

        `upload` is (file name, bytes, form fields), sent as multipart/form-data."""
        headers = dict(headers or {})
        payload = None
        if upload is not None:
            payload, headers["Content-Type"] = multipart(*upload)
        elif body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            payload = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=payload, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.headers, resp.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def json(self, method: str, path: str, body=None, headers=None, expect: int = 200):
        """A call that must answer `expect`; returns its JSON body."""
        status, _, raw = self.call(method, path, body, headers)
        assert status == expect, (method, path, status, raw)
        return json.loads(raw) if raw else None


def multipart(name: str, content: bytes, fields: dict) -> tuple[bytes, str]:
    """A multipart/form-data body with a `file` part and plain fields; (body, content type)."""
    boundary = "pirights-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def server(database_url, tmp_path):
    """`pirights serve --workers 4` on a free port against the test database."""
    with serving(database_url, tmp_path, WORKERS) as port:
        yield Server(port)
    server_log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in server_log, server_log[-3000:]


def at_once(call: Callable[[int], object], times: int = CALLS) -> Counter:
    """Run call(0..times-1) in `times` threads released together; count the answers.

    An answer is a status, or a (status, content type) pair; none may be a 5xx.
    """
    gate = threading.Barrier(times)

    def go(n: int):
        gate.wait()
        return call(n)

    with ThreadPoolExecutor(times) as pool:
        answers = Counter(pool.map(go, range(times)))
    status = lambda answer: answer[0] if isinstance(answer, tuple) else answer  # noqa: E731
    assert not [a for a in answers if status(a) >= 500], answers
    return answers


class Database:
    """Counts read straight from the test database."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(normalise_url(url))

    def scalar(self, sql: str, **params):
        """One value."""
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar_one()

    def events(self, action: str, ref: str | None = None, like: str | None = None) -> int:
        """Audit events of `action` (for `ref`, with data containing `like`), read as a
        reader of the chain does: the servers' sequencer threads may still hold some in
        the queue, so whatever waits is sequenced first."""
        catch_up(self.engine)
        sql = "SELECT count(*) FROM audit_events WHERE action = :action"
        if ref is not None:
            sql += " AND request_ref = :ref"
        if like is not None:
            sql += " AND data LIKE :like"
        return self.scalar(sql, action=action, ref=ref, like=f"%{like}%")

    def rows(self, table: str, ref: str) -> int:
        """Rows of `table` belonging to request `ref`."""
        return self.scalar(
            f"SELECT count(*) FROM {table} t JOIN requests r ON r.id = t.request_id "
            "WHERE r.reference = :ref",
            ref=ref,
        )


@pytest.fixture
def database(database_url):
    """The test database, for counting."""
    db = Database(database_url)
    yield db
    db.engine.dispose()


class Browser:
    """One browser session on the status pages: its cookie and CSRF token."""

    def __init__(self, server: Server, ref: str, token: str) -> None:
        self.server = server
        status, headers, page = server.call("GET", "/status?lang=en")
        assert status == 200
        self.cookie = self._cookie(headers)
        form = {"csrf_token": self._csrf(page), "reference": ref, "tracking_token": token}
        status, headers, _ = server.call("POST", "/status", form=form, headers=self.headers())
        assert status == 303, status
        self.cookie = self._cookie(headers)
        status, _, page = server.call("GET", "/status/request?lang=en", headers=self.headers())
        assert status == 200
        self.csrf = self._csrf(page)

    @staticmethod
    def _cookie(headers) -> str:
        """The session cookie a response set."""
        cookies = " ".join(headers.get_all("Set-Cookie") or [])
        match = re.search(r"(session=[^;]+)", cookies)
        assert match, cookies
        return match.group(1)

    @staticmethod
    def _csrf(page: str) -> str:
        """The CSRF token of the page's first form."""
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match
        return match.group(1)

    def headers(self) -> dict:
        """Headers carrying the session."""
        return {"Cookie": self.cookie}

    def post(self, path: str, form: dict) -> tuple[int, str]:
        """POST a status-page form in this session: (status, content type)."""
        status, headers, _ = self.server.call(
            "POST", path, form={"csrf_token": self.csrf, **form}, headers=self.headers()
        )
        return status, headers.get("Content-Type", "")


STAFF = "/api/v1/requests"
PUBLIC = "/api/v1/public/requests"
VERIFY = {"action": "verify_identity", "method": "email_code"}


class Scenario:
    """What the batches share: the server, the database and a supervisor's headers."""

    def __init__(self, server: Server, database: Database, sup: dict, app) -> None:
        self.server, self.database, self.sup, self.app = server, database, sup, app

    def post(self, path: str, body: dict | None = None, headers: dict | None = None) -> int:
        """A staff POST (or one with the given headers); its status."""
        return self.server.call("POST", path, body, self.sup if headers is None else headers)[0]

    def public(self, n: int = 0, **changes) -> dict:
        """A new request from the public API."""
        body = valid_request(description=f"Concurrent request {n}", **changes)
        return self.server.json("POST", PUBLIC, body, expect=201)

    def step(self, ref: str, body: dict) -> None:
        """A staff transition that must succeed."""
        self.server.json("POST", f"{STAFF}/{ref}/transitions", body, self.sup)

    def code(self, ref: str) -> str:
        """The newest one-time code queued for a request, read from the outbox."""
        return latest_code(self.app, ref)

    def awaiting(self) -> dict:
        """A request awaiting its requester's reply."""
        made = self.public()
        for body in (VERIFY, {"action": "accept"}, {"action": "request_info", "message": "?"}):
            self.step(made["reference"], body)
        return made


def intake(sc: Scenario) -> None:
    """Public API, staff API and the HTML form: 16 submissions each, all made."""
    assert at_once(lambda n: sc.post(PUBLIC, valid_request(description=f"n{n}"), {})) == {
        201: CALLS
    }
    by_phone = {**valid_request(description="by phone"), "channel": "phone"}
    assert at_once(lambda _n: sc.post(STAFF, by_phone)) == {201: CALLS}
    _, headers, page = sc.server.call("GET", "/?lang=en")
    form = {
        "csrf_token": Browser._csrf(page),
        "type": "delete",
        "name": "张三",
        "email": "zs@example.cn",
        "relationship": "self",
        "description": "Delete my chat history.",
    }
    cookie = {"Cookie": Browser._cookie(headers)}
    made = at_once(lambda _n: sc.server.call("POST", "/", form=form, headers=cookie)[0])
    assert made == {303: CALLS}
    assert sc.database.events("request.created") == 3 * CALLS
    # One submission retried 16 times at once with its Idempotency-Key: made once.
    retried = valid_request(description="Retried by an impatient client.")
    key = {"Idempotency-Key": "retry-0f1e2d3c"}

    def retry(_n: int) -> tuple[int, str]:
        status, _, raw = sc.server.call("POST", PUBLIC, retried, key)
        return status, json.loads(raw).get("reference", raw)

    answers = at_once(retry)
    assert len(answers) == 1 and next(iter(answers))[0] == 201, answers
    assert sc.database.events("request.created") == 3 * CALLS + 1


def staff_writes(sc: Scenario) -> None:
    """Staff writes on one request: each goes through and none is lost; one accept wins."""
    db, ref = sc.database, sc.public()["reference"]
    writes = [
        ("transitions", VERIFY, "request.transitioned", None),
        ("notes", {"body": "Checked the CRM."}, "request.note_added", "request_notes"),
        ("messages", {"body": "On it."}, "request.message_sent", "request_messages"),
        ("assign", {"assignee": "sup"}, "request.assigned", None),
    ]
    for path, body, action, table in writes:
        statuses = at_once(lambda _n, path=path, body=body: sc.post(f"{STAFF}/{ref}/{path}", body))
        assert statuses[200] + statuses[201] == CALLS, (path, statuses)
        assert db.events(action, ref) == CALLS, path
        assert table is None or db.rows(table, ref) == CALLS, path
    # With If-Match on one version, exactly one wins and the rest are 412.
    etag = sc.server.call("GET", f"{STAFF}/{ref}", headers=sc.sup)[1]["ETag"]
    guarded = {**sc.sup, "If-Match": etag}
    note = {"body": "Only if nobody wrote meanwhile."}
    assert at_once(lambda _n: sc.post(f"{STAFF}/{ref}/notes", note, guarded)) == {
        201: 1,
        412: CALLS - 1,
    }
    assert db.rows("request_notes", ref) == CALLS + 1
    accept = {"action": "accept"}
    assert at_once(lambda _n: sc.post(f"{STAFF}/{ref}/transitions", accept)) == {
        200: 1,
        409: CALLS - 1,
    }
    assert db.events("request.transitioned", ref, like='"action":"accept"') == 1
    # The CN policy allows one extension: one is made, the rest are refused.
    extension = {"days": 3, "reason": "Several systems to search."}
    assert at_once(lambda _n: sc.post(f"{STAFF}/{ref}/extensions", extension)) == {
        201: 1,
        422: CALLS - 1,
    }
    assert db.events("request.extended", ref) == 1


def complaints(sc: Scenario) -> None:
    """Every measure is kept (one is the first); remediation is recorded once."""
    db, ref = sc.database, sc.public(type="portrait_complaint", content_refs=["o"])["reference"]
    measure = lambda n: sc.post(  # noqa: E731
        f"{STAFF}/{ref}/measures", {"kind": "filter", "detail": f"Filter {n}."}
    )
    assert at_once(measure) == {201: CALLS}
    assert db.rows("complaint_measures", ref) == CALLS
    assert db.events("complaint.measure_recorded", ref) == CALLS
    assert db.events("complaint.measure_recorded", ref, like='"first":true') == 1
    for body in (VERIFY, {"action": "accept"}, {"action": "complete", "resolution": "Upheld."}):
        sc.step(ref, body)
    work = {"detail": "Retrained.", "model_version": "gen-2"}
    assert at_once(lambda _n: sc.post(f"{STAFF}/{ref}/remediation", work)) == {
        201: 1,
        409: CALLS - 1,
    }
    assert db.events("complaint.remediated", ref) == 1


def requester(sc: Scenario) -> None:
    """The public API: 16 replies are all kept (one resumes); one withdrawal wins."""
    db, made = sc.database, sc.awaiting()
    ref, token = made["reference"], {"X-Tracking-Token": made["tracking_token"]}
    reply = lambda n: sc.post(f"{PUBLIC}/{ref}/messages", {"body": f"u-{n}"}, token)  # noqa: E731
    assert at_once(reply) == {201: CALLS}
    assert db.events("request.message_received", ref) == CALLS
    assert db.rows("request_messages", ref) == CALLS + 1
    assert db.events("request.transitioned", ref, like="requester_reply") == 1
    made = sc.public()
    ref, token = made["reference"], {"X-Tracking-Token": made["tracking_token"]}
    assert at_once(lambda _n: sc.post(f"{PUBLIC}/{ref}/withdraw", {}, token)) == {
        200: 1,
        409: CALLS - 1,
    }
    assert db.events("request.transitioned", ref, like='"by":"requester"') == 1


def status_page(sc: Scenario) -> None:
    """The status page's buttons pressed 16 times at once: pages, never problem+json."""
    db, made = sc.database, sc.awaiting()
    ref = made["reference"]
    browser = Browser(sc.server, ref, made["tracking_token"])
    replies = at_once(lambda n: browser.post("/status/reply", {"message": f"Reply {n}"}))
    assert replies == {(303, "text/html; charset=utf-8"): CALLS}
    assert db.rows("request_messages", ref) == CALLS + 1
    assert db.events("request.transitioned", ref, like="requester_reply") == 1
    made = sc.public()
    browser = Browser(sc.server, made["reference"], made["tracking_token"])
    withdrawals = at_once(lambda _n: browser.post("/status/withdraw", {"confirm": "yes"}))
    assert withdrawals == {(303, "text/html; charset=utf-8"): CALLS}
    assert db.events("request.transitioned", made["reference"], like='"by":"requester"') == 1


def blocklist(sc: Scenario) -> None:
    """16 first additions to a fresh list all go through; 16 deletes of one entry: one."""
    db = sc.database
    refs = [sc.public(n, type="block")["reference"] for n in range(CALLS)]
    add = lambda n: sc.post(  # noqa: E731
        "/api/v1/blocklist", {"terms": [f"Name {n}"], "request_ref": refs[n], "reason": "Upheld."}
    )
    assert at_once(add) == {201: CALLS}
    assert db.events("blocklist.added") == CALLS
    listing = sc.server.json("GET", "/api/v1/blocklist", headers=sc.sup)
    assert listing["version"] == CALLS and len(listing["items"]) == CALLS
    entry = listing["items"][0]["id"]
    delete = lambda _n: sc.server.call(  # noqa: E731
        "DELETE", f"/api/v1/blocklist/{entry}", headers=sc.sup
    )[0]
    assert at_once(delete) == {204: 1, 404: CALLS - 1}
    assert db.events("blocklist.removed") == 1
    assert sc.server.json("GET", "/api/v1/blocklist", headers=sc.sup)["version"] == CALLS + 1


def verification(sc: Scenario) -> None:
    """One-time codes (§12.1): 16 new-code calls send one; 16 wrong codes use 16 tries
    at most (never more than a code has); the right code 16 times verifies once."""
    db, made = sc.database, sc.public()
    ref, token = made["reference"], {"X-Tracking-Token": made["tracking_token"]}
    path = f"{PUBLIC}/{ref}"
    # The receipt's code was sent just now, so every new-code call within the minute waits.
    assert at_once(lambda _n: sc.post(f"{path}/verification-code", {}, token)) == {429: CALLS}
    wrong = lambda _n: sc.post(f"{path}/verification", {"code": "000000"}, token)  # noqa: E731
    answers = at_once(wrong)
    assert set(answers) <= {409, 422} and answers[422] == 5, answers  # five tries a code
    assert db.events("identity.code_failed", ref) == 5
    made = sc.public(1)
    ref, token = made["reference"], {"X-Tracking-Token": made["tracking_token"]}
    code = sc.code(ref)
    right = lambda _n: sc.post(f"{PUBLIC}/{ref}/verification", {"code": code}, token)  # noqa: E731
    assert at_once(right) == {200: 1, 409: CALLS - 1}
    assert db.events("identity.verified", ref) == 1


def fulfilment(sc: Scenario, admin: dict) -> None:
    """Systems and tasks (§14): one of 16 registrations under one name; 16 under 16 names;
    16 answers to one task: one is recorded, the rest are 409."""
    db = sc.database
    hook = {"webhook_url": "http://127.0.0.1:9/hook", "handles": ["delete"]}
    same = lambda _n: sc.post("/api/v1/systems", {"name": "crm", **hook}, admin)  # noqa: E731
    assert at_once(same) == {201: 1, 409: CALLS - 1}
    named = lambda n: sc.post("/api/v1/systems", {"name": f"sys-{n}", **hook}, admin)  # noqa: E731
    assert at_once(named) == {201: CALLS}
    assert db.events("system.registered") == CALLS + 1
    ref = sc.public(type="delete")["reference"]
    for body in (VERIFY, {"action": "accept"}):
        sc.step(ref, body)
    tasks = db.rows("tasks", ref)
    assert tasks == CALLS + 1
    task = db.scalar(
        "SELECT min(t.id) FROM tasks t JOIN requests r ON r.id = t.request_id "
        "WHERE r.reference = :ref",
        ref=ref,
    )
    answer = {"result": "done", "reason": "Checked in the CRM myself."}
    assert at_once(lambda _n: sc.post(f"/api/v1/tasks/{task}/result", answer)) == {
        200: 1,
        409: CALLS - 1,
    }
    assert db.events("task.result", ref) == 1


def files(sc: Scenario) -> None:
    """Files (§12.3): 16 uploads at once all stored; 16 more stop at the requester's 20;
    16 staff uploads and 16 downloads at once each audited once."""
    db, made = sc.database, sc.public(type="portrait_complaint", content_refs=["o"])
    ref, token = made["reference"], {"X-Tracking-Token": made["tracking_token"]}
    path = f"{PUBLIC}/{ref}/files"

    def evidence(n: int) -> int:
        text = f"Screenshot transcript {n}.".encode()
        return sc.server.call("POST", path, headers=token, upload=(f"e{n}.txt", text, {}))[0]

    assert at_once(evidence) == {201: CALLS}
    assert at_once(evidence) == {201: 20 - CALLS, 409: 2 * CALLS - 20}
    assert db.rows("files", ref) == 20
    staff_path = f"{STAFF}/{ref}/files"
    result = lambda n: sc.server.call(  # noqa: E731
        "POST",
        staff_path,
        headers=sc.sup,
        upload=(f"r{n}.bin", b"\x00result", {"audience": "requester"}),
    )[0]
    assert at_once(result) == {201: CALLS}
    assert db.events("file.added", ref) == 20 + CALLS
    listing = sc.server.json("GET", path, headers=token)
    mine = next(f for f in listing["items"] if f["audience"] == "requester")
    download = lambda _n: sc.server.call("GET", f"{path}/{mine['id']}", headers=token)[0]  # noqa: E731
    assert at_once(download) == {200: CALLS}
    assert db.events("file.downloaded", ref) == CALLS


def chain_verifies(sc: Scenario) -> None:
    """`pirights audit verify` finds every event in one valid chain."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIRIGHTS_")}
    env.update(
        PIRIGHTS_DATABASE_URL=sc.database.engine.url.render_as_string(hide_password=False),
        PIRIGHTS_ENCRYPTION_KEY=TEST_KEY,
    )
    verdict = subprocess.run(
        [sys.executable, "-m", "pirights", "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    total = sc.database.scalar("SELECT count(*) FROM audit_events")
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr
    assert verdict.stdout.strip().splitlines()[-1] == f"OK {total} events"


def test_sixteen_concurrent_calls_at_every_write_endpoint(server, database, make_staff, app):
    started = time.monotonic()
    sup = {"Authorization": f"Bearer {make_staff('sup', 'supervisor')}"}
    sc = Scenario(server, database, sup, app)
    for batch in (
        intake,
        staff_writes,
        complaints,
        requester,
        status_page,
        blocklist,
        verification,
    ):
        batch(sc)
    fulfilment(sc, {"Authorization": f"Bearer {make_staff('root', 'admin')}"})
    chain_verifies(sc)
    assert time.monotonic() - started < 60
