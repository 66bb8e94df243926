"""Files attached to requests (SPEC §12.3): evidence from the requester, results for them,
internal documents. The row holds what can be shown without the content; the content is
sealed in the store (pirights.files.storage) under `blob`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from pirights.crypto import Encrypted
from pirights.database import Base, UTCDateTime
from pirights.requests.models import Request

REQUESTER, INTERNAL = "requester", "internal"
AUDIENCES = (REQUESTER, INTERNAL)


class File(Base):
    """One file of one request."""

    __tablename__ = "files"
    __table_args__ = (Index("ix_files_request", "request_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"))
    # requester: the requester sees it (their own evidence, or a result meant for them);
    # internal: staff only.
    audience: Mapped[str] = mapped_column(String(12))
    # Who sent it: `requester` or `staff:NAME` (an actor, as in the audit trail).
    added_by: Mapped[str] = mapped_column(String(80))
    # The name the client gave, as it gave it (a person's file names can name them):
    # encrypted, shown and offered for download, never used as a path. NULL once purged.
    name: Mapped[str | None] = mapped_column(Encrypted)
    content_type: Mapped[str] = mapped_column(String(100))  # sniffed from the bytes
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))  # of the original bytes (proof)
    # The sealed content's object key in the store (`blobs/<32 hex>`) and the id (hex) of
    # the §8.2 key it is sealed with, so rotation finds stale files without reading them.
    # Both NULL once the content is erased.
    blob: Mapped[str | None] = mapped_column(String(40), unique=True)
    key_id: Mapped[str | None] = mapped_column(String(8), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Request.files exists for the staff detail; requests never imports this module.
    request: Mapped[Request] = relationship(
        backref=backref("files", order_by="File.id", lazy="select")
    )
