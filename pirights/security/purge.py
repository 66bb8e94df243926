"""Retention (SPEC §8.2): erase requesters' PII from requests closed long enough ago.

What stays is the request's skeleton (reference, type, status, jurisdiction, channel,
dates, deadline data, outcome and legal-basis codes, message and note timestamps) and
the whole audit trail, so a regulator can still see what was done and when. What goes is
everything a person typed or that identifies them: name, email, phone, account id,
on_behalf_of, description, content references, message bodies, internal notes, the free
text of the outcome, the blind indexes and the tracking-token hash. Non-null columns get
the empty sentinel ("" or "[]") so that no migration is needed.

Work proceeds in batches, each one unit of work with its `retention.purged` audit event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import selectinload

from pirights.audit import actions
from pirights.audit.recorder import record
from pirights.extensions import db
from pirights.requests.lifecycle import TERMINAL
from pirights.requests.models import IdempotencyRecord, Request

ERASED_TEXT = ""
ERASED_LIST = "[]"
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
        or_(
            Request.tracking_token_hash.is_not(None),
            Request.email_index.is_not(None),
            Request.phone_index.is_not(None),
        ),
    )


@dataclass
class PurgeResult:
    """What a run did (or, dry, would do)."""

    cutoff: datetime
    requests: int = 0
    batches: int = 0
    idempotency_records: int = 0


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


def erase(req: Request) -> None:
    """Blank one request's PII in place; the skeleton stays."""
    req.requester_name = ERASED_TEXT
    req.requester_email = req.requester_phone = req.requester_account_id = None
    req.on_behalf_of = None
    req.description = ERASED_TEXT
    req.content_refs = ERASED_LIST
    req.email_index = req.phone_index = None
    req.tracking_token_hash = None
    req.resolution = req.outcome_reason = None
    for message in req.messages:
        message.body = ERASED_TEXT
    for note in req.notes:
        note.body = ERASED_TEXT


def _purge_batch(limit: datetime, after_id: int, batch: int, years: int) -> list[Request]:
    """Erase the next batch and record it; one unit of work."""
    with db.unit_of_work() as s:
        rows = list(
            s.scalars(
                select(Request)
                .where(_due(limit), Request.id > after_id)
                .order_by(Request.id)
                .limit(batch)
                .options(selectinload(Request.messages), selectinload(Request.notes))
                .with_for_update()
            )
        )
        if not rows:
            return []
        for req in rows:
            erase(req)
        record(
            s,
            actor="system",
            action=actions.RETENTION_PURGED,
            data={
                "count": len(rows),
                "cutoff": limit.isoformat(),
                "retention_years": years,
                "references": [r.reference for r in rows],
            },
        )
    return rows


def purge(
    now: datetime,
    years: int,
    *,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
) -> PurgeResult:
    """Erase PII of every request closed more than `years` before `now`, batch by batch.

    Idempotency records older than the cut-off go too: they hold old tracking tokens.
    """
    limit = cutoff(now, years)
    result = PurgeResult(cutoff=limit)
    last = 0
    while True:
        rows = _purge_batch(limit, last, batch, years)
        if not rows:
            break
        last = rows[-1].id
        result.requests += len(rows)
        result.batches += 1
        if progress is not None:
            progress(len(rows))
    with db.unit_of_work() as s:
        gone = s.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < limit))
        result.idempotency_records = gone.rowcount or 0
        if result.idempotency_records:
            record(
                s,
                actor="system",
                action=actions.RETENTION_PURGED,
                data={
                    "idempotency_records": result.idempotency_records,
                    "cutoff": limit.isoformat(),
                    "retention_years": years,
                },
            )
    return result
