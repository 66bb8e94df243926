"""Audit tables: the append-only event log, its single append point, and the queue of
events accepted but not yet sequenced into the chain."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pirights.audit.chain import GENESIS
from pirights.database import Base

# SQLite numbers rows itself only for an INTEGER PRIMARY KEY; PostgreSQL needs 64 bits,
# as the queue's ids are never reused.
QUEUE_ID = BigInteger().with_variant(Integer(), "sqlite")


class AuditEvent(Base):
    """One audit event; `at` and `data` hold the exact text that was hashed."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(27), index=True)
    actor: Mapped[str] = mapped_column(String(160))
    action: Mapped[str] = mapped_column(String(64))
    request_ref: Mapped[str | None] = mapped_column(String(32), index=True)
    data: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's tip: one row, written only by whoever holds the sequencer (SPEC §11)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS)
    at: Mapped[str] = mapped_column(String(27), default="")


class AuditPending(Base):
    """An event accepted with its change's transaction, waiting for its seq and hash.

    The sequencer moves rows from here into `audit_events` in `id` order, deleting them
    in the same transaction (see sequencer.py). `data` is already canonical JSON text;
    `accepted_at` is informational (the age of the queue), not part of any hash.
    """

    __tablename__ = "audit_pending"

    id: Mapped[int] = mapped_column(QUEUE_ID, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(160))
    action: Mapped[str] = mapped_column(String(64))
    request_ref: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[str] = mapped_column(Text)
    accepted_at: Mapped[str] = mapped_column(String(27))
