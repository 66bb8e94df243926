"""Complaint tracking, measures, remediation and the subject blocklist."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pirights.crypto import Encrypted
from pirights.database import Base, UTCDateTime
from pirights.requests.models import Request


class ComplaintTrack(Base):
    """The §9 deadlines of one complaint, beside its request row.

    Kept in its own table so the measure and remediation filters are indexed queries
    without widening every request.
    """

    __tablename__ = "complaint_tracks"
    __table_args__ = (
        Index("ix_complaint_tracks_measure", "first_measure_at", "measure_due_at"),
        Index("ix_complaint_tracks_remediation", "remediated_at", "remediation_due_at"),
    )

    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), primary_key=True)
    measure_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_measure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remediation_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remediated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The due value last alerted by the sweep, so each crossing is recorded once.
    alerted_measure_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    alerted_remediation_for: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Measure(Base):
    """What was done to stop infringing content (draft GenAI Measures Art 13)."""

    __tablename__ = "complaint_measures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    detail: Mapped[str] = mapped_column(Encrypted)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Remediation(Base):
    """Model-optimisation work that prevents regeneration (draft Art 15, final Art 14)."""

    __tablename__ = "complaint_remediations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    detail: Mapped[str] = mapped_column(Encrypted)
    model_version: Mapped[str] = mapped_column(String(120))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# Read-only views from a request to its complaint rows, declared here so that `requests`
# knows nothing of complaints; the staff list eager-loads them (complaints.queries).
Request.complaint_track = relationship(  # type: ignore[attr-defined]
    ComplaintTrack, uselist=False, viewonly=True
)
Request.complaint_measures = relationship(  # type: ignore[attr-defined]
    Measure, order_by=Measure.id, viewonly=True
)


class BlocklistEntry(Base):
    """Terms about a person the generation service must not generate; terms are PII."""

    __tablename__ = "blocklist_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # JSON list. A purge of the request keeps the terms of an active entry: they go on
    # protecting the person (SPEC §9); a removed entry's terms protect no one and go.
    terms: Mapped[str] = mapped_column(
        Encrypted, info={"erased": "[]", "retained_while_null": "deleted_at"}
    )
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), index=True)
    reason: Mapped[str] = mapped_column(Encrypted)
    created_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class BlocklistState(Base):
    """One row whose version changes with every add or delete: the list's ETag."""

    __tablename__ = "blocklist_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer, default=0)
