"""Staff management and token authentication; each function is one unit of work."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, make_transient_to_detached

from pirights import clock
from pirights.audit import actions
from pirights.audit.recorder import record
from pirights.crypto import cipher
from pirights.database import MAX_ROW_ID
from pirights.errors import Conflict, Invalid, NotFound, TooManyRequests, Unauthorized
from pirights.extensions import db
from pirights.staff import passwords, throttle, token_cache
from pirights.staff.identity import Identity
from pirights.staff.models import Staff, StaffToken
from pirights.staff.roles import ROLES, SERVICE

TOKEN_PREFIX = "pir_"
NAME_RE = re.compile(r"^[\w.@-]{1,64}$")

# (session, system name) -> id of that active data system, or raise NotFound. Filled by
# pirights.fulfilment's init_app, which owns systems; staff never imports it (no cycle).
system_resolvers: list[Callable[[Session, str], int]] = []


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


def add_staff(
    name: str, role: str, actor: str = "system", *, system: str | None = None
) -> tuple[Staff, str]:
    """Create a member and their first token; returns the token, which is not kept.

    `system` (a registered data system's name) ties a `service` member to that system
    (SPEC §14): only it may post that system's task results.
    """
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
    if system is not None and role != SERVICE:
        raise Invalid(
            "Only a service token can be tied to a system.",
            errors={"system": ["needs role service"]},
        )
    if system is not None and not system_resolvers:
        raise Invalid("No data systems are known here.", errors={"system": ["unknown"]})
    now = clock.now()
    with db.unit_of_work() as s:
        system_id = system_resolvers[0](s, system) if system is not None else None
        if s.scalar(select(Staff).where(Staff.name == name)) is not None:
            raise Conflict(f"A staff member named {name!r} already exists.", slug="staff-exists")
        member = Staff(name=name, role=role, active=True, created_at=now, system_id=system_id)
        token = new_token()
        member.tokens.append(
            StaffToken(token_hash=hash_token(token), created_at=now, expires_at=token_expiry(now))
        )
        s.add(member)
        data: dict = {"staff": name, "role": role}
        if system_id is not None:
            data["system_id"] = system_id
        record(s, actor=actor, action=actions.STAFF_ADDED, data=data)
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
        member.session_epoch += 1  # and every console session of theirs ends
        record(
            s,
            actor=actor,
            action=actions.STAFF_REVOKED,
            data={"staff": name, "tokens": len(live), "active": False},
        )
    token_cache.clear()  # after the commit: at once in this process, within its TTL elsewhere
    return len(live)


def set_password(name: str, password: str, actor: str = "system") -> None:
    """Give a member a console password (Argon2); their console sessions end.

    Clears a lock-out too: an admin who sets a new password has dealt with the failures.
    """
    problem = passwords.problem_with(password)
    if problem:
        raise Invalid(problem, errors={"password": [problem]})
    hashed = passwords.hash_password(password)  # slow on purpose: before the row lock
    with db.unit_of_work() as s:
        member = s.scalar(select(Staff).where(Staff.name == name).with_for_update())
        if member is None:
            raise NotFound(f"No staff member named {name!r}.")
        if member.role == SERVICE:
            raise Invalid(
                "A service identity uses its token and never signs in to the console.",
                errors={"name": ["role service"]},
            )
        if not member.active:
            raise Conflict(
                f"{name!r} is revoked and cannot sign in; add a new member instead.",
                slug="staff-inactive",
            )
        member.password_hash = hashed
        member.failed_sign_ins = 0
        member.locked_until = None
        member.session_epoch += 1
        record(s, actor=actor, action=actions.STAFF_PASSWORD_SET, data={"staff": name})


def reset_password(name: str, actor: str = "system") -> str:
    """Give a member a new random password and return it, to be shown once."""
    password = passwords.generate()
    set_password(name, password, actor)
    return password


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
    token_cache.clear()  # after the commit: at once in this process, within its TTL elsewhere


def authenticate(header: str | None, route: str, client: str = "unknown") -> Staff:
    """Resolve an `Authorization: Bearer` header to an active member, or raise 401 (429)."""
    return member_of(identify(header, route, client))


def identify(header: str | None, route: str, client: str = "unknown") -> Identity:
    """Resolve an `Authorization: Bearer` header to an active member's identity, or raise
    401.

    A client address that spent its failure budget gets 429 before any lookup. Refusals
    are audited as auth.denied (reason, route, how many, a keyed hash of the address;
    never the token), at most once a minute per address: see staff/throttle.py. A token
    that authenticated in the last few seconds is answered from memory (token_cache.py).
    """
    tracker = throttle.failures()
    wait = tracker.retry_after(client)
    if wait is not None:
        refused_attempt(tracker, "throttled", route, client)
        raise TooManyRequests(
            "Too many failed staff authentications from this address; wait before retrying.",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
    token = None
    if header and header[:7].lower() == "bearer ":
        token = header[7:].strip()
    now = clock.now()
    member = tok = None
    reason = "missing_token" if not token else "invalid_token"
    if token:
        digest, database = hash_token(token), db.key
        known = token_cache.get(database, digest, now)
        if known is not None:
            return known
        seen = token_cache.generation()
        row = db.session.execute(
            select(StaffToken, Staff)
            .join(Staff, Staff.id == StaffToken.staff_id)
            .where(StaffToken.token_hash == digest)
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
        refused_attempt(tracker, reason, route, client)
        raise Unauthorized(
            "Send a valid staff token as 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": 'Bearer realm="pirights"'},
        )
    identity = Identity.of(member)
    token_cache.put(database, digest, identity, tok.expires_at, now, seen)
    return identity


def member_of(identity: Identity) -> Staff:
    """The member as a persistent object of this request's session: the one already loaded
    there, or one made from the identity without a query (relationships load on access)."""
    member = Staff(**identity.columns())
    make_transient_to_detached(member)
    return db.session.merge(member, load=False)


def refused_attempt(tracker: throttle.AuthFailures, reason: str, route: str, client: str) -> None:
    """Count a refusal and, when it opens a new period for the address, audit it."""
    count = tracker.refused(client, clock.now().timestamp())
    if count is None:
        return
    with db.unit_of_work() as s:
        record(
            s,
            actor="system",
            action=actions.AUTH_DENIED,
            data={"reason": reason, "route": route, "count": count, "client": client_key(client)},
        )


def client_key(client: str) -> str:
    """A client address as the trail keeps it.

    The address is personal data: the trail keeps a keyed hash that links one address's
    events to each other, and nothing that reveals it.
    """
    return cipher().blind_index("client-address:" + client)[:16]
