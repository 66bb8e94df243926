"""Retention (SPEC §8.2): `pirights purge` erases old requesters' PII, keeps the skeleton."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from pirights.cli import main
from pirights.security.purge import cutoff
from tests.conftest import valid_request
from tests.security.helpers import SECRETS, full_lifecycle

NOW = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
STAFF = "/api/v1/requests"


@pytest.fixture
def cli(app_overrides, monkeypatch):
    """Invoke the CLI in-process against this test's database."""
    monkeypatch.setenv("PIRIGHTS_DATABASE_URL", app_overrides["database"]["url"])
    monkeypatch.setenv("PIRIGHTS_ENCRYPTION_KEY", app_overrides["security"]["encryption_key"])
    monkeypatch.setenv("PIRIGHTS_PUBLIC_RATE_LIMIT", "off")

    def run(*args: str):
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        return result

    return run


def close_at(client, admin, clock, when: datetime, **changes) -> dict:
    """Submit a request at `when` and complete it the same moment."""
    clock.set(when)
    answer = client.post("/api/v1/public/requests", json=valid_request(**changes)).get_json()
    ref = answer["reference"]
    for action in (
        {"action": "verify_identity", "method": "email_code"},
        {"action": "accept"},
        {"action": "complete", "resolution": "done"},
    ):
        assert (
            client.post(f"{STAFF}/{ref}/transitions", json=action, headers=admin).status_code == 200
        )
    return answer


def events(app, action: str | None = None) -> list[dict]:
    """Audit events, oldest first (optionally of one action)."""
    from pirights.audit.recorder import as_dict
    from pirights.extensions import db
    from pirights.models import AuditEvent

    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        found = [as_dict(r) for r in rows]
    return [e for e in found if action is None or e["action"] == action]


def test_cutoff_counts_calendar_years():
    assert cutoff(NOW, 3) == datetime(2023, 9, 30, 2, 0, tzinfo=UTC)
    assert cutoff(datetime(2028, 2, 29, tzinfo=UTC), 3) == datetime(2025, 2, 28, tzinfo=UTC)


def test_purge_erases_old_pii_and_keeps_skeleton_and_audit(app, client, auth, clock, cli):
    admin = auth("admin")
    clock.set(datetime(2022, 3, 1, 2, 0, tzinfo=UTC))
    old = full_lifecycle(client, admin)  # closed 2022-03-01: past the 3-year cut-off
    recent = close_at(client, admin, clock, datetime(2024, 6, 1, tzinfo=UTC))
    clock.set(datetime(2021, 1, 4, tzinfo=UTC))
    still_open = client.post("/api/v1/public/requests", json=valid_request()).get_json()
    clock.set(NOW)
    before_old = client.get(f"{STAFF}/{old['reference']}", headers=admin).get_json()
    before_recent = client.get(f"{STAFF}/{recent['reference']}", headers=admin).get_json()
    audit_before = events(app)

    result = cli("purge")
    assert result.exit_code == 0, result.output
    assert "purged 1 request(s) closed before 2023-09-30" in result.output

    after = client.get(f"{STAFF}/{old['reference']}", headers=admin).get_json()
    assert after["requester"] == {
        "name": "",
        "email": None,
        "phone": None,
        "account_id": None,
        "relationship": "guardian",
        "on_behalf_of": None,
    }
    assert after["description"] == "" and after["content_refs"] == []
    for key in ("type", "status", "received_at", "due_at", "closed_at", "on_time", "jurisdiction"):
        assert after[key] == before_old[key], key
    assert after["outcome"]["result"] == before_old["outcome"]["result"] == "fulfilled"
    # The requester can no longer follow up: the token hash is gone.
    token = {"X-Tracking-Token": old["tracking_token"]}
    assert (
        client.get(f"/api/v1/public/requests/{old['reference']}", headers=token).status_code == 404
    )
    # Email and phone no longer find it.
    for query in ({"email": SECRETS["email"]}, {"phone": SECRETS["phone"]}):
        assert client.get(STAFF, query_string=query, headers=admin).get_json()["items"] == []
    # Messages and notes are blank, but still there with their times.
    from pirights.extensions import db
    from pirights.models import Message, Note, Request

    with app.app_context():
        req = db.session.scalar(select(Request).where(Request.reference == old["reference"]))
        assert [m.body for m in req.messages] == ["", "", ""]
        assert [n.body for n in req.notes] == [""]
        assert all(m.created_at for m in req.messages)
        texts = [m.body for m in db.session.scalars(select(Message))]
        texts += [n.body for n in db.session.scalars(select(Note))]
        assert not any("Sentinel" in t for t in texts)

    # Untouched: the recent one (every field, its version included) and the open one.
    after_recent = client.get(f"{STAFF}/{recent['reference']}", headers=admin).get_json()
    assert after_recent == before_recent
    assert after_recent["requester"]["name"] == "张三" and after_recent["messages"] == []
    still = client.get(
        f"/api/v1/public/requests/{still_open['reference']}",
        headers={"X-Tracking-Token": still_open["tracking_token"]},
    )
    assert still.status_code == 200

    # The audit trail is whole, plus one event naming count and cut-off, and no PII.
    audit_after = events(app)
    assert audit_after[: len(audit_before)] == audit_before
    purged = events(app, "retention.purged")
    # One event for the batch; the request's Idempotency-Key record went with it.
    assert len(purged) == 1
    assert purged[0]["data"]["rows"]["idempotency_records"] == 1
    assert purged[0]["data"]["rows"]["requests"] == 1
    assert "1 old idempotency record(s)" in result.output
    assert purged[0]["data"]["count"] == 1
    assert purged[0]["data"]["cutoff"].startswith("2023-09-30")
    assert purged[0]["data"]["references"] == [old["reference"]]
    blob = json.dumps(audit_after, ensure_ascii=False)
    for value in SECRETS.values():
        assert value not in blob

    # Running again finds nothing more to do.
    again = cli("purge")
    assert "purged 0 request(s)" in again.output
    assert len(events(app, "retention.purged")) == 1


