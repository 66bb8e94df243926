"""The request page (SPEC §13): one request, how its due date was counted, its timeline and
conversation, and a form for each action allowed now.

Every change calls the service the API calls (requests.service, requests.extensions,
complaints.service) with the page's version as If-Match, and every form is parsed by the
API's own schema, so the page can do nothing the API could not. A refusal (409, 412,
422...) is shown on the page, above the form that caused it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError

from pirights import clock
from pirights.audit import actions
from pirights.audit_api import events_of
from pirights.complaints import service as complaints
from pirights.complaints.blocklist import BLOCKING_TYPES
from pirights.complaints.schemas import MeasureInSchema, RemediationInSchema
from pirights.complaints.service import MEASURE_KINDS
from pirights.console import words
from pirights.console.blueprint import bp
from pirights.console.queue_views import assignable
from pirights.console.session import console_view
from pirights.deadlines.explain import Explanation
from pirights.deadlines.runtime import book
from pirights.errors import DomainError, Forbidden, PreconditionFailed
from pirights.extensions import db
from pirights.intake_form.locale import babel_locale
from pirights.requests import extensions, hooks, present, service
from pirights.requests import lifecycle as lc
from pirights.requests.models import Request
from pirights.requests.recompute import steps
from pirights.requests.schemas import (
    AssignInSchema,
    ExtensionInSchema,
    MessageInSchema,
    TransitionInSchema,
)
from pirights.staff import roles
from pirights.staff.models import Staff

# The form fields each page action posts, beside `action` and `version`.
FORM_FIELDS: dict[str, tuple[str, ...]] = {
    "verify_identity": ("method",),
    "accept": (),
    "request_info": ("message",),
    "resume": (),
    "complete": ("resolution", "result", "reason", "blocklist_terms"),
    "refuse": ("legal_basis", "reason"),
    "withdraw": ("reason",),
    "reopen": ("reason",),
    "extend": ("days", "reason"),
    "assign": ("assignee",),
    "note": ("body",),
    "message": ("body",),
    "measure": ("kind", "detail"),
    "remediation": ("detail", "model_version"),
}
SCHEMAS: dict[str, Schema] = {
    "extend": ExtensionInSchema(),
    "assign": AssignInSchema(),
    "note": MessageInSchema(),
    "message": MessageInSchema(),
    "measure": MeasureInSchema(),
    "remediation": RemediationInSchema(),
}
TRANSITION = TransitionInSchema()


class FormProblem(Exception):
    """The page's own refusal of a form (unknown action, bad version)."""

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message, self.errors = message, errors or {}


def allowed_actions(req: Request, member: Staff) -> list[str]:
    """The page actions the member may take on the request now, in §13's order.

    State-machine actions are those `lifecycle.check` and the features' before_transition
    hooks accept now for the member's role; the others follow the rules their services
    apply.
    """
    if member.role not in roles.WRITERS:
        return []
    out = []
    for name, action in lc.ACTIONS.items():
        if member.role not in action.roles:
            continue
        try:
            lc.check(action, req.status, identity_verified=req.identity_verified)
            # The features' own refusals too (a complaint without a measure, tasks still
            # open), so a button is offered only when the service would take it.
            for before in hooks.before_transition:
                before(db.session, req, name)
        except (lc.TransitionRefused, DomainError):
            continue
        out.append(name)
    open_ = req.status not in lc.TERMINAL
    if open_ and member.role in roles.SUPERVISORS:
        out.append("extend")
    if open_:
        out.append("assign")
    out.append("note")
    if open_:
        out.append("message")
    if lc.is_complaint(req.type):
        if req.status not in (lc.REFUSED, lc.WITHDRAWN):
            out.append("measure")
        track = getattr(req, "complaint_track", None)
        if (
            req.status == lc.COMPLETED
            and track is not None
            and track.remediation_due_at is not None
            and track.remediated_at is None
        ):
            out.append("remediation")
    return out


