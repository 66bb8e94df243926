"""How a request is shown: to staff (§5), masked to auditors, and to the requester (§4.2)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pirights.deadlines.runtime import book
from pirights.requests import hooks
from pirights.requests.lifecycle import AWAITING, REFUSED
from pirights.requests.models import Message, Note, Request

# What an auditor sees in place of free text that may name the person (§5).
MASKED = "[masked]"

LEGAL_BASIS_TEXT = {
    "legal_obligation": "needed to fulfil a legal obligation",
    "national_security": "directly related to national security or national defence",
    "public_interest": "directly related to public safety, public health or a major public "
    "interest",
    "criminal_justice": "directly related to criminal investigation, prosecution, trial or "
    "execution of judgments",
    "abuse": "evidence that the request is malicious or abuses rights",
    "vital_interests": "to protect life, property or other major lawful rights when consent "
    "is hard to obtain",
    "rights_of_others": "responding would seriously harm the lawful rights of others",
    "business_secret": "responding would disclose business secrets",
    "identity_unverified": "the requester's identity could not be verified",
    "not_personal_information": "the request does not concern personal information",
    "other": "other grounds, stated in the reason",
}

RIGHTS_NOTICE = (
    "If you disagree, you may complain to the authorities responsible for personal "
    "information protection (PIPL Art 65) or bring a lawsuit in a People's Court (PIPL Art 50)."
)


def iso_local(req: Request, moment: datetime | None) -> str | None:
    """An instant in the request's jurisdiction time, with its UTC offset."""
    if moment is None:
        return None
    return moment.astimezone(book().timezone(req.jurisdiction)).isoformat()


def is_overdue(req: Request, now: datetime) -> bool:
    """Past due while the clock runs (§3.5): Request.is_overdue."""
    return req.is_overdue(now)


def is_due_soon(req: Request, now: datetime) -> bool:
    """Due within the configured working days: Request.is_due_soon."""
    return req.is_due_soon(now, {req.jurisdiction: book().due_soon_limit(now, req.jurisdiction)})


def text(value: str | None, masked: bool) -> str | None:
    """Staff free text as shown: whole, or `[masked]` for auditors (it may name the person)."""
    return MASKED if masked and value is not None else value


def outcome(req: Request, masked: bool = False) -> dict[str, Any] | None:
    """How the request ended, with a refusal's reasons and the requester's rights."""
    if req.outcome_result is None:
        return None
    out: dict[str, Any] = {"result": req.outcome_result, "at": iso_local(req, req.outcome_at)}
    if req.resolution is not None:
        out["resolution"] = text(req.resolution, masked)
    if req.outcome_reason is not None:
        out["reason"] = text(req.outcome_reason, masked)
    if req.outcome_result == REFUSED:
        out.update(
            legal_basis=req.legal_basis,
            legal_basis_text=LEGAL_BASIS_TEXT.get(req.legal_basis or "", ""),
            rights_notice=RIGHTS_NOTICE,
        )
    return out


def _mask(value: str | None, keep_end: int = 0) -> str | None:
    """Keep the first character (and `keep_end` last ones), star the rest."""
    if not value:
        return value
    head, tail = value[:1], value[len(value) - keep_end :] if keep_end else ""
    return head + "*" * max(len(value) - 1 - keep_end, 1) + tail


def _mask_email(email: str | None) -> str | None:
    """z***@example.cn"""
    if not email or "@" not in email:
        return _mask(email)
    local, _, domain = email.partition("@")
    return f"{_mask(local)}@{domain}"


def requester(req: Request, masked: bool) -> dict[str, Any]:
    """Requester details; auditors see them masked."""
    if masked:
        return {
            "name": _mask(req.requester_name),
            "email": _mask_email(req.requester_email),
            "phone": _mask(req.requester_phone, 4),
            "account_id": _mask(req.requester_account_id),
            "relationship": req.relationship_,
            "on_behalf_of": _mask(req.on_behalf_of),
        }
    return {
        "name": req.requester_name,
        "email": req.requester_email,
        "phone": req.requester_phone,
        "account_id": req.requester_account_id,
        "relationship": req.relationship_,
        "on_behalf_of": req.on_behalf_of,
    }


