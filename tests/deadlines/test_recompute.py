"""`pirights deadlines recompute` (SPEC §3.4): a schedule added to config moves open due dates."""

from __future__ import annotations

import json

from sqlalchemy import select

from pirights import create_app
from pirights.requests.recompute import recompute
from tests.deadlines.conftest import at


def recompute_with(app_overrides, tmp_path, now, **kwargs):
    """Run recompute in an app built with `app_overrides` (e.g. a new schedule)."""
    other = create_app(app_overrides, instance_path=str(tmp_path / "other"))
    try:
        with other.app_context():
            return recompute(now, **kwargs)
    finally:
        other.extensions["pirights_db"].engine.dispose()


def recomputed_events(app):
    """Data of every deadline.recomputed event."""
    from pirights.audit.models import AuditEvent
    from pirights.extensions import db

    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "deadline.recomputed")
        )
        return [json.loads(r.data) | {"ref": r.request_ref} for r in rows]


def test_new_schedule_recomputes_provisional_requests(
    app, app_overrides, client, clock, intake, staff_headers, tmp_path
):
    clock.set(at("2027-03-01T12:00:00+08:00"))
    body = intake(received_at="2027-03-01T10:00:00+08:00")
    assert body["due_at"] == "2027-03-22T23:59:59+08:00" and body["due_at_provisional"] is True
    ref = body["reference"]
    # Nothing changed yet: recomputing leaves it alone.
    assert recompute_with(app_overrides, tmp_path, clock.moment).changed == 0
    # The (imagined) 2027 schedule makes Wednesday 10 March a day off.
    overrides = dict(app_overrides)
    overrides["calendars"] = {"CN": {"schedules": {"2027": {"off": ["2027-03-10"], "on": []}}}}
    result = recompute_with(overrides, tmp_path, clock.moment)
    assert (result.examined, result.changed) == (1, 1)
    after = client.get(f"/api/v1/requests/{ref}", headers=staff_headers["agent"]).get_json()
    assert after["due_at"] == "2027-03-23T23:59:59+08:00"
    assert after["due_at_provisional"] is False
    assert "config schedule 2027" in after["calendar_data"]
    (event,) = recomputed_events(app)
    assert event["ref"] == ref
    assert event["old_due_at"] == "2027-03-22T23:59:59+08:00"
    assert event["new_due_at"] == "2027-03-23T23:59:59+08:00"
    assert event["deadline_rule"] == "CN:15wd" and "2027" in event["calendar_data"]
    # Running it again changes nothing: the request is no longer a candidate.
    assert recompute_with(overrides, tmp_path, clock.moment).examined == 0


def test_replay_keeps_pauses_and_extensions(
    app, app_overrides, client, clock, intake, start, act, staff_headers, tmp_path
):
    ref = intake(received_at="2026-09-05T10:00:00-07:00", jurisdiction="US-CA")["reference"]
    start(ref)  # due Tue 20 Oct
    clock.set(at("2026-10-01T10:00:00-07:00"))
    act(ref, "request_info", message="?")
    clock.set(at("2026-10-05T10:00:00-07:00"))
    act(ref, "resume")  # +4 days: Sat 24 Oct, so Mon 26 Oct
    resp = client.post(
        f"/api/v1/requests/{ref}/extensions",
        json={"days": 2, "reason": "r"},
        headers=staff_headers["supervisor"],
    )
    assert resp.get_json()["due_at"] == "2026-10-28T23:59:59-07:00"
    clock.set(at("2026-10-06T10:00:00-07:00"))
    act(ref, "request_info", message="?")
    clock.set(at("2026-10-07T10:00:00-07:00"))
    assert act(ref, "resume")["due_at"] == "2026-10-29T23:59:59-07:00"
    result = recompute_with(app_overrides, tmp_path, clock.moment, only_changed=False)
    assert (result.examined, result.changed) == (1, 0)
    assert recomputed_events(app) == []


def test_closed_requests_are_left_alone(app, app_overrides, clock, intake, act, tmp_path):
    clock.set(at("2027-03-01T12:00:00+08:00"))
    ref = intake(received_at="2027-03-01T10:00:00+08:00")["reference"]
    act(ref, "withdraw", reason="phoned")
    overrides = dict(app_overrides)
    overrides["calendars"] = {"CN": {"schedules": {"2027": {"off": ["2027-03-10"], "on": []}}}}
    assert recompute_with(overrides, tmp_path, clock.moment, only_changed=False).examined == 0


def test_streams_in_batches(app, app_overrides, clock, intake, tmp_path):
    clock.set(at("2027-03-01T12:00:00+08:00"))
    for _ in range(5):
        intake(received_at="2027-03-01T10:00:00+08:00")
    overrides = dict(app_overrides)
    overrides["calendars"] = {"CN": {"schedules": {"2027": {"off": ["2027-03-10"], "on": []}}}}
    seen = []
    result = recompute_with(
        overrides, tmp_path, clock.moment, batch_size=2, progress=lambda r: seen.append(r.examined)
    )
    assert (result.examined, result.changed) == (5, 5)
    assert seen == [2, 4, 5]
