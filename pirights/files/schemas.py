"""Schemas of the files endpoints (SPEC §12.3); they document the API."""

from __future__ import annotations

from marshmallow import Schema, fields

from pirights.files.models import AUDIENCES


class FileSchema(Schema):
    """One file: what it is, never its content."""

    id = fields.Integer()
    name = fields.String(
        allow_none=True, metadata={"description": "the sender's name for it (masked for auditors)"}
    )
    size = fields.Integer(metadata={"description": "bytes"})
    sha256 = fields.String(metadata={"description": "hex SHA-256 of the original bytes"})
    content_type = fields.String(metadata={"description": "read from the bytes, not the name"})
    audience = fields.String(metadata={"enum": list(AUDIENCES)})
    created_at = fields.String(metadata={"format": "date-time"})


class StaffFileSchema(FileSchema):
    """A file as staff see it."""

    added_by = fields.String(metadata={"description": "requester or staff:NAME"})
    erased = fields.Boolean(metadata={"description": "content erased under retention"})


class RequesterFileSchema(FileSchema):
    """A file as the requester sees it."""

    # `from` is a Python keyword: the field reads the "from" key under another name.
    sender = fields.String(
        attribute="from", data_key="from", metadata={"enum": ["requester", "staff"]}
    )


class StaffFileListSchema(Schema):
    """A request's files, oldest first."""

    items = fields.List(fields.Nested(StaffFileSchema))


class RequesterFileListSchema(Schema):
    """The files meant for the requester, oldest first."""

    items = fields.List(fields.Nested(RequesterFileSchema))


UPLOAD_DOC = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "audience": {"type": "string", "enum": list(AUDIENCES)},
                },
            }
        }
    },
}
REQUESTER_UPLOAD_DOC = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        }
    },
}