def test_dry_run_lists_and_changes_nothing(app, client, auth, clock, cli):
    admin = auth("admin")
    first = close_at(client, admin, clock, datetime(2020, 5, 6, 3, 0, tzinfo=UTC))
    second = close_at(client, admin, clock, datetime(2022, 12, 31, 3, 0, tzinfo=UTC))
    close_at(client, admin, clock, datetime(2024, 1, 1, 3, 0, tzinfo=UTC))
    clock.set(NOW)
    before = [
        client.get(f"{STAFF}/{a['reference']}", headers=admin).get_json() for a in (first, second)
    ]
    n_events = len(events(app))
    result = cli("purge", "--dry-run")
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert lines[:2] == [
        f"{first['reference']}\tclosed 2020-05-06",
        f"{second['reference']}\tclosed 2022-12-31",
    ]
    assert "2 request(s) closed before 2023-09-30 would be purged" in lines[-1]
    # Nothing changed (viewing records request.viewed, so compare before those views).
    assert len(events(app)) == n_events
    after = [
        client.get(f"{STAFF}/{a['reference']}", headers=admin).get_json() for a in (first, second)
    ]
    assert after == before


def test_purge_works_in_batches_each_audited(app, client, auth, clock, cli):
    admin = auth("admin")
    refs = [
        close_at(client, admin, clock, datetime(2021, 3, d, tzinfo=UTC))["reference"]
        for d in range(1, 6)
    ]
    clock.set(NOW)
    result = cli("purge", "--batch", "2")
    assert "purged 5 request(s)" in result.output and "3 batch(es)" in result.output
    purged = events(app, "retention.purged")
    assert [e["data"]["count"] for e in purged] == [2, 2, 1]
    assert sorted(r for e in purged for r in e["data"]["references"]) == sorted(refs)


def test_reopened_requests_are_not_purged(app, client, auth, clock, cli):
    admin = auth("admin")
    answer = close_at(client, admin, clock, datetime(2021, 3, 1, tzinfo=UTC))
    clock.set(datetime(2026, 1, 5, tzinfo=UTC))
    reopen = {"action": "reopen", "reason": "new evidence"}
    url = f"{STAFF}/{answer['reference']}/transitions"
    assert client.post(url, json=reopen, headers=admin).status_code == 200
    clock.set(NOW)
    assert "purged 0 request(s)" in cli("purge").output


def test_old_idempotency_records_without_a_request_go_by_age(app, clock, cli):
    """Records written before they named their request (migration 0005) are deleted by age."""
    from pirights.extensions import db
    from pirights.models import IdempotencyRecord

    with app.app_context(), db.unit_of_work() as s:
        for key, year in (("old", 2022), ("new", 2025)):
            s.add(
                IdempotencyRecord(
                    key_hash=key * 16,
                    body_hash="0" * 64,
                    response='{"tracking_token": "t"}',
                    created_at=datetime(year, 1, 1, tzinfo=UTC),
                )
            )
    clock.set(NOW)
    result = cli("purge")
    assert "purged 0 request(s)" in result.output and "1 old idempotency record(s)" in result.output
    with app.app_context():
        left = db.session.scalars(select(IdempotencyRecord.key_hash)).all()
    assert left == ["new" * 16]
    [event] = events(app, "retention.purged")
    assert event["data"]["idempotency_records"] == 1
