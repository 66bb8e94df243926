"""Sending queued notifications by email (SPEC §3.6) when SMTP is configured.

An email names only the reference and the kind of alert, never the requester. Sending is
separate from queueing (queue.py), so a delivery worker can take it over (issue 13).
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select

from pirights.alerts import kinds
from pirights.alerts.models import Notification
from pirights.extensions import db
from pirights.staff.models import Staff

log = logging.getLogger(__name__)


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
    msg["Subject"] = f"[pirights] {n.request_ref} {kinds.subject(n.kind)}"
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
