"""Audit endpoints of the ticket API."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import select

from pirights.audit.models import AuditEvent
from pirights.audit.recorder import as_dict
from pirights.extensions import db
from pirights.requests.references import normalise_reference
from pirights.requests.service import load
from pirights.staff.auth import ALL_STAFF, requires

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="Audit trail")


class EventSchema(Schema):
    """One audit event (§6)."""

    seq = fields.Integer()
    at = fields.String()
    actor = fields.String()
    action = fields.String()
    request_ref = fields.String(allow_none=True)
    data = fields.Dict()
    prev_hash = fields.String()
    hash = fields.String()


class EventListSchema(Schema):
    """A request's events, oldest first."""

    items = fields.List(fields.Nested(EventSchema))


@blp.route("/requests/<string:reference>/events")
@requires(*ALL_STAFF)
@blp.response(200, EventListSchema)
def request_events(reference):
    """List a request's audit events, oldest first."""
    ref = load(db.session, reference).reference
    rows = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.request_ref == normalise_reference(ref))
        .order_by(AuditEvent.seq)
    )
    return {"items": [as_dict(r) for r in rows]}
