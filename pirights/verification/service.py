"""Identity verification (SPEC §12.1): codes sent, codes checked, assertions at intake.

Each public function is one unit of work that writes its audit events with its change.
Audit data never holds the code, the address or the number: only the channel, the
tries left and the method.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from pirights import clock
from pirights.audit import actions
from pirights.audit.recorder import record
from pirights.crypto import cipher
from pirights.database import insert_at_commit
from pirights.errors import Conflict, DomainError, Invalid, NotFound
from pirights.extensions import db
from pirights.notify import service as notify
from pirights.requests import lifecycle as lc
from pirights.requests.models import Request
from pirights.requests.present import iso_local
from pirights.requests.references import normalise_reference, token_matches
from pirights.verification import assertions, codes
from pirights.verification.models import (
    ACTIVE,
    INTAKE,
    REPLACED,
    RESEND,
    SPENT,
    USED,
    VerificationCode,
)
from pirights.verification.settings import VerificationSettings

METHODS = {"email": "email_code", "sms": "sms_code"}


class TooManyCodes(DomainError):
    """A new code was asked for too soon; `Retry-After` says when one may be sent."""

    status, title, slug = 429, "Too many requests", "rate-limited"


def settings() -> VerificationSettings:
    """This app's verification settings."""
    return current_app.extensions["pirights_verification"]


def code_channel(req: Request) -> str | None:
    """Where a code can go: email when there is an address, else SMS when a gateway is
    configured and there is a number, else nowhere (staff verify another way)."""
    if req.requester_email:
        return "email"
    if req.requester_phone and notify.sms_configured():
        return "sms"
    return None


