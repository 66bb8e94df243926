"""Queue messages in the cause's unit of work; claim and settle them for the worker."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pirights.audit import actions
from pirights.audit.recorder import record_many
from pirights.database import insert_at_commit, insert_now
from pirights.extensions import db
from pirights.outbox.models import FAILED, PENDING, SENT, OutboxMessage
from pirights.outbox.retry import RetryPolicy

# A claimed row is due again after this long, so a worker that died mid-send loses nothing;
# it must outlast one batch's sends, which per-send timeouts bound.
LEASE = timedelta(minutes=10)


def enqueue(
    s: Session,
    *,
    kind: str,
    channel: str,
    payload: Mapping[str, Any],
    now: datetime,
    request_id: int | None = None,
    request_ref: str | None = None,
) -> None:
    """Add a message to deliver once the caller's unit of work commits; the row is written
    as it commits (database.insert_at_commit), so nothing in the transaction reads it."""
    row = message_row(
        kind=kind,
        channel=channel,
        payload=payload,
        now=now,
        request_id=request_id,
        request_ref=request_ref,
    )
    insert_at_commit(s, OutboxMessage.__table__, row)


def enqueue_now(s: Session, **fields: Any) -> OutboxMessage:
    """`enqueue` (the same fields) with the row inserted at once and returned, for a caller
    that needs the message's id."""
    msg = OutboxMessage(**message_row(**fields))
    insert_now(s, msg)
    return msg


def message_row(
    *,
    kind: str,
    channel: str,
    payload: Mapping[str, Any],
    now: datetime,
    request_id: int | None = None,
    request_ref: str | None = None,
) -> dict[str, Any]:
    """The columns of a new outbox row, due now."""
    return {
        "kind": kind,
        "channel": channel,
        "request_id": request_id,
        "request_ref": request_ref,
        "payload": json.dumps(dict(payload), ensure_ascii=False),
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "retry_window_from": now,
        "updated_at": now,
    }


@dataclass(frozen=True)
class Claimed:
    """One message a worker holds for this attempt (detached from any session)."""

    id: int
    kind: str
    channel: str
    request_ref: str | None
    payload: dict[str, Any]
    attempt: int


@dataclass(frozen=True)
class Result:
    """What a transport may return for one message instead of a bare error string.

    `info` is PII-free detail of the attempt (an HTTP status, a duration) that a settle
    hook may record; the outbox itself ignores it.
    """

    error: str | None = None
    info: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """What one attempt did: `error` is None on success, else a short PII-free reason."""

    claimed: Claimed
    error: str | None = None
    info: Mapping[str, Any] = field(default_factory=dict)


SENT_NOW, RETRYING, GAVE_UP = "sent", "retrying", "failed"


@dataclass(frozen=True)
class Settled:
    """One attempt as settle recorded it, for the hook of the message's kind.

    `state` is SENT_NOW, RETRYING or GAVE_UP (retries exhausted: the row is now failed).
    """

    outcome: Outcome
    state: str
    attempts: int


Event = tuple[str, str, str | None, Mapping[str, Any] | None]
SettleHook = Callable[[Session, list[Settled], datetime], Iterable[Event]]

# kind -> hook called inside settle's unit of work with that kind's settled attempts, so a
# feature's own state (e.g. a fulfilment task's status) and the audit events it returns
# commit with the outbox row. Filled by features' init_app; the outbox imports none of them.
SETTLE_HOOKS: dict[str, SettleHook] = {}


def on_settled(kind: str, hook: SettleHook) -> None:
    """Let a feature follow the delivery of its `kind` of message (called from init_app)."""
    SETTLE_HOOKS[kind] = hook


Composer = Callable[[dict[str, Any]], dict[str, Any]]
# kind -> what turns a stored payload into the one its transport sends. A feature may queue
# what a message is made of and leave rendering to delivery, off its cause's request.
COMPOSERS: dict[str, Composer] = {}


def on_compose(kind: str, composer: Composer) -> None:
    """Let a feature compose its `kind` of message at delivery (called from init_app)."""
    COMPOSERS[kind] = composer


def composed(item: Claimed) -> Claimed:
    """The claimed message as its transport sends it (see COMPOSERS); runs in the app
    context, outside any transaction."""
    composer = COMPOSERS.get(item.kind)
    return replace(item, payload=composer(item.payload)) if composer else item


