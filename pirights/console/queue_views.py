"""The queue (SPEC §13): the staff list of §5 as a page, and the supervisors' bulk actions.

The filters are the API's query parameters (requests.schemas.ListArgsSchema, answered by
requests.queries.list_requests with the features' list_filters), plus `mine`. A page
with no status filter at all shows open requests: the queue is the work to do.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date
from flask import g, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select

from pirights import clock
from pirights.console import words
from pirights.console.blueprint import bp
from pirights.console.session import console_view
from pirights.deadlines.runtime import book
from pirights.errors import DomainError
from pirights.extensions import db
from pirights.requests import lifecycle as lc
from pirights.requests import present, queries, service
from pirights.requests.models import Request
from pirights.requests.schemas import AssignInSchema, ListArgsSchema, TransitionInSchema
from pirights.staff import roles
from pirights.staff.models import Staff

LIST_ARGS = ListArgsSchema()
# What a queue row reads: no requester details (nothing to decrypt), no feature rows.
ROW_COLUMNS = (
    Request.reference,
    Request.type,
    Request.status,
    Request.jurisdiction,
    Request.received_at,
    Request.due_at,
    Request.due_at_provisional,
    Request.assignee_id,
)
# How many requests one bulk action may touch: each is its own unit of work.
BULK_MAX = 200
BOOLEAN_FILTERS = (
    "overdue",
    "due_soon",
    "measure_overdue",
    "remediation_open",
    "remediation_overdue",
)


def list_args(member: Staff) -> tuple[dict[str, Any], dict[str, list[str]], dict[str, str]]:
    """The list's arguments from the query string: (parsed, errors, as the form shows them).

    Empty fields (a form sent with "any") are left out; `mine` is the member's own name
    as `assignee`; with neither `status` nor `open` given, only open requests.
    """
    raw = {k: v for k, v in request.args.items() if k in LIST_ARGS.fields and v.strip()}
    shown = dict(raw)
    if request.args.get("mine"):
        raw["assignee"] = member.name
        shown["mine"] = "1"
    if "status" not in request.args and "open" not in request.args:
        raw["open"] = shown["open"] = "true"
    try:
        return LIST_ARGS.load(raw), {}, shown
    except ValidationError as exc:
        return {}, words.field_errors(exc.normalized_messages()), shown


def local_day(req: Request, moment: datetime) -> str:
    """The day of `moment` in the request's own time zone, in the page's language."""
    day = moment.astimezone(book().timezone(req.jurisdiction)).date()
    return _medium_date(day, str(get_locale()))


@lru_cache(maxsize=4096)
def _medium_date(day: date, locale: str) -> str:
    """Babel's medium date (a page repeats few distinct days; formatting each is slow)."""
    return format_date(day, "medium", locale=locale)


def row(req: Request, now: datetime, names: dict[str, str], pages: str) -> dict[str, Any]:
    """What the queue shows of one request: no requester details, so no decryption.

    `names` holds the page's type and status labels, translated once per page; `pages`
    the request pages' URL prefix (references are URL-safe).
    """
    overdue = present.is_overdue(req, now)
    return {
        "reference": req.reference,
        "href": pages + req.reference,
        "type": names.get(req.type, req.type),
        "status": req.status,
        "status_label": names.get(req.status, req.status),
        "due_date": local_day(req, req.due_at),
        "due_at": present.iso_local(req, req.due_at),
        "overdue": overdue,
        "due_soon": not overdue and present.is_due_soon(req, now),
        "provisional": req.due_at_provisional,
        "paused": req.status == lc.AWAITING,
        "assignee": req.assignee.name if req.assignee else None,
        "received_date": local_day(req, req.received_at),
    }


def page_url(shown: dict[str, str], **changes: str | None) -> str:
    """The queue with these filters, changed by `changes` (None drops a key)."""
    args = {**shown, **changes}
    query = urlencode({k: v for k, v in args.items() if v is not None})
    return f"{request.path}?{query}" if query else request.path


def assignable() -> list[str]:
    """Names of active members who may be assigned requests, sorted."""
    return list(
        db.session.scalars(
            select(Staff.name)
            .where(Staff.active.is_(True), Staff.role.in_(sorted(lc.STAFF_WRITERS)))
            .order_by(Staff.name)
        )
    )


