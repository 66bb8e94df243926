"""The outbox and its worker (§12.2): queued in the cause's transaction, delivered at least
once to a real SMTP server, retried with growing delays, never sent twice at once."""

from __future__ import annotations

import itertools
import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from pirights.outbox.models import FAILED, PENDING, SENT, OutboxMessage
from pirights.outbox.retry import RetryPolicy
from tests.outbox.conftest import later


def rows(app):
    """Every outbox row, by id."""
    from pirights.extensions import db

    with app.app_context():
        return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def events(app, action):
    """The data of every audit event with this action."""
    from pirights.audit.models import AuditEvent
    from pirights.extensions import db

    with app.app_context():
        return [
            json.loads(e.data)
            for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action))
        ]


def test_a_cause_that_rolls_back_queues_nothing(app, clock):
    from pirights.extensions import db
    from pirights.outbox.service import enqueue

    with app.app_context(), pytest.raises(RuntimeError), db.unit_of_work() as s:
        enqueue(s, kind="k", channel="email", payload={"to": "a@b.cn"}, now=clock())
        raise RuntimeError("the cause failed")
    assert rows(app) == []


def test_worker_delivers_to_smtp_and_audits_without_the_address(smtp, app, queue, work):
    ids = queue(3)
    totals = work()
    assert (totals.sent, totals.retrying, totals.failed) == (3, 0, 0)
    got = sorted((rcpt[0], msg["Subject"]) for rcpt, msg in smtp.messages)
    assert got == [(f"person{i}@example.cn", f"主题 {i}") for i in range(3)]
    _, first = next(m for m in smtp.messages if m[0] == ["person0@example.cn"])
    plain = first.get_body(("plain",)).get_content()
    assert plain.startswith("正文 0\n") and plain.count("我们已收到您的个人信息权利请求。") == 60
    assert first.get_body(("html",)).get_content().startswith("<p>正文 0</p>")
    assert first["Message-ID"].endswith("@example.cn>") and first["Date"]
    assert [r.status for r in rows(app)] == [SENT] * 3
    sent = events(app, "notification.sent")
    assert sorted(e["outbox_id"] for e in sent) == ids
    assert all(e["channel"] == "email" and e["kind"] == "requester.receipt" for e in sent)
    assert "example.cn" not in json.dumps(sent)
    assert work().sent == 0  # nothing twice


def test_payload_is_encrypted_at_rest(app, queue):
    from pirights.extensions import db

    queue(1)
    with app.app_context():
        raw = db.session.execute(text("SELECT payload FROM outbox")).scalar_one()
    assert b"person0" not in bytes(raw) and "正文".encode() not in bytes(raw)


def test_failures_retry_with_growing_delays_then_fail(smtp_down, app, clock, queue, work):
    from pirights.outbox.service import retry_failed

    (msg_id,) = queue(1)
    start = clock()
    waits = []
    for _ in range(40):
        totals = work()
        (row,) = rows(app)
        if row.status == FAILED:
            break
        assert totals.retrying == 1 and row.status == PENDING
        assert row.last_error == "ConnectionRefusedError"
        wait = row.next_attempt_at - clock()
        waits.append(wait.total_seconds())
        # Not due a moment before its time; due at it.
        clock.set(row.next_attempt_at - timedelta(seconds=1))
        assert work().sent + work().retrying == 0
        clock.set(row.next_attempt_at)
    assert row.status == FAILED and row.attempts == len(waits) + 1
    assert 24 <= waits[0] <= 36  # 30 s ± 20 %
    assert all(b > a for a, b in itertools.pairwise(waits[:6]))  # growing while below the cap
    assert max(waits) <= 3600 * 1.2
    assert clock() - start <= timedelta(hours=24, minutes=75)
    (failed,) = events(app, "notification.failed")
    assert failed["outbox_id"] == msg_id and failed["error"] == "ConnectionRefusedError"
    # A supervisor's retry puts it back with a fresh window.
    with app.app_context():
        assert retry_failed(msg_id, clock()) is True
        assert retry_failed(msg_id, clock()) is False
    assert rows(app)[0].status == PENDING and rows(app)[0].attempts == 0


def test_retry_policy_is_pure_and_bounded():
    policy = RetryPolicy()
    assert policy.delay(1, 0.5) == timedelta(seconds=30)
    assert policy.delay(2, 0.5) == timedelta(seconds=60)
    assert policy.delay(20, 0.5) == timedelta(seconds=3600)
    assert policy.delay(1, 0.0) == timedelta(seconds=24)
    start = policy.delay(1, 0.5)  # any instant works: no clock inside
    from datetime import UTC, datetime

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    assert policy.next_attempt(1, t0, t0, 0.5) == t0 + start
    assert policy.next_attempt(30, t0, t0, 0.5) is None
    assert policy.next_attempt(3, t0, t0 + timedelta(hours=23, minutes=59), 0.5) is None


def test_a_worker_killed_mid_batch_loses_nothing(smtp, app, clock, queue, work):
    from pirights.outbox.service import LEASE, claim

    queue(5)
    with app.app_context():
        held = claim(clock(), 3)  # a worker took three, then died before sending
    assert len(held) == 3
    assert work().sent == 2  # the others go out; the held three wait for their lease
    later(clock, seconds=LEASE.total_seconds())
    assert work().sent == 3
    assert len(smtp.messages) == 5 and {r.status for r in rows(app)} == {SENT}
    assert max(r.attempts for r in rows(app)) == 2  # the crashed attempt counts


