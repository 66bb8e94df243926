"""One-time codes through the public API (SPEC §12.1): sent at intake, checked, resent."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import text

from tests.conftest import valid_request
from tests.verification.conftest import BASE, audit, latest_code, queued

PHONE_ONLY = {"name": "王五", "phone": "+8613900139000"}


def staff_detail(client, auth, ref):
    """The staff representation of a request."""
    resp = client.get(f"/api/v1/requests/{ref}", headers=auth("supervisor", "sue"))
    assert resp.status_code == 200
    return resp.get_json()


def test_a_public_submission_gets_a_code_by_email_and_the_right_one_verifies(
    app, client, submit, enter, auth
):
    answer = submit()
    assert answer["identity_verified"] is False and answer["verification_channel"] == "email"
    (kind, channel, payload), *_ = queued(app, answer["reference"])
    assert (kind, channel, payload["to"]) == ("requester.receipt", "email", "zs@example.cn")
    code = latest_code(app, answer["reference"])

    resp = enter(answer, code)
    assert resp.status_code == 200 and resp.get_json() == {"identity_verified": True}
    detail = staff_detail(client, auth, answer["reference"])
    assert detail["identity_verified"] is True and detail["identity_method"] == "email_code"
    status = client.get(
        f"{BASE}/{answer['reference']}", headers={"X-Tracking-Token": answer["tracking_token"]}
    ).get_json()
    assert status["identity_verified"] is True
    actions = audit(app, answer["reference"])
    assert ("identity.code_sent", {"channel": "email"}) in actions
    assert ("identity.verified", {"method": "email_code"}) in actions

    # Verified: no code is taken, none is sent.
    assert enter(answer, code).status_code == 409
    resp = client.post(
        f"{BASE}/{answer['reference']}/verification-code",
        headers={"X-Tracking-Token": answer["tracking_token"]},
    )
    assert resp.status_code == 409 and "already verified" in resp.get_json()["detail"]


def test_a_wrong_code_says_how_many_tries_are_left_and_the_fifth_voids_it(app, submit, enter):
    answer = submit()
    code = latest_code(app, answer["reference"])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        resp = enter(answer, wrong)
        assert resp.status_code == 422
        assert resp.mimetype == "application/problem+json"
        assert resp.get_json()["errors"]["code"] == [f"wrong code; {left} tries left"]
    resp = enter(answer, wrong)
    assert resp.status_code == 422
    assert "no tries left" in resp.get_json()["errors"]["code"][0]
    # Used up: even the right code is refused until a new one is sent.
    resp = enter(answer, code)
    assert resp.status_code == 409 and "new code" in resp.get_json()["detail"]
    failed = [d for a, d in audit(app, answer["reference"]) if a == "identity.code_failed"]
    assert failed == [{"tries_left": n} for n in (4, 3, 2, 1, 0)]


def test_a_code_expires_after_fifteen_minutes(app, clock, submit, enter):
    answer = submit()
    code = latest_code(app, answer["reference"])
    clock.set(clock() + timedelta(minutes=15))
    resp = enter(answer, code)
    assert resp.status_code == 409 and "expired" in resp.get_json()["detail"]


def test_the_lifetime_is_configurable(app_overrides, clock):
    from pirights import create_app

    app_overrides["verification"] = {"code_minutes": 2}
    app = create_app(app_overrides)
    client = app.test_client()
    answer = client.post(BASE, json=valid_request(locale="en")).get_json()
    code = latest_code(app, answer["reference"])
    assert "within 2 minutes" in queued(app, answer["reference"])[0][2]["text"]
    clock.set(clock() + timedelta(minutes=2))
    resp = client.post(
        f"{BASE}/{answer['reference']}/verification",
        json={"code": code},
        headers={"X-Tracking-Token": answer["tracking_token"]},
    )
    assert resp.status_code == 409
    app.extensions["pirights_db"].engine.dispose()


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", "12 345", "", 123456, None])
def test_a_code_of_the_wrong_shape_is_422_and_uses_no_try(app, submit, enter, code):
    answer = submit()
    resp = enter(answer, code)
    assert resp.status_code == 422 and "code" in resp.get_json()["errors"]
    assert not [a for a, _ in audit(app, answer["reference"]) if a == "identity.code_failed"]
    assert enter(answer, latest_code(app, answer["reference"])).status_code == 200


def test_unknown_reference_missing_and_wrong_token_are_the_same_404(client, submit, enter):
    answer = submit()
    bodies = []
    for ref, headers in (
        ("PIR-00000-00000", {"X-Tracking-Token": answer["tracking_token"]}),
        (answer["reference"], {}),
        (answer["reference"], {"X-Tracking-Token": "wrong"}),
    ):
        for path in ("verification", "verification-code"):
            resp = client.post(
                f"{BASE}/{ref}/{path}",
                json={"code": "123456"} if path == "verification" else None,
                headers=headers,
            )
            assert resp.status_code == 404
            bodies.append(resp.get_json())
    assert all(b == bodies[0] for b in bodies)


def test_a_new_code_voids_the_old_one_and_resets_the_tries(app, clock, submit, enter, new_code):
    answer = submit()
    first = latest_code(app, answer["reference"])
    wrong = f"{(int(first) + 1) % 1_000_000:06d}"
    for _ in range(5):
        enter(answer, wrong)
    clock.set(clock() + timedelta(seconds=61))
    resp = new_code(answer)
    assert resp.status_code == 200
    assert resp.get_json() == {"channel": "email", "expires_at": "2026-09-30T10:16:01+08:00"}
    second = latest_code(app, answer["reference"])
    kinds = [k for k, _, _ in queued(app, answer["reference"])]
    assert kinds == ["requester.receipt", "requester.code"]
    if second != first:
        assert enter(answer, first).get_json()["errors"]["code"] == ["wrong code; 4 tries left"]
    assert enter(answer, second).status_code == 200


def test_new_codes_at_most_one_a_minute_and_five_a_day(app, clock, submit, new_code):
    answer = submit()
    resp = new_code(answer)
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "60"
    assert resp.mimetype == "application/problem+json"
    start = clock()
    for i in range(5):
        clock.set(start + timedelta(minutes=2 * (i + 1)))
        assert new_code(answer).status_code == 200
        assert new_code(answer).status_code == 429  # within the minute
    clock.set(start + timedelta(hours=1))
    resp = new_code(answer)
    assert resp.status_code == 429
    # The first of the five resends (at +2 min) leaves the 24-hour window at 24 h 2 min.
    assert int(resp.headers["Retry-After"]) == (timedelta(hours=23, minutes=2)).total_seconds()
    clock.set(start + timedelta(hours=24, minutes=2, seconds=1))
    assert new_code(answer).status_code == 200
    sent = [a for a, _ in audit(app, answer["reference"]) if a == "identity.code_sent"]
    assert len(sent) == 7  # the receipt's and six requested


def test_a_phone_only_requester_gets_no_code_without_an_sms_gateway(app, client, enter, new_code):
    resp = client.post(BASE, json=valid_request(requester=PHONE_ONLY))
    answer = resp.get_json()
    assert answer["verification_channel"] is None and answer["identity_verified"] is False
    assert queued(app, answer["reference"]) == []
    resp = new_code(answer)
    assert resp.status_code == 409 and "another way" in resp.get_json()["detail"]
    assert enter(answer, "123456").status_code == 409


def test_staff_entered_requests_get_a_receipt_but_no_code(app, client, auth):
    body = valid_request(channel="letter")
    resp = client.post("/api/v1/requests", json=body, headers=auth("agent"))
    assert resp.status_code == 201
    ref = resp.get_json()["reference"]
    assert [(k, c) for k, c, _ in queued(app, ref)] == [("requester.receipt", "email")]
    assert "identity.code_sent" not in [a for a, _ in audit(app, ref)]


def test_closed_requests_take_no_code(app, client, submit, enter, new_code):
    answer = submit()
    code = latest_code(app, answer["reference"])
    client.post(
        f"{BASE}/{answer['reference']}/withdraw",
        headers={"X-Tracking-Token": answer["tracking_token"]},
    )
    assert enter(answer, code).status_code == 409
    assert new_code(answer).status_code == 409


def test_the_code_is_stored_as_a_keyed_hash_and_never_logged_or_audited(
    app, clock, submit, enter, new_code, caplog
):
    from pirights.extensions import db

    caplog.set_level(logging.DEBUG)
    answer = submit()
    codes = [latest_code(app, answer["reference"])]
    enter(answer, f"{(int(codes[0]) + 1) % 1_000_000:06d}")
    clock.set(clock() + timedelta(minutes=2))
    new_code(answer)
    codes.append(latest_code(app, answer["reference"]))
    enter(answer, codes[-1])
    with app.app_context():
        rows = db.session.execute(text("SELECT * FROM verification_codes")).all()
        trail = db.session.execute(text("SELECT data FROM audit_events")).scalars().all()
    stored = json.dumps([[str(v) for v in row] for row in rows])
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for code in codes:
        assert code not in stored
        assert code not in logged
        assert all(code not in str(d) for d in trail)
    assert "zs@example.cn" not in "".join(map(str, trail))
