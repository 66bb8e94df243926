"""The staff detail's `deliveries` (SPEC §12.2): each message queued for the requester."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import selectinload

from pirights.notify.models import KIND_PREFIX
from pirights.outbox.models import OutboxMessage
from pirights.requests.models import Request
from pirights.requests.present import iso_local

# The list eager-loads deliveries without their (encrypted) payloads: one query per page.
LIST_LOADER = selectinload(Request.deliveries).load_only(  # type: ignore[attr-defined]
    OutboxMessage.kind,
    OutboxMessage.channel,
    OutboxMessage.status,
    OutboxMessage.attempts,
    OutboxMessage.last_error,
    OutboxMessage.created_at,
    OutboxMessage.sent_at,
    OutboxMessage.updated_at,
)


def present(req: Request, now: datetime, masked: bool) -> dict[str, Any]:
    """`deliveries[{kind, channel, status, attempts, last_error, at}]`, oldest first.

    `at` is when it was sent, or when its state last changed if not (yet) sent. Nothing
    here is personal (no address, no content), so auditors see the same list.
    """
    return {
        "deliveries": [
            {
                "kind": m.kind.removeprefix(KIND_PREFIX),
                "channel": m.channel,
                "status": m.status,
                "attempts": m.attempts,
                "last_error": m.last_error,
                "at": iso_local(req, m.sent_at or m.updated_at),
            }
            for m in req.deliveries  # type: ignore[attr-defined]
        ]
    }
