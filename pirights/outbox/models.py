"""The outbox table: one row per message to deliver, with its retry state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from pirights.crypto import Encrypted
from pirights.database import Base, UTCDateTime

PENDING, SENT, FAILED = "pending", "sent", "failed"
DUE = "status = 'pending'"


class OutboxMessage(Base):
    """A message waiting for (or done with) delivery; the payload is encrypted PII."""

    __tablename__ = "outbox"
    __table_args__ = (
        # The worker's one query: pending rows by due time. Sent rows leave the index.
        Index(
            "ix_outbox_due",
            "next_attempt_at",
            "id",
            postgresql_where=text(DUE),
            sqlite_where=text(DUE),
        ),
        Index("ix_outbox_request", "request_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(48))  # e.g. requester.receipt, staff.alert
    channel: Mapped[str] = mapped_column(String(16))  # email, sms, webhook
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))
    request_ref: Mapped[str | None] = mapped_column(String(32))
    # JSON: recipient, subject and body (email), number and text (SMS), URL and body
    # (webhook). Encrypted because every one of them names or reaches a person.
    # A purge of the request leaves an empty JSON object (pirights.security.pii).
    payload: Mapped[str] = mapped_column(Encrypted, info={"erased": "{}"})
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Why the last attempt failed, as the transport said it (class and status only, no PII).
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Retries give up 24 h after this: creation, or a supervisor's manual retry.
    retry_window_from: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
