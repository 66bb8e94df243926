"""Data systems that act on requests, and the task each accepted request gives each one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from pirights.crypto import Encrypted
from pirights.database import Base, UTCDateTime
from pirights.requests.models import Request

PENDING, SENT, DONE, NOT_FOUND, FAILED, WAIVED = (
    "pending",
    "sent",
    "done",
    "not_found",
    "failed",
    "waived",
)
STATUSES = (PENDING, SENT, DONE, NOT_FOUND, FAILED, WAIVED)
# A request may not be completed while one of its tasks is in one of these (SPEC §14).
WAITING = (PENDING, SENT, FAILED)
ANSWERED = (DONE, NOT_FOUND, WAIVED)


class System(Base):
    """A system that holds personal information and must act on requests (SPEC §14)."""

    __tablename__ = "systems"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    webhook_url: Mapped[str] = mapped_column(String(2048))
    # The Standard Webhooks secret (`whsec_…`): shown once, encrypted at rest. The
    # provider's secret, not a person's data, so purge leaves it (pirights.security.pii).
    secret: Mapped[str] = mapped_column(Encrypted, info={"pii": False})
    handles: Mapped[str] = mapped_column(Text)  # JSON list of request types
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Task(Base):
    """One system's part in fulfilling one accepted request."""

    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_request", "request_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"))
    system_id: Mapped[int] = mapped_column(ForeignKey("systems.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    # Delivery attempts of the current webhook and why the last one failed (no PII).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    # What the system (or a supervisor) answered: done, not_found, failed or waived.
    result: Mapped[str | None] = mapped_column(String(12))
    # Free text from the system or the supervisor's reason; may name the person.
    detail: Mapped[str | None] = mapped_column(Encrypted)
    answered_by: Mapped[str | None] = mapped_column(String(80))  # staff:NAME (actor)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # Loaded on demand, not joined: a joined (outer) load would make PostgreSQL refuse the
    # SELECT ... FOR UPDATE that results and retries take on the task.
    system: Mapped[System] = relationship()
    # Request.tasks exists for the staff list's eager loading; requests never imports this.
    request: Mapped[Request] = relationship(
        backref=backref("tasks", order_by="Task.id", lazy="select")
    )
