"""Sweeping complaint deadlines (§9): overdue first measures and overdue remediation.

Like the response-deadline sweep, each track remembers the due value it was last alerted
for, so an alert is recorded once per due value and concurrent sweeps skip each other's
rows (FOR UPDATE SKIP LOCKED on PostgreSQL).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update

from pirights.complaints.models import ComplaintTrack
from pirights.deadlines import notifications
from pirights.extensions import db
from pirights.requests import lifecycle as lc
from pirights.requests.models import Request

# kind -> (due column, mark column, extra condition)
KINDS = {
    "complaint.measure_overdue": (
        ComplaintTrack.measure_due_at,
        ComplaintTrack.alerted_measure_for,
        ComplaintTrack.first_measure_at.is_(None),
    ),
    "complaint.remediation_overdue": (
        ComplaintTrack.remediation_due_at,
        ComplaintTrack.alerted_remediation_for,
        ComplaintTrack.remediated_at.is_(None),
    ),
}
CLOSED_UNHEARD = (lc.REFUSED, lc.WITHDRAWN)


def _batch(kind: str, now: datetime, size: int, supervisors: list[int]) -> tuple[int, int]:
    """Alert one batch in one unit of work; returns (alerts, notifications)."""
    due, mark, pending = KINDS[kind]
    with db.unit_of_work() as s:
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
            return 0, 0
        s.execute(
            update(ComplaintTrack)
            .where(ComplaintTrack.request_id.in_([r.request_id for r in rows]))
            .values({mark.key: due})
            .execution_options(synchronize_session=False)
        )
        queued = notifications.record_alerts(
            s,
            kind,
            [(ref, due_at, who, {"due_at": due_at.isoformat()}) for _id, due_at, ref, who in rows],
            supervisors,
            now,
        )
    return len(rows), queued


def sweep(now: datetime, size: int, supervisors: list[int]) -> dict[str, tuple[int, int]]:
    """Alert every complaint deadline crossed and not yet alerted; per kind (alerts, notes)."""
    out = {}
    for kind in KINDS:
        alerts = notes = 0
        while True:
            a, n = _batch(kind, now, size, supervisors)
            if not a:
                break
            alerts, notes = alerts + a, notes + n
        out[kind] = (alerts, notes)
    return out
