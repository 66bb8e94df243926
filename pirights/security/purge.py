"""Retention (SPEC §8.2): erase requesters' PII from requests closed long enough ago.

What stays is the request's skeleton (reference, type, status, jurisdiction, channel,
dates, deadline data, outcome and legal-basis codes, the times and kinds of messages,
notes, extensions, measures and remediation) and the whole audit trail, so a regulator
can still see what was done and when. What goes is every column the PII registry
(`pirights.security.pii`) lists for the request and every row it ties to it: requester
details, description, content references, message and note bodies, outcome text,
extension reasons, measure and remediation details, blocklist reasons, blind indexes, the
tracking-token hash and the idempotency records; then whatever features registered in
`requests.hooks.pii_erasers`. The terms of a blocklist entry that is still active stay:
they keep protecting the person after the request is gone.

Work proceeds in batches, each one unit of work with its `retention.purged` audit event.
Erasing goes through Core updates, one statement per table and batch, not row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from pirights.audit import actions
from pirights.audit.recorder import record
from pirights.extensions import db
from pirights.requests import hooks
from pirights.requests.lifecycle import TERMINAL
from pirights.requests.models import IdempotencyRecord, Request
from pirights.security.pii import holders, presence_markers

BATCH = 500


def cutoff(now: datetime, years: int) -> datetime:
    """`years` calendar years before `now` (29 February falls back to the 28th)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def _due(limit: datetime):
    """SQL for: closed before `limit`, and still holding something to erase."""
    return and_(
        Request.status.in_(TERMINAL),
        Request.closed_at.is_not(None),
        Request.closed_at < limit,
        or_(*(column.is_not(None) for column in presence_markers())),
    )


@dataclass
class PurgeResult:
    """What a run did (or, dry, would do)."""

    cutoff: datetime
    requests: int = 0
    batches: int = 0
    idempotency_records: int = 0
    rows: dict[str, int] = field(default_factory=dict)


def count_due(limit: datetime) -> int:
    """How many requests a purge with this cut-off would erase."""
    return db.session.scalar(select(func.count()).select_from(Request).where(_due(limit))) or 0


def iter_due(limit: datetime, batch: int = BATCH) -> Iterator[tuple[str, datetime]]:
    """(reference, closed_at) of every request due for erasure, streamed by id."""
    last = 0
    while True:
        rows = db.session.execute(
            select(Request.id, Request.reference, Request.closed_at)
            .where(_due(limit), Request.id > last)
            .order_by(Request.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield row.reference, row.closed_at
        last = rows[-1].id


def erase(s: Session, ids: list[int]) -> dict[str, int]:
    """Erase every registered PII column and row of these requests; rows touched per table."""
    touched: dict[str, int] = {}
    for holder in holders():
        table, where = holder.table, holder.scope(ids)
        if holder.delete_rows:
            done = s.execute(delete(table).where(where)).rowcount
        else:
            values = {
                c.name: holder.erased(c)
                for c in holder.columns
                if "retained_while_null" not in c.info
            }
            if table.name == Request.__tablename__:
                values["version"] = table.c.version + 1  # staff holding the old ETag re-read
            done = s.execute(update(table).where(where).values(values)).rowcount if values else 0
            for c in holder.columns:
                guard = c.info.get("retained_while_null")
                if guard is not None:
                    s.execute(
                        update(table)
                        .where(where, table.c[guard].is_not(None))
                        .values({c.name: holder.erased(c)})
                    )
        if done:
            touched[table.name] = done
    return touched


def _purge_batch(limit: datetime, after_id: int, batch: int, years: int):
    """Erase the next batch and record it; one unit of work. Returns (ids, rows touched)."""
    with db.unit_of_work() as s:
        rows = list(
            s.scalars(
                select(Request)
                .where(_due(limit), Request.id > after_id)
                .order_by(Request.id)
                .limit(batch)
                .with_for_update()
            )
        )
        if not rows:
            return [], {}
        for req in rows:
            for eraser in hooks.pii_erasers:
                eraser(s, req)
        s.flush()  # what the erasers changed through the ORM, before the Core updates
        ids = [r.id for r in rows]
        touched = erase(s, ids)
        record(
            s,
            actor="system",
            action=actions.RETENTION_PURGED,
            data={
                "count": len(rows),
                "cutoff": limit.isoformat(),
                "retention_years": years,
                "references": [r.reference for r in rows],
                "rows": touched,
            },
        )
    return ids, touched


def purge(
    now: datetime,
    years: int,
    *,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
) -> PurgeResult:
    """Erase PII of every request closed more than `years` before `now`, batch by batch.

    Idempotency records older than the cut-off go too, whatever their request: they hold
    old tracking tokens, and records made before they named their request have no link.
    """
    limit = cutoff(now, years)
    result = PurgeResult(cutoff=limit)
    last = 0
    while True:
        ids, touched = _purge_batch(limit, last, batch, years)
        if not ids:
            break
        last = ids[-1]
        result.requests += len(ids)
        result.batches += 1
        for name, n in touched.items():
            result.rows[name] = result.rows.get(name, 0) + n
        if progress is not None:
            progress(len(ids))
    result.idempotency_records = result.rows.get(IdempotencyRecord.__tablename__, 0)
    with db.unit_of_work() as s:
        gone = s.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < limit))
        old = gone.rowcount or 0
        if old:
            result.idempotency_records += old
            record(
                s,
                actor="system",
                action=actions.RETENTION_PURGED,
                data={
                    "idempotency_records": old,
                    "cutoff": limit.isoformat(),
                    "retention_years": years,
                },
            )
    return result
