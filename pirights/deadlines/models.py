"""Deadline tables: extensions granted (SPEC §3.5) and staff notifications (SPEC §3.6).

The sweep's per-request alert marks live on `requests` (columns `alerted_due_soon_for`,
`alerted_overdue_for`, declared in pirights.requests.models) so that candidates are found by
one partial index each.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pirights.crypto import Encrypted
from pirights.database import Base, UTCDateTime


class Extension(Base):
    """One extension of a request's due date; the reason may hold PII, so it is encrypted."""

    __tablename__ = "extensions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Encrypted)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    old_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    new_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Paused days counted before this extension, so `deadlines recompute` can replay
    # pauses and extensions in the order they happened.
    paused_days_before: Mapped[int] = mapped_column(Integer, default=0)


class Notification(Base):
    """A deadline alert queued for one staff member; `sent_at` is set once emailed."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_staff", "staff_id", "id"),
        Index("ix_notifications_sent_at", "sent_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    kind: Mapped[str] = mapped_column(String(32))
    request_ref: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