def test_a_late_report_from_a_worker_whose_lease_ran_out_is_ignored(smtp, app, clock, queue):
    from pirights.outbox.service import LEASE, Outcome, claim, settle

    queue(1)
    with app.app_context():
        (stale,) = claim(clock(), 1)
        later(clock, seconds=LEASE.total_seconds())
        (fresh,) = claim(clock(), 1)
        assert settle([Outcome(fresh)], clock(), RetryPolicy()) == (1, 0, 0)
        assert settle([Outcome(stale, "TimeoutError")], clock(), RetryPolicy()) == (0, 0, 0)
    assert rows(app)[0].status == SENT and len(events(app, "notification.sent")) == 1


def test_two_workers_racing_send_each_message_once(smtp, app, clock, queue):
    from pirights.outbox.worker import run

    queue(300)
    totals = []

    def worker():
        totals.append(run(app, clock, once=True, stop=threading.Event()))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sum(t.sent for t in totals) == 300
    assert sorted(r[0][0] for r in smtp.messages) == sorted(
        f"person{i}@example.cn" for i in range(300)
    )
    assert len(events(app, "notification.sent")) == 300
    with app.app_context():
        from pirights.extensions import db

        assert db.session.scalar(select(func.max(OutboxMessage.attempts))) == 1


def test_unconfigured_email_is_retried_not_lost(app, queue, work):
    queue(1)
    assert work().retrying == 1
    assert rows(app)[0].last_error == "SmtpNotConfigured"


def test_worker_command_once_exits_zero_whatever_single_sends_did(
    smtp, app, queue, database_url, tmp_path
):
    import os
    import subprocess
    import sys

    from tests.conftest import TEST_KEY

    queue(2)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIRIGHTS_")}
    port = app.config["PIRIGHTS"].smtp_port
    env.update(
        PIRIGHTS_DATABASE_URL=database_url,
        PIRIGHTS_ENCRYPTION_KEY=TEST_KEY,
        PIRIGHTS_SMTP_HOST="127.0.0.1",
        PIRIGHTS_SMTP_PORT=str(port),
        PIRIGHTS_SMTP_FROM="pirights@example.cn",
    )
    done = subprocess.run(
        [sys.executable, "-m", "pirights", "worker", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "2 sent" in done.stdout
    assert len(smtp.messages) == 2


def test_other_packages_plug_in_their_channels(app, clock):
    from pirights.extensions import db
    from pirights.outbox.service import enqueue
    from pirights.outbox.worker import TRANSPORT_FACTORIES, register_transport, run

    seen = []

    def factory(_app):
        return lambda batch: [seen.append(m.payload["n"]) or None for m in batch]

    register_transport("carrier-pigeon", factory)
    try:
        with app.app_context(), db.unit_of_work() as s:
            enqueue(s, kind="k", channel="carrier-pigeon", payload={"n": 7}, now=clock())
        assert run(app, clock, once=True).sent == 1
    finally:
        TRANSPORT_FACTORIES.pop("carrier-pigeon")
    assert seen == [7]


def test_settle_hooks_see_their_kind_in_settles_transaction(smtp, app, queue, work, monkeypatch):
    from pirights.outbox import service

    seen = []

    def hook(s, items, now):
        seen.extend((i.outcome.claimed.kind, i.state, i.attempts) for i in items)
        return [("system", "test.followed", None, {"n": len(items)})]

    monkeypatch.setitem(service.SETTLE_HOOKS, "test.kind", hook)
    queue(2, kind="test.kind")
    queue(1, kind="other.kind")
    assert work().sent == 3
    assert seen == [("test.kind", service.SENT_NOW, 1)] * 2
    assert events(app, "test.followed") == [{"n": 2}]


def test_a_failing_settle_hook_rolls_the_settle_back(smtp, app, queue, work, monkeypatch):
    from pirights.outbox import service

    def hook(s, items, now):
        raise RuntimeError("the feature's own write failed")

    monkeypatch.setitem(service.SETTLE_HOOKS, "test.kind", hook)
    queue(1, kind="test.kind")
    with pytest.raises(RuntimeError):
        work()
    (row,) = rows(app)
    assert row.status == PENDING and events(app, "notification.sent") == []


def test_smtp_login_and_starttls_come_from_the_environment(database_url, tmp_path):
    from pirights import create_app
    from pirights.config import load_settings
    from pirights.outbox.worker import email_transport
    from tests.conftest import TEST_KEY

    env = {
        "PIRIGHTS_DATABASE_URL": database_url,
        "PIRIGHTS_ENCRYPTION_KEY": TEST_KEY,
        "PIRIGHTS_SMTP_HOST": "smtp.example.cn",
        "PIRIGHTS_SMTP_USER": "pirights",
        "PIRIGHTS_SMTP_PASSWORD": "s3cret",
        "PIRIGHTS_SMTP_STARTTLS": "true",
    }
    app = create_app(settings=load_settings(env=env), instance_path=str(tmp_path / "i"))
    sender = email_transport(app)
    assert (sender.user, sender.password, sender.starttls) == ("pirights", "s3cret", True)
    env["PIRIGHTS_SMTP_STARTTLS"] = "false"
    app2 = create_app(settings=load_settings(env=env), instance_path=str(tmp_path / "j"))
    assert email_transport(app2).starttls is False
    for a in (app, app2):
        a.extensions["pirights_db"].engine.dispose()