def _minutes() -> int:
    """The code lifetime in whole minutes, as messages state it."""
    return int(settings().rules.lifetime.total_seconds() // 60)


def _issue(s: Session, req: Request, channel: str, cause: str, now: datetime, actor: str) -> str:
    """Void the request's live codes, store a new one's hash, audit it; returns the code."""
    # A request being submitted has no codes yet: no query (a round trip of every intake).
    live = (
        ()
        if cause == INTAKE
        else s.scalars(
            select(VerificationCode).where(
                VerificationCode.request_id == req.id, VerificationCode.state == ACTIVE
            )
        )
    )
    for old in live:
        old.state = REPLACED
    code = codes.new_code()
    rules = settings().rules
    insert_at_commit(
        s,
        VerificationCode.__table__,
        {
            "request_id": req.id,
            "channel": channel,
            "code_hash": codes.code_hash(cipher().blind_index, req.id, code),
            "state": ACTIVE,
            "tries_left": rules.tries,
            "cause": cause,
            "created_at": now,
            "expires_at": now + rules.lifetime,
        },
    )
    record(
        s,
        actor=actor,
        action=actions.IDENTITY_CODE_SENT,
        request_ref=req.reference,
        data={"channel": channel},
    )
    return code


# --- intake (hook: requests.hooks.on_submitted) -----------------------------------------


def on_submitted(s: Session, req: Request, data: dict, actor: str, now: datetime) -> dict:
    """Check an identity assertion, send the receipt and, to a public requester, a code.

    A refused assertion raises 422 naming `identity_assertion`, so the intake's unit of
    work rolls back and no request exists. Codes go with public submissions (§12.1);
    requests staff enter get the receipt without one, since staff verify those requesters
    through the channel they came by (a code can still be asked for with the token).
    """
    token = data.get(assertions.FIELD)
    if token is not None:
        try:
            assertions.check(token, req.requester_account_id, settings().assertion_secret, now)
        except assertions.AssertionRefused as exc:
            raise Invalid(
                f"The identity assertion was refused: {exc}.",
                errors={assertions.FIELD: [str(exc)]},
            ) from None
        req.identity_verified, req.identity_method = True, "account_login"
        record(
            s,
            actor=actor,
            action=actions.IDENTITY_VERIFIED,
            request_ref=req.reference,
            data={"method": "account_login"},
        )
    channel = code_channel(req) if actor == "requester" and not req.identity_verified else None
    code = _issue(s, req, channel, INTAKE, now, actor) if channel else None
    notify.receipt(s, req, now, code if channel == "email" else None, _minutes())
    if channel == "sms":
        notify.code(s, req, "sms", code, _minutes(), now)  # type: ignore[arg-type]
    return {"identity_verified": req.identity_verified, "verification_channel": channel}


# --- the requester's endpoints ----------------------------------------------------------


def _load(s: Session, reference: str, token: str | None) -> Request:
    """The request, locked, if the token matches; the same 404 as every follow-up (§4.2)."""
    req = s.scalar(
        select(Request)
        .where(Request.reference == normalise_reference(reference or ""))
        .with_for_update()
    )
    if req is None or not token_matches(token, req.tracking_token_hash):
        raise NotFound("No request matches this reference and tracking token.")
    return req


def _check_open_unverified(req: Request) -> None:
    """409 when there is nothing left to verify."""
    if req.identity_verified:
        raise Conflict(
            "Your identity is already verified for this request.", slug="already-verified"
        )
    if req.status in lc.TERMINAL:
        raise Conflict(
            f"This request is {req.status}; there is nothing left to verify.", slug="request-closed"
        )


def _latest(s: Session, req: Request) -> VerificationCode | None:
    """The newest code sent for the request."""
    return s.scalar(
        select(VerificationCode)
        .where(VerificationCode.request_id == req.id)
        .order_by(VerificationCode.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class Wrong:
    """A wrong code, already recorded: the tries it left."""

    tries_left: int


class WrongCode(Invalid):
    """422 for a wrong code; `tries_left` lets pages say it in their own language."""

    def __init__(self, tries_left: int) -> None:
        if tries_left:
            message = f"wrong code; {tries_left} tries left"
        else:
            message = "wrong code; no tries left: ask for a new code"
        super().__init__(f"The verification code is wrong: {message}.", errors={"code": [message]})
        self.tries_left = tries_left


def verify(reference: str, token: str | None, code: str) -> Request:
    """Check a code; a correct one verifies the request (method email_code or sms_code).

    A wrong code uses a try and answers 422 with the tries left (committed first, so the
    try counts); the fifth voids the code. No code, an expired, used-up or replaced one:
    409 saying to ask for a new code.
    """
    now = clock.now()
    with db.unit_of_work() as s:
        req = _load(s, reference, token)
        _check_open_unverified(req)
        row = _latest(s, req)
        ask = "Ask for a new code."
        if row is None:
            raise Conflict(f"No verification code was sent for this request. {ask}", slug="no-code")
        if row.state == SPENT or row.tries_left <= 0:
            raise Conflict(
                f"This code was entered wrongly too many times. {ask}", slug="code-used-up"
            )
        if row.state != ACTIVE or now >= row.expires_at:
            raise Conflict(f"This code has expired. {ask}", slug="code-expired")
        if codes.matches(cipher().blind_index, req.id, code, row.code_hash):
            row.state = USED
            req.identity_verified, req.identity_method = True, METHODS[row.channel]
            req.updated_at = now
            record(
                s,
                actor="requester",
                action=actions.IDENTITY_VERIFIED,
                request_ref=req.reference,
                data={"method": req.identity_method},
            )
            return req
        row.tries_left -= 1
        if row.tries_left == 0:
            row.state = SPENT
        record(
            s,
            actor="requester",
            action=actions.IDENTITY_CODE_FAILED,
            request_ref=req.reference,
            data={"tries_left": row.tries_left},
        )
        wrong = Wrong(row.tries_left)
    # Raised after the commit, so the used try and its audit event stay recorded.
    raise WrongCode(wrong.tries_left)


def resend(reference: str, token: str | None) -> dict[str, Any]:
    """Send a new code (voiding the old one, resetting the tries), within the pace limits.

    At most one a minute and five requested a day per request, whatever the per-address
    rate limit says: 429 with Retry-After beyond. 409 when verified, closed, or when no
    code can be sent (no email address and no SMS gateway).
    """
    now = clock.now()
    with db.unit_of_work() as s:
        req = _load(s, reference, token)
        _check_open_unverified(req)
        channel = code_channel(req)
        if channel is None:
            raise Conflict(
                "No code can be sent for this request: it has no email address and no SMS "
                "gateway is configured. The privacy team will verify your identity another way.",
                slug="no-code-channel",
            )
        sent = s.execute(
            select(VerificationCode.created_at, VerificationCode.cause).where(
                VerificationCode.request_id == req.id,
                VerificationCode.created_at > now - settings().rules.day,
            )
        ).all()
        wait = codes.resend_wait(
            max((at for at, _ in sent), default=None),
            [at for at, cause in sent if cause == RESEND],
            now,
            settings().rules,
        )
        if wait is not None:
            raise TooManyCodes(
                f"A new code cannot be sent yet; try again in {int(wait)} seconds.",
                headers={"Retry-After": str(int(wait))},
            )
        code = _issue(s, req, channel, RESEND, now, "requester")
        notify.code(s, req, channel, code, _minutes(), now)
        expires = now + settings().rules.lifetime
        return {"channel": channel, "expires_at": iso_local(req, expires)}


def state(req: Request) -> dict[str, Any]:
    """What the status page needs: verified or not, where a code would go, its lifetime."""
    return {
        "identity_verified": req.identity_verified,
        "channel": code_channel(req),
        "minutes": _minutes(),
    }
