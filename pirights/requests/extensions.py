"""Extensions of a request's due date (SPEC §3.5): one unit of work with its audit event."""

from __future__ import annotations

from pirights import clock
from pirights.audit import actions
from pirights.audit.recorder import record
from pirights.deadlines.counting import ExtensionError
from pirights.deadlines.models import Extension
from pirights.deadlines.runtime import book
from pirights.errors import Conflict, Invalid
from pirights.extensions import db
from pirights.requests import hooks
from pirights.requests import lifecycle as lc
from pirights.requests.models import Request
from pirights.requests.present import iso_local
from pirights.requests.queries import load
from pirights.requests.service import check_version
from pirights.staff.models import Staff


def extend_request(
    reference: str, days: int, reason: str, staff: Staff, if_match: int | None = None
) -> Request:
    """Move a non-terminal request's due date later by `days`, within its policy.

    409 for a closed request, 422 (errors.days) beyond the policy's limits, 412 for a stale
    If-Match. The reason is
    stored encrypted and shown to the requester; the audit event carries only the dates.
    """
    now = clock.now()
    with db.unit_of_work() as s:
        req = load(s, reference, for_update=True)
        check_version(req, if_match)
        if req.status in lc.TERMINAL:
            raise Conflict(
                f"The request is {req.status}; only an open request can be extended.",
                slug="request-closed",
            )
        earlier = [e.days for e in req.extensions]
        old_due = req.due_at
        try:
            new_due = book().extended(
                req.received_at, old_due, days, earlier, req.jurisdiction, req.type
            )
        except ExtensionError as exc:
            raise Invalid(
                f"This extension is not allowed: {exc}.", errors={"days": [str(exc)]}
            ) from None
        req.extensions.append(
            Extension(
                days=days,
                reason=reason,
                staff_id=staff.id,
                created_at=now,
                old_due_at=old_due,
                new_due_at=new_due,
                paused_days_before=req.paused_days,
            )
        )
        req.due_at = new_due
        req.due_at_provisional = req.due_at_provisional or book().provisional_after_move(
            old_due, new_due, req.jurisdiction, req.type
        )
        req.updated_at = now
        record(
            s,
            actor=staff.actor,
            action=actions.REQUEST_EXTENDED,
            request_ref=req.reference,
            data={
                "days": days,
                "old_due_at": iso_local(req, old_due),
                "new_due_at": iso_local(req, new_due),
                "due_at_provisional": req.due_at_provisional,
                "deadline_rule": req.deadline_rule,
                "calendar_data": req.calendar_data,
                "extensions": len(earlier) + 1,
            },
        )
        for extended in hooks.on_extended:
            extended(s, req, req.extensions[-1], staff, now)
    return req
