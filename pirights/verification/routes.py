"""The requester's verification endpoints (SPEC §12.1), beside the §4.2 follow-ups."""

from __future__ import annotations

from flask import request
from flask_smorest import Blueprint

from pirights.verification import service
from pirights.verification.schemas import CodeInSchema, CodeSentOutSchema, VerifiedOutSchema

blp = Blueprint(
    "verification",
    __name__,
    url_prefix="/api/v1/public",
    description="Requesters prove who they are with a one-time code",
)

TOKEN_HEADER = "X-Tracking-Token"


@blp.route("/requests/<string:reference>/verification", methods=["POST"])
@blp.arguments(CodeInSchema())
@blp.response(200, VerifiedOutSchema)
@blp.alt_response(409, description="verified, closed, or no live code (ask for a new one)")
def verify(data, reference):
    """Enter the code we sent; a wrong one answers 422 with the tries left."""
    req = service.verify(reference, request.headers.get(TOKEN_HEADER), data["code"])
    return {"identity_verified": req.identity_verified}


@blp.route("/requests/<string:reference>/verification-code", methods=["POST"])
@blp.response(200, CodeSentOutSchema)
@blp.alt_response(409, description="verified, closed, or nowhere to send a code")
@blp.alt_response(429, description="one code a minute, five a day; see Retry-After")
def new_code(reference):
    """Send a new code; the one before stops working."""
    return service.resend(reference, request.headers.get(TOKEN_HEADER))