def message(req: Request, msg: Message, masked: bool = False) -> dict[str, Any]:
    """One message of the conversation, either direction (§5)."""
    return {
        "from": msg.sender,
        "body": text(msg.body, masked),
        "at": iso_local(req, msg.created_at),
    }


def note(req: Request, item: Note) -> dict[str, Any]:
    """One internal note; never shown to the requester or to auditors."""
    return {
        "id": item.id,
        "author": item.author.name,
        "body": item.body,
        "at": iso_local(req, item.created_at),
    }


def conversation(req: Request, masked: bool) -> dict[str, Any]:
    """The detail's messages and, except for auditors, the internal notes (§5).

    Auditors see that messages were exchanged and when (the clock's pauses depend on
    them) but not what the requester wrote; notes are staff working text, not theirs.
    """
    body: dict[str, Any] = {"messages": [message(req, m, masked) for m in req.messages]}
    if not masked:
        body["notes"] = [note(req, n) for n in req.notes]
    return body


def for_staff(
    req: Request, now: datetime, *, masked: bool = False, detail: bool = True
) -> dict[str, Any]:
    """The §5 representation; `detail=False` (the list) leaves out messages and notes."""
    body = {
        "reference": req.reference,
        "type": req.type,
        "status": req.status,
        "jurisdiction": req.jurisdiction,
        "channel": req.channel,
        "locale": req.locale,
        "requester": requester(req, masked),
        "identity_verified": req.identity_verified,
        "identity_method": req.identity_method,
        "description": text(req.description, masked),
        "content_refs": [text(ref, masked) for ref in json.loads(req.content_refs)],
        "received_at": iso_local(req, req.received_at),
        "due_at": iso_local(req, req.due_at),
        "due_at_provisional": req.due_at_provisional,
        "deadline_rule": req.deadline_rule,
        "calendar_data": req.calendar_data,
        "overdue": is_overdue(req, now),
        "due_soon": is_due_soon(req, now),
        "clock": {"paused": req.status == AWAITING, "paused_days": req.paused_days},
        "extensions": [
            {"days": e.days, "reason": text(e.reason, masked), "at": iso_local(req, e.created_at)}
            for e in req.extensions
        ],
        "assignee": req.assignee.name if req.assignee else None,
        "outcome": outcome(req, masked),
        "closed_at": iso_local(req, req.closed_at),
        "on_time": req.on_time,
        "version": req.version,
    }
    if detail:
        body.update(conversation(req, masked))
        for extra in hooks.present_detail:
            body.update(extra(req, now, masked))
    for extra in hooks.present:
        body.update(extra(req, now, masked))
    return body


def for_requester(req: Request) -> dict[str, Any]:
    """The §4.2 status view: no internal notes, no staff names."""
    return {
        "reference": req.reference,
        "type": req.type,
        "status": req.status,
        "received_at": iso_local(req, req.received_at),
        "due_at": iso_local(req, req.due_at),
        "messages": _timeline(req),
        "outcome": outcome(req),
        "identity_verified": req.identity_verified,
    }


def _timeline(req: Request) -> list[dict[str, Any]]:
    """Messages and extension notices (§3.5: the requester is shown each extension's reason)."""
    items = [(m.created_at, m.sender, m.body) for m in req.messages]
    for e in req.extensions:
        new_due = iso_local(req, e.new_due_at)
        if req.locale == "zh-CN":
            body = f"处理期限已延长至 {new_due}。原因：{e.reason}"
        else:
            body = f"The time limit has been extended to {new_due}. Reason: {e.reason}"
        items.append((e.created_at, "staff", body))
    items.sort(key=lambda item: item[0])
    return [{"sender": who, "body": body, "at": iso_local(req, at)} for at, who, body in items]
