"""Staff members and their API tokens (SPEC §8.1)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pirights.database import Base, UTCDateTime


class Staff(Base):
    """A member of the privacy team, or a machine identity with role `service`.

    `role` is one of pirights.staff.roles.ROLES.
    """

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A `service` member may act for one data system (SPEC §14: its task results).
    system_id: Mapped[int | None] = mapped_column(ForeignKey("systems.id"))
    # Console sign-in (SPEC §13): an Argon2 hash (None: no password, no console sign-in),
    # failed sign-ins since the last success or lock, and the end of a lock-out.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Console sessions carry the epoch they began in; bumping it (sign-out, new password)
    # ends every session of the member on the server side.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    tokens: Mapped[list[StaffToken]] = relationship(back_populates="staff")

    @property
    def actor(self) -> str:
        """How audit events name this member."""
        return f"staff:{self.name}"


class StaffToken(Base):
    """A bearer token, stored only as its SHA-256."""

    __tablename__ = "staff_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    staff: Mapped[Staff] = relationship(back_populates="tokens")
