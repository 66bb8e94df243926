"""Requests, their messages and internal notes, and idempotent-submission records."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    and_,
    false,
    or_,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pirights.crypto import Encrypted
from pirights.database import Base, UTCDateTime
from pirights.requests.lifecycle import OPEN, RUNNING
from pirights.staff.models import Staff

if TYPE_CHECKING:
    from pirights.deadlines.models import Extension


# Marks a column that is derived from a person's data without being encrypted (blind
# indexes, token hashes): `pirights purge` erases it (pirights.security.pii).
PII = {"pii": True}
DUE_SOON_PENDING = "alerted_due_soon_for IS NULL OR alerted_due_soon_for <> due_at"
OVERDUE_PENDING = "alerted_overdue_for IS NULL OR alerted_overdue_for <> due_at"
# The open statuses (lifecycle.OPEN) as SQL, for the partial index of the open queue.
OPEN_SQL = "status IN (" + ", ".join(f"'{status}'" for status in OPEN) + ")"


class Request(Base):
    """One rights request or complaint. PII columns are encrypted (SPEC §8.2)."""

    __tablename__ = "requests"
    __table_args__ = (
        Index("ix_requests_status_due", "status", "due_at", "reference"),
        Index("ix_requests_due", "due_at", "reference"),
        # The open queue (list filter open=true, the console's default page): only open
        # requests, so closed ones due long ago are never walked past.
        Index(
            "ix_requests_open_due",
            "due_at",
            "reference",
            postgresql_where=text(OPEN_SQL),
            sqlite_where=text(OPEN_SQL),
        ),
        # The dashboard's on-time rate per week: an index-only scan of recent closings.
        Index("ix_requests_closed", "closed_at", "on_time"),
        # The deadline sweep's candidates (pirights.alerts.deadline): only requests not yet
        # alerted for their current due_at are in these, so a sweep reads threshold crossings.
        Index(
            "ix_requests_due_soon_alert",
            "status",
            "due_at",
            postgresql_where=text(DUE_SOON_PENDING),
            sqlite_where=text(DUE_SOON_PENDING),
        ),
        Index(
            "ix_requests_overdue_alert",
            "status",
            "due_at",
            postgresql_where=text(OVERDUE_PENDING),
            sqlite_where=text(OVERDUE_PENDING),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(24))
    jurisdiction: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str | None] = mapped_column(String(16))

    requester_name: Mapped[str] = mapped_column(Encrypted)
    requester_email: Mapped[str | None] = mapped_column(Encrypted)
    requester_phone: Mapped[str | None] = mapped_column(Encrypted)
    requester_account_id: Mapped[str | None] = mapped_column(Encrypted)
    relationship_: Mapped[str] = mapped_column("relationship", String(16))
    on_behalf_of: Mapped[str | None] = mapped_column(Encrypted)
    email_index: Mapped[str | None] = mapped_column(String(64), index=True, info=PII)
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True, info=PII)
    description: Mapped[str] = mapped_column(Encrypted)
    # JSON list, encrypted; a purge leaves an empty list.
    content_refs: Mapped[str] = mapped_column(Encrypted, info={"erased": "[]"})

    tracking_token_hash: Mapped[str | None] = mapped_column(String(64), info=PII)
    identity_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    identity_method: Mapped[str | None] = mapped_column(String(32))

    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    deadline_rule: Mapped[str] = mapped_column(String(32))
    calendar_data: Mapped[str] = mapped_column(String(120))
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_days: Mapped[int] = mapped_column(Integer, default=0)
    # The due_at for which the sweep last alerted (SPEC §3.6); a new due_at re-arms it.
    alerted_due_soon_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    alerted_overdue_for: Mapped[datetime | None] = mapped_column(UTCDateTime)

    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    outcome_result: Mapped[str | None] = mapped_column(String(16))
    resolution: Mapped[str | None] = mapped_column(Encrypted)
    outcome_reason: Mapped[str | None] = mapped_column(Encrypted)
    legal_basis: Mapped[str | None] = mapped_column(String(32))
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    on_time: Mapped[bool | None] = mapped_column(Boolean)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Touched by every change, so every change bumps `version` (the ETag).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer)

    assignee: Mapped[Staff | None] = relationship()
    messages: Mapped[list[Message]] = relationship(back_populates="request", order_by="Message.id")
    notes: Mapped[list[Note]] = relationship(back_populates="request", order_by="Note.id")
    extensions: Mapped[list[Extension]] = relationship(order_by="Extension.id")

    __mapper_args__: ClassVar[dict] = {"version_id_col": version}

    # "Overdue" and "due soon" (§3.5, §3.6), each defined once with its Python form (the
    # presenter) beside its SQL form (the list filters); tests/requests/test_due_flags.py
    # checks that they agree. Both take `now`, so they stay free of the clock.

    @hybrid_method
    def is_overdue(self, now: datetime) -> bool:
        """The clock runs (received or in progress) and the due date has passed."""
        return self.status in RUNNING and self.due_at < now

    @is_overdue.inplace.expression
    @classmethod
    def _is_overdue_sql(cls, now: datetime) -> Any:
        """is_overdue as SQL (answered by the (status, due_at) index)."""
        return and_(cls.status.in_(RUNNING), cls.due_at < now)

    @hybrid_method
    def is_due_soon(self, now: datetime, limits: Mapping[str, datetime]) -> bool:
        """The clock runs, not overdue, and due by its jurisdiction's limit.

        `limits` maps each jurisdiction to the latest due date that counts as soon at
        `now` (requests.queries.due_soon_limits asks the deadline book).
        """
        limit = limits.get(self.jurisdiction)
        return (
            self.status in RUNNING
            and now <= self.due_at
            and limit is not None
            and self.due_at <= limit
        )

    @is_due_soon.inplace.expression
    @classmethod
    def _is_due_soon_sql(cls, now: datetime, limits: Mapping[str, datetime]) -> Any:
        """is_due_soon as SQL: one due-date bound per jurisdiction."""
        per_jurisdiction = [
            and_(cls.jurisdiction == j, cls.due_at <= limit) for j, limit in limits.items()
        ]
        return and_(
            cls.status.in_(RUNNING),
            cls.due_at >= now,
            or_(*per_jurisdiction) if per_jurisdiction else false(),
        )


class Message(Base):
    """A message between staff and the requester, shown on the status page."""

    __tablename__ = "request_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    sender: Mapped[str] = mapped_column(String(16))  # "staff" | "requester"
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    body: Mapped[str] = mapped_column(Encrypted)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    request: Mapped[Request] = relationship(back_populates="messages")


class Note(Base):
    """An internal note; never shown to the requester."""

    __tablename__ = "request_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    body: Mapped[str] = mapped_column(Encrypted)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    request: Mapped[Request] = relationship(back_populates="notes")
    author: Mapped[Staff] = relationship()


class IdempotencyRecord(Base):
    """The first response to a submission carrying an Idempotency-Key.

    The response holds the tracking token, so it is kept encrypted. A purge deletes the
    record with its request's PII: nothing of it is worth keeping.
    """

    __tablename__ = "idempotency_records"
    __table_args__: ClassVar[dict] = {"info": {"purge": "delete"}}

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    body_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[str] = mapped_column(Encrypted)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The request it created, so a purge finds it (NULL for records made before 0008).
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), index=True)
