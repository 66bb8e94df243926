"""The sequencer: moves accepted events into the hash chain, a batch at a time (SPEC §6, §11).

Accepting and sequencing are two steps, as in a transparency log (Trillian's queue and
sequencer). A change's transaction inserts its event into `audit_pending` and commits
with it, taking no shared lock. The sequencer, one at a time, takes committed pending
rows in `id` order, gives them `seq`, `at`, `prev_hash` and `hash`, inserts them into
`audit_events` and deletes them from the queue in one short transaction. So the only
serialised step is that transaction, and it handles everything that queued meanwhile.

Who sequences: the writer right after its commit (recorder.py; a try that gives up at
once if another process is sequencing), readers that need the whole chain (`catch_up`,
which waits for the sequencer), and `pirights audit sequence`. A holder re-checks the
queue after releasing, so an event whose writer gave up is never left behind.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, exists, func, select, text
from sqlalchemy.engine import Connection, Engine

from pirights import clock
from pirights.audit.chain import STORED_COLUMNS, canonical, hash_parts
from pirights.audit.models import AuditEvent, AuditHead, AuditPending
from pirights.database import COPY_THRESHOLD, autocommit, insert_rows

HEAD_ID = 1
BATCH = 2000
# pg_advisory_xact_lock key of the sequencer (per database): "pirights" in ASCII.
LOCK_KEY = int.from_bytes(b"pirights", "big") >> 1
PENDING = AuditPending.__table__
PENDING_COLUMNS = ("actor", "action", "request_ref", "data", "accepted_at")

# (actor, action, request_ref, data as canonical JSON text)
Item = tuple[str, str, str | None, str]


def format_at(moment: datetime) -> str:
    """UTC with microseconds and a Z, as §6 prescribes."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def data_text(data: Mapping[str, Any] | None) -> str:
    """`data` as the canonical JSON text that is stored and hashed.

    Round-trips once so it holds JSON values only (tuples become lists, keys strings).
    """
    return canonical(json.loads(canonical(dict(data or {}))))


def link(seq: int, prev: str, at: str, items: Iterable[Item]) -> list[dict[str, Any]]:
    """Chain items after the event (seq, prev): the rows to store, hashes computed."""
    rows: list[dict[str, Any]] = []
    for actor, action, request_ref, data in items:
        seq += 1
        digest = hash_parts(prev, seq, at, actor, action, request_ref, data)
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": actor,
                "action": action,
                "request_ref": request_ref,
                "data": data,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    return rows


CHAIN_AND_MOVE_HEAD = text(
    "WITH chained AS (INSERT INTO audit_events (seq, at, actor, action, request_ref, data, "
    "prev_hash, hash) SELECT CAST(e->>0 AS bigint), e->>1, e->>2, e->>3, e->>4, e->>5, "
    "e->>6, e->>7 FROM json_array_elements(CAST(:rows AS json)) AS t(e)) "
    f"UPDATE audit_head SET seq = :head_seq, hash = :head_hash, at = :head_at WHERE id = {HEAD_ID}"
)


def append(conn: Connection, items: Sequence[Item]) -> list[dict[str, Any]]:
    """Append items to the chain in the connection's transaction, holding the head row.

    The head row lock makes this the one serialised step; the caller commits. `at` never
    goes backwards along the chain, so a time window is a seq range.
    """
    if not items:
        return []
    head = conn.execute(
        select(AuditHead.seq, AuditHead.hash, AuditHead.at)
        .where(AuditHead.id == HEAD_ID)
        .with_for_update()
    ).one()
    at = max(format_at(clock.now()), head.at)
    rows = link(head.seq, head.hash, at, items)
    move_head = (
        AuditHead.__table__.update()
        .where(AuditHead.id == HEAD_ID)
        .values(seq=rows[-1]["seq"], hash=rows[-1]["hash"], at=at)
    )
    if conn.dialect.name == "postgresql" and len(rows) < COPY_THRESHOLD:
        # The events and the head in one statement: one round trip, and one text whatever
        # the batch's size (its rows one JSON parameter), so it is parsed once, not per
        # batch; arrays per column spent more in the driver's array dumper.
        table = [[r[c] for c in STORED_COLUMNS] for r in rows]
        conn.execute(
            CHAIN_AND_MOVE_HEAD,
            {
                "rows": json.dumps(table, ensure_ascii=False),
                "head_seq": rows[-1]["seq"],
                "head_hash": rows[-1]["hash"],
                "head_at": at,
            },
        )
        return rows
    insert_rows(conn, AuditEvent.__table__, rows)
    conn.execute(move_head)
    return rows


