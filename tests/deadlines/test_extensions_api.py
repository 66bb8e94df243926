"""Extensions through the API (SPEC §3.5, §5): limits per jurisdiction, roles, audit, views."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.deadlines.conftest import at

URL = "/api/v1/requests/{}/extensions"


def extend(client, headers, ref, days, reason="Need records from a supplier."):
    """POST an extension; returns the response."""
    return client.post(URL.format(ref), json={"days": days, "reason": reason}, headers=headers)


def events(app, action):
    """Audit events with this action, as dicts."""
    from pirights.audit.models import AuditEvent
    from pirights.extensions import db

    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action))
        return [json.loads(r.data) | {"ref": r.request_ref} for r in rows]


def test_cn_extension_moves_due_date_records_and_shows_reason(
    app, client, clock, intake, staff_headers
):
    ref = intake(received_at="2026-09-30T10:00:00+08:00")["reference"]
    resp = extend(client, staff_headers["supervisor"], ref, 3, "等待第三方提供数据 Zhang San")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["due_at"] == "2026-10-30T23:59:59+08:00"
    assert body["extensions"] == [
        {"days": 3, "reason": "等待第三方提供数据 Zhang San", "at": "2026-09-30T10:00:00+08:00"}
    ]
    assert body["due_at_provisional"] is False
    (event,) = events(app, "request.extended")
    assert event["ref"] == ref and event["days"] == 3
    assert event["old_due_at"] == "2026-10-27T23:59:59+08:00"
    assert event["new_due_at"] == "2026-10-30T23:59:59+08:00"
    assert event["deadline_rule"] == "CN:15wd" and event["calendar_data"].startswith("holidays")
    assert "Zhang" not in json.dumps(event, ensure_ascii=False)
    # Staff detail lists it too.
    detail = client.get(f"/api/v1/requests/{ref}", headers=staff_headers["agent"]).get_json()
    assert detail["extensions"][0]["days"] == 3 and detail["due_at"] == body["due_at"]


def test_requester_sees_extension_and_reason(client, clock, submit, staff_headers):
    answer = submit()
    ref, token = answer["reference"], answer["tracking_token"]
    assert extend(client, staff_headers["admin"], ref, 2, "供应商数据").status_code == 201
    view = client.get(f"/api/v1/public/requests/{ref}", headers={"X-Tracking-Token": token})
    body = view.get_json()
    assert body["due_at"] == "2026-10-29T23:59:59+08:00"
    (msg,) = body["messages"]
    assert msg["from"] == "staff"
    assert "供应商数据" in msg["body"] and "2026-10-29T23:59:59+08:00" in msg["body"]


def test_reason_is_encrypted_at_rest(app, client, clock, intake, staff_headers):
    ref = intake()["reference"]
    extend(client, staff_headers["supervisor"], ref, 1, "secret-reason-text")
    from sqlalchemy import text

    from pirights.extensions import db

    with app.app_context():
        raw = db.session.execute(text("SELECT reason FROM extensions")).scalar_one()
    assert b"secret-reason-text" not in bytes(raw)


def test_cn_outer_limit_and_once(client, clock, intake, staff_headers):
    sup = staff_headers["supervisor"]
    ref = intake(received_at="2026-09-30T10:00:00+08:00")["reference"]
    resp = extend(client, sup, ref, 4)
    assert resp.status_code == 422
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    assert "outer limit of 30d" in resp.get_json()["errors"]["days"][0]
    assert extend(client, sup, ref, 3).status_code == 201
    again = extend(client, sup, ref, 1)
    assert (
        again.status_code == 422 and "allows 1 extension" in again.get_json()["errors"]["days"][0]
    )


@pytest.fixture
def wide_outer_limit(app_overrides):
    """Widen CN's outer limit (before the app is built) so the 15-working-day cap binds."""
    app_overrides["policies"] = {"CN": {"outer_limit": "90d"}}


def test_cn_at_most_15_working_days(wide_outer_limit, client, clock, intake, staff_headers):
    sup = staff_headers["supervisor"]
    ref = intake(received_at="2026-09-30T10:00:00+08:00")["reference"]
    resp = extend(client, sup, ref, 16)
    assert resp.status_code == 422
    assert "at most 15 working days" in resp.get_json()["errors"]["days"][0]
    assert extend(client, sup, ref, 15).status_code == 201


def test_eu_two_months(client, clock, intake, staff_headers):
    sup = staff_headers["supervisor"]
    ref = intake(received_at="2026-01-15T10:00:00+01:00", jurisdiction="EU")["reference"]
    resp = extend(client, sup, ref, 60)
    assert resp.status_code == 422 and "2m" in resp.get_json()["errors"]["days"][0]
    ok = extend(client, sup, ref, 59)
    assert ok.status_code == 201 and ok.get_json()["due_at"] == "2026-04-16T23:59:59+02:00"


def test_us_ca_45_days(client, clock, intake, staff_headers):
    sup = staff_headers["supervisor"]
    ref = intake(received_at="2026-09-05T09:00:00-07:00", jurisdiction="US-CA")["reference"]
    resp = extend(client, sup, ref, 46)
    assert resp.status_code == 422 and "45 calendar days" in resp.get_json()["errors"]["days"][0]
    ok = extend(client, sup, ref, 45)
    assert ok.status_code == 201 and ok.get_json()["due_at"] == "2026-12-04T23:59:59-08:00"


def test_extension_into_unscheduled_days_is_provisional(client, clock, intake, staff_headers):
    clock.set(at("2026-12-02T10:00:00+08:00"))
    ref = intake(received_at="2026-12-01T10:00:00+08:00")
    assert ref["due_at"] == "2026-12-22T23:59:59+08:00" and ref["due_at_provisional"] is False
    body = extend(client, staff_headers["supervisor"], ref["reference"], 3).get_json()
    # 2027's schedule is not published, so late December 2026 may still move.
    assert body["due_at"] == "2026-12-25T23:59:59+08:00" and body["due_at_provisional"] is True


@pytest.mark.parametrize("role", ["agent", "auditor"])
def test_only_supervisors_and_admins(client, clock, intake, auth, role):
    ref = intake()["reference"]
    assert extend(client, auth(role, name=f"x-{role}"), ref, 1).status_code == 403


def test_closed_request_is_409(client, clock, intake, staff_headers, act):
    ref = intake()["reference"]
    act(ref, "withdraw", reason="requester phoned")
    assert extend(client, staff_headers["supervisor"], ref, 1).status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"days": 0, "reason": "x"},
        {"days": -1, "reason": "x"},
        {"days": "3", "reason": "x"},
        {"days": 10**12, "reason": "x"},
        {"days": 1},
        {"days": 1, "reason": ""},
        {"reason": "x"},
    ],
)
def test_bad_bodies_are_422(client, clock, intake, staff_headers, body):
    ref = intake()["reference"]
    resp = client.post(URL.format(ref), json=body, headers=staff_headers["supervisor"])
    assert resp.status_code == 422


def test_unknown_reference_is_404(client, staff_headers):
    assert extend(client, staff_headers["supervisor"], "PIR-NOPE-NOPE", 1).status_code == 404
