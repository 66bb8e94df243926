"""Schemas of the SLA report endpoint: they validate input and generate the OpenAPI document."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import current_app
from marshmallow import Schema, ValidationError, fields

from pirights.deadlines.runtime import book


class Moment(fields.Field):
    """A date (midnight in the default jurisdiction's time zone) or an aware date-time.

    With `whole_day`, a bare date means the end of that day (the next midnight).
    """

    def __init__(self, *, whole_day: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.whole_day = whole_day

    def _deserialize(self, value, attr, data, **kwargs):
        """Parse YYYY-MM-DD or an ISO 8601 date-time with offset."""
        if not isinstance(value, str):
            raise ValidationError("must be a date like 2026-09-01 or a date-time with offset")
        try:
            if len(value) == 10:
                tz = book().timezone(current_app.config["PIRIGHTS"].default_jurisdiction)
                day = date.fromisoformat(value) + timedelta(days=1 if self.whole_day else 0)
                return datetime.combine(day, time(), tzinfo=tz)
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(
                "must be a date like 2026-09-01 or a date-time with offset"
            ) from None
        if moment.tzinfo is None:
            raise ValidationError("a date-time needs a UTC offset, e.g. +08:00")
        return moment


class SlaArgsSchema(Schema):
    """The window of the SLA report: requests received since <= received_at < until.

    A bare date for `until` includes that whole day. Defaults: the 30 days up to now.
    """

    since = Moment(metadata={"description": "date or date-time; default until - 30 days"})
    until = Moment(
        whole_day=True, metadata={"description": "date (inclusive) or date-time (exclusive)"}
    )


class CountCellSchema(Schema):
    """Requests of one type in one status."""

    type = fields.String()
    status = fields.String()
    count = fields.Integer()


class SlaReportSchema(Schema):
    """The SLA report."""

    since = fields.String(metadata={"format": "date-time"})
    until = fields.String(metadata={"format": "date-time"})
    total = fields.Integer()
    by_type = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_type_status = fields.List(fields.Nested(CountCellSchema))
    closed = fields.Integer()
    on_time = fields.Integer()
    on_time_rate = fields.Float(allow_none=True)
    median_working_days_to_close = fields.Float(allow_none=True)
    open_overdue = fields.Integer()
    complaints = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "measure_overdue, remediation_open, remediation_overdue"},
    )
