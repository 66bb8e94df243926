"""Complaint endpoints of the ticket API and the blocklist the generation service polls."""

from __future__ import annotations

from flask import request
from flask_smorest import Blueprint

from pirights.complaints import blocklist, service
from pirights.complaints.schemas import (
    BlocklistEntrySchema,
    BlocklistInSchema,
    BlocklistSchema,
    CheckInSchema,
    CheckOutSchema,
    MeasureInSchema,
    RemediationInSchema,
)
from pirights.database import MAX_ROW_ID
from pirights.requests.routes import if_match, shown
from pirights.requests.schemas import RequestOutSchema
from pirights.staff.auth import current_staff, requires
from pirights.staff.roles import BLOCKLIST_READERS, SUPERVISORS, WRITERS

blp = Blueprint(
    "complaints",
    __name__,
    url_prefix="/api/v1",
    description="Complaints about generated content and the subject blocklist",
)

BLOCKLIST_WRITERS = SUPERVISORS


@blp.route("/requests/<string:reference>/measures", methods=["POST"])
@requires(*WRITERS)
@blp.arguments(MeasureInSchema())
@blp.response(201, RequestOutSchema)
def post_measure(data, reference):
    """Record a measure that stops the infringing content."""
    req = service.record_measure(
        reference, data["kind"], data["detail"], current_staff(), if_match()
    )
    return shown(req, 201)


@blp.route("/requests/<string:reference>/remediation", methods=["POST"])
@requires(*WRITERS)
@blp.arguments(RemediationInSchema())
@blp.response(201, RequestOutSchema)
def post_remediation(data, reference):
    """Record the model optimisation that prevents regeneration."""
    req = service.record_remediation(
        reference, data["detail"], data["model_version"], current_staff(), if_match()
    )
    return shown(req, 201)


def _etag(version: int) -> str:
    """The list's ETag."""
    return f'"blocklist-{version}"'


@blp.route("/blocklist", methods=["GET"])
@requires(*BLOCKLIST_READERS)
@blp.response(200, BlocklistSchema)
def get_blocklist():
    """Every active entry; 304 while the If-None-Match version is current."""
    if request.if_none_match and request.if_none_match.contains_weak(
        _etag(blocklist.current_version()).strip('"')
    ):
        return "", 304, {"ETag": _etag(blocklist.current_version())}
    version, items = blocklist.active()
    return {"version": version, "items": items}, 200, {"ETag": _etag(version)}


@blp.route("/blocklist", methods=["POST"])
@requires(*BLOCKLIST_WRITERS)
@blp.arguments(BlocklistInSchema())
@blp.response(201, BlocklistEntrySchema)
def post_blocklist(data):
    """Add a person's names and aliases, or a phrase, to the blocklist."""
    entry, reference = blocklist.add(
        data["terms"], data["request_ref"], data["reason"], current_staff()
    )
    return blocklist.present(entry, reference)


# Bounded like the INTEGER key it names: a larger id matches no route and is a plain 404.
@blp.route(f"/blocklist/<int(min=1, max={MAX_ROW_ID}):entry_id>", methods=["DELETE"])
@requires(*BLOCKLIST_WRITERS)
@blp.response(204)
def delete_blocklist(entry_id):
    """Remove an entry from the blocklist."""
    blocklist.remove(entry_id, current_staff())
    return ""


@blp.route("/blocklist/check", methods=["POST"])
@requires(*BLOCKLIST_READERS)
@blp.arguments(CheckInSchema())
@blp.response(200, CheckOutSchema)
def post_check(data):
    """Find blocklisted terms in a text (NFKC, case- and space-insensitive)."""
    return {"matches": blocklist.check(data["text"])}
