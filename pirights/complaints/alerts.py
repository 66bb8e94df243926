"""Complaint alerts (§9): overdue first measures and overdue remediation.

Registered with the alert registry by `complaints.init_app`, so the alerts package and the
SLA report never import complaints. Like the request deadline kinds, each track remembers
the due value it was last alerted for, so an alert is recorded once per due value and
concurrent sweeps skip each other's rows (FOR UPDATE SKIP LOCKED on PostgreSQL). The
report counts them with the same SQL as the list filters.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from pirights.alerts import kinds
from pirights.alerts.kinds import Alert, AlertKind
from pirights.audit import actions
from pirights.complaints.models import ComplaintTrack
from pirights.complaints.queries import complaint_filters
from pirights.extensions import db
from pirights.requests import lifecycle as lc
from pirights.requests import reports
from pirights.requests.models import Request
from pirights.requests.reports import Figure, Window

CLOSED_UNHEARD = (lc.REFUSED, lc.WITHDRAWN)


def _claimer(due, mark, pending) -> Callable[[Session, datetime, int], list[Alert]]:
    """A claim function over one due column of complaint_tracks and its mark column."""

    def claim(s: Session, now: datetime, size: int) -> list[Alert]:
        """Take, lock and mark up to `size` tracks past `due` and not alerted for it."""
        rows = s.execute(
            select(ComplaintTrack.request_id, due, Request.reference, Request.assignee_id)
            .join(Request, Request.id == ComplaintTrack.request_id)
            .where(
                pending,
                due < now,
                or_(mark.is_(None), mark != due),
                Request.status.not_in(CLOSED_UNHEARD),
            )
            .order_by(due)
            .limit(size)
            .with_for_update(of=ComplaintTrack, skip_locked=True)
        ).all()
        if not rows:
            return []
        s.execute(
            update(ComplaintTrack)
            .where(ComplaintTrack.request_id.in_([r.request_id for r in rows]))
            .values({mark.key: due})
            .execution_options(synchronize_session=False)
        )
        return [
            Alert(
                reference=ref, due_at=due_at, assignee_id=who, data={"due_at": due_at.isoformat()}
            )
            for _id, due_at, ref, who in rows
        ]

    return claim


def _counter(name: str) -> Callable[[Window, datetime], int]:
    """Counts the window's complaints matching the list filter `name` (SLA report)."""

    def count(window: Window, now: datetime) -> int:
        """Tracks of requests received in the window that match the filter at `now`."""
        in_window = select(Request.id).where(*window)
        return db.session.scalar(
            select(func.count())
            .select_from(ComplaintTrack)
            .where(ComplaintTrack.request_id.in_(in_window), complaint_filters(now)[name])
        )

    return count


KINDS = (
    AlertKind(
        name="complaint.measure_overdue",
        action=actions.COMPLAINT_MEASURE_OVERDUE,
        subject="needs its first measure (overdue)",
        claim=_claimer(
            ComplaintTrack.measure_due_at,
            ComplaintTrack.alerted_measure_for,
            ComplaintTrack.first_measure_at.is_(None),
        ),
        report=Figure("complaints", "measure_overdue", _counter("measure_overdue")),
    ),
    AlertKind(
        name="complaint.remediation_overdue",
        action=actions.COMPLAINT_REMEDIATION_OVERDUE,
        subject="remediation is overdue",
        claim=_claimer(
            ComplaintTrack.remediation_due_at,
            ComplaintTrack.alerted_remediation_for,
            ComplaintTrack.remediated_at.is_(None),
        ),
        report=Figure("complaints", "remediation_overdue", _counter("remediation_overdue")),
    ),
)
# Open remediations are a report figure but not an alert.
REMEDIATION_OPEN = Figure("complaints", "remediation_open", _counter("remediation_open"))


def register() -> None:
    """Add the complaint alert kinds and report figures (called by complaints.init_app)."""
    for kind in KINDS:
        kinds.register(kind)
    reports.add_figure(REMEDIATION_OPEN)
