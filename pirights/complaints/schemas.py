"""Schemas of the complaint endpoints (§9)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from pirights.complaints.service import MEASURE_KINDS
from pirights.fields import Text, one_of


class MeasureInSchema(Schema):
    """A measure taken against infringing content."""

    kind = one_of(MEASURE_KINDS, required=True)
    detail = Text(required=True, max_length=10000)


class RemediationInSchema(Schema):
    """The model-optimisation work done."""

    detail = Text(required=True, max_length=10000)
    model_version = Text(required=True, max_length=120)


class BlocklistInSchema(Schema):
    """A new blocklist entry: a person's names and aliases, or a phrase."""

    terms = fields.List(
        Text(max_length=200), required=True, validate=validate.Length(min=1, max=100)
    )
    request_ref = fields.String(required=True, validate=validate.Length(min=1, max=32))
    reason = Text(required=True, max_length=2000)


class BlocklistEntrySchema(Schema):
    """An active entry."""

    id = fields.Integer()
    terms = fields.List(fields.String())
    request_ref = fields.String(allow_none=True)
    created_at = fields.String(metadata={"format": "date-time"})


class BlocklistSchema(Schema):
    """Every active entry, and the version that is also the ETag."""

    version = fields.Integer()
    items = fields.List(fields.Nested(BlocklistEntrySchema))


class CheckInSchema(Schema):
    """Text a generation service is about to produce or has produced."""

    text = fields.String(required=True, validate=validate.Length(max=100_000))


class MatchSchema(Schema):
    """One term found."""

    id = fields.Integer()
    term = fields.String()


class CheckOutSchema(Schema):
    """Terms found in the text."""

    matches = fields.List(fields.Nested(MatchSchema))
