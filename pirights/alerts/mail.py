"""Staff alert emails (SPEC §3.6): queued in the outbox with the alert, sent by the worker.

An email names only the reference and the kind of alert, never the requester. When the
worker has delivered one, `on_settled` marks its notification sent, in the same
transaction as the outbox row.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pirights.alerts import kinds
from pirights.alerts.models import Notification
from pirights.outbox.service import enqueue
from pirights.staff.models import Staff

KIND = "staff.alert"  # the outbox kind of every staff alert email


def staff_domain() -> str:
    """`notifications.staff_email_domain`: staff named without '@' get NAME@domain."""
    raw = current_app.config["PIRIGHTS"].raw.get("notifications", {})
    return str(raw.get("staff_email_domain", "") or "").strip().lstrip("@")


def address(name: str, domain: str) -> str | None:
    """Where a member's email goes: their name if it is an address, else NAME@domain."""
    if "@" in name:
        return name
    return f"{name}@{domain}" if domain else None


def payload(kind: str, reference: str, to: str, notification_id: int) -> dict[str, Any]:
    """The email for one notification: reference and kind only (no requester PII)."""
    return {
        "to": to,
        "subject": f"[pirights] {reference} {kinds.subject(kind)}",
        "text": f"Request {reference}: {kind}.\n",
        "notification_id": notification_id,
    }


def queue_emails(s: Session, notifications: Iterable[dict[str, Any]], now: datetime) -> int:
    """Queue an email for each notification whose recipient has an address; returns how
    many. Members without one see their notifications in the API only."""
    notifications = list(notifications)
    domain = staff_domain()
    names = dict(
        s.execute(
            select(Staff.id, Staff.name).where(Staff.id.in_({n["staff_id"] for n in notifications}))
        ).all()
    )
    queued = 0
    for n in notifications:
        to = address(names[n["staff_id"]], domain)
        if to is None:
            continue
        body = payload(n["kind"], n["request_ref"], to, n["id"])
        enqueue(s, kind=KIND, channel="email", payload=body, now=now, request_ref=n["request_ref"])
        queued += 1
    return queued


def on_settled(s: Session, settled: list, now: datetime) -> list:
    """Mark the notifications whose email went out as sent (the outbox audits the send)."""
    from pirights.outbox.service import SENT_NOW

    sent = [i.outcome.claimed.payload["notification_id"] for i in settled if i.state == SENT_NOW]
    if sent:
        s.execute(update(Notification).where(Notification.id.in_(sent)).values(sent_at=now))
    return []
