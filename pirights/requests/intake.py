"""Intake: one new request per unit of work, with its audit event and idempotency."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pirights import clock
from pirights.audit import actions
from pirights.audit.recorder import record
from pirights.crypto import cipher
from pirights.database import insert_at_commit, insert_soon, new_row
from pirights.deadlines.policy import PolicyError
from pirights.deadlines.runtime import book
from pirights.errors import Invalid
from pirights.extensions import db
from pirights.requests import hooks
from pirights.requests.lifecycle import RECEIVED
from pirights.requests.models import IdempotencyRecord, Request
from pirights.requests.present import iso_local
from pirights.requests.references import hash_tracking_token, new_reference, new_tracking_token

CLOCK_SKEW = timedelta(minutes=5)


def email_key(email: str) -> str:
    """Blind index of an email address."""
    return cipher().blind_index("email:" + email)


def phone_key(phone: str) -> str:
    """Blind index of a phone number: digits and a leading + only."""
    digits = "".join(c for c in phone if c.isdigit() or c == "+")
    return cipher().blind_index("phone:" + digits)


def idempotency_hash(actor: str, channel: str, key: str) -> str:
    """Where an Idempotency-Key is stored: the key within its caller's own namespace.

    A key is only the caller's promise about its own retries, so callers never share
    keys: the public (actor "requester") keeps the original `channel + key` text, and each
    staff member's keys are prefixed with their actor name. A staff intake that reuses a
    public submission's key therefore creates its own request instead of replaying the
    public answer and its tracking token. Distinct prefixes ("staff:" is never a channel)
    keep the two namespaces apart.
    """
    text = f"{channel}\n{key}" if actor == "requester" else f"{actor}\n{channel}\n{key}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _new_request(
    data: dict[str, Any], channel: str, received_at: datetime, default_jurisdiction: str
) -> Request:
    """Build the row for a validated submission, its deadline included."""
    jurisdiction = data.get("jurisdiction") or default_jurisdiction
    try:
        deadline = book().initial(received_at, jurisdiction, data["type"])
    except PolicyError:
        known = ", ".join(book().policies.jurisdictions())
        raise Invalid(
            f"No deadline policy for jurisdiction {jurisdiction!r}.",
            errors={"jurisdiction": [f"must be one of: {known}"]},
        ) from None
    who = data["requester"]
    return new_row(
        Request,
        reference=new_reference(),
        type=data["type"],
        status=RECEIVED,
        jurisdiction=jurisdiction,
        channel=channel,
        locale=data.get("locale"),
        requester_name=who["name"],
        requester_email=who.get("email"),
        requester_phone=who.get("phone"),
        requester_account_id=who.get("account_id"),
        relationship_=who.get("relationship", "self"),
        on_behalf_of=who.get("on_behalf_of"),
        email_index=email_key(who["email"]) if who.get("email") else None,
        phone_index=phone_key(who["phone"]) if who.get("phone") else None,
        description=data["description"],
        content_refs=json.dumps(data.get("content_refs") or [], ensure_ascii=False),
        identity_verified=False,
        received_at=received_at,
        due_at=deadline.due_at,
        due_at_provisional=deadline.provisional,
        deadline_rule=deadline.rule,
        calendar_data=deadline.calendar_data,
        paused_days=0,
        created_at=received_at,
        updated_at=received_at,
    )


def submit(
    data: dict[str, Any],
    *,
    channel: str,
    actor: str,
    default_jurisdiction: str,
    received_at: datetime | None = None,
    idempotency_key: str | None = None,
    keep: bool = True,
) -> tuple[Request | None, dict[str, Any]]:
    """Record a new request; returns (the request, the public intake answer).

    With an Idempotency-Key, a retry gets the first answer back (and no request); so does
    a caller that needs only the answer (`keep=False`: database.insert_soon).
    """
    now = clock.now()
    if received_at is not None and received_at > now + CLOCK_SKEW:
        raise Invalid(
            "received_at is in the future.", errors={"received_at": ["must not be in the future"]}
        )
    key_hash = body_hash = None
    if idempotency_key is not None:
        key_hash = idempotency_hash(actor, channel, idempotency_key)
        body_hash = hashlib.sha256(
            json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()
        ).hexdigest()
        earlier = _replay(key_hash, body_hash)
        if earlier is not None:
            return None, earlier
    try:
        with db.unit_of_work() as s:
            req = _new_request(data, channel, received_at or now, default_jurisdiction)
            token = new_tracking_token()
            req.tracking_token_hash = hash_tracking_token(token)
            insert_soon(s, req, keep=keep)
            for created in hooks.on_created:
                created(s, req)
            answer = {
                "reference": req.reference,
                "tracking_token": token,
                "status": req.status,
                "type": req.type,
                "received_at": iso_local(req, req.received_at),
                "due_at": iso_local(req, req.due_at),
            }
            record(
                s,
                actor=actor,
                action=actions.REQUEST_CREATED,
                request_ref=req.reference,
                data={
                    "type": req.type,
                    "channel": channel,
                    "jurisdiction": req.jurisdiction,
                    "relationship": req.relationship_,
                    "due_at": answer["due_at"],
                    "deadline_rule": req.deadline_rule,
                    "calendar_data": req.calendar_data,
                    "due_at_provisional": req.due_at_provisional,
                    "content_refs": len(data.get("content_refs") or []),
                },
            )
            for submitted in hooks.on_submitted:
                answer.update(submitted(s, req, data, actor, now))
            if key_hash is not None:
                insert_at_commit(
                    s,
                    IdempotencyRecord.__table__,
                    {
                        "key_hash": key_hash,
                        "body_hash": body_hash,
                        "response": json.dumps(answer),
                        "created_at": now,
                        "request_id": req.id,
                    },
                )
    except IntegrityError:
        # Either a concurrent retry with the same key won the race, or (vanishingly
        # rarely) a reference collided; the replay answers the first, a retry the second.
        if key_hash is not None:
            earlier = _replay(key_hash, body_hash)
            if earlier is not None:
                return None, earlier
        raise
    return (req if keep else None), answer


def _replay(key_hash: str, body_hash: str | None) -> dict[str, Any] | None:
    """The stored answer for an Idempotency-Key, or None; a different body is an error."""
    with db.unit_of_work() as s:
        row = s.scalar(select(IdempotencyRecord).where(IdempotencyRecord.key_hash == key_hash))
        if row is None:
            return None
        if row.body_hash != body_hash:
            raise Invalid(
                "This Idempotency-Key was already used for a different request body; "
                "use a new key for a new request.",
                errors={"Idempotency-Key": ["already used with a different body"]},
            )
        return json.loads(row.response)
