"""Deadline notifications for staff (SPEC §3.6): queued by the sweep, listed by the API,
emailed when SMTP is configured. An email names only the reference and the kind of alert,
never the requester."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from datetime import datetime
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from pirights.audit.recorder import record_many
from pirights.deadlines.models import Notification
from pirights.extensions import db
from pirights.staff.models import Staff

log = logging.getLogger(__name__)

SUBJECTS = {
    "deadline.due_soon": "is due soon",
    "deadline.overdue": "is overdue",
}


def active_supervisors(s: Session) -> list[int]:
    """Ids of every active supervisor, who hear of every deadline alert."""
    return list(s.scalars(select(Staff.id).where(Staff.role == "supervisor", Staff.active)))


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
    kind: str,
    alerts: Iterable[tuple[str, datetime, int | None, dict]],
    supervisors: Iterable[int],
    now: datetime,
) -> int:
    """Audit a batch of (reference, due_at, assignee_id, data) alerts under one chain lock
    and queue their notifications; returns how many notifications were queued."""
    alerts = list(alerts)
    supervisors = list(supervisors)
    record_many(s, [("system", kind, ref, data) for ref, _due, _who, data in alerts])
    queued = [
        row
        for ref, due, who, _data in alerts
        for row in rows_for(
            kind=kind, reference=ref, due_at=due, assignee_id=who, supervisors=supervisors, now=now
        )
    ]
    if queued:
        s.execute(insert(Notification), queued)
    return len(queued)


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


def staff_domain() -> str:
    """`notifications.staff_email_domain`: staff named without '@' get NAME@domain."""
    raw = current_app.config["PIRIGHTS"].raw.get("notifications", {})
    return str(raw.get("staff_email_domain", "") or "").strip().lstrip("@")


def address(name: str, domain: str) -> str | None:
    """Where a member's email goes: their name if it is an address, else NAME@domain."""
    if "@" in name:
        return name
    return f"{name}@{domain}" if domain else None


def message(n: Notification, to: str, sender: str) -> EmailMessage:
    """The email for one notification: reference and kind only (no requester PII)."""
    msg = EmailMessage()
    what = SUBJECTS.get(n.kind, n.kind)
    msg["Subject"] = f"[pirights] {n.request_ref} {what}"
    msg["From"] = sender
    msg["To"] = to
    msg.set_content(f"Request {n.request_ref}: {n.kind}.\n")
    return msg


def send_pending(now: datetime, batch_size: int = 200) -> int:
    """Email unsent notifications; each batch is locked (SKIP LOCKED) so sweeps share work.

    Returns the number sent. Members with no address stay unsent (listed in the API only).
    An SMTP failure stops sending for this run; the rest are tried by the next sweep.
    """
    settings = current_app.config["PIRIGHTS"]
    if not settings.smtp_host:
        return 0
    domain = staff_domain()
    sent = 0
    while True:
        with db.unit_of_work() as s:
            q = (
                select(Notification, Staff.name)
                .join(Staff, Staff.id == Notification.staff_id)
                .where(Notification.sent_at.is_(None))
            )
            if not domain:
                q = q.where(Staff.name.contains("@"))
            rows = s.execute(
                q.order_by(Notification.sent_at, Notification.id)
                .limit(batch_size)
                .with_for_update(skip_locked=True, of=Notification)
            ).all()
            if not rows:
                return sent
            try:
                with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
                    for n, name in rows:
                        to = address(name, domain)
                        smtp.send_message(message(n, to, settings.smtp_from))
                        n.sent_at = now
                        sent += 1
            except (OSError, smtplib.SMTPException) as exc:
                # Keep what was sent marked; the rest waits for the next run.
                log.warning("sending notifications stopped: %s", type(exc).__name__)
                return sent