def _take_lock(conn: Connection, wait: bool) -> bool:
    """Become the sequencer for this transaction; False if another holds it (no wait).

    SQLite serialises every transaction already (BEGIN IMMEDIATE, see database.py).
    """
    if conn.dialect.name != "postgresql":
        return True
    if wait:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
        return True
    got = conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
    return bool(got.scalar())


def _move_batch(conn: Connection, batch: int) -> int:
    """Move up to `batch` committed pending events into the chain; how many moved.

    DELETE … RETURNING names exactly the rows taken, so an event committed meanwhile
    is neither deleted unsequenced nor sequenced twice; both steps commit together.
    """
    oldest = select(PENDING.c.id).order_by(PENDING.c.id).limit(batch).scalar_subquery()
    taken = conn.execute(
        delete(PENDING)
        .where(PENDING.c.id.in_(oldest))
        .returning(PENDING.c.id, *(PENDING.c[name] for name in PENDING_COLUMNS[:4]))
    ).all()
    taken.sort(key=lambda r: r.id)  # RETURNING has no order of its own
    append(conn, [(r.actor, r.action, r.request_ref, r.data) for r in taken])
    return len(taken)


def sequence_pending(
    bind: Engine | Connection, *, wait: bool = False, batch: int = BATCH, pause: float = 0.0
) -> int:
    """Sequence every committed pending event; returns how many this call moved.

    Without `wait`, gives up at once when another process is sequencing: that one
    re-checks the queue after it releases (below), so it picks up what it did not see.
    With `wait`, queues for the sequencer, so everything committed before the call is
    in the chain when it returns. `bind` is an engine, or a connection with no
    transaction open (the writer's own, just committed: no second pool checkout).
    `pause` waits that long before each second look, so that under load the next pass
    takes what queued meanwhile in one batch (the sequencer thread).
    """
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return _sequence(conn, wait, batch, pause)
    return _sequence(bind, wait, batch, pause)


def _sequence(conn: Connection, wait: bool, batch: int, pause: float = 0.0) -> int:
    """sequence_pending on one connection, one short transaction per batch."""
    total = 0
    while True:
        with conn.begin():
            if not _take_lock(conn, wait):
                return total
            moved = _move_batch(conn, batch)
        total += moved
        if moved == batch:
            continue
        # The lock is released. A writer that committed while it was held gave up on
        # the lock, so look again: this is what leaves no event behind.
        if pause:
            time.sleep(pause)
        if not _pending_left(conn):
            return total


def _pending_left(conn: Connection) -> bool:
    """Whether any event waits, read in a transaction of its own.

    On PostgreSQL the one statement runs in autocommit (one round trip rather than
    BEGIN, SELECT, COMMIT): the driver connection is idle here, between transactions.
    """
    query = select(exists().where(PENDING.c.id.is_not(None)))
    if conn.dialect.name == "postgresql" and not conn.in_transaction():
        driver = conn.connection.driver_connection
        if not driver.autocommit:  # type: ignore[union-attr]
            with autocommit(conn):
                sql = "SELECT EXISTS (SELECT 1 FROM audit_pending)"
                return bool(driver.execute(sql).fetchone()[0])  # type: ignore[union-attr]
    with conn.begin():
        return bool(conn.execute(query).scalar())


def pending_count(conn: Connection) -> int:
    """Events accepted but not yet sequenced."""
    return conn.execute(select(func.count()).select_from(PENDING)).scalar_one()


def catch_up(engine: Engine) -> int:
    """Make the chain complete up to now for a reader: sequence whatever is pending,
    waiting for a sequencer at work; returns how many events this call moved."""
    with engine.connect() as conn:
        waiting = conn.execute(select(exists().where(PENDING.c.id.is_not(None)))).scalar()
    return sequence_pending(engine, wait=True) if waiting else 0
