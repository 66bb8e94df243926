"""Deadline tables: extensions granted (SPEC §3.5).

Staff notifications moved to pirights.alerts.models (same table). The sweep's per-request
alert marks live on `requests` (`alerted_due_soon_for`, `alerted_overdue_for`, declared in
pirights.requests.models) so that candidates are found by one partial index each.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer
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
