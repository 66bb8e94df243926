"""Request schemas: they validate input and generate the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from pirights.fields import Text, one_of
from pirights.requests.lifecycle import (
    ACTIONS,
    CHANNELS,
    IDENTITY_METHODS,
    LEGAL_BASES,
    RELATIONSHIPS,
    RESULTS,
    STATUSES,
    TYPES,
)

EARLIEST_RECEIVED = datetime(2000, 1, 1, tzinfo=UTC)
PHONE = validate.Regexp(
    r"^\+?[0-9][0-9 ()-]{4,30}$", error="must be a phone number like +8613800138000"
)


class RequesterSchema(Schema):
    """Who is asking; at least one way to reach them."""

    name = Text(required=True, max_length=200)
    email = fields.Email(validate=validate.Length(max=254))
    phone = fields.String(validate=PHONE)
    account_id = Text(max_length=128)
    relationship = one_of(RELATIONSHIPS, load_default="self")
    on_behalf_of = Text(max_length=200)

    @validates_schema
    def _contact_and_proxy(self, data, **_kwargs):
        """Need email or phone; someone acting for another names that person."""
        errors: dict[str, list[str]] = {}
        if not data.get("email") and not data.get("phone"):
            errors["email"] = ["give an email or a phone number"]
        if data.get("relationship", "self") != "self" and not data.get("on_behalf_of"):
            errors["on_behalf_of"] = ["name the person you act for"]
        if errors:
            raise ValidationError(errors)


class RequestInSchema(Schema):
    """A new request from the public form or API (§4.1)."""

    type = one_of(TYPES, required=True)
    requester = fields.Nested(RequesterSchema, required=True)
    description = Text(required=True, max_length=10000)
    content_refs = fields.List(
        Text(max_length=2048), load_default=list, validate=validate.Length(max=50)
    )
    jurisdiction = fields.String(validate=validate.Length(min=1, max=16))
    locale = fields.String(validate=validate.OneOf(("zh-CN", "en")))
    identity_assertion = fields.String(
        validate=validate.Length(min=1, max=4096),
        metadata={
            "description": "HS256 JWT from the provider's app proving requester.account_id "
            "(SPEC §12.1); a valid one creates the request verified"
        },
    )

    @validates_schema
    def _complaints_need_content(self, data, **_kwargs):
        """A complaint must say which generated content it is about (§4.1)."""
        if data.get("type", "").endswith("_complaint") and not data.get("content_refs"):
            raise ValidationError(
                {"content_refs": ["a complaint needs at least one conversation, output or URL"]}
            )


class StaffRequestInSchema(RequestInSchema):
    """A request received by another channel, entered by staff (§5)."""

    channel = one_of(CHANNELS, required=True)
    # A floor keeps deadline arithmetic away from year 1 (which overflows in some zones).
    received_at = fields.AwareDateTime(
        validate=validate.Range(min=EARLIEST_RECEIVED, error="must be after 2000-01-01"),
        metadata={"description": "when it arrived; not future"},
    )


class IntakeOutSchema(Schema):
    """The answer to a public submission; the tracking token is shown only here."""

    reference = fields.String()
    tracking_token = fields.String()
    status = fields.String()
    type = fields.String()
    received_at = fields.String(metadata={"format": "date-time"})
    due_at = fields.String(metadata={"format": "date-time"})
    identity_verified = fields.Boolean()
    verification_channel = fields.String(
        allow_none=True,
        metadata={
            "enum": ["email", "sms", None],
            "description": "where the one-time code was sent; null when verified or when "
            "no code can be sent (no email and no SMS gateway)",
        },
    )


class MessageOutSchema(Schema):
    """A message on the requester's timeline."""

    sender = fields.String(data_key="from", metadata={"enum": ["staff", "requester"]})
    body = fields.String()
    at = fields.String(metadata={"format": "date-time"})


class OutcomeSchema(Schema):
    """How a request ended."""

    result = fields.String()
    resolution = fields.String()
    reason = fields.String()
    legal_basis = fields.String()
    legal_basis_text = fields.String()
    rights_notice = fields.String()
    at = fields.String(metadata={"format": "date-time"})


