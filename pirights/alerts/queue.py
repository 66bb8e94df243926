"""Queueing staff notifications (SPEC §3.6), inside the unit of work that claims the alerts.

Each notification is a row the API lists (the member's inbox) and, when the member has an
address, an email queued in the outbox in the same transaction (`mail.queue_emails`), which
`pirights worker` delivers.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from pirights.alerts import mail
from pirights.alerts.kinds import Alert, AlertKind
from pirights.alerts.models import Notification
from pirights.audit.recorder import record_many
from pirights.extensions import db
from pirights.staff import roles
from pirights.staff.models import Staff


def active_supervisors(s: Session) -> list[int]:
    """Ids of every active supervisor, who hear of every alert."""
    return list(s.scalars(select(Staff.id).where(Staff.role == roles.SUPERVISOR, Staff.active)))


def rows_for(
    *,
    kind: str,
    reference: str,
    due_at: datetime,
    assignee_id: int | None,
    supervisors: Iterable[int],
    now: datetime,
) -> list[dict]:
    """Notification rows for one alert: the assignee and every supervisor, once each."""
    recipients = dict.fromkeys(supervisors)
    if assignee_id is not None:
        recipients[assignee_id] = None
    return [
        {
            "staff_id": staff_id,
            "kind": kind,
            "request_ref": reference,
            "due_at": due_at,
            "created_at": now,
            "sent_at": None,
        }
        for staff_id in recipients
    ]


def record_alerts(
    s: Session,
    kind: AlertKind,
    alerts: Iterable[Alert],
    supervisors: Iterable[int],
    now: datetime,
) -> tuple[int, int]:
    """Audit a batch of alerts under one chain lock, queue their notifications and the
    emails for them; returns (notifications, emails) queued."""
    alerts = list(alerts)
    supervisors = list(supervisors)
    record_many(s, [("system", kind.action, a.reference, a.data) for a in alerts])
    queued = [
        row
        for a in alerts
        for row in rows_for(
            kind=kind.name,
            reference=a.reference,
            due_at=a.due_at,
            assignee_id=a.assignee_id,
            supervisors=supervisors,
            now=now,
        )
    ]
    if not queued:
        return 0, 0
    ids = s.scalars(
        insert(Notification).returning(Notification.id, sort_by_parameter_order=True), queued
    ).all()
    emails = mail.queue_emails(
        s, ({**row, "id": row_id} for row, row_id in zip(queued, ids, strict=True)), now
    )
    return len(queued), emails


def for_staff(staff: Staff, limit: int, unsent_only: bool) -> list[Notification]:
    """A member's notifications, newest first."""
    q = select(Notification).where(Notification.staff_id == staff.id)
    if unsent_only:
        q = q.where(Notification.sent_at.is_(None))
    return list(db.session.scalars(q.order_by(Notification.id.desc()).limit(limit)))


def present(n: Notification) -> dict:
    """The API form of a notification."""
    return {
        "id": n.id,
        "kind": n.kind,
        "request_ref": n.request_ref,
        "due_at": n.due_at.isoformat(),
        "created_at": n.created_at.isoformat(),
        "sent_at": n.sent_at.isoformat() if n.sent_at else None,
    }
