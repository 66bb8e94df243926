"""Changes to existing requests. Each public function is one unit of work that writes
its audit event(s) in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from pirights import clock
from pirights.audit import actions
from pirights.audit.recorder import record
from pirights.deadlines.runtime import book
from pirights.errors import Conflict, Forbidden, Invalid, NotFound, PreconditionFailed
from pirights.extensions import db
from pirights.requests import hooks
from pirights.requests import lifecycle as lc
from pirights.requests.models import Message, Note, Request
from pirights.requests.queries import load
from pirights.requests.references import normalise_reference, token_matches
from pirights.staff import roles
from pirights.staff.models import Staff

# Fields an action may carry beyond its required ones (features add theirs: hooks).
OPTIONAL_FIELDS = {"complete": ("result", "reason")}
NEEDS_REASON = ("partial", "restricted")


def check_version(req: Request, if_match: int | None) -> None:
    """412 when the caller edited a version that is no longer current.

    Called after load(..., for_update=True), so the version compared is the one this
    change will replace: a stale If-Match is 412, a current one always goes through.
    """
    if if_match is not None and if_match != req.version:
        raise PreconditionFailed(
            f"The request changed since you read it (you have version {if_match}, it is now "
            f"{req.version}); fetch it again and retry.",
        )


def _validate_fields(action: lc.Action, fields: dict[str, Any]) -> None:
    """422 naming each missing or unexpected field of an action."""
    errors: dict[str, list[str]] = {}
    for name in action.required:
        if not fields.get(name):
            errors[name] = [f"required for action {action.name}"]
    allowed = set(action.required) | set(OPTIONAL_FIELDS.get(action.name, ()))
    allowed |= hooks.extra_fields(action.name)
    for name in fields:
        if name not in allowed:
            errors[name] = [f"not used by action {action.name}"]
    if (
        action.name == "complete"
        and fields.get("result") in NEEDS_REASON
        and not fields.get("reason")
    ):
        errors["reason"] = [f"required when result is {fields['result']}"]
    if errors:
        raise Invalid(f"Action {action.name} needs other fields; see errors.", errors=errors)


def _end_pause(req: Request, now: datetime) -> int:
    """Leave awaiting_requester: move due_at by the paused days; returns them."""
    if req.paused_at is None:
        return 0
    old_due = req.due_at
    req.due_at, days = book().after_pause(
        req.due_at, req.paused_at, now, req.jurisdiction, req.type
    )
    # The days the due date moved across may still change when a schedule arrives.
    req.due_at_provisional = req.due_at_provisional or book().provisional_after_move(
        old_due, req.due_at, req.jurisdiction, req.type
    )
    req.paused_days += days
    req.paused_at = None
    return days


def _apply(
    req: Request, action: lc.Action, fields: dict[str, Any], now: datetime, staff: Staff | None
) -> dict[str, Any]:
    """Change the request as the action says; returns the audit data."""
    before = req.status
    after = _guarded_target(req, action)
    data: dict[str, Any] = {"action": action.name, "from": before, "to": after}
    if before == lc.AWAITING and after != lc.AWAITING:
        data["paused_days"] = _end_pause(req, now)
        data["due_at"] = req.due_at.isoformat()
    if action.name == "verify_identity":
        req.identity_verified, req.identity_method = True, fields["method"]
        data["method"] = fields["method"]
    elif action.name == "request_info":
        req.paused_at = now
        req.messages.append(
            Message(
                sender="staff",
                staff_id=staff.id if staff else None,
                body=fields["message"],
                created_at=now,
            )
        )
    elif action.name == "complete":
        req.outcome_result = fields.get("result") or "fulfilled"
        req.resolution, req.outcome_reason = fields["resolution"], fields.get("reason")
        data["result"] = req.outcome_result
    elif action.name == "refuse":
        req.outcome_result, req.legal_basis = lc.REFUSED, fields["legal_basis"]
        req.resolution, req.outcome_reason = None, fields["reason"]
        data["legal_basis"] = fields["legal_basis"]
    elif action.name == "withdraw":
        req.outcome_result, req.resolution = lc.WITHDRAWN, None
        req.outcome_reason = fields.get("reason")
    elif action.name == "reopen":
        data["previous_result"] = req.outcome_result
        req.outcome_result = req.resolution = req.outcome_reason = req.legal_basis = None
        req.outcome_at = req.closed_at = req.on_time = None
    req.status = after
    if after in lc.TERMINAL:
        req.outcome_at = req.closed_at = now
        req.on_time = now <= req.due_at
        data["on_time"] = req.on_time
    data["fields"] = sorted(k for k in fields if k not in ("method", "legal_basis", "result"))
    req.updated_at = now
    return data


def _guarded_target(req: Request, action: lc.Action) -> str:
    """The target status, or 409 with the reason."""
    try:
        return lc.check(action, req.status, identity_verified=req.identity_verified)
    except lc.TransitionRefused as exc:
        raise Conflict(str(exc), slug=exc.slug) from None


def transition(
    reference: str,
    action_name: str,
    fields: dict[str, Any],
    staff: Staff,
    if_match: int | None = None,
) -> Request:
    """Apply a §3.2 action for a staff member.

    Features take part through `hooks`: they may refuse first, add to the transition's
    audit data, and make follow-on changes, all in this one unit of work.
    """
    action = lc.ACTIONS[action_name]
    if staff.role not in action.roles:
        raise Forbidden(f"Only {', '.join(sorted(action.roles))} may {action_name}.")
    _validate_fields(action, fields)
    extra = hooks.extra_fields(action.name)
    own = {k: v for k, v in fields.items() if k not in extra}
    now = clock.now()
    with db.unit_of_work() as s:
        req = load(s, reference, for_update=True)
        check_version(req, if_match)
        for before in hooks.before_transition:
            before(s, req, action.name)
        data = _apply(req, action, own, now, staff)
        for after in hooks.after_transition:
            data.update(after(s, req, action.name, fields, staff, now))
        record(
            s,
            actor=staff.actor,
            action=actions.REQUEST_TRANSITIONED,
            request_ref=req.reference,
            data=data,
        )
        for follow_on in hooks.on_transitioned:
            follow_on(s, req, action.name, fields, staff, now)
    return req


def assign(reference: str, assignee: str, staff: Staff, if_match: int | None = None) -> Request:
    """Give the request to a member; agents may only take it themselves."""
    if staff.role == roles.AGENT and assignee != staff.name:
        raise Forbidden("Agents may only assign requests to themselves.")
    now = clock.now()
    with db.unit_of_work() as s:
        member = s.scalar(select(Staff).where(Staff.name == assignee))
        if member is None or not member.active or member.role not in lc.STAFF_WRITERS:
            raise Invalid(
                f"No active agent, supervisor or admin named {assignee!r}.",
                errors={"assignee": ["no such active staff member who handles requests"]},
            )
        req = load(s, reference, for_update=True)
        check_version(req, if_match)
        previous = req.assignee.name if req.assignee else None
        req.assignee, req.updated_at = member, now
        record(
            s,
            actor=staff.actor,
            action=actions.REQUEST_ASSIGNED,
            request_ref=req.reference,
            data={"from": previous, "to": member.name},
        )
    return req


def add_note(reference: str, body: str, staff: Staff, if_match: int | None = None) -> Note:
    """An internal note (never shown to the requester)."""
    now = clock.now()
    with db.unit_of_work() as s:
        req = load(s, reference, for_update=True)
        check_version(req, if_match)
        note = Note(staff_id=staff.id, body=body, created_at=now)
        req.notes.append(note)
        req.updated_at = now
        s.flush()
        record(
            s,
            actor=staff.actor,
            action=actions.REQUEST_NOTE_ADDED,
            request_ref=req.reference,
            data={"note_id": note.id, "length": len(body)},
        )
    return note


def send_message(reference: str, body: str, staff: Staff, if_match: int | None = None) -> Request:
    """A message to the requester, shown on their status page."""
    now = clock.now()
    with db.unit_of_work() as s:
        req = load(s, reference, for_update=True)
        check_version(req, if_match)
        if req.status in lc.TERMINAL:
            raise Conflict(
                f"The request is {req.status}; reopen it before writing to the requester.",
                slug="request-closed",
            )
        msg = Message(sender="staff", staff_id=staff.id, body=body, created_at=now)
        req.messages.append(msg)
        req.updated_at = now
        s.flush()
        record(
            s,
            actor=staff.actor,
            action=actions.REQUEST_MESSAGE_SENT,
            request_ref=req.reference,
            data={"message_id": msg.id, "length": len(body)},
        )
        for sent in hooks.on_message_sent:
            sent(s, req, msg, staff, now)
    return req


def view(reference: str, staff: Staff) -> Request:
    """Read one request for a member, recording that they saw its PII (§6)."""
    with db.unit_of_work() as s:
        req = load(s, reference)
        record(
            s,
            actor=staff.actor,
            action=actions.REQUEST_VIEWED,
            request_ref=req.reference,
            data={"masked": roles.sees_masked(staff.role)},
        )
    return req


# --- the requester's side (§4.2) -------------------------------------------------------


# Compared against when no request has the reference, so that an unknown reference and a
# wrong token cost the same hash and comparison (timing must not reveal existence).
_NO_HASH = "0" * 64


def load_for_requester(
    s: Session, reference: str, token: str | None, *, for_update: bool = False
) -> Request:
    """The request if the token matches; otherwise the same 404 in every case.

    Unknown references and wrong tokens do the same work: one query for the stored hash
    (nothing decrypted, nothing eager-loaded), one hash and one constant-time comparison.
    Only a matching token loads the request, locked for a unit of work that changes it,
    so a stranger guessing tokens never makes the owner wait.
    """
    row = s.execute(
        select(Request.id, Request.tracking_token_hash).where(
            Request.reference == normalise_reference(reference or "")
        )
    ).first()
    stored = row.tracking_token_hash if row is not None else None
    if not token_matches(token, stored or _NO_HASH) or stored is None:
        raise NotFound("No request matches this reference and tracking token.")
    query = select(Request).where(Request.id == row.id).options(selectinload(Request.messages))
    if for_update:
        query = query.with_for_update(of=Request).execution_options(populate_existing=True)
    return s.scalars(query).one()


def requester_view(reference: str, token: str | None) -> Request:
    """The requester's own request."""
    with db.unit_of_work() as s:
        return load_for_requester(s, reference, token)


