"""Schemas of the notification endpoint: they validate input and generate the OpenAPI document."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from pirights.alerts import kinds


class NotificationArgsSchema(Schema):
    """Filters of the caller's notification list."""

    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    unsent = fields.Boolean(load_default=False)


class NotificationSchema(Schema):
    """An alert for one staff member."""

    id = fields.Integer()
    # The registry's own list: every registered kind (create_app registers them first).
    kind = fields.String(metadata={"enum": kinds.NAMES})
    request_ref = fields.String()
    due_at = fields.String(metadata={"format": "date-time"})
    created_at = fields.String(metadata={"format": "date-time"})
    sent_at = fields.String(allow_none=True, metadata={"format": "date-time"})


class NotificationPageSchema(Schema):
    """The caller's notifications, newest first."""

    items = fields.List(fields.Nested(NotificationSchema))
