"""One row per one-time code sent to a requester (SPEC §12.1); the newest one counts.

Rows are kept after use or expiry: their send times pace resends (one a minute, five a
day), and they hold nothing personal, only a keyed hash of the code.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pirights.database import Base, UTCDateTime

ACTIVE, USED, REPLACED, SPENT = "active", "used", "replaced", "spent"
INTAKE, RESEND = "intake", "resend"


class VerificationCode(Base):
    """A code sent by email or SMS, with the tries it has left."""

    __tablename__ = "verification_codes"
    __table_args__ = (Index("ix_verification_codes_request", "request_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"))
    channel: Mapped[str] = mapped_column(String(8))  # email | sms
    code_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(12))
    tries_left: Mapped[int] = mapped_column(Integer)
    # intake: sent with the receipt; resend: the requester asked (counts to the daily limit).
    cause: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