def _version() -> int | None:
    """The version the page showed (sent as If-Match); None when the form has none."""
    raw = request.form.get("version", "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise FormProblem(_("The form's version is not one this page wrote; reload the page."))
    return int(raw)


def _fields(action: str) -> dict[str, Any]:
    """The action's non-empty form fields, as the API's JSON body would carry them."""
    out: dict[str, Any] = {}
    for name in FORM_FIELDS[action]:
        value = request.form.get(name, "")
        if value.strip():
            out[name] = value
    if "blocklist_terms" in out:  # one term a line, as the API's list
        terms = [t.strip() for t in out["blocklist_terms"].splitlines() if t.strip()]
        out["blocklist_terms"] = terms
    if action == "extend" and "days" in out:
        days = out["days"].strip()
        out["days"] = int(days) if days.isascii() and days.isdigit() and len(days) < 6 else days
    return out


def perform(reference: str, action: str, member: Staff) -> None:
    """Parse the posted form with the API's schema and call the API's service."""
    if action not in FORM_FIELDS:
        raise FormProblem(_("This page has no action %(action)s.", action=action))
    version = _version()
    fields = _fields(action)
    if action in lc.ACTIONS:
        data = TRANSITION.load({"action": action, **fields})
        data.pop("action")
        service.transition(reference, action, data, member, version)
        return
    if action == "extend" and member.role not in roles.SUPERVISORS:
        # The API's extensions route is for supervisors and admins (§5); so is this form.
        raise Forbidden(_("Only supervisors and admins may extend a due date."))
    data = SCHEMAS[action].load(fields)
    if action == "extend":
        extensions.extend_request(reference, data["days"], data["reason"], member, version)
    elif action == "assign":
        service.assign(reference, data["assignee"], member, version)
    elif action == "note":
        service.add_note(reference, data["body"], member, version)
    elif action == "message":
        service.send_message(reference, data["body"], member, version)
    elif action == "measure":
        complaints.record_measure(reference, data["kind"], data["detail"], member, version)
    else:
        complaints.record_remediation(
            reference, data["detail"], data["model_version"], member, version
        )


def when(iso: str | None) -> str:
    """An ISO instant of the representation (local to the request), in the page's language."""
    if not iso:
        return ""
    return format_datetime(datetime.fromisoformat(iso), "medium", rebase=False)


def conversation(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Messages both ways and, except for auditors, notes: one list, oldest first."""
    items = [
        {"kind": "message", "who": m["from"], "body": m["body"], "at": m["at"]}
        for m in body.get("messages", [])
    ]
    items += [
        {"kind": "note", "who": n["author"], "body": n["body"], "at": n["at"]}
        for n in body.get("notes", [])
    ]
    items.sort(key=lambda item: datetime.fromisoformat(item["at"]))
    return items


# What the timeline says of an event, by its action (others show the action's code).
EVENT_TEXTS = {
    actions.REQUEST_CREATED: _l("Request received"),
    actions.REQUEST_ASSIGNED: _l("Assigned"),
    actions.REQUEST_NOTE_ADDED: _l("Internal note added"),
    actions.REQUEST_MESSAGE_SENT: _l("Message sent to the requester"),
    actions.REQUEST_MESSAGE_RECEIVED: _l("Message from the requester"),
    actions.REQUEST_EXTENDED: _l("Due date extended"),
    actions.DEADLINE_RECOMPUTED: _l("Due date recomputed"),
    actions.DEADLINE_DUE_SOON: _l("Due-soon alert"),
    actions.DEADLINE_OVERDUE: _l("Overdue alert"),
    actions.IDENTITY_CODE_SENT: _l("Verification code sent"),
    actions.IDENTITY_CODE_FAILED: _l("Verification code failed"),
    actions.IDENTITY_VERIFIED: _l("Identity verified by code"),
    actions.COMPLAINT_MEASURE_RECORDED: _l("Measure recorded"),
    actions.COMPLAINT_REMEDIATED: _l("Remediation recorded"),
    actions.COMPLAINT_MEASURE_OVERDUE: _l("Measure overdue alert"),
    actions.COMPLAINT_REMEDIATION_OVERDUE: _l("Remediation overdue alert"),
    actions.NOTIFICATION_SENT: _l("Notification delivered"),
    actions.NOTIFICATION_FAILED: _l("Notification could not be delivered"),
    actions.TASK_CREATED: _l("Task created for a data system"),
    actions.TASK_DELIVERED: _l("Task delivered to its system"),
    actions.TASK_FAILED: _l("Task could not be delivered"),
    actions.TASK_RESULT: _l("System answered its task"),
    actions.TASK_WAIVED: _l("Task waived"),
    actions.TASK_RETRIED: _l("Task sent again"),
    actions.FILE_ADDED: _l("File attached"),
    actions.FILE_DOWNLOADED: _l("File downloaded"),
}


def event_text(event: dict[str, Any]) -> str:
    """One line saying what an audit event recorded, in the page's language."""
    data = event.get("data") or {}
    if event["action"] == actions.REQUEST_TRANSITIONED:
        text = words.label(words.ACTION_LABELS, data.get("action"))
        before, after = data.get("from"), data.get("to")
        if before and after and before != after:
            status = words.STATUS_LABELS
            text += f": {words.label(status, before)} → {words.label(status, after)}"
        return text
    text = str(EVENT_TEXTS.get(event["action"], event["action"]))
    if event["action"] == actions.REQUEST_ASSIGNED and data.get("to"):
        text += f": {data['to']}"
    if event["action"] == actions.REQUEST_EXTENDED and data.get("new_due_at"):
        text += f": {data['new_due_at'][:10]}"
    return text


def timeline(req: Request, tz) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The request's audit events, oldest first: (changes, views).

    Views are kept apart: every opening of this page records one, and they would bury
    the changes.
    """
    changes, views = [], []
    for event in events_of(req.reference):
        at = datetime.fromisoformat(event["at"].replace("Z", "+00:00")).astimezone(tz)
        item = {
            **event,
            "when": format_datetime(at, "medium", rebase=False),
            "text": event_text(event),
        }
        (views if event["action"] == "request.viewed" else changes).append(item)
    return changes, views


def explanation(req: Request) -> tuple[Explanation, bool]:
    """How the due date was counted, and whether that count still gives the stored date.

    A count that differs means the calendar data or the policy changed since the due date
    was computed (`pirights deadlines recompute` brings it up to date).
    """
    language = "zh_CN" if babel_locale().startswith("zh") else "en_US"
    explained = book().explained(req.received_at, req.jurisdiction, req.type, steps(req), language)
    return explained, explained.due_at == req.due_at


def render_page(
    reference: str,
    *,
    status: int = 200,
    problem: str | None = None,
    failed_action: str | None = None,
    errors: dict[str, list[str]] | None = None,
):
    """The page (recording `request.viewed`, as the API's detail does)."""
    member = g.member
    masked = roles.sees_masked(member.role)
    req = service.view(reference, member)
    now = clock.now()
    body = present.for_staff(req, now, masked=masked)
    explained, agrees = explanation(req)
    actions = allowed_actions(req, member)
    tz = book().timezone(req.jurisdiction)
    return (
        render_template(
            "console/request.html",
            r=body,
            req=req,
            masked=masked,
            explained=explained,
            explanation_agrees=agrees,
            tz=tz,
            when=when,
            conversation=conversation(body),
            timeline=timeline(req, tz),
            actions=actions,
            problem=problem,
            failed_action=failed_action,
            errors=words.field_errors(errors or {}),
            form=request.form if request.method == "POST" else {},
            words=words,
            plain=str,
            legal_bases=lc.LEGAL_BASES,
            methods=lc.IDENTITY_METHODS,
            results=lc.RESULTS,
            measure_kinds=MEASURE_KINDS,
            assignees=assignable() if member.role in roles.SUPERVISORS else [member.name],
            verify_first=req.status == lc.RECEIVED and not req.identity_verified,
            can_block=req.type in BLOCKING_TYPES,
            files_allowed=member.role in roles.WRITERS,
        ),
        status,
    )


@bp.route("/requests/<string:reference>", methods=["GET", "POST"])
@console_view()
def request_page(reference: str):
    """One request; a post applies one action and comes back here."""
    if request.method == "GET":
        return render_page(reference)
    member = g.member
    action = request.form.get("action", "")
    if member.role not in roles.WRITERS:
        return render_page(
            reference, status=403, problem=_("Your role may look at requests but not change them.")
        )
    try:
        perform(reference, action, member)
    except ValidationError as exc:
        errors = exc.normalized_messages()
        return render_page(
            reference,
            status=422,
            problem=_("Some fields need attention; see below."),
            failed_action=action,
            errors=errors,
        )
    except FormProblem as exc:
        return render_page(reference, status=422, problem=exc.message, failed_action=action)
    except PreconditionFailed:
        return render_page(
            reference,
            status=412,
            problem=_(
                "This request changed since you opened it, so nothing was applied. "
                "It is shown below as it is now: check it and try again."
            ),
            failed_action=action,
        )
    except DomainError as exc:
        if exc.status == 404:
            raise
        return render_page(
            reference,
            status=exc.status,
            problem=words.refusal(exc),
            failed_action=action,
            errors=exc.errors or {},
        )
    flash(_("Done: %(action)s.", action=words.label(words.ACTION_LABELS, action)), "success")
    return redirect(url_for("console.request_page", reference=reference), 303)
