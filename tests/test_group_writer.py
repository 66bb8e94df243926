"""database.GroupWriter: lone statements of concurrent units of work written as one (issue 17)."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from pirights.audit.models import AuditPending
from pirights.database import group_writer, insert_at_commit
from pirights.outbox.models import OutboxMessage
from pirights.outbox.service import message_row

pytestmark = pytest.mark.postgres_only  # the lone statement is PostgreSQL's (database.py)

AT = {"accepted_at": "2026-12-01T02:00:00.000000Z"}
AT_NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def event_row(action: str) -> dict:
    """A pending audit event's row."""
    return {"actor": "system", "action": action, "request_ref": None, "data": "{}"} | AT


def lone_unit(app, action: str, **outbox) -> None:
    """A unit of work that only queues rows: an event, and an outbox message if asked."""
    from pirights.extensions import db

    with app.app_context(), db.unit_of_work() as s:
        insert_at_commit(s, AuditPending.__table__, event_row(action))
        if outbox:
            insert_at_commit(s, OutboxMessage.__table__, message_row(**outbox))


@contextmanager
def held(engine, companions: int):
    """Record each INSERT's rows of audit_pending (yielded list); hold the first until
    `companions` more units of work wait behind it, so they go together in the next."""
    writer = group_writer(engine)
    seen: list[int] = []

    def listen(_conn, _cursor, statement, parameters, *_rest):
        if "audit_pending" not in statement:
            return
        seen.append(sum(1 for name in parameters if name.endswith("_action")))
        if len(seen) == 1:
            deadline = time.monotonic() + 10
            while len(writer._queue) < companions and time.monotonic() < deadline:
                time.sleep(0.005)

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


@pytest.fixture
def engine(app):
    """The app's engine."""
    from pirights.extensions import db

    with app.app_context():
        return db.engine


def run_threads(targets) -> list[BaseException | None]:
    """Run each callable in a thread of its own, the first alone for a moment; their errors."""
    errors: list[BaseException | None] = [None] * len(targets)

    def run(i, target):
        try:
            target()
        except BaseException as exc:  # reported to the test
            errors[i] = exc

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    threads[0].start()
    time.sleep(0.2)  # the first is writing (held) before the others arrive
    for t in threads[1:]:
        t.start()
    for t in threads:
        t.join(30)
    return errors


def actions(app) -> list[str]:
    """The pending events' actions, in the order they were written."""
    from pirights.extensions import db

    with app.app_context():
        found = db.session.scalars(select(AuditPending.action).order_by(AuditPending.id)).all()
        db.session.rollback()
    return list(found)


def test_units_of_work_arriving_together_share_one_statement(app, engine):
    with held(engine, 4) as seen:
        errors = run_threads([lambda i=i: lone_unit(app, f"test.u{i}") for i in range(5)])
    assert errors == [None] * 5
    # the first alone, the four that waited behind it in one statement
    assert seen == [1, 4]
    assert sorted(actions(app)) == [f"test.u{i}" for i in range(5)]


def test_past_the_group_limit_the_rest_wait_for_the_next_statement(app, engine, monkeypatch):
    # Whoever writes takes the longest waiting first, GROUP_MAX of them: its own rows may
    # be left for the next statement, which it must then write too.
    import pirights.database
    from pirights.database import _Waiting

    monkeypatch.setattr(pirights.database, "GROUP_MAX", 2)
    writer = group_writer(engine)
    earlier = [_Waiting({AuditPending.__table__: [event_row(f"test.e{i}")]}) for i in range(2)]
    writer._queue.extend(earlier)  # two units of work queued before ours
    writer.write({AuditPending.__table__: [event_row("test.ours")]})
    assert all(w.done and w.error is None for w in earlier)
    assert actions(app) == ["test.e0", "test.e1", "test.ours"]


def test_a_failure_of_a_statement_without_our_rows_is_not_ours(app, engine, monkeypatch):
    import pirights.database
    from pirights.database import _Waiting

    monkeypatch.setattr(pirights.database, "GROUP_MAX", 2)
    writer = group_writer(engine)
    earlier = [_Waiting({AuditPending.__table__: [event_row(f"test.e{i}")]}) for i in range(2)]
    writer._queue.extend(earlier)
    statements: list[str] = []

    def lose_first(_conn, _cursor, statement, *_rest):
        if "audit_pending" in statement:
            statements.append(statement)
            if len(statements) == 1:
                lost = ConnectionError("server closed the connection")
                raise OperationalError(statement, {}, lost)

    event.listen(engine, "before_cursor_execute", lose_first)
    try:
        writer.write({AuditPending.__table__: [event_row("test.ours")]})  # does not raise
    finally:
        event.remove(engine, "before_cursor_execute", lose_first)
    assert all(isinstance(w.error, OperationalError) for w in earlier)
    assert actions(app) == ["test.ours"] and not writer._queue


