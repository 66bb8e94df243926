"""Accepting an event with its change, sequencing it later (SPEC §6, §11; issue 17).

Crashes are real: a child process is SIGKILLed right after its change commits, or in the
middle of the sequencer's transaction. Afterwards no event is lost, none is without its
change, and the chain is gapless and verifies.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.orm import Session

from pirights.audit import sequencer
from pirights.audit.models import AuditEvent, AuditPending
from pirights.audit.recorder import record
from pirights.audit.verify import verify_database
from pirights.database import make_engine
from tests.audit.helpers import VERIFY, cli
from tests.conftest import PG_URL

postgres_only = pytest.mark.skipif(not PG_URL, reason="the advisory lock is PostgreSQL's")

# A child process that crashes at a chosen point (argv: url, where).
CRASH = """
import os, signal, sys
from sqlalchemy import event
from sqlalchemy.orm import Session
from pirights.audit import sequencer
from pirights.audit.recorder import record
from pirights.database import make_engine

url, where = sys.argv[1], sys.argv[2]
engine = make_engine(url)

def die(*_):
    os.kill(os.getpid(), signal.SIGKILL)

if where == "after-change-commit":
    # first in line after the commit, before the recorder's own hook can sequence
    event.listen(Session, "after_commit", die, insert=True)
    with Session(engine) as s, s.begin():
        record(s, actor="system", action="test.crashed", request_ref="PIR-CRASH", data={"n": 1})
elif where == "mid-sequencing":
    # the sequencer has moved the batch and updated the head; it dies before COMMIT
    event.listen(engine, "commit", die)
    sequencer.sequence_pending(engine)
