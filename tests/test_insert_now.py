"""`database.insert_now` (one INSERT at once, the object then in the session as loaded) and
`database.insert_at_commit` (rows written together as the unit of work commits)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select, text

from pirights.database import insert_now
from pirights.requests.models import Request

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
AT = {"accepted_at": "2026-12-01T02:00:00.000000Z"}


def new_request(reference: str) -> Request:
    """A request with only what has no default."""
    return Request(
        reference=reference,
        type="access",
        status="received",
        jurisdiction="CN",
        channel="web",
        requester_name="张三",
        relationship_="self",
        description="Give me a copy.",
        content_refs="[]",
        received_at=NOW,
        due_at=NOW,
        deadline_rule="r",
        calendar_data="c",
        created_at=NOW,
        updated_at=NOW,
    )


def test_one_statement_then_a_loaded_object_that_updates_like_any_other(app):
    from pirights.extensions import db

    statements: list[str] = []
    with app.app_context():
        engine = db.engine

        def listen(_conn, _cursor, statement, *_rest):
            if not statement.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE (database.py)
                statements.append(statement.split()[0])

        event.listen(engine, "before_cursor_execute", listen)
        try:
            with db.unit_of_work() as s:
                req = new_request("PIR-AAAAA-BBBBB")
                insert_now(s, req)
                inserted = list(statements)
                # read back: the id and the version; defaults filled in on the object
                assert req.id and req.version == 1
                assert req.identity_verified is False and req.paused_days == 0
                assert not s.new and not s.dirty and req in s
                req.status = "in_progress"
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        assert inserted == ["INSERT"]
        # the later change went out as an UPDATE at commit, checked against the version
        assert statements[1:] == ["UPDATE"]
        row = db.session.execute(
            text("SELECT status, version, requester_name FROM requests WHERE id = :i"),
            {"i": req.id},
        ).one()
    assert row.status == "in_progress" and row.version == 2
    # encrypted like any other write: the column holds no clear text
    assert "张三" not in str(row.requester_name)


def test_a_rolled_back_unit_of_work_takes_the_row_with_it(app):
    from pirights.extensions import db

    with app.app_context():
        try:
            with db.unit_of_work() as s:
                insert_now(s, new_request("PIR-CCCCC-DDDDD"))
                raise RuntimeError("the cause failed")
        except RuntimeError:
            pass
        assert db.session.execute(text("SELECT count(*) FROM requests")).scalar_one() == 0


def test_rows_queued_for_commit_go_in_one_statement_in_their_order(app):
    from pirights.audit.models import AuditPending
    from pirights.database import insert_at_commit
    from pirights.extensions import db
    from pirights.outbox.models import OutboxMessage
    from pirights.outbox.service import enqueue

    statements: list[str] = []
    with app.app_context():
        engine = db.engine

        def listen(_conn, _cursor, statement, *_rest):
            if not statement.startswith("BEGIN"):
                statements.append(statement)

        event.listen(engine, "before_cursor_execute", listen)
        try:
            with db.unit_of_work() as s:
                req = new_request("PIR-EEEEE-FFFFF")
                s.add(req)  # pending: the queued rows refer to it, so it is flushed first
                s.flush()
                for n in range(3):
                    row = {"actor": "system", "action": f"test.{n}", "request_ref": None}
                    insert_at_commit(s, AuditPending.__table__, row | {"data": "{}"} | AT)
                    enqueue(
                        s, kind="k", channel="email", payload={"n": n}, now=NOW, request_id=req.id
                    )
                before_commit = len(statements)
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        queued = statements[before_commit:]
        if engine.dialect.name == "postgresql":
            # one statement for both tables' rows (data-modifying CTEs)
            assert len(queued) == 1 and queued[0].startswith("WITH")
        else:
            assert len(queued) == 2  # SQLite: a statement per table
        actions = db.session.scalars(select(AuditPending.action).order_by(AuditPending.id))
        assert list(actions) == ["test.0", "test.1", "test.2"]
        payloads = db.session.scalars(select(OutboxMessage.payload).order_by(OutboxMessage.id))
        assert [json.loads(p)["n"] for p in payloads] == [0, 1, 2]


def test_queued_rows_of_a_rolled_back_unit_of_work_are_never_written(app):
    from pirights.extensions import db
    from pirights.outbox.service import enqueue

    with app.app_context():
        try:
            with db.unit_of_work() as s:
                enqueue(s, kind="k", channel="email", payload={}, now=NOW)
                raise RuntimeError("the cause failed")
        except RuntimeError:
            pass
        with db.unit_of_work():
            pass  # a later commit of the same session writes nothing left over
        assert db.session.execute(text("SELECT count(*) FROM outbox")).scalar_one() == 0


def test_the_joined_statement_is_built_once_per_shape_and_cacheable():
    # A statement SQLAlchemy cannot cache is compiled at every commit: a multi-row VALUES
    # measured six times the CPU of the cached form (README, "Intake, session 4").
    from pirights.audit.models import AuditPending
    from pirights.database import _joined
    from pirights.outbox.models import OutboxMessage

    shape = (
        (AuditPending.__table__, ("actor", "action", "request_ref", "data", "accepted_at"), 3),
        (OutboxMessage.__table__, ("kind", "channel", "payload"), 1),
    )
    statement = _joined(shape).statement
    assert _joined(shape).statement is statement
    assert statement._generate_cache_key() is not None


@pytest.mark.postgres_only
def test_queued_rows_go_as_driver_text_with_their_columns_conversions(app):
    # On PostgreSQL the joined statement runs as text compiled once (database._Joined.driver_form),
    # the columns' conversions applied by us: the payload must still be encrypted, the
    # timestamps stored as UTC, and an INSERT error still SQLAlchemy's IntegrityError.
    from sqlalchemy.exc import IntegrityError

    from pirights.audit.models import AuditPending
    from pirights.database import _joined, insert_at_commit
    from pirights.extensions import db
    from pirights.outbox.models import OutboxMessage
    from pirights.outbox.service import enqueue, message_row

    with app.app_context():
        china = datetime(2026, 12, 1, 10, 0, tzinfo=UTC).astimezone()
        with db.unit_of_work() as s:
            enqueue(s, kind="k", channel="email", payload={"to": "zs@ex.cn"}, now=china)
            insert_at_commit(
                s,
                AuditPending.__table__,
                {"actor": "system", "action": "test.a", "request_ref": None, "data": "{}"} | AT,
            )
        row = message_row(kind="k", channel="email", payload={}, now=NOW)
        shape = (
            (OutboxMessage.__table__, tuple(row), 1),
            (AuditPending.__table__, ("actor", "action", "request_ref", "data", "accepted_at"), 1),
        )
        sql, _binds = _joined(shape).driver_form(db.engine.dialect)
        assert sql is not None and sql.startswith("WITH")
        raw, created = db.session.execute(
            text("SELECT payload, created_at AT TIME ZONE 'UTC' FROM outbox")
        ).one()
        msg = db.session.scalars(select(OutboxMessage)).one()
        assert b"zs@ex.cn" not in bytes(raw)
        assert json.loads(msg.payload) == {"to": "zs@ex.cn"}
        assert created == datetime(2026, 12, 1, 10, 0)
        assert db.session.scalar(select(AuditPending.action)) == "test.a"
        db.session.rollback()
        # no such request: the foreign key refuses it
        with pytest.raises(IntegrityError), db.unit_of_work() as s:
            enqueue(s, kind="k", channel="email", payload={}, now=NOW, request_id=999)
            insert_at_commit(
                s,
                AuditPending.__table__,
                {"actor": "system", "action": "x", "request_ref": None, "data": "{}"} | AT,
            )


def test_a_column_default_of_sqlalchemys_own_takes_its_execution(app):
    # Rows that leave out a column with a Python-side default (an outbox message's status)
    # need SQLAlchemy to fill it in: the driver-text form steps aside for them.
    from pirights.audit.models import AuditPending
    from pirights.database import _joined, insert_at_commit
    from pirights.extensions import db
    from pirights.outbox.models import OutboxMessage

    keys = ("kind", "channel", "payload", "next_attempt_at", "created_at", "updated_at")
    keys += ("retry_window_from",)
    row = dict.fromkeys(keys, NOW) | {"kind": "k", "channel": "email", "payload": "{}"}
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        with db.unit_of_work() as s:
            insert_at_commit(s, OutboxMessage.__table__, row)
            insert_at_commit(
                s,
                AuditPending.__table__,
                {"actor": "system", "action": "test.b", "request_ref": None, "data": "{}"} | AT,
            )
        status, attempts = db.session.execute(
            select(OutboxMessage.status, OutboxMessage.attempts)
        ).one()
        shape = (
            (OutboxMessage.__table__, keys, 1),
            (AuditPending.__table__, ("actor", "action", "request_ref", "data", "accepted_at"), 1),
        )
        fallback = _joined(shape).driver_form(db.engine.dialect) if postgres else (None, [])
    assert (status, attempts) == ("pending", 0)
    assert fallback == (None, [])


def test_rows_of_a_table_naming_different_columns_go_one_by_one(app):
    from pirights.audit.models import AuditPending
    from pirights.database import insert_at_commit
    from pirights.extensions import db

    with app.app_context():
        with db.unit_of_work() as s:
            base = {"actor": "system", "action": "test.a", "data": "{}"} | AT
            insert_at_commit(s, AuditPending.__table__, base)
            insert_at_commit(s, AuditPending.__table__, base | {"request_ref": "PIR-1"})
        rows = db.session.execute(
            select(AuditPending.request_ref).order_by(AuditPending.id)
        ).scalars()
        assert list(rows) == [None, "PIR-1"]


def test_a_bulk_of_queued_rows_still_goes_through_its_column_types(app):
    # From COPY_THRESHOLD rows on, PostgreSQL could take them by COPY, which would skip the
    # encrypting payload column: such a table's rows must go as an INSERT instead.
    from pirights.database import COPY_THRESHOLD
    from pirights.extensions import db
    from pirights.outbox.service import enqueue

    n = COPY_THRESHOLD + 10
    with app.app_context():
        with db.unit_of_work() as s:
            for i in range(n):
                enqueue(s, kind="k", channel="email", payload={"to": f"p{i}@ex.cn"}, now=NOW)
        raw = db.session.execute(text("SELECT payload FROM outbox ORDER BY id")).scalars().all()
    assert len(raw) == n
    assert not any(b"@ex.cn" in bytes(p) for p in raw)


# --- insert_soon: the id at once, the row with the unit of work's queued rows ------------


def _statements(engine, into: list):
    """Record (statement, autocommit?) of each statement `engine` executes."""

    def listen(conn, _cursor, statement, *_rest):
        if statement.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE (database.py)
            return
        driver = conn.connection.driver_connection
        into.append((statement, bool(getattr(driver, "autocommit", False))))

    event.listen(engine, "before_cursor_execute", listen)
    return lambda: event.remove(engine, "before_cursor_execute", listen)


def test_insert_soon_and_queued_rows_are_one_statement_without_a_transaction(app):
    from pirights.database import ID_BLOCK, insert_soon
    from pirights.extensions import db
    from pirights.outbox.service import enqueue

    statements: list[tuple[str, bool]] = []
    with app.app_context():
        engine = db.engine
        postgres = engine.dialect.name == "postgresql"
        # the first unit of work of a process reserves ids (a query of its own)
        with db.unit_of_work() as s:
            insert_soon(s, new_request("PIR-00000-00000"))
        stop = _statements(engine, statements)
        try:
            with db.unit_of_work() as s:
                req = new_request("PIR-GGGGG-HHHHH")
                insert_soon(s, req)
                assert req.id is not None  # known at once: rows can refer to it
                enqueue(s, kind="k", channel="email", payload={}, now=NOW, request_id=req.id)
                req.identity_verified = True  # a change before the commit is written too
        finally:
            stop()
        assert req in db.session and not db.session.dirty  # as loaded, after the commit
        row = db.session.execute(
            text(
                "SELECT r.identity_verified, o.request_id"
                " FROM requests r JOIN outbox o ON o.request_id = r.id"
            )
        ).one()
    assert row == (True, req.id)
    if postgres:
        # one statement, in autocommit: no BEGIN, no COMMIT, no second round trip
        assert len(statements) == 1 and statements[0][0].startswith("WITH")
        assert statements[0][1] is True
        assert ID_BLOCK > 1
    else:
        # SQLite: insert_now, the change, then the queued row at commit
        assert [s.split()[0] for s, _ in statements] == ["INSERT", "UPDATE", "INSERT"]


@pytest.mark.postgres_only
def test_queued_rows_alone_are_one_statement_without_a_transaction(app):
    # A unit of work that only records (a staff view's event, the audited-writes
    # benchmark's writer) is one statement in autocommit too (SQLite records inline).
    from pirights.audit.recorder import record
    from pirights.extensions import db

    statements: list[tuple[str, bool]] = []
    with app.app_context():
        stop = _statements(db.engine, statements)
        try:
            with db.unit_of_work() as s:
                record(s, actor="system", action="test.alone", data={"n": 1})
        finally:
            stop()
    mine = [(sql.split()[0], auto) for sql, auto in statements if "audit_pending" in sql]
    assert mine[0] == ("INSERT", True)  # sent in autocommit: no BEGIN, no COMMIT


def test_the_connection_transacts_again_after_an_autocommit_unit_of_work(app):
    # The one-statement unit of work borrows a connection in autocommit; the pool must get
    # it back transactional, or a later failing unit of work would leave half its writes.
    from pirights.database import insert_soon
    from pirights.extensions import db

    with app.app_context():
        for n in range(3):
            with db.unit_of_work() as s:
                insert_soon(s, new_request(f"PIR-JJJJJ-0000{n}"))
        try:
            with db.unit_of_work() as s:
                insert_now(s, new_request("PIR-JJJJJ-KKKKK"))
                raise RuntimeError("the cause failed")
        except RuntimeError:
            pass
        refs = db.session.scalars(select(Request.reference).order_by(Request.reference))
    assert list(refs) == ["PIR-JJJJJ-00000", "PIR-JJJJJ-00001", "PIR-JJJJJ-00002"]


@pytest.mark.parametrize("flush_early", [False, True], ids=["at-commit", "flushed-early"])
def test_insert_soon_with_orm_changes_that_refer_to_it(app, flush_early):
    # A complaint's track is an ORM object pointing at the request: the request goes
    # first, then the flush, then the queued rows, in one transaction. A hook that
    # flushes earlier to learn its own row's id (an uploaded file) must find the request
    # written already.
    from pirights.complaints.models import ComplaintTrack
    from pirights.database import insert_soon
    from pirights.extensions import db

    with app.app_context():
        with db.unit_of_work() as s:
            req = new_request("PIR-YYYYY-ZZZZZ" if flush_early else "PIR-LLLLL-MMMMM")
            req.type = "complaint_portrait"
            insert_soon(s, req)
            s.add(ComplaintTrack(request_id=req.id, measure_due_at=NOW))
            if flush_early:
                s.flush()
                assert req in s  # written and attached by the flush
                req.identity_verified = True  # from here an ordinary UPDATE
        track = db.session.get(ComplaintTrack, req.id)
        assert track is not None and track.request_id == req.id
        row = db.session.execute(
            text("SELECT identity_verified FROM requests WHERE id = :i"), {"i": req.id}
        ).scalar_one()
        assert bool(row) is flush_early


def test_a_rolled_back_insert_soon_writes_nothing_and_reuses_no_id(app):
    from pirights.database import ID_BLOCK, insert_soon
    from pirights.extensions import db

    ids = []
    with app.app_context():
        try:
            with db.unit_of_work() as s:
                req = new_request("PIR-NNNNN-PPPPP")
                insert_soon(s, req)
                ids.append(req.id)
                raise RuntimeError("the cause failed")
        except RuntimeError:
            pass
        # more than a block, so ids are reserved again on the way
        for n in range(ID_BLOCK + 2):
            with db.unit_of_work() as s:
                req = new_request(f"PIR-QQQQQ-{n:05d}")
                insert_soon(s, req)
                ids.append(req.id)
        count = db.session.execute(text("SELECT count(*) FROM requests")).scalar_one()
        stored = set(db.session.scalars(select(Request.id)))
        postgres = db.engine.dialect.name == "postgresql"
    assert count == ID_BLOCK + 2
    assert stored == set(ids[1:])
    if postgres:  # reserved from the sequence: never handed out twice
        assert len(set(ids)) == len(ids)


def test_psycopg_caches_the_conversion_of_a_submission_statement(app, client, uncached_conversions):
    # A public submission's statement has ~70 parameters, past psycopg's default limit
    # for caching its placeholder conversion (database._cache_statements_with_many_parameters).
    from pirights.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return
    body = {
        "type": "delete",
        "requester": {"name": "张三", "email": "zs@example.cn"},
        "description": "Delete my chat history.",
    }
    assert client.post("/api/v1/public/requests", json=body).status_code == 201
    parsed = uncached_conversions()
    assert client.post("/api/v1/public/requests", json=body).status_code == 201
    assert not [q for q in parsed if q.startswith(b"WITH")]


def test_after_commit_the_transactions_connection_is_offered_transactional(app):
    # The writer that sequences its own events (audit.sequencing = "after_commit") reuses
    # its transaction's connection, which must transact, or the sequencer's transaction
    # would be none. A lone statement's unit of work (PostgreSQL) held none: the group
    # writer's connection went back to the pool, and the sequencer takes its own.
    from sqlalchemy.orm import Session

    from pirights.audit.recorder import record
    from pirights.database import insert_soon, transaction_connection
    from pirights.extensions import db

    offered: list = []

    def after_commit(session):
        conn = transaction_connection(session)
        offered.append(conn and getattr(conn.connection.driver_connection, "autocommit", False))

    with app.app_context():
        event.listen(Session, "after_commit", after_commit)
        try:
            with db.unit_of_work() as s:  # reserves ids: a transaction of its own
                insert_soon(s, new_request("PIR-RRRRR-00000"))
            with db.unit_of_work() as s:
                insert_soon(s, new_request("PIR-RRRRR-SSSSS"))
                record(s, actor="system", action="test.lone")
            with db.unit_of_work() as s:
                s.add(new_request("PIR-TTTTT-VVVVV"))
                record(s, actor="system", action="test.transaction")
        finally:
            event.remove(Session, "after_commit", after_commit)
        lone = None if db.engine.dialect.name == "postgresql" else False
    # a transactional connection (False) or none (None), never one in autocommit (True)
    assert offered[1:] == [lone, False]


def test_a_written_object_knows_its_unset_columns_without_a_query(app):
    # Columns left unset were written as NULL (or their default) and are held so: reading
    # them after the commit needs no refresh of the row.
    from pirights.database import insert_soon
    from pirights.extensions import db

    statements: list[tuple[str, bool]] = []
    with app.app_context():
        with db.unit_of_work() as s:
            req = new_request("PIR-WWWWW-XXXXX")
            insert_soon(s, req)
        stop = _statements(db.engine, statements)
        try:
            assert req.closed_at is None and req.outcome_result is None
            assert req.version == 1 and req.identity_verified is False
        finally:
            stop()
    assert statements == []


def test_an_object_its_caller_is_done_with_stays_out_of_the_session(app):
    # keep=False (the public API, which answers from what it noted before the commit):
    # a lone statement does not attach the written request, sparing the session's
    # cascade walk; the row is written all the same.
    from pirights.database import insert_soon
    from pirights.extensions import db
    from pirights.outbox.service import enqueue

    with app.app_context():
        with db.unit_of_work() as s:  # reserves ids: a transaction of its own
            insert_soon(s, new_request("PIR-UUUUU-00000"))
        with db.unit_of_work() as s:
            req = new_request("PIR-UUUUU-WWWWW")
            insert_soon(s, req, keep=False)
            enqueue(s, kind="k", channel="email", payload={}, now=NOW, request_id=req.id)
        kept = req in db.session
        postgres = db.engine.dialect.name == "postgresql"
        stored = db.session.execute(
            text("SELECT id FROM requests WHERE reference = 'PIR-UUUUU-WWWWW'")
        ).scalar_one()
    assert stored == req.id
    assert kept is not postgres  # SQLite writes it at once (insert_now), kept