class PublicStatusSchema(Schema):
    """What the requester sees (§4.2)."""

    reference = fields.String()
    type = fields.String()
    status = fields.String()
    received_at = fields.String(metadata={"format": "date-time"})
    due_at = fields.String(metadata={"format": "date-time"})
    messages = fields.List(fields.Nested(MessageOutSchema))
    outcome = fields.Nested(OutcomeSchema, allow_none=True)
    identity_verified = fields.Boolean()


class MessageInSchema(Schema):
    """A message body."""

    body = Text(required=True, max_length=10000)


class PublicWithdrawSchema(Schema):
    """An optional reason for withdrawing."""

    reason = Text(max_length=2000)


MASKED_NOTE = " Auditors see it masked."


class RequesterOutSchema(Schema):
    """Requester details for staff (masked for auditors)."""

    name = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    account_id = fields.String(allow_none=True)
    relationship = fields.String()
    on_behalf_of = fields.String(allow_none=True)


class ClockSchema(Schema):
    """The deadline clock."""

    paused = fields.Boolean()
    paused_days = fields.Integer()


class ExtensionOutSchema(Schema):
    """One extension of the deadline."""

    days = fields.Integer()
    reason = fields.String(metadata={"description": "free text." + MASKED_NOTE})
    at = fields.String(metadata={"format": "date-time"})


class DeliverySchema(Schema):
    """One message queued for the requester and what became of it (§12.2)."""

    kind = fields.String()
    channel = fields.String()
    status = fields.String(metadata={"enum": ["pending", "sent", "failed"]})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    at = fields.String(metadata={"format": "date-time"})


class StaffFileOutSchema(Schema):
    """A file of the request (§12.3): what it is, never its content."""

    id = fields.Integer()
    name = fields.String(allow_none=True, metadata={"description": "masked for auditors"})
    size = fields.Integer()
    sha256 = fields.String(metadata={"description": "hex SHA-256 of the original bytes"})
    content_type = fields.String()
    audience = fields.String(metadata={"enum": ["requester", "internal"]})
    created_at = fields.String(metadata={"format": "date-time"})
    added_by = fields.String()
    erased = fields.Boolean()


class StaffMessageOutSchema(Schema):
    """A message between staff and the requester, either direction."""

    # `from` is a Python keyword, so the field has another name and reads the "from" key.
    sender = fields.String(
        attribute="from", data_key="from", metadata={"enum": ["staff", "requester"]}
    )
    body = fields.String(metadata={"description": "as written." + MASKED_NOTE})
    at = fields.String(metadata={"format": "date-time"})


class NoteOutSchema(Schema):
    """An internal note: never shown to the requester, nor to auditors."""

    id = fields.Integer()
    author = fields.String(metadata={"description": "the staff member who wrote it"})
    body = fields.String()
    at = fields.String(metadata={"format": "date-time"})


class MeasureOutSchema(Schema):
    """A measure taken against infringing content (§9)."""

    id = fields.Integer()
    kind = fields.String()
    detail = fields.String(metadata={"description": "what was done." + MASKED_NOTE})
    at = fields.String(metadata={"format": "date-time"})


COMPLAINTS_ONLY = {"description": "complaints only: absent for other request types"}


