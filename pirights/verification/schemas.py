"""Bodies of the verification endpoints (SPEC §12.1)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from pirights.verification.codes import SHAPE


class CodeInSchema(Schema):
    """The code the requester received: exactly six digits."""

    code = fields.String(
        required=True,
        validate=validate.Regexp(SHAPE, error="must be the 6 digits we sent you"),
        metadata={"example": "123456"},
    )


class VerifiedOutSchema(Schema):
    """The request is verified."""

    identity_verified = fields.Boolean()


class CodeSentOutSchema(Schema):
    """Where the new code went and when it stops working."""

    channel = fields.String(metadata={"enum": ["email", "sms"]})
    expires_at = fields.String(metadata={"format": "date-time"})
