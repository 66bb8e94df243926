"""The request deadline alerts (SPEC §3.6): `deadline.due_soon` and `deadline.overdue`.

Each request carries the due_at it was last alerted for (`alerted_due_soon_for`,
`alerted_overdue_for`). A candidate is a running request whose mark differs from its
current due_at and which has crossed the threshold; partial indexes hold exactly the
not-yet-alerted rows, so a sweep reads the requests that crossed a threshold, not every
open request. A new due_at (pause, extension, recompute) differs from the mark, which
re-arms the alerts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import and_, false, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from pirights.alerts.kinds import Alert, AlertKind
from pirights.audit import actions
from pirights.deadlines.runtime import book
from pirights.extensions import db
from pirights.requests.models import Request
from pirights.requests.queries import RUNNING
from pirights.requests.reports import Figure, Window


def _pending(mark: InstrumentedAttribute):
    """Not yet alerted for the current due_at; the same text as the partial indexes."""
    return or_(mark.is_(None), mark != Request.due_at)


def _overdue(now: datetime):
    """SQL for requests past due at `now` (§3.5 overdue, with RUNNING applied by the caller)."""
    return Request.due_at < now


def _due_soon(now: datetime):
    """SQL for requests due within each jurisdiction's due-soon limit at `now` (§3.5)."""
    limits = {j: book().due_soon_limit(now, j) for j in book().policies.jurisdictions()}
    if not limits:
        return false()
    per_jurisdiction = [
        and_(Request.jurisdiction == j, Request.due_at <= limit) for j, limit in limits.items()
    ]
    # The overall upper bound lets the index range stop there; the per-jurisdiction
    # limits then filter the few rows inside it.
    return and_(
        Request.due_at >= now, Request.due_at <= max(limits.values()), or_(*per_jurisdiction)
    )


def _claimer(
    mark: InstrumentedAttribute, crossed: Callable
) -> Callable[[Session, datetime, int], list[Alert]]:
    """A claim function for the kind whose mark column is `mark` (see kinds.AlertKind)."""

    def claim(s: Session, now: datetime, size: int) -> list[Alert]:
        """Take, lock and mark up to `size` running requests that crossed the threshold.

        One statement: the candidates are chosen and locked (SKIP LOCKED: a concurrent
        sweep takes others) in the subquery and marked by the UPDATE, which returns them.
        The mark is bookkeeping, so a Core UPDATE leaves the request's version (its ETag)
        alone. Choosing, then marking in a second statement, cost a round trip and a
        second pass over the rows (README: the sweep).
        """
        chosen = (
            select(Request.id)
            .where(Request.status.in_(RUNNING), _pending(mark), crossed(now))
            .order_by(Request.status, Request.due_at)
            .limit(size)
            .with_for_update(skip_locked=True)
        )
        rows = s.execute(
            update(Request)
            .where(Request.id.in_(chosen.scalar_subquery()))
            .values({mark.key: Request.due_at})
            .returning(
                Request.id,
                Request.status,
                Request.reference,
                Request.due_at,
                Request.assignee_id,
                Request.jurisdiction,
                Request.deadline_rule,
            )
            .execution_options(synchronize_session=False)
        ).all()
        if not rows:
            return []
        rows.sort(key=lambda row: (row.status, row.due_at, row.id))  # RETURNING is unordered
        return [
            Alert(
                reference=row.reference,
                due_at=row.due_at,
                assignee_id=row.assignee_id,
                data={
                    "due_at": row.due_at.astimezone(book().timezone(row.jurisdiction)).isoformat(),
                    "deadline_rule": row.deadline_rule,
                },
            )
            for row in rows
        ]

    return claim


def count_open_overdue(window: Window, now: datetime) -> int:
    """Running requests of the report's window that are past due (the SLA report figure)."""
    return db.session.scalar(
        select(func.count()).where(*window, Request.status.in_(RUNNING), _overdue(now))
    )


KINDS = (
    AlertKind(
        name="deadline.due_soon",
        action=actions.DEADLINE_DUE_SOON,
        subject="is due soon",
        claim=_claimer(Request.alerted_due_soon_for, _due_soon),
    ),
    AlertKind(
        name="deadline.overdue",
        action=actions.DEADLINE_OVERDUE,
        subject="is overdue",
        claim=_claimer(Request.alerted_overdue_for, _overdue),
        report=Figure(None, "open_overdue", count_open_overdue),
    ),
)