def test_a_bad_row_fails_only_its_own_unit_of_work(app, engine):
    from pirights.extensions import db

    message = {"kind": "k", "channel": "email", "payload": {}, "now": AT_NOW}
    with held(engine, 3) as seen:
        errors = run_threads(
            [
                lambda: lone_unit(app, "test.first"),
                lambda: lone_unit(app, "test.good1", **message),
                # no request 999: the foreign key refuses this unit of work's message
                lambda: lone_unit(app, "test.bad", **message, request_id=999),
                lambda: lone_unit(app, "test.good2", **message),
            ]
        )
    assert errors[0] is None and errors[1] is None and errors[3] is None
    assert isinstance(errors[2], IntegrityError)
    # together first (refused whole), then each alone
    assert seen[:2] == [1, 3] and sorted(seen[2:]) == [1, 1, 1]
    assert sorted(actions(app)) == ["test.first", "test.good1", "test.good2"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


def test_a_value_the_driver_cannot_send_fails_only_its_own_unit_of_work(app, engine):
    # Refused before the statement left: nothing was written, so the others go alone.
    from pirights.extensions import db

    def unsendable():
        with app.app_context(), db.unit_of_work() as s:
            insert_at_commit(s, AuditPending.__table__, event_row("test.odd") | {"data": object()})

    with held(engine, 2) as seen:
        errors = run_threads(
            [
                lambda: lone_unit(app, "test.first"),
                unsendable,
                lambda: lone_unit(app, "test.good"),
            ]
        )
    assert errors[0] is None and errors[2] is None
    assert isinstance(errors[1], ProgrammingError)
    assert seen[:2] == [1, 2]
    assert sorted(actions(app)) == ["test.first", "test.good"]


def test_rows_needing_more_than_one_statement_are_one_transaction(app, engine):
    # Rows of one table naming different columns go one by one (database._write): not in
    # autocommit, where a failing second row would leave the first written.
    table = AuditPending.__table__
    good = event_row("test.kept-back")
    bad = {"actor": "system", "action": None, "data": "{}"} | AT  # action is NOT NULL
    with pytest.raises(IntegrityError):
        group_writer(engine).write({table: [good, bad]})
    assert actions(app) == []
    group_writer(engine).write(
        {table: [good, {k: v for k, v in good.items() if k != "request_ref"}]}
    )
    assert actions(app) == ["test.kept-back", "test.kept-back"]


def test_a_failure_that_may_have_committed_is_every_waiting_units_error(app, engine):
    # A lost connection may have lost only the commit's acknowledgement: the batch is not
    # written again (that could write it twice); each unit of work in it gets the error.
    with held(engine, 2) as seen:

        def lose(_conn, _cursor, statement, *_rest):
            if "audit_pending" in statement and len(seen) == 2:
                lost = ConnectionError("server closed the connection")
                raise OperationalError(statement, {}, lost)

        event.listen(engine, "before_cursor_execute", lose)
        try:
            errors = run_threads([lambda i=i: lone_unit(app, f"test.l{i}") for i in range(3)])
        finally:
            event.remove(engine, "before_cursor_execute", lose)
    assert errors[0] is None
    assert all(isinstance(e, OperationalError) for e in errors[1:])
    assert seen == [1, 2]  # not written again
    assert actions(app) == ["test.l0"]
    lone_unit(app, "test.after")  # the writer goes on
    assert actions(app) == ["test.l0", "test.after"]


def test_psycopg_caches_the_conversion_of_a_group_statement(app, engine, uncached_conversions):
    # A group of public submissions is one statement of several times 3.5 KB and 69
    # parameters, past psycopg's limits (4 KB, 50) for caching its placeholder conversion
    # (database._cache_statements_with_many_parameters).
    rows = [event_row(f"test.c{i}") for i in range(40)]
    group_writer(engine).write({AuditPending.__table__: rows})
    parsed = uncached_conversions()
    group_writer(engine).write({AuditPending.__table__: rows})
    assert not parsed
    assert len(actions(app)) == 80