@bp.route("/")
@console_view()
def queue():
    """The queue: requests by due date, filtered as the API's list."""
    member = g.member
    masked = roles.sees_masked(member.role)
    args, errors, shown = list_args(member)
    message, status = None, 200
    items: list[Request] = []
    cursor = None
    now = clock.now()
    if errors:
        message, status = _("Some filters are not valid; see below."), 422
    else:
        try:
            queries.refuse_pii_filters(args, masked=masked)
            items, cursor = queries.list_requests(args, now, columns=ROW_COLUMNS)
        except DomainError as exc:
            message, status = words.refusal(exc), exc.status
    bulk = member.role in roles.SUPERVISORS
    # Types and statuses are both codes of lifecycle (distinct names): one table.
    names = {t: words.type_label(t) for t in lc.TYPES}
    names |= {s: words.label(words.STATUS_LABELS, s) for s in lc.STATUSES}
    pages = url_for("console.request_page", reference="-").removesuffix("-")
    return (
        render_template(
            "console/queue.html",
            rows=[row(r, now, names, pages) for r in items],
            shown=shown,
            errors=errors,
            message=message,
            next_url=page_url(shown, cursor=cursor) if cursor else None,
            first_url=page_url(shown, cursor=None) if "cursor" in shown else None,
            masked=masked,
            bulk=bulk,
            assignees=assignable() if bulk else [],
            statuses=[(s, names[s]) for s in lc.STATUSES],
            types=[(t, names[t]) for t in lc.TYPES],
            bases=[(b, words.legal_basis_label(b)) for b in lc.LEGAL_BASES],
            boolean_filters=BOOLEAN_FILTERS,
        ),
        status,
    )


def _bulk_one(op: str, reference: str, form: dict[str, str], member: Staff) -> str | None:
    """Apply one bulk action to one request, its own unit of work; None or why not."""
    try:
        if op == "assign":
            service.assign(reference, form["assignee"], member)
        else:
            fields = {"legal_basis": form["legal_basis"], "reason": form["reason"]}
            service.transition(reference, "refuse", fields, member)
    except DomainError as exc:
        return words.refusal(exc)
    return None


def _bulk_field_problems(op: str, form: dict[str, str]) -> list[str]:
    """What is wrong with the bulk form's fields, read by the API's own schemas (so the
    same limits apply, and text a database refuses, such as NUL, never reaches one)."""
    try:
        if op == "assign":
            AssignInSchema().load({"assignee": form["assignee"]})
        elif op == "refuse":
            fields = {"legal_basis": form["legal_basis"], "reason": form["reason"]}
            TransitionInSchema().load({"action": "refuse", **fields})
    except ValidationError as exc:
        wrong = exc.normalized_messages()
    else:
        return []
    if op == "assign":
        return [_("Choose whom to assign the requests to.")]
    problems = []
    if "legal_basis" in wrong:
        problems.append(_("Choose the legal basis for refusing."))
    if "reason" in wrong:
        if len(form["reason"]) > 10000:
            problems.append(_("The reason is too long (at most 10,000 characters)."))
        else:
            problems.append(_("Write the reason the requesters will be shown."))
    return problems


@bp.route("/bulk", methods=["POST"])
@console_view(*roles.SUPERVISORS)
def bulk():
    """Assign, or refuse on one legal basis with one reason, each selected request."""
    member = g.member
    op = request.form.get("op", "")
    refs = list(dict.fromkeys(r.strip() for r in request.form.getlist("ref") if r.strip()))
    form = {k: request.form.get(k, "").strip() for k in ("assignee", "legal_basis", "reason")}
    problems: list[str] = []
    if op not in ("assign", "refuse"):
        problems.append(_("Choose “Assign selected” or “Refuse selected”."))
    if not refs:
        problems.append(_("Select at least one request in the queue."))
    if len(refs) > BULK_MAX:
        problems.append(_("Select at most %(n)d requests at a time.", n=BULK_MAX))
    problems += _bulk_field_problems(op, form)
    done: list[str] = []
    refused: list[tuple[str, str]] = []
    if not problems:
        for ref in refs:
            why = _bulk_one(op, ref, form, member)
            if why is None:
                done.append(ref)
            else:
                refused.append((ref, why))
    return (
        render_template(
            "console/bulk.html",
            op=op,
            op_label=words.ACTION_LABELS.get(op, op),
            problems=problems,
            done=done,
            refused=refused,
            assignee=form["assignee"],
            basis_label=words.legal_basis_label(form["legal_basis"]),
        ),
        422 if problems else 200,
    )
