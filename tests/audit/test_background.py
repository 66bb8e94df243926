"""The sequencer thread (`audit.sequencing = "background"`, the default; issue 17).

A write is one transaction: the writer commits its change with its accepted events and
returns, and the process's sequencer thread moves them into the chain. These tests run the
app as production does and watch the thread do its work: no reader, no CLI in between.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import event, func, select, text

from pirights import create_app
from pirights.audit import background, sequencer
from pirights.audit.models import AuditEvent
from pirights.audit.verify import verify_database
from tests.conftest import PG_URL, valid_request

pytestmark = pytest.mark.skipif(not PG_URL, reason="SQLite appends events inline")
PHONE_ONLY = {"name": "张三", "phone": "+8613800138000"}


@pytest.fixture
def app(app_overrides, tmp_path):
    """The app with the production default: a sequencer thread per process."""
    app_overrides["audit"] = {"sequencing": "background"}
    application = create_app(app_overrides, instance_path=str(tmp_path / "instance"))
    application.config["TESTING"] = True
    yield application
    engine = engine_of(application)
    # no thread may outlive its test: a later test's fork would copy its locks
    background.for_engine(engine).stop()
    engine.dispose()


def engine_of(app):
    """The app's engine."""
    return app.extensions["pirights_db"].engine


def chain_and_queue(engine) -> tuple[int, int]:
    """(events in the chain, events waiting), read outside the app."""
    with engine.connect() as conn:
        chained = conn.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
        return chained, sequencer.pending_count(conn)


def settles(engine, events: int, seconds: float = 10) -> bool:
    """Whether the chain reaches `events` events and an empty queue within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if chain_and_queue(engine) == (events, 0):
            return True
        time.sleep(0.02)
    return False


def submit(client) -> str:
    """A phone-only public submission (one event); its reference."""
    resp = client.post("/api/v1/public/requests", json=valid_request(requester=PHONE_ONLY))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["reference"]


def test_a_write_commits_once_and_the_thread_chains_its_event(app, client):
    engine = engine_of(app)
    commits: list[str] = []
    writer = threading.get_ident()

    @event.listens_for(engine, "commit")
    def count(_conn):
        commits.append("writer" if threading.get_ident() == writer else "sequencer")

    refs = [submit(client) for _ in range(5)]
    # the request thread committed its change and nothing else: no sequencing transaction
    assert commits.count("writer") == 5
    assert settles(engine, 5), chain_and_queue(engine)
    assert "sequencer" in commits
    with engine.connect() as conn:
        chained = conn.execute(select(AuditEvent.request_ref).order_by(AuditEvent.seq))
        assert list(chained.scalars()) == refs
    assert verify_database(engine).ok


def test_concurrent_writers_share_passes_and_the_chain_stays_whole(app):
    engine = engine_of(app)
    passes: list[int] = []

    @event.listens_for(engine, "commit")
    def count(_conn):
        if threading.current_thread().name == "pirights-audit-sequencer":
            passes.append(1)

    errors: list[BaseException] = []

    def writer():
        try:
            with app.test_client() as c:
                for _ in range(10):
                    submit(c)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert settles(engine, 80), chain_and_queue(engine)
    background.for_engine(engine).stop()
    verdict = verify_database(engine)
    assert verdict.ok and verdict.events == 80
    # 80 commits were chained by far fewer sequencing transactions: passes batch
    assert 0 < len(passes) < 40, len(passes)


def test_the_thread_ends_when_idle_and_the_next_write_starts_another(app, client, monkeypatch):
    monkeypatch.setattr(background, "IDLE_EXIT_SECONDS", 0.2)
    engine = engine_of(app)
    submit(client)
    assert settles(engine, 1)
    first = background.for_engine(engine)._thread
    assert first is not None
    first.join(5)
    assert not first.is_alive()
    submit(client)
    assert settles(engine, 2)
    assert verify_database(engine).ok


def test_events_left_by_a_held_sequencer_lock_are_chained_by_the_next_pass(app, client):
    engine = engine_of(app)
    # Another process is sequencing (it holds the lock) and dies without looking again:
    # this process's pass gives up on the lock, so the event waits, committed, in the queue.
    holder = engine.connect()
    holder.begin()
    holder.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": sequencer.LOCK_KEY})
    submit(client)
    time.sleep(0.3)
    assert chain_and_queue(engine) == (0, 1)
    holder.rollback()
    holder.close()
    # the next write's nudge takes both
    submit(client)
    assert settles(engine, 2)
    assert verify_database(engine).ok


def test_a_reader_sees_every_event_at_once(app, client, auth, monkeypatch):
    # the thread does not run at all: the event is still queued when the reader asks
    monkeypatch.setattr(background.SequencerThread, "nudge", lambda self: None)
    ref = submit(client)
    assert chain_and_queue(engine_of(app)) == (0, 1)
    resp = client.get(f"/api/v1/requests/{ref}/events", headers=auth("auditor"))
    assert [e["action"] for e in resp.get_json()["items"]] == ["request.created"]
    assert chain_and_queue(engine_of(app))[1] == 0