def requester_message(reference: str, token: str | None, body: str) -> Request:
    """A reply from the requester; it resumes a request awaiting them."""
    now = clock.now()
    with db.unit_of_work() as s:
        req = load_for_requester(s, reference, token, for_update=True)
        if req.status in lc.TERMINAL:
            raise Conflict(
                f"This request is {req.status}; submit a new request instead.",
                slug="request-closed",
            )
        msg = Message(sender="requester", body=body, created_at=now)
        req.messages.append(msg)
        req.updated_at = now
        s.flush()
        record(
            s,
            actor="requester",
            action=actions.REQUEST_MESSAGE_RECEIVED,
            request_ref=req.reference,
            data={"message_id": msg.id, "length": len(body)},
        )
        if req.status == lc.AWAITING:
            data = _apply(req, lc.ACTIONS["resume"], {}, now, None)
            data["trigger"] = "requester_reply"
            record(
                s,
                actor="requester",
                action=actions.REQUEST_TRANSITIONED,
                request_ref=req.reference,
                data=data,
            )
    return req


def requester_withdraw(reference: str, token: str | None, reason: str | None) -> Request:
    """The requester withdraws their own request."""
    now = clock.now()
    with db.unit_of_work() as s:
        req = load_for_requester(s, reference, token, for_update=True)
        fields = {"reason": reason} if reason else {}
        data = _apply(req, lc.ACTIONS["withdraw"], fields, now, None)
        data["by"] = "requester"
        record(
            s,
            actor="requester",
            action=actions.REQUEST_TRANSITIONED,
            request_ref=req.reference,
            data=data,
        )
    return req