def claim(now: datetime, limit: int) -> list[Claimed]:
    """Take up to `limit` due messages for one attempt each, in one short transaction.

    PostgreSQL skips rows another worker has locked (FOR UPDATE SKIP LOCKED); SQLite
    serialises writers. Claiming moves `next_attempt_at` a lease ahead, so no other worker
    takes the row while this one sends it, and a crashed worker's rows come back.
    """
    with db.unit_of_work() as s:
        rows = s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        out = []
        for row in rows:
            row.attempts += 1
            row.next_attempt_at, row.updated_at = now + LEASE, now
            out.append(
                Claimed(
                    id=row.id,
                    kind=row.kind,
                    channel=row.channel,
                    request_ref=row.request_ref,
                    payload=json.loads(row.payload),
                    attempt=row.attempts,
                )
            )
    return out


def settle(
    outcomes: Iterable[Outcome],
    now: datetime,
    policy: RetryPolicy,
    rng: random.Random | None = None,
) -> tuple[int, int, int]:
    """Record a batch of attempts in one unit of work; returns (sent, retrying, failed).

    A row whose attempt count moved on (its lease ran out and another worker took it) is
    left to that worker. Audit: `notification.sent` and, when retries are exhausted,
    `notification.failed`, with kind and channel only (never the address or content).
    Then each kind's settle hook (SETTLE_HOOKS) sees its attempts in the same transaction.
    """
    rng = rng or random.Random()
    outcomes = list(outcomes)
    if not outcomes:
        return 0, 0, 0
    sent = retrying = failed = 0
    events: list[Event] = []
    settled: dict[str, list[Settled]] = defaultdict(list)
    with db.unit_of_work() as s:
        rows = {
            r.id: r
            for r in s.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.id.in_([o.claimed.id for o in outcomes]))
                .with_for_update()
            )
        }
        for o in outcomes:
            row = rows.get(o.claimed.id)
            if row is None or row.status != PENDING or row.attempts != o.claimed.attempt:
                continue
            info = {"outbox_id": row.id, "kind": row.kind, "channel": row.channel}
            row.updated_at = now
            if o.error is None:
                row.status, row.sent_at, row.last_error = SENT, now, None
                events.append(("system", actions.NOTIFICATION_SENT, row.request_ref, info))
                settled[row.kind].append(Settled(o, SENT_NOW, row.attempts))
                sent += 1
                continue
            row.last_error = o.error[:300]
            retry_at = policy.next_attempt(row.attempts, row.retry_window_from, now, rng.random())
            if retry_at is None:
                row.status = FAILED
                info |= {"attempts": row.attempts, "error": row.last_error}
                events.append(("system", actions.NOTIFICATION_FAILED, row.request_ref, info))
                settled[row.kind].append(Settled(o, GAVE_UP, row.attempts))
                failed += 1
            else:
                row.next_attempt_at = retry_at
                settled[row.kind].append(Settled(o, RETRYING, row.attempts))
                retrying += 1
        for kind, items in settled.items():
            if kind in SETTLE_HOOKS:
                events.extend(SETTLE_HOOKS[kind](s, items, now))
        record_many(s, events)
    return sent, retrying, failed


def retry_failed(outbox_id: int, now: datetime) -> bool:
    """Put a failed message back in the queue (a supervisor's retry); False if not failed."""
    with db.unit_of_work() as s:
        return requeue(s, outbox_id, now)


def requeue(
    s: Session, outbox_id: int, now: datetime, *, statuses: Iterable[str] = (FAILED,)
) -> bool:
    """Send a message again, unchanged (same payload, so e.g. the same webhook-id), with a
    fresh 24-hour retry window, in the caller's unit of work; False when its status is not
    one of `statuses` (a pending message is already on its way)."""
    row = s.get(OutboxMessage, outbox_id, with_for_update=True)
    if row is None or row.status not in tuple(statuses):
        return False
    row.status, row.attempts, row.last_error, row.sent_at = PENDING, 0, None, None
    row.next_attempt_at = row.retry_window_from = row.updated_at = now
    return True


def for_request(s: Session, request_id: int) -> list[OutboxMessage]:
    """What was queued for one request, oldest first (the staff detail's deliveries)."""
    return list(
        s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.request_id == request_id)
            .order_by(OutboxMessage.id)
        )
    )


def depth(now: datetime) -> list[tuple[str, int, datetime | None]]:
    """(kind, due rows, oldest due time) for operators' metrics."""
    from sqlalchemy import func

    rows = db.session.execute(
        select(OutboxMessage.kind, func.count(), func.min(OutboxMessage.next_attempt_at))
        .where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now)
        .group_by(OutboxMessage.kind)
    ).all()
    return [(kind, count, oldest) for kind, count, oldest in rows]
