"""Staff management and token authentication; each function is one unit of work."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from pirights import clock
from pirights.audit import actions
from pirights.audit.recorder import record
from pirights.database import MAX_ROW_ID
from pirights.errors import Conflict, Invalid, NotFound, Unauthorized
from pirights.extensions import db
from pirights.staff.models import Staff, StaffToken
from pirights.staff.roles import ROLES

TOKEN_PREFIX = "pir_"
NAME_RE = re.compile(r"^[\w.@-]{1,64}$")


def hash_token(token: str) -> str:
    """Tokens carry 256 random bits, so a plain SHA-256 is enough to store them."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    """A fresh bearer token: 32 random bytes, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_expiry(now: datetime) -> datetime | None:
    """When a token made now expires: limits.staff_token_days later, or never for 0."""
    days = current_app.config["PIRIGHTS"].staff_token_days
    return now + timedelta(days=days) if days > 0 else None


def add_staff(name: str, role: str, actor: str = "system") -> tuple[Staff, str]:
    """Create a member and their first token; returns the token, which is not kept."""
    if not NAME_RE.match(name):
        raise Invalid(
            "Staff names are 1-64 letters, digits, '.', '@', '_' or '-'.",
            errors={"name": ["invalid staff name"]},
        )
    if role not in ROLES:
        raise Invalid(
            f"Role must be one of {', '.join(ROLES)}.",
            errors={"role": [f"must be one of {', '.join(ROLES)}"]},
        )
    now = clock.now()
    with db.unit_of_work() as s:
        if s.scalar(select(Staff).where(Staff.name == name)) is not None:
            raise Conflict(f"A staff member named {name!r} already exists.", slug="staff-exists")
        member = Staff(name=name, role=role, active=True, created_at=now)
        token = new_token()
        member.tokens.append(
            StaffToken(token_hash=hash_token(token), created_at=now, expires_at=token_expiry(now))
        )
        s.add(member)
        record(s, actor=actor, action=actions.STAFF_ADDED, data={"staff": name, "role": role})
    return member, token


def revoke_staff(name: str, actor: str = "system") -> int:
    """Deactivate a member and revoke every live token; returns how many were revoked.

    Deactivated, the member can neither authenticate (even with a token made later by
    hand) nor be assigned requests.
    """
    now = clock.now()
    with db.unit_of_work() as s:
        member = s.scalar(select(Staff).where(Staff.name == name))
        if member is None:
            raise NotFound(f"No staff member named {name!r}.")
        live = [t for t in member.tokens if t.revoked_at is None]
        for token in live:
            token.revoked_at = now
        member.active = False
        record(
            s,
            actor=actor,
            action=actions.STAFF_REVOKED,
            data={"staff": name, "tokens": len(live), "active": False},
        )
    return len(live)


def list_tokens(name: str) -> list[StaffToken]:
    """A member's tokens, oldest first (hashes only; tokens are never kept)."""
    member = db.session.scalar(select(Staff).where(Staff.name == name))
    if member is None:
        raise NotFound(f"No staff member named {name!r}.")
    return sorted(member.tokens, key=lambda t: t.id)


def revoke_token(name: str, token_id: int, actor: str = "system") -> None:
    """Revoke one token of a member."""
    if not 1 <= token_id <= MAX_ROW_ID:  # no such row, and too large for the driver
        raise NotFound(f"{name!r} has no token with id {token_id}.")
    now = clock.now()
    with db.unit_of_work() as s:
        token = s.scalar(
            select(StaffToken)
            .join(Staff, Staff.id == StaffToken.staff_id)
            .where(Staff.name == name, StaffToken.id == token_id)
        )
        if token is None:
            raise NotFound(f"{name!r} has no token with id {token_id}.")
        if token.revoked_at is None:
            token.revoked_at = now
        record(
            s,
            actor=actor,
            action=actions.STAFF_REVOKED,
            data={"staff": name, "tokens": 1, "token_id": token_id},
        )


def authenticate(header: str | None, route: str) -> Staff:
    """Resolve an `Authorization: Bearer` header to an active member, or raise 401.

    Every refusal is audited as auth.denied with the reason and route, never the token.
    """
    token = None
    if header and header[:7].lower() == "bearer ":
        token = header[7:].strip()
    now = clock.now()
    s = db.session
    member = None
    reason = "missing_token" if not token else "invalid_token"
    if token:
        row = s.execute(
            select(StaffToken, Staff)
            .join(Staff, Staff.id == StaffToken.staff_id)
            .where(StaffToken.token_hash == hash_token(token))
        ).first()
        if row is not None:
            tok, member = row
            if tok.revoked_at is not None:
                reason, member = "revoked_token", None
            elif tok.expires_at is not None and tok.expires_at <= now:
                reason, member = "expired_token", None
            elif not member.active:
                reason, member = "inactive_staff", None
    if member is None:
        with db.unit_of_work() as s:
            record(
                s,
                actor="system",
                action=actions.AUTH_DENIED,
                data={"reason": reason, "route": route},
            )
        raise Unauthorized(
            "Send a valid staff token as 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": 'Bearer realm="pirights"'},
        )
    return member
