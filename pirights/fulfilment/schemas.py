"""Schemas of the systems and tasks endpoints (SPEC §14)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from pirights.fields import Text, one_of
from pirights.fulfilment.models import STATUSES
from pirights.requests.lifecycle import TYPES

RESULTS = ("done", "not_found", "failed", "waived")


class SystemInSchema(Schema):
    """A data system to register."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    webhook_url = fields.String(required=True, validate=validate.Length(min=1, max=2048))
    handles = fields.List(
        one_of(TYPES), required=True, validate=validate.Length(min=1, max=len(TYPES))
    )


class SystemSchema(Schema):
    """A registered system; `secret` only in the answer that created it."""

    name = fields.String()
    webhook_url = fields.String()
    handles = fields.List(fields.String())
    active = fields.Boolean()
    created_at = fields.String(metadata={"format": "date-time"})
    secret = fields.String(metadata={"description": "whsec_… signing secret, shown only once"})


class SystemListSchema(Schema):
    """Every registered system."""

    items = fields.List(fields.Nested(SystemSchema))


class TaskResultInSchema(Schema):
    """A system's answer (`detail`), or a supervisor's (`reason`, may waive)."""

    result = one_of(RESULTS, required=True)
    detail = Text(max_length=10000)
    reason = Text(max_length=2000)


class TaskSchema(Schema):
    """One system's task for one request."""

    id = fields.Integer()
    system = fields.String()
    status = fields.String(metadata={"enum": list(STATUSES)})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    updated_at = fields.String(metadata={"format": "date-time"})
    result = fields.String(allow_none=True)
    detail = fields.String(allow_none=True)
