"""Append events to the hash chain inside the caller's transaction (SPEC §6)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from pirights import clock
from pirights.audit.chain import STORED_COLUMNS as COLUMNS
from pirights.audit.chain import canonical, hash_parts, stored_event
from pirights.audit.models import AuditEvent, AuditHead

HEAD_ID = 1


def format_at(moment: datetime) -> str:
    """UTC with microseconds and a Z, as §6 prescribes."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    request_ref: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event; commits or rolls back with the caller's change."""
    (row,) = record_many(session, [(actor, action, request_ref, data)], orm=True)
    return row


def record_many(
    session: Session,
    events: Sequence[tuple[str, str, str | None, Mapping[str, Any] | None]],
    *,
    orm: bool = False,
) -> list[Any]:
    """Append several (actor, action, request_ref, data) events under one head lock.

    The change's own rows are flushed first so every transaction takes its row locks
    in the same order (the changed rows, then the chain head) and cannot deadlock.
    The head row lock is the one serialised step of the whole system; batching many
    events into one lock, one multi-row INSERT and one head UPDATE keeps it short.
    With `orm`, rows are added as ORM objects (and returned); otherwise they are
    inserted with one Core statement and returned as dicts.
    """
    session.flush()
    head = session.execute(
        select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update()
    ).scalar_one()
    # `at` never goes backwards along the chain, so a time window is a seq range.
    at = max(format_at(clock.now()), head.at)
    seq, prev = head.seq, head.hash
    rows: list[dict[str, Any]] = []
    for actor, action, request_ref, data in events:
        seq += 1
        # Round-trip once so `data` holds JSON values only (tuples become lists, keys
        # strings), then hash the canonical text by concatenation (chain.hash_parts).
        data_text = canonical(json.loads(canonical(dict(data or {}))))
        digest = hash_parts(prev, seq, at, actor, action, request_ref, data_text)
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": actor,
                "action": action,
                "request_ref": request_ref,
                "data": data_text,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    if not rows:
        return []
    if orm:
        out: list[Any] = [AuditEvent(**r) for r in rows]
        session.add_all(out)
    else:
        _insert_many(session, rows)
        out = rows
    head.seq, head.hash, head.at = seq, prev, at
    session.flush()
    return out


def _insert_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert a batch of events: COPY on PostgreSQL (same connection, same transaction),
    an executemany INSERT elsewhere."""
    connection = session.connection()
    if connection.dialect.name != "postgresql" or len(rows) < 50:
        session.execute(insert(AuditEvent), rows)
        return
    driver = connection.connection.driver_connection
    with (
        driver.cursor() as cur,
        cur.copy(f"COPY audit_events ({', '.join(COLUMNS)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([row[c] for c in COLUMNS])


def as_dict(row: AuditEvent) -> dict[str, Any]:
    """The exported form of an event (data as an object)."""
    return stored_event([getattr(row, c) for c in COLUMNS])
