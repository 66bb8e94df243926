"""Deadline endpoints of the ticket API: extensions and the SLA report."""

from __future__ import annotations

from datetime import timedelta

from flask_smorest import Blueprint

from pirights import clock
from pirights.deadlines import models as _models  # noqa: F401  (maps Request.extensions)
from pirights.deadlines import reports, service
from pirights.deadlines.schemas import (
    ExtensionInSchema,
    SlaArgsSchema,
    SlaReportSchema,
)
from pirights.errors import Invalid
from pirights.requests import present
from pirights.requests.schemas import RequestOutSchema
from pirights.staff.auth import current_staff, requires
from pirights.staff.roles import AUDITORS, SUPERVISORS

blp = Blueprint("deadlines", __name__, url_prefix="/api/v1", description="Deadlines and SLA")

REPORT_WINDOW = timedelta(days=30)


@blp.route("/requests/<string:reference>/extensions", methods=["POST"])
@requires(*SUPERVISORS)
@blp.arguments(ExtensionInSchema)
@blp.response(201, RequestOutSchema)
def post_extension(data, reference):
    """Extend a request's due date within its policy; the requester sees the reason."""
    req = service.extend_request(reference, data["days"], data["reason"], current_staff())
    return present.for_staff(req, clock.now()), 201, {"ETag": f'"{req.version}"'}


@blp.route("/reports/sla")
@requires(*AUDITORS)
@blp.arguments(SlaArgsSchema, location="query", as_kwargs=False)
@blp.response(200, SlaReportSchema)
def get_sla_report(args):
    """Counts, on-time rate, median working days to close and open overdue for a window."""
    now = clock.now()
    until = args.get("until") or now
    since = args.get("since") or until - REPORT_WINDOW
    if since >= until:
        raise Invalid("since must be before until.", errors={"since": ["must be before until"]})
    return reports.sla_report(since, until, now)
