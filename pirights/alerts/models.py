"""The staff notifications table (SPEC §3.6): one row per alert and recipient.

The table kept its name when the class moved here from pirights.deadlines.models, so no
migration was needed. It is each member's inbox; the emails go through the outbox.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pirights.database import Base, UTCDateTime


class Notification(Base):
    """An alert for one staff member; `sent_at` is set when the worker has emailed it."""

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
