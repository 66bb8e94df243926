"""Queue the requester's emails and texts in the cause's unit of work (SPEC §12.2).

An email is queued as what it is made of (kind, language, the request's details) and
composed, in the request's language, by the worker when it sends it (`compose`): rendering
two templates was the largest cost of a public submission, which now only inserts the row.
The row is queued in the cause's transaction as before, so a message goes out if and only
if its cause committed. A requester without an email address gets no email (a code may
still go by SMS). Messages never carry the tracking token.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext
from sqlalchemy.orm import Session

from pirights.deadlines.runtime import book
from pirights.notify import render, words
from pirights.outbox.service import enqueue
from pirights.requests.models import Request
from pirights.requests.present import LEGAL_BASIS_TEXT, RIGHTS_NOTICE

PREFIX = "requester."
# The stored payload's key for what `compose` renders.
PARTS = "compose"


def sms_configured() -> bool:
    """True when an SMS gateway is set up, so phone-only requesters can get codes."""
    settings = current_app.extensions.get("pirights_notify")
    return bool(settings and settings.sms_url)


def queue_email(s: Session, req: Request, kind: str, now: datetime, **context: Any) -> bool:
    """Queue `kind` for this request's requester; False without an address.

    `context` holds JSON values, and datetimes, which are stored as the local calendar
    day of the request's jurisdiction and written in the requester's language when sent.
    """
    if not req.requester_email:
        return False
    tz = book().timezone(req.jurisdiction)
    dates = [k for k, v in context.items() if isinstance(v, datetime)]
    values = {
        k: v.astimezone(tz).date().isoformat() if k in dates else v for k, v in context.items()
    }
    parts = {
        "kind": kind,
        "locale": render.babel_locale(req.locale),
        "reference": req.reference,
        "name": req.requester_name,
        "type": req.type,
        "values": values,
        "dates": dates,
    }
    enqueue(
        s,
        kind=PREFIX + kind,
        channel="email",
        payload={"to": req.requester_email, PARTS: parts},
        now=now,
        request_id=req.id,
        request_ref=req.reference,
    )
    return True


def _words(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    """Text a kind shows from the catalogs, chosen by the stored values (in the locale
    `render.email` switches to)."""
    if kind == "completed":
        return {"result_text": words.RESULT_TEXTS.get(values.get("result") or "", "")}
    if kind == "refused":
        basis = values.get("legal_basis") or "other"
        # requests.present's English is the catalog's msgid (the form translates the same).
        return {
            "legal_basis_text": lazy_gettext(LEGAL_BASIS_TEXT.get(basis, basis)),
            "rights_notice": lazy_gettext(RIGHTS_NOTICE),
        }
    return {}


def compose(payload: dict[str, Any]) -> dict[str, Any]:
    """The email to send from a queued payload: recipient, subject, text and HTML.

    Called by the worker (an outbox composer, registered in init_app) in the app context.
    A payload queued before messages were composed at delivery is already whole.
    """
    parts = payload.get(PARTS)
    if parts is None:
        return payload
    locale, kind = parts["locale"], parts["kind"]
    values = dict(parts["values"])
    for key in parts["dates"]:
        values[key] = render.long_date(date.fromisoformat(values[key]), locale)
    type_title = words.TYPE_TITLES.get(parts["type"], parts["type"])
    content = render.email(
        kind,
        locale,
        parts["reference"],
        name=parts["name"],
        type_title=type_title,
        **values,
        **_words(kind, values),
    )
    return {"to": payload["to"], **content}


def receipt(
    s: Session, req: Request, now: datetime, code: str | None = None, minutes: int = 0
) -> bool:
    """The receipt: reference, due date, what happens next and, when given, the code;
    False when the requester has no email address."""
    return queue_email(s, req, "receipt", now, due_date=req.due_at, code=code, minutes=minutes)


def code(
    s: Session, req: Request, channel: str, code_text: str, minutes: int, now: datetime
) -> bool:
    """A (new) one-time code by email or, for phone-only requesters, by SMS; whether one
    was queued."""
    if channel == "email":
        return queue_email(s, req, "code", now, code=code_text, minutes=minutes)
    if channel == "sms" and req.requester_phone and sms_configured():
        text = render.sms_code(render.babel_locale(req.locale), req.reference, code_text, minutes)
        enqueue(
            s,
            kind=PREFIX + "code",
            channel="sms",
            payload={"to": req.requester_phone, "text": text},
            now=now,
            request_id=req.id,
            request_ref=req.reference,
        )
        return True
    return False


def info_requested(s: Session, req: Request, message: str, now: datetime) -> None:
    """Staff asked the requester for information (`request_info`)."""
    queue_email(s, req, "info_requested", now, message=message)


def extension_notice(
    s: Session, req: Request, new_due_at: datetime, reason: str, now: datetime
) -> None:
    """The due date moved later, with the reason (§3.5)."""
    queue_email(s, req, "extension", now, due_date=new_due_at, reason=reason)


def staff_message(s: Session, req: Request, body: str, now: datetime) -> None:
    """A message from staff, also shown on the status page."""
    queue_email(s, req, "message", now, message=body)


def files_to_fetch(req: Request) -> list[str]:
    """Names of the files staff left for the requester (§12.3), to fetch on the status page.

    `Request.files` is declared by the files feature (a backref); read by name so that this
    package needs nothing of it, and a deployment without it sends no list.
    """
    return [
        f.name or "-"
        for f in getattr(req, "files", ())
        if f.audience == "requester" and f.added_by != "requester" and f.blob is not None
    ]


def completed(s: Session, req: Request, now: datetime) -> None:
    """The outcome of a completed request: result, resolution, a partial result's reason and
    the files to fetch."""
    queue_email(
        s,
        req,
        "completed",
        now,
        result=req.outcome_result or "fulfilled",
        resolution=req.resolution or "",
        reason=req.outcome_reason,
        files=files_to_fetch(req),
    )


def refused(s: Session, req: Request, now: datetime) -> None:
    """A refusal: the reason, the legal basis in words and the right to complain or sue."""
    queue_email(
        s,
        req,
        "refused",
        now,
        reason=req.outcome_reason or "",
        legal_basis=req.legal_basis or "other",
    )


# --- lifecycle hooks (pirights.requests.hooks) ------------------------------------------


def after_transition(s, req, action_name, fields, staff, now) -> dict[str, Any]:
    """Tell the requester what a staff action means for them; adds nothing to the audit."""
    if action_name == "request_info":
        info_requested(s, req, fields["message"], now)
    elif action_name == "complete":
        completed(s, req, now)
    elif action_name == "refuse":
        refused(s, req, now)
    return {}


def on_extended(s, req, extension, staff, now) -> None:
    """Hook: the due date was extended."""
    extension_notice(s, req, extension.new_due_at, extension.reason, now)


def on_message_sent(s, req, message, staff, now) -> None:
    """Hook: staff wrote to the requester."""
    staff_message(s, req, message.body, now)
