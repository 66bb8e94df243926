"""Writes wait for their turn on a request and then go through (SPEC §8.4), on both databases.

See tests/concurrency.py for how a test plays the other, concurrent writer.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.concurrency import count, while_held

BASE = "/api/v1/requests"
PUBLIC = "/api/v1/public/requests"
BUMP = "UPDATE requests SET version = version + 1 WHERE reference = :ref"


def version_of(client, ref: str, headers: dict) -> int:
    """The request's current version, from its ETag."""
    return int(client.get(f"{BASE}/{ref}", headers=headers).headers["ETag"].strip('"'))


def post(client, path: str, body: dict | None, headers: dict):
    """A POST with a JSON body (or none)."""
    return client.post(path, json=body, headers=headers)


# Every write on one request: (name, path under the request, body, staff or requester).
WRITES = [
    ("verify_identity", "transitions", {"action": "verify_identity", "method": "email_code"}),
    ("assign", "assign", {"assignee": "supervisor"}),
    ("note", "notes", {"body": "Called the requester back."}),
    ("message", "messages", {"body": "We are on it."}),
    ("extension", "extensions", {"days": 5, "reason": "Several systems to search."}),
    ("measure", "measures", {"kind": "filter", "detail": "Prompt filter deployed."}),
    ("remediation", "remediation", {"detail": "Retrained.", "model_version": "gen-2"}),
    ("requester_message", "public:messages", {"body": "My account id is u-1."}),
    ("requester_withdraw", "public:withdraw", {"reason": "Solved."}),
]


@pytest.fixture
def target(client, submit, auth):
    """Build the request a write applies to; returns (reference, token, staff headers)."""
    sup = auth("supervisor")

    def build(name: str) -> tuple[str, str, dict]:
        if name in ("measure", "remediation"):
            made = submit(type="portrait_complaint", content_refs=["out-1"])
        else:
            made = submit()
        ref = made["reference"]
        if name == "remediation":
            for body in (
                {"action": "verify_identity", "method": "account_login"},
                {"action": "accept"},
            ):
                assert post(client, f"{BASE}/{ref}/transitions", body, sup).status_code == 200
            measure = {"kind": "takedown", "detail": "Removed."}
            assert post(client, f"{BASE}/{ref}/measures", measure, sup).status_code == 201
            done = {"action": "complete", "resolution": "Upheld."}
            assert post(client, f"{BASE}/{ref}/transitions", done, sup).status_code == 200
        return ref, made["tracking_token"], sup

    return build


def call_write(app, name: str, ref: str, token: str, sup: dict, if_match: int | None = None):
    """A callable making write `name` on `ref` through a client of its own (for a thread)."""
    _, where, body = next(w for w in WRITES if w[0] == name)
    headers = dict(sup)
    if if_match is not None:
        headers["If-Match"] = f'"{if_match}"'
    if where.startswith("public:"):
        path = f"{PUBLIC}/{ref}/{where.removeprefix('public:')}"
        headers = {"X-Tracking-Token": token}
    else:
        path = f"{BASE}/{ref}/{where}"

    def call():
        resp = app.test_client().post(path, json=body, headers=headers)
        return resp.status_code, resp.get_json()

    return call


@pytest.mark.parametrize("name", [w[0] for w in WRITES])
def test_a_write_without_if_match_waits_for_a_concurrent_one_and_goes_through(
    app, client, target, name
):
    ref, token, sup = target(name)
    before = version_of(client, ref, sup)
    status, body = while_held(app, BUMP, {"ref": ref}, call_write(app, name, ref, token, sup))
    assert status in (200, 201), body
    # Its change was made on top of the other writer's, not instead of it.
    assert version_of(client, ref, sup) == before + 2


@pytest.mark.parametrize("name", [w[0] for w in WRITES if not w[1].startswith("public:")])
def test_if_match_is_compared_after_the_lock(app, client, target, name):
    ref, token, sup = target(name)
    before = version_of(client, ref, sup)
    # The version the caller read is replaced while the call waits: 412, nothing changed.
    status, body = while_held(
        app, BUMP, {"ref": ref}, call_write(app, name, ref, token, sup, if_match=before)
    )
    assert status == 412, body
    assert body["type"] == "urn:pirights:problem:stale-version"
    assert version_of(client, ref, sup) == before + 1
    # And the version it names is the one it finds once it holds the lock.
    status, body = while_held(
        app, BUMP, {"ref": ref}, call_write(app, name, ref, token, sup, if_match=before + 2)
    )
    assert status in (200, 201), body
    assert version_of(client, ref, sup) == before + 3


def test_concurrent_accepts_one_wins_the_rest_are_409(app, client, submit, auth):
    ref = submit()["reference"]
    sup = auth("supervisor")
    verify = {"action": "verify_identity", "method": "email_code"}
    assert post(client, f"{BASE}/{ref}/transitions", verify, sup).status_code == 200

    def accept():
        resp = app.test_client().post(
            f"{BASE}/{ref}/transitions", json={"action": "accept"}, headers=sup
        )
        return resp.status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(lambda _: accept(), range(8)))
    assert statuses == [200] + [409] * 7
    accepted = count(
        app,
        "SELECT count(*) FROM audit_events WHERE action = 'request.transitioned' "
        "AND request_ref = :ref AND data LIKE '%\"accept\"%'",
        ref=ref,
    )
    assert accepted == 1


def test_a_stale_data_error_is_a_409_to_retry_never_a_500(app):
    from sqlalchemy.orm.exc import StaleDataError

    def racing():
        raise StaleDataError("UPDATE statement on table 'requests' expected to update 1 row")

    app.add_url_rule("/api/v1/racing", "racing", racing, methods=["POST"])
    resp = app.test_client().post("/api/v1/racing")
    assert resp.status_code == 409 and resp.mimetype == "application/problem+json"
    assert resp.headers["Retry-After"] == "1"
    assert "retry" in resp.get_json()["detail"]
