"""The SLA report endpoint (SPEC §5 `GET /api/v1/reports/sla`).

Kept under the OpenAPI tag "deadlines" it always had; it reports on requests, so it lives
in `requests` (the `deadlines` package is the calendar and policy engine below them).
"""

from __future__ import annotations

from datetime import timedelta

from flask_smorest import Blueprint

from pirights import clock
from pirights.deadlines import models as _models  # noqa: F401  (maps Request.extensions)
from pirights.errors import Invalid
from pirights.requests import reports
from pirights.requests.report_schemas import (
    SlaArgsSchema,
    SlaReportSchema,
)
from pirights.staff.auth import requires
from pirights.staff.roles import AUDITORS

blp = Blueprint("deadlines", __name__, url_prefix="/api/v1", description="Deadlines and SLA")

REPORT_WINDOW = timedelta(days=30)


@blp.route("/reports/sla")
@requires(*AUDITORS)
@blp.arguments(SlaArgsSchema(), location="query", as_kwargs=False)
@blp.response(200, SlaReportSchema)
def get_sla_report(args):
    """Counts, on-time rate, median working days to close and open overdue for a window."""
    now = clock.now()
    until = args.get("until") or now
    since = args.get("since") or until - REPORT_WINDOW
    if since >= until:
        raise Invalid("since must be before until.", errors={"since": ["must be before until"]})
    return reports.sla_report(since, until, now)
