"""Record audit events inside the caller's transaction (SPEC §6).

On PostgreSQL an event is *accepted* in the change's own transaction (a row of
`audit_pending`, no shared lock) and *sequenced* into the chain after that transaction
commits (sequencer.py): by the process's sequencer thread (background.py, the default),
or by the writer itself right after its commit (`audit.sequencing = "after_commit"`). On
SQLite, where transactions run one at a time anyway, it is appended to the chain inline,
in the change's transaction.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from pirights import clock
from pirights.audit import background, sequencer
from pirights.audit.chain import STORED_COLUMNS as COLUMNS
from pirights.audit.chain import stored_event
from pirights.audit.models import AuditEvent, AuditPending
from pirights.audit.sequencer import HEAD_ID, format_at
from pirights.database import engine_of, insert_at_commit, transaction_connection

__all__ = ["HEAD_ID", "as_dict", "configure", "format_at", "record", "record_many"]

log = logging.getLogger(__name__)
# session.info key: the engine of a transaction that accepted events, which need
# sequencing once it has committed
ACCEPTED = "pirights.audit.accepted"
# engines whose writers nudge their process's sequencer thread; through any other engine
# (one made outside create_app, say) a writer sequences its own events after commit
_background: weakref.WeakSet[Engine] = weakref.WeakSet()


def configure(engine: Engine, background_thread: bool) -> None:
    """Choose who sequences the events committed through `engine`: the process's
    sequencer thread, or each writer after its commit (config `audit.sequencing`)."""
    if background_thread:
        _background.add(engine)
    else:
        _background.discard(engine)


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    request_ref: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Record one event; it commits or rolls back with the caller's change."""
    (row,) = record_many(session, [(actor, action, request_ref, data)])
    return row


def record_many(
    session: Session,
    events: Sequence[tuple[str, str, str | None, Mapping[str, Any] | None]],
    *,
    orm: bool = False,
) -> list[dict[str, Any]]:
    """Record several (actor, action, request_ref, data) events in the caller's transaction.

    Returns the rows written: the chained events (with seq and hash) where they were
    appended inline, the accepted ones (without) where they wait for the sequencer.
    `orm` is accepted for compatibility and changes nothing.
    """
    del orm
    items = [(a, b, ref, sequencer.data_text(data)) for a, b, ref, data in events]
    if not items:
        return []
    if session.get_bind().dialect.name != "postgresql":
        return append_inline(session, items)
    accepted_at = format_at(clock.now())
    rows = [
        dict(zip(sequencer.PENDING_COLUMNS, (*item, accepted_at), strict=True)) for item in items
    ]
    # Written as the transaction commits, with its other queued rows in one statement: a
    # change that records several events pays no round trip of its own for them.
    for row in rows:
        insert_at_commit(session, AuditPending.__table__, row)
    # The engine, not a connection: taking one now would begin the transaction on the
    # server, and a unit of work of queued rows alone needs none (database._insert_queued).
    session.info[ACCEPTED] = engine_of(session)
    return rows


def append_inline(session: Session, items: Sequence[sequencer.Item]) -> list[dict[str, Any]]:
    """Append to the chain in the caller's transaction, holding the head row to COMMIT.

    The change's own rows are flushed first so every transaction takes its row locks
    in the same order (the changed rows, then the chain head) and cannot deadlock.
    This is the whole story on SQLite; on PostgreSQL it would serialise every writer
    (bench/audit_append.py measures it as the `inline` design).
    """
    session.flush()
    return sequencer.append(session.connection(), items)


@event.listens_for(Session, "after_commit")
def _sequence_after_commit(session: Session) -> None:
    """Have the events this transaction accepted sequenced, now that they are committed:
    nudge the process's sequencer thread or, configured so, sequence them here.

    The change and its event are durable already; if sequencing fails here (the
    database went away), the event waits in the queue for the next sequencer, so the
    error is logged, not raised into a caller whose change did commit.
    """
    engine = session.info.pop(ACCEPTED, None)
    if engine is None:
        return
    if engine in _background:
        background.for_engine(engine).nudge()
        return
    # The session still holds its connection, its transaction committed: sequencing on it
    # saves a pool checkout (a lone statement's unit of work held none: database.py).
    bind: Connection | Engine = engine
    conn = transaction_connection(session)
    if conn is not None and not conn.closed and not conn.in_transaction():
        bind = conn
    try:
        sequencer.sequence_pending(bind)
    except Exception as exc:  # see the docstring: the change committed
        log.warning("audit events left queued for the next sequencer: %s", type(exc).__name__)


@event.listens_for(Session, "after_soft_rollback")
def _forget_accepted(session: Session, _previous: Any) -> None:
    """A rolled-back transaction's accepted events are gone with it: nothing to sequence
    (the soft event: a unit of work that only recorded events began no transaction)."""
    session.info.pop(ACCEPTED, None)


def as_dict(row: AuditEvent) -> dict[str, Any]:
    """The exported form of an event (data as an object)."""
    return stored_event([getattr(row, c) for c in COLUMNS])
