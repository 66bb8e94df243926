"""The sweep (SPEC §3.6): once per due_at, re-armed, concurrent-safe, notifies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from pirights.alerts.sweep import sweep
from tests.conftest import TEST_KEY
from tests.deadlines.conftest import at
from tests.mail import smtp_settings, start_sink

ROOT = Path(__file__).resolve().parents[2]

NO_COMPLAINTS = {"complaint.measure_overdue": 0, "complaint.remediation_overdue": 0}


def run_sweep(app, now=None):
    """One sweep at the frozen time."""
    from pirights import clock

    with app.app_context():
        return sweep(now or clock.now())


def actions(app):
    """(action, request_ref) of every deadline audit event, in order."""
    from pirights.audit.models import AuditEvent
    from pirights.extensions import db

    with app.app_context():
        rows = db.session.execute(
            select(AuditEvent.action, AuditEvent.request_ref)
            .where(AuditEvent.action.like("deadline.%"))
            .order_by(AuditEvent.seq)
        )
        return [tuple(r) for r in rows]


@pytest.fixture
def overdue_and_soon(clock, intake):
    """One overdue and one due-soon request at 2026-10-08 10:00 +08:00."""
    late = intake(received_at="2026-09-01T10:00:00+08:00")["reference"]
    soon = intake(received_at="2026-09-10T10:00:00+08:00")["reference"]
    intake(received_at="2026-09-30T10:00:00+08:00")  # not near its due date
    clock.set(at("2026-10-08T10:00:00+08:00"))
    return late, soon


def test_alerts_once_per_due_date(app, overdue_and_soon):
    late, soon = overdue_and_soon
    first = run_sweep(app)
    assert first.counts == {**NO_COMPLAINTS, "deadline.due_soon": 1, "deadline.overdue": 1}
    assert sorted(actions(app)) == [("deadline.due_soon", soon), ("deadline.overdue", late)]
    second = run_sweep(app)
    assert second.counts == {**NO_COMPLAINTS, "deadline.due_soon": 0, "deadline.overdue": 0}
    assert len(actions(app)) == 2


def test_sweep_does_not_bump_the_version(app, client, overdue_and_soon, staff_headers):
    late, _ = overdue_and_soon
    before = client.get(f"/api/v1/requests/{late}", headers=staff_headers["agent"])
    run_sweep(app)
    after = client.get(f"/api/v1/requests/{late}", headers=staff_headers["agent"])
    assert before.headers["ETag"] == after.headers["ETag"]


def test_new_due_date_rearms_alerts(app, client, clock, intake, staff_headers):
    ref = intake(received_at="2026-09-30T10:00:00+08:00")["reference"]  # due 27 Oct
    clock.set(at("2026-10-23T10:00:00+08:00"))
    assert run_sweep(app).counts["deadline.due_soon"] == 1
    resp = client.post(
        f"/api/v1/requests/{ref}/extensions",
        json={"days": 1, "reason": "waiting"},
        headers=staff_headers["supervisor"],
    )
    assert resp.status_code == 201  # due 28 Oct: still due soon, but a new due_at
    assert run_sweep(app).counts["deadline.due_soon"] == 1
    assert run_sweep(app).counts["deadline.due_soon"] == 0
    clock.set(at("2026-10-29T00:00:01+08:00"))
    assert run_sweep(app).counts == {**NO_COMPLAINTS, "deadline.due_soon": 0, "deadline.overdue": 1}
    assert [a for a, _ in actions(app)] == [
        "deadline.due_soon",
        "deadline.due_soon",
        "deadline.overdue",
    ]


def test_paused_and_closed_requests_are_not_alerted(app, clock, intake, start, act):
    paused = intake(received_at="2026-09-01T10:00:00+08:00")["reference"]
    start(paused)
    act(paused, "request_info", message="?")
    closed = intake(received_at="2026-09-01T10:00:00+08:00")["reference"]
    act(closed, "withdraw", reason="phoned")
    clock.set(at("2026-10-20T10:00:00+08:00"))
    assert run_sweep(app).counts == {**NO_COMPLAINTS, "deadline.due_soon": 0, "deadline.overdue": 0}


def test_notifications_for_assignee_and_supervisors(
    app, client, auth, overdue_and_soon, staff_headers
):
    late, soon = overdue_and_soon
    bob = auth("agent", name="bob")
    resp = client.post(f"/api/v1/requests/{late}/assign", json={"assignee": "bob"}, headers=bob)
    assert resp.status_code == 200
    auth("supervisor", name="sue")
    result = run_sweep(app)
    # late: bob + 2 supervisors; soon: 2 supervisors.
    assert result.notifications == 5
    mine = client.get("/api/v1/notifications", headers=bob).get_json()["items"]
    assert [(n["kind"], n["request_ref"]) for n in mine] == [("deadline.overdue", late)]
    assert mine[0]["sent_at"] is None
    sup = client.get("/api/v1/notifications", headers=staff_headers["supervisor"]).get_json()
    assert {n["request_ref"] for n in sup["items"]} == {late, soon}
    assert client.get("/api/v1/notifications", headers=staff_headers["agent"]).get_json() == {
        "items": []
    }
    assert client.get("/api/v1/notifications", headers=auth("service", "svc")).status_code == 403
    assert client.get("/api/v1/notifications").status_code == 401


def test_candidates_come_from_the_partial_index(app, overdue_and_soon):
    """The sweep reads only not-yet-alerted rows: its query uses the partial index."""
    from sqlalchemy import and_, or_

    from pirights.extensions import db
    from pirights.requests.models import Request
    from pirights.requests.queries import RUNNING

    with app.app_context():
        mark = Request.alerted_overdue_for
        q = select(Request.id).where(
            Request.status.in_(RUNNING),
            or_(mark.is_(None), mark != Request.due_at),
            and_(Request.due_at < at("2026-10-08T10:00:00+08:00")),
        )
        conn = db.session.connection()
        if conn.dialect.name == "postgresql":
            # The question is whether the sweep's condition implies the partial index's
            # predicate. With a handful of rows the planner may as well take the open-queue
            # index (ix_requests_open_due), so it is hidden in a savepoint rolled back after.
            savepoint = conn.begin_nested()
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            conn.execute(text("DROP INDEX ix_requests_open_due"))
            compiled = q.compile(conn, compile_kwargs={"literal_binds": True})
            plan = "\n".join(r[0] for r in conn.execute(text(f"EXPLAIN {compiled}")))
            savepoint.rollback()
        else:
            compiled = q.compile(conn, compile_kwargs={"literal_binds": True})
            plan = "\n".join(str(r) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "ix_requests_overdue_alert" in plan, plan


@pytest.fixture
def smtp(app_overrides):
    """A local SMTP sink configured before the app is built."""
    sink, controller, port = start_sink()
    app_overrides["notifications"] = smtp_settings(port)
    yield sink
    controller.stop()


def deliver(app, clock):
    """Run the delivery worker once, as `pirights worker --once` does."""
    from pirights.outbox.worker import run

    return run(app, clock, once=True)


def test_sweep_queues_emails_the_worker_sends_with_reference_and_kind_only(
    smtp, app, client, clock, overdue_and_soon, auth
):
    late, soon = overdue_and_soon
    sue = auth("supervisor", name="sue")
    deliver(app, clock)  # the requesters' receipts (§12.2) go first, out of this test's way
    smtp.messages.clear()
    result = run_sweep(app)
    assert result.emails == 4  # two alerts, each to "supervisor" and "sue"
    assert smtp.messages == []  # nothing is sent from inside the sweep
    unsent = client.get("/api/v1/notifications?unsent=true", headers=sue).get_json()["items"]
    assert len(unsent) == 2
    assert deliver(app, clock).sent == 4
    bodies = [(rcpt[0], msg["Subject"], msg.get_content()) for rcpt, msg in smtp.messages]
    got = sorted((to, late in subject, soon in subject) for to, subject, _ in bodies)
    assert got == [
        ("sue@example.cn", False, True),
        ("sue@example.cn", True, False),
        ("supervisor@example.cn", False, True),
        ("supervisor@example.cn", True, False),
    ]
    for _, subject, body in bodies:
        kind = "deadline.overdue" if late in subject else "deadline.due_soon"
        assert kind in body
        for pii in ("张三", "zs@example.cn", "13800138000"):
            assert pii not in body and pii not in subject
    items = client.get("/api/v1/notifications", headers=auth("supervisor", "sam"))
    assert items.get_json()["items"] == []  # sam joined after the alerts
    unsent = client.get("/api/v1/notifications?unsent=true", headers=sue).get_json()["items"]
    assert unsent == []  # marked sent once delivered
    assert run_sweep(app).emails == 0 and deliver(app, clock).sent == 0


def cli_env(database_url: str) -> dict:
    """Environment for a `python -m pirights` subprocess on the test database."""
    env = dict(os.environ)
    env.update(
        PIRIGHTS_DATABASE_URL=database_url,
        PIRIGHTS_ENCRYPTION_KEY=TEST_KEY,
        PIRIGHTS_SECRET_KEY="test",
        PYTHONPATH=str(ROOT),
    )
    return env


def test_concurrent_sweeps_never_record_twice(app, clock, intake, database_url):
    # Subprocesses read the real clock: make requests overdue relative to it.
    from datetime import UTC, datetime, timedelta

    real_now = datetime.now(UTC)
    refs = set()
    for days in range(60, 90):
        clock.set(real_now - timedelta(days=days))
        refs.add(intake()["reference"])
    clock.set(real_now)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "pirights", "sweep", "--batch", "3"],
            env=cli_env(database_url),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    overdue = [ref for action, ref in actions(app) if action == "deadline.overdue"]
    assert sorted(overdue) == sorted(refs)  # each exactly once
    assert sum(int(out.split("overdue=")[1].split()[0]) for out, _ in outputs) == len(refs)


def _interruptible() -> None:
    """In the child: SIGINT to its default, so Python turns it into KeyboardInterrupt. A
    suite started in the background by a non-interactive shell inherits SIGINT ignored,
    and Python then installs no handler (a CI run launched with `&` failed here)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_sweep_every_prints_a_line_per_run_until_interrupted(database_url):
    proc = subprocess.Popen(
        [sys.executable, "-m", "pirights", "sweep", "--every", "1"],
        env=cli_env(database_url),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_interruptible,
    )
    try:
        lines = [proc.stdout.readline() for _ in range(2)]
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert all(line.startswith("sweep ") and "overdue=0" in line for line in lines), lines
    assert proc.returncode == 0 and "sweep stopped" in err


def test_alert_events_carry_dates_only(app, overdue_and_soon):
    run_sweep(app)
    from pirights.audit.models import AuditEvent
    from pirights.extensions import db

    with app.app_context():
        data = [
            json.loads(r.data)
            for r in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action.like("deadline.%"))
            )
        ]
    assert all(set(d) == {"due_at", "deadline_rule"} for d in data)
