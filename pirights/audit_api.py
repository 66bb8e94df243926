"""Audit endpoints of the ticket API: a request's events, exports and verification (§6).

They live outside `pirights.audit` because that package is the bottom of the domain:
everything records into the trail, staff authentication included, while these
endpoints need staff authentication and requests. See the README's layering notes.
"""

from __future__ import annotations

from flask import Response, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from pirights.audit import export, service, signing
from pirights.audit.models import AuditEvent
from pirights.audit.recorder import as_dict
from pirights.extensions import db
from pirights.requests.queries import load
from pirights.requests.references import normalise_reference
from pirights.staff.auth import current_staff, requires
from pirights.staff.roles import ALL_STAFF, AUDITORS

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
    return {"items": events_of(reference)}


def events_of(reference: str) -> list[dict]:
    """A request's audit events as §6 objects, oldest first; 404 for an unknown reference.

    The API's events endpoint and the console's timeline both read them here.
    """
    service.catch_up()  # an event accepted a moment ago may still wait for its seq
    ref = load(db.session, reference).reference
    rows = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.request_ref == normalise_reference(ref))
        .order_by(AuditEvent.seq)
    )
    return [as_dict(r) for r in rows]


MAX_SEQ = 2**63 - 1  # BIGINT


class Instant(fields.String):
    """An ISO 8601 time with an offset, or a date meaning midnight UTC."""

    def _deserialize(self, value, attr, data, **kwargs):
        """Parse with the same rules as the CLI."""
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return export.parse_instant(text)
        except ValueError as exc:
            raise ValidationError(f"not a time with an offset or a date: {exc}") from None


class ExportArgsSchema(Schema):
    """What to export: a time window (since <= at < until) and/or a seq range."""

    format = fields.String(
        load_default="jsonl", validate=validate.OneOf(export.FORMATS, error="must be jsonl or csv")
    )
    since = Instant(metadata={"format": "date-time", "description": "events at or after"})
    until = Instant(metadata={"format": "date-time", "description": "events before"})
    from_seq = fields.Integer(validate=validate.Range(min=1, max=MAX_SEQ))
    to_seq = fields.Integer(validate=validate.Range(min=1, max=MAX_SEQ))
    sign = fields.Boolean(
        load_default=False,
        metadata={"description": "answer a signed manifest and the URL of its exact bytes"},
    )

    @validates_schema
    def _ordered(self, data, **_kwargs):
        """A window must not end before it starts."""
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise ValidationError({"until": ["must not be before since"]})
        if data.get("from_seq") and data.get("to_seq") and data["from_seq"] > data["to_seq"]:
            raise ValidationError({"to_seq": ["must not be below from_seq"]})


class SignedExportSchema(Schema):
    """A signed manifest; `events_url` streams exactly the bytes it describes."""

    manifest = fields.Dict()
    signature = fields.String(metadata={"description": "base64 Ed25519 over canonical manifest"})
    public_key = fields.String(metadata={"description": "PEM of the signing key's public half"})
    events_url = fields.String(allow_none=True)


class VerifySchema(Schema):
    """The verdict on the stored chain."""

    ok = fields.Boolean()
    events = fields.Integer()
    first_bad_seq = fields.Integer()
    pending = fields.Integer(
        metadata={"description": "events accepted but not yet sequenced (only when any)"}
    )


@blp.route("/audit/export")
@requires(*AUDITORS)
@blp.arguments(ExportArgsSchema(), location="query", as_kwargs=False)
@blp.response(
    200,
    SignedExportSchema,
    description="With sign=true: the signed manifest. Otherwise the events stream as "
    "application/x-ndjson (format=jsonl) or text/csv (format=csv).",
)
def audit_export(args):
    """Stream the audit events in seq order, or sign an export of them (§6)."""
    fmt = args["format"]
    key = service.signing_key() if args["sign"] else None  # fail before recording anything
    # audit.exported is recorded and committed here, in its own unit of work, when the
    # export starts: the streamed body is produced after this view has returned.
    window = service.begin_export(
        actor=current_staff().actor,
        fmt=fmt,
        since=args.get("since"),
        until=args.get("until"),
        from_seq=args.get("from_seq"),
        to_seq=args.get("to_seq"),
        signed=key is not None,
    )
    engine = service.engine()
    if key is None:
        name = f"audit-{window.first_seq}-{window.last_seq}.{fmt}"
        return Response(
            export.stream(engine, window, fmt),
            mimetype=export.MEDIA_TYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    # The body cannot both stream and carry a signature over itself, so the answer is the
    # signed manifest plus the URL of the exact seq range whose bytes were signed.
    document, summary = service.sign_export(window, fmt, key)
    document["public_key"] = signing.public_pem(key).decode("ascii")
    document["events_url"] = (
        url_for(
            "audit.audit_export", format=fmt, from_seq=summary.first_seq, to_seq=summary.last_seq
        )
        if summary.count
        else None
    )
    return document


@blp.route("/audit/verify")
@requires(*AUDITORS)
@blp.response(200, VerifySchema)
def audit_verify():
    """Verify the stored chain: {"ok": true, "events": n} or {"ok": false, "first_bad_seq": n}."""
    verdict = service.verify_stored_chain()
    answer = (
        {"ok": True, "events": verdict.events}
        if verdict.ok
        else {"ok": False, "first_bad_seq": verdict.first_bad_seq}
    )
    if verdict.pending:
        answer["pending"] = verdict.pending
    return answer
