"""The staff ticket API for requests (§5). Views parse, call one service, present."""

from __future__ import annotations

from flask import jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint

from pirights import clock
from pirights.errors import Invalid
from pirights.requests import extensions, intake, present, queries, service
from pirights.requests.schemas import (
    AssignInSchema,
    ExtensionInSchema,
    ListArgsSchema,
    MessageInSchema,
    NoteOutSchema,
    RequestOutSchema,
    RequestPageSchema,
    StaffIntakeOutSchema,
    StaffRequestInSchema,
    TransitionInSchema,
)
from pirights.staff.auth import current_staff, requires
from pirights.staff.roles import ALL_STAFF, SUPERVISORS, WRITERS, sees_masked

blp = Blueprint(
    "requests", __name__, url_prefix="/api/v1/requests", description="Ticket API for privacy staff"
)


def if_match() -> int | None:
    """The version named by If-Match, if any (ETags are the quoted version)."""
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not (value.isascii() and value.isdigit() and len(value) <= 18):
        raise Invalid(
            'If-Match must be an ETag this API returned, like "3".',
            errors={"If-Match": ["not a version ETag"]},
        )
    return int(value)


def masked() -> bool:
    """Auditors see requester PII and free text masked (§5)."""
    return sees_masked(current_staff().role)


def shown(req, status: int = 200):
    """The staff representation with its ETag."""
    body = present.for_staff(req, clock.now(), masked=masked())
    return body, status, {"ETag": f'"{req.version}"'}


@blp.route("")
class RequestCollection(MethodView):
    """The list of requests, and staff intake."""

    @requires(*ALL_STAFF)
    @blp.arguments(ListArgsSchema(), location="query", as_kwargs=False)
    @blp.response(200, RequestPageSchema)
    def get(self, args):
        """List requests by due date, with filters and a cursor."""
        queries.refuse_pii_filters(args, masked=masked())
        now = clock.now()
        items, cursor = queries.list_requests(args, now)
        hide = masked()
        # The items are already plain JSON values shaped as RequestPageSchema documents;
        # returning a Response skips a second serialisation pass over 50 x 40 fields.
        # Messages and notes stay out of the list (RequestSummarySchema): see the detail.
        return jsonify(
            {
                "items": [present.for_staff(r, now, masked=hide, detail=False) for r in items],
                "next_cursor": cursor,
            }
        )

    @requires(*WRITERS)
    @blp.arguments(StaffRequestInSchema())
    @blp.response(201, StaffIntakeOutSchema)
    def post(self, data):
        """Record a request received by another channel."""
        from flask import current_app

        channel = data.pop("channel")
        received_at = data.pop("received_at", None)
        req, answer = intake.submit(
            data,
            channel=channel,
            actor=current_staff().actor,
            received_at=received_at,
            default_jurisdiction=current_app.config["PIRIGHTS"].default_jurisdiction,
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        if req is None:
            req = service.view(answer["reference"], current_staff())
        body, status, headers = shown(req, 201)
        body["tracking_token"] = answer["tracking_token"]
        return body, status, headers


@blp.route("/<string:reference>")
@requires(*ALL_STAFF)
@blp.response(200, RequestOutSchema)
def get_request(reference):
    """Show one request (records request.viewed)."""
    return shown(service.view(reference, current_staff()))


@blp.route("/<string:reference>/transitions", methods=["POST"])
@requires(*WRITERS)
@blp.arguments(TransitionInSchema())
@blp.response(200, RequestOutSchema)
def post_transition(data, reference):
    """Move a request through its lifecycle."""
    action = data.pop("action")
    return shown(service.transition(reference, action, data, current_staff(), if_match()))


@blp.route("/<string:reference>/assign", methods=["POST"])
@requires(*WRITERS)
@blp.arguments(AssignInSchema())
@blp.response(200, RequestOutSchema)
def post_assign(data, reference):
    """Assign a request (agents only to themselves)."""
    return shown(service.assign(reference, data["assignee"], current_staff(), if_match()))


@blp.route("/<string:reference>/notes", methods=["POST"])
@requires(*WRITERS)
@blp.arguments(MessageInSchema())
@blp.response(201, NoteOutSchema)
def post_note(data, reference):
    """Add an internal note, never shown to the requester."""
    note = service.add_note(reference, data["body"], current_staff(), if_match())
    return present.note(note.request, note)


@blp.route("/<string:reference>/messages", methods=["POST"])
@requires(*WRITERS)
@blp.arguments(MessageInSchema())
@blp.response(201, RequestOutSchema)
def post_message(data, reference):
    """Send a message that the requester sees."""
    return shown(service.send_message(reference, data["body"], current_staff(), if_match()), 201)


@blp.route("/<string:reference>/extensions", methods=["POST"])
@requires(*SUPERVISORS)
@blp.arguments(ExtensionInSchema())
@blp.response(201, RequestOutSchema)
def post_extension(data, reference):
    """Extend a request's due date within its policy; the requester sees the reason."""
    req = extensions.extend_request(
        reference, data["days"], data["reason"], current_staff(), if_match()
    )
    return shown(req, 201)
