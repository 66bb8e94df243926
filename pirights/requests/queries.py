"""Reading requests: one by reference (`load`), and the staff list (§5), whose filters are
answered by indexed queries with keyset pagination."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, not_, select, tuple_
from sqlalchemy.orm import Session, load_only, selectinload

from pirights.deadlines.runtime import book
from pirights.errors import Forbidden, Invalid, NotFound
from pirights.extensions import db
from pirights.requests import hooks
from pirights.requests import lifecycle as lc
from pirights.requests.intake import email_key, phone_key
from pirights.requests.models import Request
from pirights.requests.references import normalise_reference
from pirights.staff.models import Staff

RUNNING = lc.RUNNING  # kept here for callers that read it from the list's module


def load(s: Session, reference: str, *, for_update: bool = False) -> Request:
    """The request with this reference, or 404.

    With `for_update` the request's row stays locked until the unit of work ends
    (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers), so a change
    decided on what was read cannot interleave with another one.
    """
    if "\x00" in reference:
        # No reference holds one, and PostgreSQL refuses it in a query: a form field
        # (which no input guard reads) could otherwise turn it into a 500.
        raise NotFound("No request has this reference.")
    q = (
        select(Request)
        .where(Request.reference == normalise_reference(reference))
        .options(selectinload(Request.messages), selectinload(Request.assignee))
    )
    if for_update:
        # Read what the writers before this one committed: the session keeps objects
        # across commits (expire_on_commit=False), so a plain re-select would not.
        q = q.with_for_update(of=Request).execution_options(populate_existing=True)
    req = s.scalar(q)
    if req is None:
        raise NotFound(f"No request with reference {reference!r}.")
    return req


def encode_cursor(req: Request) -> str:
    """Opaque cursor after `req` in (due_at, reference) order."""
    raw = json.dumps([req.due_at.isoformat(), req.reference]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Reverse encode_cursor, or 422 naming the cursor."""
    try:
        due, ref = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        moment = datetime.fromisoformat(due)
        # References are printable ASCII; anything else (NUL, surrogates) breaks the driver.
        if moment.tzinfo is None or not isinstance(ref, str):
            raise ValueError
        if not (ref.isascii() and ref.isprintable()):
            raise ValueError
        return moment, ref
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise Invalid(
            "The cursor is not one this API returned; start again without it.",
            errors={"cursor": ["invalid cursor"]},
        ) from None


def due_soon_limits(now: datetime) -> dict[str, datetime]:
    """Per jurisdiction, the latest due date that counts as due soon at `now`."""
    return {j: book().due_soon_limit(now, j) for j in book().policies.jurisdictions()}


def _overdue(now: datetime):
    """SQL for §3.5 overdue."""
    return Request.is_overdue(now)


def _due_soon(now: datetime):
    """SQL for due soon."""
    return Request.is_due_soon(now, due_soon_limits(now))


def refuse_pii_filters(args: dict[str, Any], *, masked: bool) -> None:
    """403 for an auditor (`masked`) filtering by email or phone: a match would tell them
    that this person made a request, which masking is there to hide."""
    used = sorted(name for name in ("email", "phone") if name in args)
    if used and masked:
        raise Forbidden(
            f"Auditors may not filter the list by {' or '.join(used)}: that would reveal "
            "whether a person made a request. Filter by status, type, dates or assignee."
        )


def list_requests(
    args: dict[str, Any], now: datetime, *, columns: tuple[Any, ...] | None = None
) -> tuple[list[Request], str | None]:
    """One page of requests matching the filters, and the cursor of the next page.

    `columns` (Request attributes) loads only those and the assignee, for a caller that
    shows a summary (the console's queue): no PII to decrypt, no feature rows to fetch.
    By default the rows are loaded whole, with what the staff representation needs.
    """
    if columns is None:
        loaders = [selectinload(Request.extensions), *hooks.list_loaders]
    else:
        loaders = [load_only(*columns, Request.version)]
    q = select(Request).options(selectinload(Request.assignee), *loaders)
    if "status" in args:
        q = q.where(Request.status == args["status"])
    if "open" in args:
        # Literal values, so that PostgreSQL sees the predicate of ix_requests_open_due.
        statuses = list(lc.OPEN) if args["open"] else sorted(lc.TERMINAL)
        q = q.where(Request.status.in_(bindparam("statuses", statuses, literal_execute=True)))
    if "type" in args:
        q = q.where(Request.type == args["type"])
    if "overdue" in args:
        q = q.where(_overdue(now) if args["overdue"] else not_(_overdue(now)))
    if "due_soon" in args:
        q = q.where(_due_soon(now) if args["due_soon"] else not_(_due_soon(now)))
    for name, build in hooks.list_filters:
        if name in args:
            q = q.where(build(args[name], now))
    if "assignee" in args:
        q = q.join(Staff, Staff.id == Request.assignee_id).where(Staff.name == args["assignee"])
    if "email" in args:
        q = q.where(Request.email_index == email_key(args["email"]))
    if "phone" in args:
        q = q.where(Request.phone_index == phone_key(args["phone"]))
    if "cursor" in args:
        due, ref = decode_cursor(args["cursor"])
        q = q.where(tuple_(Request.due_at, Request.reference) > tuple_(due, ref))
    limit = args.get("limit", 50)
    rows = list(db.session.scalars(q.order_by(Request.due_at, Request.reference).limit(limit + 1)))
    page, more = rows[:limit], len(rows) > limit
    return page, encode_cursor(page[-1]) if more and page else None
