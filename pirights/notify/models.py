"""What was sent to a requester, seen from the request (the staff detail's `deliveries`).

Declared here so that `requests` and `outbox` know nothing of requester notifications.
"""

from __future__ import annotations

from sqlalchemy import and_
from sqlalchemy.orm import foreign, relationship

from pirights.outbox.models import OutboxMessage
from pirights.requests.models import Request

KIND_PREFIX = "requester."

# Only messages to the requester: staff alerts and data-system webhooks have their own views.
Request.deliveries = relationship(  # type: ignore[attr-defined]
    OutboxMessage,
    primaryjoin=lambda: and_(
        foreign(OutboxMessage.request_id) == Request.id,
        OutboxMessage.kind.startswith(KIND_PREFIX),
    ),
    order_by=OutboxMessage.id,
    viewonly=True,
)
