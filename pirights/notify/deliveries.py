"""The staff detail's `deliveries` (SPEC §12.2): each message queued for the requester."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pirights.notify.models import KIND_PREFIX
from pirights.requests.models import Request
from pirights.requests.present import iso_local


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
