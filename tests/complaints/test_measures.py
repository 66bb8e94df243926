"""Measures and remediation of complaints (§9)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pirights.requests.lifecycle import COMPLAINT_TYPES

BASE = "/api/v1/requests"


def start(client, ref, headers):
    """Verify identity and accept."""
    for body in ({"action": "verify_identity", "method": "account_login"}, {"action": "accept"}):
        assert (
            client.post(f"{BASE}/{ref}/transitions", json=body, headers=headers).status_code == 200
        )


def complete(client, ref, headers, **extra):
    """Try to uphold the complaint."""
    body = {"action": "complete", "resolution": "Filtered and retrained.", **extra}
    return client.post(f"{BASE}/{ref}/transitions", json=body, headers=headers)


@pytest.fixture
def complaint(submit):
    """A portrait complaint received 2026-09-30 10:00 +08:00 (with the frozen clock)."""
    return submit(type="portrait_complaint", content_refs=["out-123"])["reference"]


@pytest.mark.parametrize("rtype", COMPLAINT_TYPES)
def test_complaints_get_a_measure_deadline_24h_after_receipt(client, submit, auth, clock, rtype):
    ref = submit(type=rtype, content_refs=["conv-1"])["reference"]
    body = client.get(f"{BASE}/{ref}", headers=auth("agent")).get_json()
    assert body["measure_due_at"] == "2026-10-01T10:00:00+08:00"
    assert body["measures"] == [] and body["measure_overdue"] is False
    assert body["remediation_due_at"] is None and body["remediated_at"] is None


def test_other_requests_have_no_complaint_fields(client, submit, auth):
    ref = submit(type="access")["reference"]
    body = client.get(f"{BASE}/{ref}", headers=auth("agent")).get_json()
    assert "measure_due_at" not in body
    resp = client.post(
        f"{BASE}/{ref}/measures",
        json={"kind": "filter", "detail": "x"},
        headers=auth("agent", name="a2"),
    )
    assert resp.status_code == 409


def test_measure_overdue_after_24_hours(client, auth, clock, complaint):
    clock.set(clock.moment + timedelta(hours=25))
    body = client.get(f"{BASE}/{complaint}", headers=auth("agent")).get_json()
    assert body["measure_overdue"] is True


def test_completing_without_a_measure_is_409_then_works(client, auth, clock, complaint):
    agent = auth("agent")
    start(client, complaint, agent)
    refused = complete(client, complaint, agent)
    assert refused.status_code == 409 and "measure" in refused.get_json()["detail"]
    m = client.post(
        f"{BASE}/{complaint}/measures",
        json={"kind": "stop_generation", "detail": "Prompt filter deployed."},
        headers=agent,
    )
    assert m.status_code == 201
    assert m.get_json()["measures"][0]["kind"] == "stop_generation"
    done = complete(client, complaint, agent)
    assert done.status_code == 200
    # Upheld on 2026-09-30: model optimisation due three calendar months later.
    assert done.get_json()["remediation_due_at"] == "2026-12-30T23:59:59+08:00"


def test_remediation_is_recorded_once_after_upholding(client, auth, clock, complaint):
    agent = auth("agent")
    body = {"detail": "Fine-tuned on negative examples.", "model_version": "gen-2026.10"}
    assert (
        client.post(f"{BASE}/{complaint}/remediation", json=body, headers=agent).status_code == 409
    )
    start(client, complaint, agent)
    client.post(
        f"{BASE}/{complaint}/measures", json={"kind": "filter", "detail": "f"}, headers=agent
    )
    complete(client, complaint, agent)
    clock.set(clock.moment + timedelta(days=100))
    overdue = client.get(f"{BASE}/{complaint}", headers=agent).get_json()
    assert overdue["remediation_overdue"] is True
    ok = client.post(f"{BASE}/{complaint}/remediation", json=body, headers=agent)
    assert ok.status_code == 201
    assert ok.get_json()["remediated_at"] and ok.get_json()["remediation_overdue"] is False
    again = client.post(f"{BASE}/{complaint}/remediation", json=body, headers=agent)
    assert again.status_code == 409
    events = client.get(f"{BASE}/{complaint}/events", headers=agent).get_json()["items"]
    remediated = [e for e in events if e["action"] == "complaint.remediated"]
    assert remediated[0]["data"] == {"model_version": "gen-2026.10", "on_time": False}


def test_bad_measure_bodies(client, auth, complaint):
    agent = auth("agent")
    for body in ({"kind": "pray", "detail": "x"}, {"kind": "filter"}, {"detail": "x"}):
        resp = client.post(f"{BASE}/{complaint}/measures", json=body, headers=agent)
        assert resp.status_code == 422
    assert (
        client.post(
            f"{BASE}/{complaint}/measures",
            json={"kind": "filter", "detail": "x"},
            headers=auth("auditor"),
        ).status_code
        == 403
    )


def test_completing_a_block_request_can_block_its_subject(client, auth, submit):
    sup = auth("supervisor")
    ref = submit(type="block")["reference"]
    start(client, ref, sup)
    done = complete(client, ref, sup, blocklist_terms=["王小明", "Wang Xiaoming"])
    assert done.status_code == 200, done.get_json()
    listed = client.get("/api/v1/blocklist", headers=auth("service")).get_json()["items"]
    assert listed[0]["request_ref"] == ref and listed[0]["terms"] == ["王小明", "Wang Xiaoming"]
    other = submit(type="access")["reference"]
    start(client, other, sup)
    refused = complete(client, other, sup, blocklist_terms=["x"])
    assert refused.status_code == 409
    after = client.get(f"{BASE}/{other}", headers=sup).get_json()
    assert after["status"] == "in_progress"  # nothing half-done


def test_list_filters_for_measures_and_remediation(client, auth, clock, submit):
    agent = auth("agent")
    late = submit(type="privacy_complaint", content_refs=["c1"])["reference"]
    handled = submit(type="privacy_complaint", content_refs=["c2"])["reference"]
    plain = submit(type="access")["reference"]
    client.post(
        f"{BASE}/{handled}/measures", json={"kind": "takedown", "detail": "d"}, headers=agent
    )
    start(client, handled, agent)
    complete(client, handled, agent)
    clock.set(clock.moment + timedelta(hours=30))

    def refs(query):
        resp = client.get(f"{BASE}?{query}", headers=agent)
        assert resp.status_code == 200, resp.get_json()
        return {i["reference"] for i in resp.get_json()["items"]}

    assert refs("measure_overdue=true") == {late}
    assert refs("measure_overdue=false") == {handled, plain}
    assert refs("remediation_open=true") == {handled}
    assert refs("remediation_overdue=true") == set()
    clock.set(clock.moment + timedelta(days=120))
    assert refs("remediation_overdue=true") == {handled}


def test_sweep_alerts_overdue_measures_and_remediation_once(app, client, auth, clock, submit):
    from pirights.alerts.sweep import sweep

    sup = auth("supervisor")
    late = submit(type="reputation_complaint", content_refs=["o-1"])["reference"]
    upheld = submit(type="reputation_complaint", content_refs=["o-2"])["reference"]
    client.post(f"{BASE}/{upheld}/measures", json={"kind": "filter", "detail": "d"}, headers=sup)
    start(client, upheld, sup)
    complete(client, upheld, sup)
    clock.set(clock.moment + timedelta(days=2))
    with app.app_context():
        first = sweep(clock.moment)
        again = sweep(clock.moment)
    assert first.counts["complaint.measure_overdue"] == 1
    assert first.counts["complaint.remediation_overdue"] == 0
    assert again.counts["complaint.measure_overdue"] == 0
    clock.set(clock.moment + timedelta(days=120))
    with app.app_context():
        later = sweep(clock.moment)
    assert later.counts["complaint.remediation_overdue"] == 1
    assert later.counts["complaint.measure_overdue"] == 0
    kinds = [
        e["action"] for e in client.get(f"{BASE}/{late}/events", headers=sup).get_json()["items"]
    ]
    assert kinds.count("complaint.measure_overdue") == 1
    notes = client.get("/api/v1/notifications", headers=sup).get_json()
    assert {n["kind"] for n in notes["items"]} >= {
        "complaint.measure_overdue",
        "complaint.remediation_overdue",
    }
    report = client.get(
        "/api/v1/reports/sla?since=2026-09-01&until=2027-03-01", headers=sup
    ).get_json()
    assert report["complaints"] == {
        "measure_overdue": 1,
        "remediation_open": 1,
        "remediation_overdue": 1,
    }


def test_listing_complaints_runs_no_query_per_row(app, client, auth, submit):
    """The list eager-loads complaint tracks and measures (requests.hooks.list_loaders)."""
    from sqlalchemy import event

    from pirights.extensions import db

    agent = auth("agent")

    def queries_to_list() -> int:
        statements: list[str] = []

        def count(_conn, _cursor, statement, *_args):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            resp = client.get(f"{BASE}?type=portrait_complaint", headers=agent)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert resp.status_code == 200
        return len(statements)

    def add_complaints(n: int) -> None:
        for i in range(n):
            ref = submit(type="portrait_complaint", content_refs=[f"c{i}"])["reference"]
            measure = {"kind": "takedown", "detail": "removed"}
            client.post(f"{BASE}/{ref}/measures", json=measure, headers=agent)

    add_complaints(2)
    with_two = queries_to_list()
    add_complaints(4)
    assert queries_to_list() == with_two
    items = client.get(f"{BASE}?type=portrait_complaint", headers=agent).get_json()["items"]
    assert len(items) == 6 and all(len(i["measures"]) == 1 for i in items)
