"""The engine, the per-request session and the unit-of-work helper.

Services own their transactions through `unit_of_work()`: one commit per unit of work,
rollback on any exception, so a failed request never leaves a half-written record.
"""

from __future__ import annotations

import collections
import functools
import logging
import os
import re
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, g
from sqlalchemy import (
    DateTime,
    MetaData,
    Table,
    bindparam,
    cast,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
    union_all,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
from sqlalchemy.types import TypeDecorator

# The largest id an INTEGER primary key holds on PostgreSQL (SQLite's reach 2**63 - 1). Ids
# from paths or arguments are checked against it first, so an absurd id is "not found"
# instead of a driver error ("integer out of range", OverflowError) surfacing as a 500.
MAX_ROW_ID = 2**31 - 1

log = logging.getLogger(__name__)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every model; constraint names are stable for Alembic."""

    metadata = MetaData(naming_convention=NAMING)


RowT = TypeVar("RowT", bound=Base)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on both databases (SQLite keeps no offset of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Store UTC; naive values are refused because they hide a time-zone bug."""
        if value is None:
            return None
        zone = value.tzinfo
        if zone is not UTC:  # most values come from clock.now(), in UTC already
            if zone is None:
                raise ValueError("naive datetime given to a UTCDateTime column")
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        """Return an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def normalise_url(url: str) -> str:
    """Accept postgresql:// for psycopg 3 as well as postgresql+psycopg://."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def private_sqlite_file(url: str) -> None:
    """Make a SQLite database file readable by its owner only (0600), created so if new.

    SQLite creates a database with the process umask (usually 0644: world-readable), and
    its -wal and -shm files copy the database file's mode. Creating the file empty with
    0600 first (SQLite treats an empty file as a new database) keeps all three private;
    files left by an older version lose their group and other bits. A URL without a file
    (memory) or in a directory that does not exist is left for SQLite to refuse.
    """
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return
    path = Path(parsed.database)
    if not path.parent.is_dir():
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            if name.exists() and name.stat().st_mode & 0o077:
                name.chmod(0o600)
    except OSError:
        log.warning("could not make %s private (mode 0600)", path, exc_info=True)


def make_engine(url: str, pool_size: int = 5) -> Engine:
    """Create the engine with the per-dialect settings the app relies on; `pool_size`
    connections are kept (one per server thread), a few more opened when needed."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        private_sqlite_file(url)
        engine = create_engine(url, connect_args={"timeout": 30})
        _sqlite_serial_transactions(engine)
        return engine
    engine = create_engine(url, pool_size=pool_size, max_overflow=4)
    _ping_when_idle(engine, IDLE_PING_SECONDS)
    _cache_statements_with_many_parameters()
    return engine


# psycopg converts a statement's %(name)s placeholders to $n by parsing its text, and
# caches the result only for statements of at most 50 parameters and 4 KB (psycopg
# discussion 628: ORMs' multi-row VALUES of ever-changing sizes filled the cache). A public
# submission's one statement has about 70 and was parsed anew each time: 125 µs, a twelfth
# of its CPU (issue 17, README), and the group writer's statements are several of those.
# Our statements have fixed shapes (database._joined), so higher limits are safe; the
# cache's size (128 entries) still bounds its memory (at most 128 × 64 KB).
STATEMENT_PARAMETERS_CACHED = 2048
STATEMENT_LENGTH_CACHED = 65536


def _cache_statements_with_many_parameters() -> None:
    """Let psycopg cache the conversion of statements of up to STATEMENT_PARAMETERS_CACHED
    parameters and STATEMENT_LENGTH_CACHED bytes (tests/test_insert_now.py checks it)."""
    from psycopg import _queries

    if getattr(_queries, "MAX_CACHED_STATEMENT_PARAMS", None) is not None:
        _queries.MAX_CACHED_STATEMENT_PARAMS = max(
            _queries.MAX_CACHED_STATEMENT_PARAMS, STATEMENT_PARAMETERS_CACHED
        )
    if getattr(_queries, "MAX_CACHED_STATEMENT_LENGTH", None) is not None:
        _queries.MAX_CACHED_STATEMENT_LENGTH = max(
            _queries.MAX_CACHED_STATEMENT_LENGTH, STATEMENT_LENGTH_CACHED
        )


# A pooled connection unused for longer than this is checked (a round trip) before it is
# handed out; one used more recently is trusted. SQLAlchemy's pool_pre_ping checked every
# one, which cost a round trip per request. If the server restarted within this window, the
# next query fails, SQLAlchemy discards the pool's connections, and that request is the
# usual 503 with Retry-After (errors.py); the ones after it reconnect.
IDLE_PING_SECONDS = 1.0


def _ping_when_idle(engine: Engine, seconds: float) -> None:
    """Pre-ping only connections that sat in the pool longer than `seconds`."""

    @event.listens_for(engine, "connect")
    def _fresh(_dbapi_conn, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn, record):
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_conn, record, _proxy):
        since = record.info.get("idle_since")
        if since is not None and time.monotonic() - since < seconds:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            raise DisconnectionError("the pooled connection is gone") from exc
        if not alive:
            raise DisconnectionError("the pooled connection is gone")


def _sqlite_serial_transactions(engine: Engine) -> None:
    """Make every SQLite transaction BEGIN IMMEDIATE, with WAL and foreign keys.

    pysqlite begins transactions lazily and upgrades read locks to write locks mid-way,
    which deadlocks concurrent writers (SQLITE_BUSY without waiting). Taking the write
    lock up front serialises units of work, which the embedded database is for anyway.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """Holds the engine and hands out one session per application context."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self._factory: sessionmaker[Session] | None = None
        # Names the database in process-wide caches (a process may serve several apps).
        self.key = ""

    def init_app(self, app: Flask, url: str, pool_size: int = 5) -> None:
        """Bind to `url` and close the context's session when the context ends."""
        self.engine = make_engine(url, pool_size)
        self.key = self.engine.url.render_as_string(hide_password=True)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)
        app.extensions["pirights_db"] = self
        app.teardown_appcontext(self._teardown)

    @property
    def session(self) -> Session:
        """The session of the current application context, created on first use."""
        sess = g.get("_pirights_session")
        if sess is None:
            assert self._factory is not None, "Database.init_app was not called"
            sess = g._pirights_session = self._factory()
        return sess

    def _teardown(self, _exc: BaseException | None) -> None:
        """Close (and so roll back) whatever the context left open; never raise.

        The response is already decided when this runs. On a connection the server has
        dropped (PostgreSQL restarting) the rollback inside close() can fail; raising here
        would replace the response with the WSGI server's own HTML 500, so the failure is
        logged and the connection discarded instead.
        """
        sess = g.pop("_pirights_session", None)
        if sess is None:
            return
        try:
            sess.close()
        except Exception:
            log.warning("closing the database session failed; discarding it", exc_info=True)
            try:
                sess.invalidate()
            except Exception:
                log.warning("discarding the database session failed", exc_info=True)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction: commit when the block ends, roll back if it raises."""
        sess = self.session
        if sess.in_transaction():
            # Reads earlier in the request (e.g. authentication) end here, so the unit
            # of work starts its own transaction and sees current data.
            sess.commit()
        try:
            yield sess
            sess.commit()
        except BaseException:
            sess.rollback()
            raise


def insert_now(s: Session, obj: Base) -> None:
    """INSERT a new object at once with one Core statement and keep it in `s` as loaded.

    For a row a hot path creates and goes on using (a public submission's request): the
    ORM's flush plans, sorts and fires events per object and measured three times the CPU
    of the statement itself (issue 17, README). Only column attributes are written:
    unset ones take their column's scalar default, else NULL; the generated primary key
    is read back and a version counter starts at 1, so the object needs no reload.
    Relationships set on `obj` are not saved; set foreign key columns instead.
    """
    plan = _insert_plan(type(obj))
    row = s.execute(plan.statement, plan.values(obj)).one()
    for key, value in zip(plan.returning, row, strict=True):
        setattr(obj, key, value)
    make_transient_to_detached(obj)
    s.add(obj)


class _InsertPlan:
    """What insert_now needs of a mapped class, worked out once."""

    def __init__(self, cls: type) -> None:
        mapper = inspect(cls)
        table = mapper.local_table
        # (attribute, column name, value when unset, read back from the database)
        self.columns: list[tuple[str, str, object, bool]] = []
        generated = []
        for attr in mapper.column_attrs:
            column = attr.columns[0]
            auto = column.primary_key and column.autoincrement in (True, "auto")
            default = None
            if column is mapper.version_id_col:
                default = 1
            elif column.default is not None and column.default.is_scalar:
                default = column.default.arg
            self.columns.append((attr.key, column.name, default, auto))
            if auto:
                generated.append((attr.key, column))
        if not generated:
            raise TypeError(f"insert_now needs a generated primary key; {cls.__name__} has none")
        self.table = table
        self.returning = [key for key, _ in generated]
        # Built once: SQLAlchemy then reuses its compiled form without walking a new
        # statement for its cache key.
        self.statement = insert(table).returning(*(column for _, column in generated))

    def values(self, obj: Base) -> dict[str, Any]:
        """The row of `obj`, defaults filled in; generated keys left out while unset.

        Every column written is also held on the object, NULLs included, so that once
        attached as loaded it knows its whole row: reading an unset column later is not a
        refresh query, and attaching has fewer attributes to expire."""
        values = {}
        held = obj.__dict__  # a transient object's values: no attribute events needed
        for key, name, default, generated in self.columns:
            value = held.get(key)
            if value is None:
                if generated:
                    continue
                value = held[key] = default
            values[name] = value
        return values


@functools.cache
def _insert_plan(cls: type) -> _InsertPlan:
    """The insert plan of a mapped class."""
    return _InsertPlan(cls)


# session.info keys: rows to INSERT when the unit of work commits (insert_at_commit), and
# objects to INSERT first (insert_soon)
AT_COMMIT = "pirights.insert_at_commit"
FIRST = "pirights.insert_soon"
# session.info key: objects of FIRST their caller is done with at commit (keep=False)
UNKEPT = "pirights.insert_soon.unkept"
# session.info key: (the root transaction that has a connection, that connection)
CONNECTED = "pirights.connected"
# From this many rows, insert_rows uses COPY on PostgreSQL where it can.
COPY_THRESHOLD = 50
# Ids insert_soon reserves from a table's sequence per round trip. The unit of work that
# reserves runs in a transaction (no lone statement), so a small block cost a submission
# in sixteen two more round trips; a process that stops leaves at most this many unused.
ID_BLOCK = 64


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows naming the same columns, in the connection's transaction.

    On PostgreSQL a batch of COPY_THRESHOLD rows or more goes by COPY when none of its
    columns converts values in Python (COPY would skip an encrypting or UTC column type);
    otherwise one INSERT with the rows as parameter sets.
    """
    columns = list(rows[0])
    if (
        conn.dialect.name == "postgresql"
        and len(rows) >= COPY_THRESHOLD
        and not any(table.c[c].type.bind_processor(conn.dialect) for c in columns)
    ):
        driver = conn.connection.driver_connection
        with (
            driver.cursor() as cur,  # type: ignore[union-attr]
            cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row([row[c] for c in columns])
        return
    conn.execute(insert(table), rows)


def insert_at_commit(s: Session, table: Table, values: dict[str, Any]) -> None:
    """Queue one row to INSERT as the unit of work commits, with every other queued row.

    For rows nothing in the transaction reads back (a code's hash, an outbox message, an
    accepted audit event): on PostgreSQL all of a transaction's queued rows go in one
    statement (an INSERT per table, joined as data-modifying CTEs), so a public submission
    pays one round trip for its code, receipt and events instead of three. ORM changes are
    flushed first, so a queued row may refer to them, and to objects queued by insert_soon
    (foreign keys are checked when the whole statement ends). A table's rows are inserted
    in the order queued, and should name the same columns (else they go one by one).
    """
    if not s.in_transaction():
        s.begin()  # so that a rollback before any statement still clears the queue
    s.info.setdefault(AT_COMMIT, {}).setdefault(table, []).append(values)


def new_row(cls: type[RowT], **values: Any) -> RowT:
    """A new, transient object of a mapped class holding these column values, as
    `cls(**values)` makes it but without an attribute event per column (24 µs for a
    request, against 1 µs: issue 17). For a hot path's row on its way to insert_soon or
    insert_now; changes made to it afterwards are tracked as usual."""
    obj = inspect(cls).class_manager.new_instance()
    obj.__dict__.update(values)
    return obj


def insert_soon(s: Session, obj: Base, *, keep: bool = True) -> None:
    """Give a new object its id now and INSERT it as the unit of work commits, before its
    ORM changes and with the rows insert_at_commit queued.

    For the row a hot path creates and refers to (a public submission's request): its id
    is drawn from the table's own sequence, ID_BLOCK at a time per process, so rows that
    refer to it can be queued at once. Its row is read from the object when written: at
    the unit of work's first flush of ORM changes (which may refer to it) or else at
    commit, so the object may still change until then, and queries do not see it before;
    once written it is in the session, as loaded. A unit of work that only queued
    rows is one statement on PostgreSQL, sent without BEGIN and COMMIT (_insert_queued).
    Elsewhere (SQLite), insert_now.
    Relationships set on `obj` are not saved; set foreign key columns instead.

    `keep=False` says the caller is done with `obj` once the unit of work commits (the
    public API answers from what it noted before): a lone statement then leaves it out
    of the session, whose save-update cascade over a request's relationships cost 5 % of
    a public submission's CPU (issue 17). It may still be kept (SQLite, a flush).
    """
    if s.get_bind().dialect.name != "postgresql":
        insert_now(s, obj)
        return
    plan = _insert_plan(type(obj))
    (key,) = plan.returning
    setattr(obj, key, _reserved_id(s, plan.table, plan.table.c[key]))
    if not s.in_transaction():
        s.begin()
    s.info.setdefault(FIRST, []).append(obj)
    if not keep:
        s.info.setdefault(UNKEPT, []).append(obj)


# engine -> table name -> ids drawn from the table's sequence and not used yet
_reserved: weakref.WeakKeyDictionary[Engine, dict[str, collections.deque[int]]] = (
    weakref.WeakKeyDictionary()
)
_reserving = threading.Lock()


def engine_of(s: Session) -> Engine:
    """The engine a session works through (its bind, or its bound connection's engine)."""
    bind = s.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _reserved_id(s: Session, table: Table, column: Any) -> int:
    """The next of this process's reserved ids of `table`, reserving ID_BLOCK more when
    none is left. Ids are unique but not in commit order, as a sequence's never were."""
    with _reserving:
        ids = _reserved.setdefault(engine_of(s), {}).setdefault(table.name, collections.deque())
        if ids:
            return ids.popleft()
    drawn = s.execute(
        select(func.nextval(func.pg_get_serial_sequence(table.name, column.name))).select_from(
            func.generate_series(1, ID_BLOCK)
        )
    ).scalars()
    first, *rest = drawn
    with _reserving:
        ids.extend(rest)
    return first


@event.listens_for(Session, "after_begin")
def _connected(session: Session, _transaction: Any, connection: Connection) -> None:
    """Note that the session's transaction holds a connection (has begun on the server),
    so _insert_queued knows whether its statement could be the whole unit of work."""
    session.info[CONNECTED] = (session.get_transaction(), connection)


def transaction_connection(session: Session) -> Connection | None:
    """The connection the session's current (or just committed) transaction took, if any."""
    held = session.info.get(CONNECTED)
    return held[1] if held is not None and held[0] is session.get_transaction() else None


@contextmanager
def autocommit(conn: Connection) -> Iterator[None]:
    """Run the block's statements in autocommit on `conn`, whose transaction has sent
    nothing yet; the driver is transactional again afterwards, so the session's COMMIT
    (and the pool's rollback) find no transaction and send nothing.

    Set on the driver's connection rather than as SQLAlchemy's isolation_level option,
    whose switch and reset on each checkout cost more than the rest of the commit's
    bookkeeping (issue 17). The sequencer's queue check uses it too (audit/sequencer.py).
    """
    driver = conn.connection.driver_connection
    driver.autocommit = True  # type: ignore[union-attr]
    try:
        yield
    finally:
        # A connection lost meanwhile was closed and is discarded by SQLAlchemy.
        if not driver.closed:  # type: ignore[union-attr]
            driver.autocommit = False  # type: ignore[union-attr]


@event.listens_for(Session, "before_commit")
def _insert_queued(session: Session) -> None:
    """Write the objects insert_soon queued and the rows insert_at_commit queued, as the
    transaction's last statements.

    When they are the whole unit of work on PostgreSQL (no statement ran before, no ORM
    change is pending), they are one statement in autocommit, shared with the process's
    other units of work committing at the same moment (GroupWriter): a single statement is
    atomic by itself, and a public submission pays one round trip instead of four (BEGIN,
    its request, its queued rows, COMMIT), or a part of one. Otherwise: the objects, the
    ORM flush, then the rows, in one transaction.
    """
    objects: list[Base] | None = session.info.pop(FIRST, None)
    unkept: list[Base] = session.info.pop(UNKEPT, [])
    tables: dict[Table, list[dict[str, Any]]] | None = session.info.pop(AT_COMMIT, None)
    if not objects and not tables:
        return
    objects, tables = objects or [], tables or {}
    first = _rows_of(objects)
    alone = (
        session.get_bind().dialect.name == "postgresql"
        and transaction_connection(session) is None
        and not (session.new or session.dirty or session.deleted)
    )
    if alone:
        for table, rows in tables.items():
            first[table] = first.get(table, []) + rows
        group_writer(engine_of(session)).write(first)
        _attach(session, [obj for obj in objects if all(obj is not u for u in unkept)])
        return
    if first:
        _write(session.connection(), first)
        _attach(session, objects)
    session.flush()
    if tables:
        _write(session.connection(), tables)


class _Waiting:
    """A lone unit of work's rows, waiting for the group writer (below)."""

    __slots__ = ("done", "error", "tables")

    def __init__(self, tables: dict[Table, list[dict[str, Any]]]) -> None:
        self.tables = tables
        self.done = False
        self.error: BaseException | None = None


# Units of work in one statement at most: a worker's threads (8 by default) rarely queue
# more, and a public submission's statement is 3.5 KB and 69 parameters.
GROUP_MAX = 16


class GroupWriter:
    """Writes the lone statements of a process's concurrent units of work as one.

    Group commit, as PostgreSQL does with its WAL and the sequencer with events: the first
    unit of work to arrive writes; those arriving meanwhile wait and go together in the next
    statement, written by the first of them. Nobody waits for company: a writer takes what
    is queued when it starts. Under load a worker's threads meet here three or four at a
    time, and each saves its own execution, connection checkout and commit (issue 17).

    Each unit of work stays atomic: its rows are in one statement, with or without others.
    If that statement is refused for a reason in its rows (a constraint, a value the driver
    or the server would not take), nothing of it was written, and each unit of work is
    written again alone, so one bad row fails only its own unit of work. A lost or broken
    connection (OperationalError, InterfaceError), which may have lost only the
    acknowledgement of a commit, is every waiting unit of work's error: retrying could write
    one twice.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cond = threading.Condition()
        self._queue: list[_Waiting] = []
        self._writing = False

    def write(self, tables: dict[Table, list[dict[str, Any]]]) -> None:
        """Write a unit of work's rows, with whatever others are waiting; raise its error."""
        mine = _Waiting(tables)
        with self._cond:
            self._queue.append(mine)
        while not mine.done:
            with self._cond:
                while self._writing and not mine.done:
                    self._cond.wait()
                if mine.done:
                    break
                # The longest waiting first; past GROUP_MAX, ours may be left for the next
                # statement, which we write then, if nobody has.
                self._writing = True
                batch, self._queue = self._queue[:GROUP_MAX], self._queue[GROUP_MAX:]
            try:
                self._write_batch(batch)
            except BaseException as exc:
                for waiting in batch:
                    waiting.error = waiting.error or exc
                if any(waiting is mine for waiting in batch):
                    raise
                if not isinstance(exc, Exception):  # leaving: take ours out of the queue
                    with self._cond:
                        self._queue = [w for w in self._queue if w is not mine]
                    raise
                # The others' failure, not ours: ours is still queued, written next.
            finally:
                with self._cond:
                    for waiting in batch:
                        waiting.done = True
                    self._writing = False
                    self._cond.notify_all()
        if mine.error is not None:
            raise mine.error

    def _write_batch(self, batch: list[_Waiting]) -> None:
        """One statement for the batch where it can be; else each alone."""
        merged: dict[Table, list[dict[str, Any]]] = {}
        for waiting in batch:
            for table, rows in waiting.tables.items():
                merged.setdefault(table, []).extend(rows)
        if len(batch) == 1 or not _one_statement(merged):
            for waiting in batch:
                self._write_alone(waiting)
            return
        try:
            self._write_statement(merged)
        except (OperationalError, InterfaceError):
            raise  # it may have committed: every waiting unit's error (write)
        except Exception:
            # Refused before anything was written (a constraint, a value the driver or the
            # server would not take): each alone, so the error is its unit's own.
            for waiting in batch:
                self._write_alone(waiting)

    def _write_alone(self, waiting: _Waiting) -> None:
        """One unit of work's rows; its error is its own."""
        try:
            self._write_tables(waiting.tables)
        except Exception as exc:
            waiting.error = exc

    def _write_tables(self, tables: dict[Table, list[dict[str, Any]]]) -> None:
        """The rows as one statement in autocommit, or in a transaction if they need more."""
        if _one_statement(tables):
            self._write_statement(tables)
            return
        with self.engine.begin() as conn:
            _write(conn, tables)

    def _write_statement(self, tables: dict[Table, list[dict[str, Any]]]) -> None:
        """Rows that are one statement (_one_statement), in autocommit."""
        with self.engine.connect() as conn:
            with autocommit(conn):
                _write(conn, tables)
            # Sends nothing (the statement committed itself); ends SQLAlchemy's
            # transaction as a commit, for its events, rather than a rollback.
            conn.commit()


def _one_statement(tables: dict[Table, list[dict[str, Any]]]) -> bool:
    """Whether _write sends these rows (on PostgreSQL) as one statement: each table's
    rows name the same columns and are too few for COPY."""
    return all(len(rows) < COPY_THRESHOLD and _same_columns(rows) for rows in tables.values())


def _same_columns(rows: list[dict[str, Any]]) -> bool:
    """Whether every row names the columns of the first, in its order (one INSERT for all)."""
    keys = tuple(rows[0])
    return all(tuple(r) == keys for r in rows)


_writers: weakref.WeakKeyDictionary[Engine, GroupWriter] = weakref.WeakKeyDictionary()
_creating_writer = threading.Lock()


def group_writer(engine: Engine) -> GroupWriter:
    """The process's group writer for `engine` (one, or its units of work would not meet)."""
    found = _writers.get(engine)  # every lone commit asks: no lock once it exists
    if found is None:
        with _creating_writer:
            found = _writers.get(engine)
            if found is None:
                found = _writers[engine] = GroupWriter(engine)
    return found


@event.listens_for(Session, "before_flush")
def _insert_first(session: Session, _context: Any, _instances: Any) -> None:
    """A flush before the commit (an explicit one, or a query's autoflush with ORM changes
    pending) writes the objects insert_soon queued first, since what it flushes may refer
    to them (an uploaded file's row to its request)."""
    objects: list[Base] | None = session.info.pop(FIRST, None)
    if objects:
        _write(session.connection(), _rows_of(objects))
        _attach(session, objects)


def _rows_of(objects: list[Base]) -> dict[Table, list[dict[str, Any]]]:
    """The rows of objects queued by insert_soon, by table."""
    rows: dict[Table, list[dict[str, Any]]] = {}
    for obj in objects:
        plan = _insert_plan(type(obj))
        rows.setdefault(plan.table, []).append(plan.values(obj))
    return rows


def _attach(session: Session, objects: list[Base]) -> None:
    """Put written objects in the session as loaded (later changes are UPDATEs)."""
    for obj in objects:
        make_transient_to_detached(obj)
        session.add(obj)


def _write(conn: Connection, tables: dict[Table, list[dict[str, Any]]]) -> None:
    """INSERT the rows of each table: on PostgreSQL all in one statement where they can."""
    together: list[tuple[Table, tuple[str, ...], list[dict[str, Any]]]] = []
    for table, rows in tables.items():
        keys = tuple(rows[0])
        if not _same_columns(rows):
            for row in rows:
                conn.execute(insert(table), row)
        elif conn.dialect.name != "postgresql" or len(rows) >= COPY_THRESHOLD:
            insert_rows(conn, table, rows)
        else:
            together.append((table, keys, rows))
    if together:
        shape = tuple((table, keys, len(rows)) for table, keys, rows in together)
        values = (
            value for _table, _keys, rows in together for row in rows for value in row.values()
        )
        joined = _joined(shape)
        sql, binds = joined.driver_form(conn.dialect)
        if sql is None:
            conn.execute(joined.statement, dict(zip(joined.names, values, strict=True)))
            return
        params = {
            name: value if bind is None else bind(value)
            for (name, bind), value in zip(binds, values, strict=True)
        }
        conn.exec_driver_sql(sql, params)


Shape = tuple[tuple[Table, tuple[str, ...], int], ...]


class _Joined:
    """One statement inserting rows of a shape (tables, their columns, their row counts),
    with what executing it needs, worked out once per shape (_joined).

    `statement` is cacheable, so SQLAlchemy compiles it once (a multi-row VALUES is not
    cacheable and was compiled at every commit). Several rows of a table are one INSERT …
    SELECT … UNION ALL SELECT …, which inserts them, and draws their ids, in order.
    Parameters are named p<table>_<row>_<column> (`names`, in the rows' order) and typed as
    their columns (encryption)."""

    def __init__(self, shape: Shape) -> None:
        parts = []
        for n, (table, keys, count) in enumerate(shape):
            if count == 1:
                parts.append(insert(table).values({k: _param(n, 0, table, k) for k in keys}))
                continue
            # Typed: a SELECT's parameter has no column to take its type from, and a union
            # of them is text, which a bytea column (encrypted) refuses.
            rows = [
                select(*(cast(_param(n, r, table, k), table.c[k].type).label(k) for k in keys))
                for r in range(count)
            ]
            parts.append(insert(table).from_select(list(keys), union_all(*rows)))
        *first, last = parts
        self.statement = (
            last.add_cte(*(part.cte(f"q{i}") for i, part in enumerate(first))) if first else last
        )
        self.names = [
            f"p{n}_{r}_{key}"
            for n, (_table, keys, count) in enumerate(shape)
            for r in range(count)
            for key in keys
        ]
        self._types = [
            table.c[key].type for table, keys, count in shape for _ in range(count) for key in keys
        ]
        self._driver: dict[Any, tuple[str | None, list[tuple[str, Any]]]] = {}

    def driver_form(self, dialect: Any) -> tuple[str | None, list[tuple[str, Any]]]:
        """The statement compiled once for `dialect` to the driver's text, with each
        parameter's name and bind processor (None for a value the driver takes as it is),
        in the rows' order.

        A submission's statement has ~70 parameters: executed as a compiled statement,
        SQLAlchemy rebuilt its parameter dictionary and looked up each converter at every
        execution, a tenth of a submission's CPU (issue 17). As driver text it runs through
        the same connection, events, logging and error translation, with the same column
        conversions (encryption, UTC) applied by _write. (None, []) when the compiled text
        has parameters of SQLAlchemy's own (a Python-side column default): those need its
        own execution."""
        found = self._driver.get(dialect)
        if found is None:
            sql = self.statement.compile(dialect=dialect).string
            if set(re.findall(r"%\((\w+)\)s", sql)) != set(self.names):
                found = (None, [])
            else:
                found = (
                    sql,
                    [
                        (name, type_.dialect_impl(dialect).bind_processor(dialect))
                        for name, type_ in zip(self.names, self._types, strict=True)
                    ],
                )
            self._driver[dialect] = found
        return found


def _param(n: int, r: int, table: Table, key: str) -> Any:
    """The parameter of table n's row r, column `key`, typed as the column."""
    return bindparam(f"p{n}_{r}_{key}", type_=table.c[key].type)


@functools.lru_cache(maxsize=256)
def _joined(shape: Shape) -> _Joined:
    """The statement of a shape and what executing it needs, built once per shape."""
    return _Joined(shape)


@event.listens_for(Session, "after_soft_rollback")
def _forget_queued(session: Session, _previous: Any) -> None:
    """A rolled-back unit of work's queued rows go with it. The soft event, because a unit
    of work that only queued rows used no connection, and rolling it back is then no
    "real" rollback (nothing here uses savepoints). Reserved ids are not given back: a
    sequence has gaps anyway."""
    session.info.pop(AT_COMMIT, None)
    session.info.pop(FIRST, None)
    session.info.pop(UNKEPT, None)