class RequestSummarySchema(Schema):
    """A request as the list shows it (§5): the detail without `messages` and `notes`.

    The list leaves the conversation out so that a page costs no message or note
    queries and decrypts no bodies; GET /api/v1/requests/{ref} has it (and records
    that the member viewed it). Requester PII and free text that may name the person
    (content references, reasons, resolutions, measure details) are masked for auditors.
    """

    reference = fields.String()
    type = fields.String()
    status = fields.String(metadata={"enum": list(STATUSES)})
    jurisdiction = fields.String()
    channel = fields.String()
    locale = fields.String(allow_none=True)
    requester = fields.Nested(RequesterOutSchema)
    identity_verified = fields.Boolean()
    identity_method = fields.String(allow_none=True)
    description = fields.String(metadata={"description": "as written." + MASKED_NOTE})
    content_refs = fields.List(
        fields.String(), metadata={"description": "each one masked for auditors"}
    )
    received_at = fields.String(metadata={"format": "date-time"})
    due_at = fields.String(metadata={"format": "date-time"})
    due_at_provisional = fields.Boolean()
    deadline_rule = fields.String()
    calendar_data = fields.String()
    overdue = fields.Boolean()
    due_soon = fields.Boolean()
    clock = fields.Nested(ClockSchema)
    extensions = fields.List(fields.Nested(ExtensionOutSchema))
    assignee = fields.String(allow_none=True)
    outcome = fields.Nested(
        OutcomeSchema,
        allow_none=True,
        metadata={"description": "resolution and reason are masked for auditors"},
    )
    closed_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    on_time = fields.Boolean(allow_none=True)
    version = fields.Integer()
    measure_due_at = fields.String(metadata={"format": "date-time", **COMPLAINTS_ONLY})
    measure_overdue = fields.Boolean(metadata=COMPLAINTS_ONLY)
    measures = fields.List(fields.Nested(MeasureOutSchema), metadata=COMPLAINTS_ONLY)
    remediation_due_at = fields.String(
        allow_none=True, metadata={"format": "date-time", **COMPLAINTS_ONLY}
    )
    remediated_at = fields.String(
        allow_none=True, metadata={"format": "date-time", **COMPLAINTS_ONLY}
    )
    remediation_overdue = fields.Boolean(metadata=COMPLAINTS_ONLY)
    tasks = fields.List(
        fields.Dict(),
        metadata={
            "description": "§14 fulfilment tasks: {id, system, status, attempts, last_error, "
            "updated_at, result, detail}"
        },
    )


class RequestOutSchema(RequestSummarySchema):
    """The staff representation of one request (§5), with its conversation."""

    messages = fields.List(
        fields.Nested(StaffMessageOutSchema),
        metadata={"description": "both directions, oldest first; bodies masked for auditors"},
    )
    notes = fields.List(
        fields.Nested(NoteOutSchema),
        metadata={"description": "internal notes, oldest first; absent for auditors"},
    )
    deliveries = fields.List(
        fields.Nested(DeliverySchema),
        metadata={"description": "messages queued for the requester and what became of them"},
    )
    files = fields.List(
        fields.Nested(StaffFileOutSchema),
        metadata={"description": "files of the request, oldest first (download: /files/{id})"},
    )


class StaffIntakeOutSchema(RequestOutSchema):
    """A request entered by staff, with the tracking token to pass on to the requester once."""

    tracking_token = fields.String()


class RequestPageSchema(Schema):
    """One page of the list."""

    items = fields.List(fields.Nested(RequestSummarySchema))
    next_cursor = fields.String(allow_none=True)


class ListArgsSchema(Schema):
    """Filters and keyset pagination of the list (§5)."""

    status = one_of(STATUSES)
    open = fields.Boolean(
        metadata={"description": "true: received, in progress or awaiting; false: closed"}
    )
    type = one_of(TYPES)
    overdue = fields.Boolean()
    due_soon = fields.Boolean()
    measure_overdue = fields.Boolean(metadata={"description": "complaints: first measure late"})
    remediation_open = fields.Boolean(metadata={"description": "upheld, not yet remediated"})
    remediation_overdue = fields.Boolean()
    assignee = fields.String(validate=validate.Length(min=1, max=64))
    email = fields.String(
        validate=validate.Length(min=1, max=254), metadata={"description": "not for auditors"}
    )
    phone = fields.String(
        validate=validate.Length(min=1, max=40), metadata={"description": "not for auditors"}
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(validate=validate.Length(max=200))


class TransitionInSchema(Schema):
    """An action of §3.2 and the fields it needs."""

    action = one_of(tuple(ACTIONS), required=True)
    method = one_of(IDENTITY_METHODS)
    message = Text(max_length=10000)
    resolution = Text(max_length=10000)
    result = one_of(RESULTS)
    reason = Text(max_length=10000)
    legal_basis = one_of(LEGAL_BASES)
    blocklist_terms = fields.List(
        Text(max_length=200),
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "complete only: block the subject of a block request or "
            "an upheld portrait/reputation complaint"
        },
    )


class ExtensionInSchema(Schema):
    """An extension of the due date (§3.5); the policy decides how many days are allowed."""

    days = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=366),
        metadata={"description": "working days under a working-day policy, else calendar days"},
    )
    reason = Text(required=True, max_length=2000, metadata={"description": "shown to requester"})


class AssignInSchema(Schema):
    """Who should handle the request."""

    assignee = Text(required=True, max_length=64)