print("survived")
"""


def crash(url: str, where: str) -> None:
    """Run the CRASH child and check that it really was killed."""
    proc = subprocess.run(
        [sys.executable, "-c", CRASH, url, where], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == -9, proc.stdout + proc.stderr


def accept(engine, n: int, action: str = "test.accepted") -> None:
    """Commit n accepted events the way the recorder does on PostgreSQL, with no sequencing
    afterwards: the state a writer leaves when it dies right after its commit."""
    rows = [
        {
            "actor": "system",
            "action": action,
            "request_ref": None,
            "data": sequencer.data_text({"i": i}),
            "accepted_at": "2026-09-30T02:00:00.000000Z",
        }
        for i in range(n)
    ]
    with engine.begin() as conn:
        conn.execute(insert(AuditPending), rows)


def counts(engine) -> tuple[int, int]:
    """(events in the chain, events waiting)."""
    with engine.connect() as conn:
        chained = conn.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
        return chained, sequencer.pending_count(conn)


@pytest.fixture
def engine(database_url):
    """An engine on the clean test database."""
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


def write(engine, n: int) -> None:
    """n events through the recorder, one transaction each."""
    for i in range(n):
        with Session(engine) as s, s.begin():
            record(s, actor="system", action="test.written", data={"i": i})


def test_an_event_committed_but_never_sequenced_is_sequenced_later(engine):
    write(engine, 2)
    accept(engine, 3)
    verdict = verify_database(engine)
    # the chain so far is whole; the waiting events are reported, not counted in it
    assert verdict.ok and verdict.events == 2 and verdict.pending == 3
    assert sequencer.sequence_pending(engine) == 3
    assert counts(engine) == (5, 0)
    verdict = verify_database(engine)
    assert verdict.ok and verdict.events == 5 and verdict.pending == 0
    with engine.connect() as conn:
        actions = conn.execute(select(AuditEvent.action).order_by(AuditEvent.seq)).scalars()
        assert list(actions) == ["test.written"] * 2 + ["test.accepted"] * 3


def test_the_next_writer_sequences_what_a_crashed_writer_left(engine):
    accept(engine, 4)
    write(engine, 1)
    if PG_URL:  # SQLite appends inline, so only its own event went in; nothing else writes
        assert counts(engine) == (5, 0)
    assert sequencer.catch_up(engine) in (0, 4)
    assert counts(engine) == (5, 0) and verify_database(engine).ok


def test_readers_sequence_first(client, auth, engine, submit, monkeypatch, database_url):
    headers = auth("auditor")
    ref = submit()["reference"]
    accept(engine, 2)
    before = counts(engine)[0]
    # the verify endpoint, the CLI and the export all see the waiting events in the chain
    assert client.get(VERIFY, headers=headers).get_json() == {"ok": True, "events": before + 2}
    accept(engine, 1)
    result = cli(monkeypatch, database_url, "audit", "verify")
    assert result.output.strip() == f"OK {before + 3} events"
    accept(engine, 1)
    lines = client.get("/api/v1/audit/export", headers=headers).get_data(as_text=True)
    assert len(lines.splitlines()) == before + 4
    with engine.begin() as conn:
        conn.execute(
            insert(AuditPending).values(
                actor="system",
                action="test.accepted",
                request_ref=ref,
                data="{}",
                accepted_at="2026-09-30T02:00:00.000000Z",
            )
        )
    events = client.get(f"/api/v1/requests/{ref}/events", headers=headers).get_json()["items"]
    assert [e["action"] for e in events][-1] == "test.accepted"
    assert counts(engine)[1] == 0


def test_sequence_command_reports(engine, monkeypatch, database_url):
    accept(engine, 3)
    result = cli(monkeypatch, database_url, "audit", "sequence")
    assert result.output.strip() == "sequenced 3 events, 0 waiting"
    assert verify_database(engine).events == 3


def test_crash_between_the_change_commit_and_sequencing(engine, database_url):
    write(engine, 1)
    crash(database_url, "after-change-commit")
    # the change committed with its event; the event is kept, waiting or already chained
    assert sum(counts(engine)) == 2
    sequencer.catch_up(engine)
    verdict = verify_database(engine)
    assert verdict.ok and verdict.events == 2 and verdict.pending == 0
    with engine.connect() as conn:
        last = conn.execute(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert (last.action, last.request_ref) == ("test.crashed", "PIR-CRASH")


def test_crash_in_the_middle_of_sequencing(engine, database_url):
    write(engine, 2)
    accept(engine, 60)  # above the COPY threshold: the rows went in by COPY when it died
    crash(database_url, "mid-sequencing")
    # the sequencing transaction died whole: the queue, the chain and the head as before
    assert counts(engine) == (2, 60)
    verdict = verify_database(engine)
    assert verdict.ok and verdict.events == 2 and verdict.pending == 60
    assert sequencer.sequence_pending(engine) == 60
    verdict = verify_database(engine)
    assert verdict.ok and verdict.events == 62 and verdict.pending == 0


def test_at_never_goes_backwards_even_when_the_clock_does(engine, clock):
    clock.set(datetime(2026, 9, 30, 2, 0, tzinfo=UTC))
    write(engine, 1)
    clock.set(datetime(2026, 9, 30, 1, 0, tzinfo=UTC))  # a server whose clock is behind
    write(engine, 1)
    accept(engine, 1)
    clock.set(datetime(2026, 9, 30, 3, 0, tzinfo=UTC))
    sequencer.sequence_pending(engine)
    with engine.connect() as conn:
        ats = list(conn.execute(select(AuditEvent.at).order_by(AuditEvent.seq)).scalars())
    assert ats == [
        "2026-09-30T02:00:00.000000Z",
        "2026-09-30T02:00:00.000000Z",
        "2026-09-30T03:00:00.000000Z",
    ]
    assert verify_database(engine).ok


def test_a_rolled_back_change_leaves_nothing_waiting(engine):
    with pytest.raises(RuntimeError), Session(engine) as s, s.begin():
        record(s, actor="system", action="test.rolled_back", data={})
        raise RuntimeError("the change failed")
    assert counts(engine) == (0, 0)


@postgres_only
def test_a_writer_never_waits_for_a_busy_sequencer(engine):
    with engine.connect() as holder, holder.begin():
        holder.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": sequencer.LOCK_KEY})
        started = datetime.now(UTC)
        write(engine, 1)  # would block here if the writer waited for the sequencer
        assert datetime.now(UTC) - started < timedelta(seconds=10)
        assert counts(engine) == (0, 1)
    # the holder, a real sequencer, would now look again; here the next caller does
    assert sequencer.sequence_pending(engine) == 1


@postgres_only
def test_an_event_committed_while_the_sequencer_works_is_not_left_behind(engine, database_url):
    accept(engine, 1)
    busy = make_engine(database_url)
    fired: list[bool] = []

    @event.listens_for(busy, "commit")
    def meanwhile(_conn) -> None:
        # The sequencer holds the lock and is about to commit its batch: a writer commits
        # now, tries the sequencer, finds it busy and returns with its event waiting.
        if not fired:
            fired.append(True)
            write(engine, 1)

    try:
        # the sequencer looks again after releasing, and takes the writer's event too
        assert sequencer.sequence_pending(busy) == 2
    finally:
        busy.dispose()
    assert fired and counts(engine) == (2, 0) and verify_database(engine).ok


def test_concurrent_writers_make_one_gapless_chain_with_every_change_in_it(engine):
    threads, per_thread = 8, 30
    errors: list[BaseException] = []

    def writer(t: int) -> None:
        try:
            for i in range(per_thread):
                key = f"{t:02d}-{i:03d}"
                try:
                    with Session(engine) as s, s.begin():
                        s.execute(
                            text(
                                "INSERT INTO idempotency_records "
                                "(key_hash, body_hash, response, created_at) "
                                "VALUES (:k, 'b', 'r', CURRENT_TIMESTAMP)"
                            ),
                            {"k": key},
                        )
                        record(s, actor="system", action="test.change", data={"key": key})
                        if i % 7 == 3:
                            raise LookupError("this change fails after its event was recorded")
                except LookupError:
                    pass
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=writer, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    # No final catch-up: whoever held the sequencer looked again after releasing it.
    with engine.connect() as conn:
        assert sequencer.pending_count(conn) == 0
        changes = set(conn.execute(text("SELECT key_hash FROM idempotency_records")).scalars())
        rows = conn.execute(select(AuditEvent.seq, AuditEvent.at, AuditEvent.data)).all()
    keys = [json.loads(r.data)["key"] for r in sorted(rows)]
    committed = threads * sum(1 for i in range(per_thread) if i % 7 != 3)
    assert len(changes) == committed and sorted(keys) == sorted(changes)
    assert [r.seq for r in sorted(rows)] == list(range(1, committed + 1))
    ats = [r.at for r in sorted(rows)]
    assert ats == sorted(ats)
    verdict = verify_database(engine)
    assert verdict.ok and verdict.events == committed


def test_many_crashed_sequencers_in_a_row_lose_nothing(engine, database_url):
    accept(engine, 5)
    for _ in range(3):
        crash(database_url, "mid-sequencing")
    assert counts(engine) == (0, 5)
    sequencer.catch_up(engine)
    assert counts(engine) == (5, 0) and verify_database(engine).ok


def test_the_worker_and_the_sweep_sequence_what_a_crashed_writer_left(app, engine, clock):
    from pirights.alerts.sweep import sweep
    from pirights.outbox.worker import run

    accept(engine, 2)
    run(app, clock, once=True)  # nothing to deliver: an idle turn
    assert counts(engine) == (2, 0)
    accept(engine, 3)
    with app.app_context():
        sweep(clock())
    assert counts(engine) == (5, 0)
