"""Files endpoints (SPEC §12.3): staff under /api/v1/requests, the requester under
/api/v1/public/requests (tracking token in X-Tracking-Token). Views parse, call one
service function, present."""

from __future__ import annotations

from flask import request
from flask_smorest import Blueprint

from pirights.files import service, web
from pirights.files.schemas import (
    REQUESTER_UPLOAD_DOC,
    UPLOAD_DOC,
    RequesterFileListSchema,
    RequesterFileSchema,
    StaffFileListSchema,
    StaffFileSchema,
)
from pirights.requests.public import TOKEN_HEADER
from pirights.staff.auth import current_staff, requires
from pirights.staff.roles import ALL_STAFF, WRITERS, sees_masked
from pirights.uploads import accepts_upload

blp = Blueprint(
    "files",
    __name__,
    url_prefix="/api/v1/requests",
    description="Files of requests: results for the requester, evidence, internal documents",
)
public_blp = Blueprint(
    "public_files",
    __name__,
    url_prefix="/api/v1/public/requests",
    description="The requester's evidence and the files meant for them",
)

STAFF_BODY = service.STAFF_MAX_BYTES + service.BODY_SLACK
REQUESTER_BODY = service.REQUESTER_MAX_BYTES + service.BODY_SLACK
FILE_RESPONSE = {
    "description": "the original bytes, as an attachment",
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}


@blp.route("/<string:reference>/files", methods=["POST"])
@accepts_upload(STAFF_BODY)
@requires(*WRITERS)
@blp.doc(requestBody=UPLOAD_DOC)
@blp.response(201, StaffFileSchema)
def post_file(reference):
    """Attach a file (multipart `file` and `audience`: requester or internal)."""
    row = service.add_staff_file(reference, current_staff(), web.read_body)
    return service.present(row.request, row)


@blp.route("/<string:reference>/files", methods=["GET"])
@requires(*ALL_STAFF)
@blp.response(200, StaffFileListSchema)
def get_files(reference):
    """A request's files (names masked for auditors)."""
    req, rows = service.staff_files(reference)
    hide = sees_masked(current_staff().role)
    return {"items": [service.present(req, row, masked=hide) for row in rows]}


@blp.route("/<string:reference>/files/<int:file_id>", methods=["GET"])
@requires(*WRITERS)
@blp.doc(responses={"200": FILE_RESPONSE})
def get_file(reference, file_id):
    """Download one file's original bytes (not for auditors)."""
    return web.send(service.staff_download(reference, file_id, current_staff()))


def _token() -> str | None:
    """The requester's tracking token header."""
    return request.headers.get(TOKEN_HEADER)


@public_blp.route("/<string:reference>/files", methods=["POST"])
@accepts_upload(REQUESTER_BODY)
@public_blp.doc(requestBody=REQUESTER_UPLOAD_DOC)
@public_blp.response(201, RequesterFileSchema)
def post_evidence(reference):
    """Send evidence: PNG, JPEG, WebP, GIF, PDF, plain text or MP4, up to 10 MiB."""
    row = service.add_requester_file(reference, _token(), web.read_body)
    return service.present(row.request, row, staff=False)


@public_blp.route("/<string:reference>/files", methods=["GET"])
@public_blp.response(200, RequesterFileListSchema)
def get_my_files(reference):
    """The files meant for the requester: results from staff, and their own evidence."""
    req, rows = service.requester_files(reference, _token())
    return {"items": [service.present(req, row, staff=False) for row in rows]}


@public_blp.route("/<string:reference>/files/<int:file_id>", methods=["GET"])
@public_blp.doc(responses={"200": FILE_RESPONSE})
def get_my_file(reference, file_id):
    """Download one of the files meant for the requester."""
    return web.send(service.requester_download(reference, _token(), file_id))
