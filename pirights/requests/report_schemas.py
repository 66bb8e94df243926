"""Schemas of the SLA report endpoint: they validate input and generate the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from marshmallow import Schema, ValidationError, fields

from pirights.deadlines.runtime import book

# The span a report window may name. Dates near year 1 or 9999 overflow as soon as they are
# moved to UTC or by a day (a bare `until` date, the default 30-day window), so the bounds
# keep a margin on both sides and every accepted moment is safe to compute with and to bind.
EARLIEST_MOMENT = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_MOMENT = datetime(9999, 1, 1, tzinfo=UTC)
MOMENT_HELP = "must be a date like 2026-09-01 or a date-time with offset"
MOMENT_RANGE = "must be between 1900-01-01 and 9998-12-31"


class Moment(fields.Field):
    """A date (midnight in the default jurisdiction's time zone) or an aware date-time.

    With `whole_day`, a bare date means the end of that day (the next midnight).
    """

    def __init__(self, *, whole_day: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.whole_day = whole_day

    def _deserialize(self, value, attr, data, **kwargs):
        """Parse YYYY-MM-DD or an ISO 8601 date-time with offset, within the bounds."""
        if not isinstance(value, str):
            raise ValidationError(MOMENT_HELP)
        try:
            if len(value) == 10:
                tz = book().timezone(current_app.config["PIRIGHTS"].default_jurisdiction)
                day = date.fromisoformat(value) + timedelta(days=1 if self.whole_day else 0)
                moment = datetime.combine(day, time(), tzinfo=tz)
            else:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                raise ValidationError("a date-time needs a UTC offset, e.g. +08:00")
            in_utc = moment.astimezone(UTC)
        except ValueError:
            raise ValidationError(MOMENT_HELP) from None
        except OverflowError:
            in_utc = None
        if in_utc is None or not EARLIEST_MOMENT <= in_utc < LATEST_MOMENT:
            raise ValidationError(MOMENT_RANGE)
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
