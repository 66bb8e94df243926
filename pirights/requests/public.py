"""The public JSON API (§4): no staff token; the tracking token identifies the requester."""

from __future__ import annotations

from flask import current_app, request
from flask_smorest import Blueprint

from pirights.requests import intake, present, service
from pirights.requests.schemas import (
    IntakeOutSchema,
    MessageInSchema,
    PublicStatusSchema,
    PublicWithdrawSchema,
    RequestInSchema,
)

blp = Blueprint(
    "public", __name__, url_prefix="/api/v1/public", description="Public API for requesters"
)

TOKEN_HEADER = "X-Tracking-Token"


def _token() -> str | None:
    """The requester's tracking token header."""
    return request.headers.get(TOKEN_HEADER)


@blp.route("/requests", methods=["POST"])
@blp.arguments(RequestInSchema())
@blp.response(201, IntakeOutSchema)
def submit(data):
    """Submit a rights request or complaint."""
    _, answer = intake.submit(
        data,
        channel="web",
        actor="requester",
        default_jurisdiction=current_app.config["PIRIGHTS"].default_jurisdiction,
        idempotency_key=request.headers.get("Idempotency-Key"),
        keep=False,
    )
    return answer


@blp.route("/requests/<string:reference>")
@blp.response(200, PublicStatusSchema)
def status(reference):
    """See the status, messages and outcome of one's request."""
    return present.for_requester(service.requester_view(reference, _token()))


@blp.route("/requests/<string:reference>/messages", methods=["POST"])
@blp.arguments(MessageInSchema())
@blp.response(201, PublicStatusSchema)
def reply(data, reference):
    """Write to the privacy team; resumes a request awaiting the requester."""
    return present.for_requester(service.requester_message(reference, _token(), data["body"]))


@blp.route("/requests/<string:reference>/withdraw", methods=["POST"])
@blp.arguments(PublicWithdrawSchema(), required=False)
@blp.response(200, PublicStatusSchema)
def withdraw(data, reference):
    """Withdraw one's request."""
    return present.for_requester(
        service.requester_withdraw(reference, _token(), (data or {}).get("reason"))
    )
