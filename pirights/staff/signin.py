"""Console sign-in and sessions (SPEC §13); each function is one unit of work.

Lock-out is per name and kept on the member's row: LOCK_AFTER failed sign-ins in a row
lock the name for LOCK_FOR (audited `auth.denied`, reason `locked_out`); a success resets
the count. Every refusal also spends the client address's budget of failed staff
authentications (staff/throttle.py), shared with the API's bearer tokens, and is audited
through the same bounded record. A session is valid while its member is active and the
member's `session_epoch` is the one it began in: sign-out and a new password bump it.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import select

from pirights import clock
from pirights.audit import actions
from pirights.audit.recorder import record
from pirights.audit.sequencer import format_at
from pirights.crypto import cipher
from pirights.database import MAX_ROW_ID
from pirights.errors import TooManyRequests, Unauthorized
from pirights.extensions import db
from pirights.staff import passwords, throttle
from pirights.staff.models import Staff
from pirights.staff.roles import SERVICE
from pirights.staff.service import NAME_RE, client_key, refused_attempt

LOCK_AFTER = 5
LOCK_FOR = timedelta(minutes=15)
ROUTE = "/console/login"


class SignInRefused(Unauthorized):
    """Wrong name or password, a revoked member, or a locked name (`locked_until` set)."""

    slug = "sign-in-refused"

    def __init__(self, detail: str, *, locked_until: datetime | None = None) -> None:
        super().__init__(detail)
        self.locked_until = locked_until


def _throttle(client: str) -> throttle.AuthFailures:
    """The address's failure budget; raises 429 when it is spent."""
    tracker = throttle.failures()
    wait = tracker.retry_after(client)
    if wait is not None:
        refused_attempt(tracker, "throttled", ROUTE, client)
        raise TooManyRequests(
            "Too many failed sign-ins from this address; wait before retrying.",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
    return tracker


def sign_in(name: str, password: str, client: str) -> Staff:
    """The active member with this name and password, or SignInRefused (or 429).

    The password is checked (or a dummy hash, for an unknown name) before anything is
    decided, so every refusal costs the same time. The check runs outside the unit of
    work: Argon2 is slow on purpose, and on SQLite every transaction holds the database's
    one write lock. The outcome is then applied under the member's row lock, against the
    hash that was checked. Nothing typed is recorded: the trail names the member only
    when the name is a member's.
    """
    tracker = _throttle(client)
    now = clock.now()
    known = _member(db.session, name)
    checked = known.password_hash if known else None
    locked = known is not None and known.locked_until is not None and known.locked_until > now
    db.session.commit()  # the read's transaction ends before the slow check
    name_key = cipher().blind_index("staff-name:" + name.casefold())[:32]
    matches = False
    if not locked:
        matches = passwords.verify(checked, password)
    locked_until: datetime | None = None
    with db.unit_of_work() as s:
        member = _member(s, name, for_update=True)
        stranger_lock = tracker.name_locked_for(name_key) if member is None else None
        if member is not None and member.locked_until and member.locked_until > now:
            reason, locked_until = "locked", member.locked_until
        elif stranger_lock is not None:
            reason, locked_until = "locked", now + timedelta(seconds=stranger_lock)
        elif member is None or not member.active or member.password_hash is None:
            # A revoked member, or one without a password, locks like a stranger's name:
            # a name that never locked would tell that it is a member's.
            reason = _REFUSED_NAME[member is None, member is not None and not member.active]
            locked_until = _strike_stranger(s, tracker, name_key, now, client)
        elif not matches or member.password_hash != checked:
            # A hash changed since the check (a new password meanwhile) counts as wrong.
            reason = "password"
            locked_until = _count_failure(s, member, now, client)
        else:
            _succeeded(s, member, password, client)
            return member
    refused_attempt(tracker, reason, ROUTE, client)
    if locked_until is not None:
        raise SignInRefused(
            "Too many failed sign-ins: this name is locked for a while.",
            locked_until=locked_until,
        )
    raise SignInRefused("Wrong name or password.")


# (unknown name, inactive member) -> the refusal's reason in the trail
_REFUSED_NAME = {
    (True, False): "unknown_name",
    (False, True): "inactive_staff",
    (False, False): "no_password",
}


def _member(s, name: str, *, for_update: bool = False) -> Staff | None:
    """The member who may sign in with a password under this name (not a service token)."""
    if not NAME_RE.match(name):
        return None
    query = select(Staff).where(Staff.name == name, Staff.role != SERVICE)
    return s.scalar(query.with_for_update() if for_update else query)


def _strike_stranger(
    s, tracker: throttle.AuthFailures, name_key: str, now: datetime, client: str
) -> datetime | None:
    """Count a failure for a name that is no active member's, and lock it like a member's.

    Otherwise five wrong passwords would tell whether a name exists: a member's name
    locks, a stranger's would not. The trail gets a keyed hash of the name (it may be
    anything a person typed), never the name.
    """
    seconds = int(LOCK_FOR.total_seconds())
    if tracker.strike(name_key, LOCK_AFTER, seconds) is None:
        return None
    until = now + LOCK_FOR
    _audit_lock(s, until, client, name=name_key[:16])
    return until


def _count_failure(s, member: Staff, now: datetime, client: str) -> datetime | None:
    """Count one wrong password; on the LOCK_AFTER-th, lock the name and audit it."""
    member.failed_sign_ins += 1
    if member.failed_sign_ins < LOCK_AFTER:
        return None
    member.failed_sign_ins = 0
    member.locked_until = now + LOCK_FOR
    _audit_lock(s, member.locked_until, client, staff=member.name)
    return member.locked_until


def _audit_lock(s, until: datetime, client: str, **who: str) -> None:
    """`auth.denied` for a name just locked (`staff` for a member's, `name` for a keyed
    hash of any other), in the unit of work that locked it."""
    record(
        s,
        actor="system",
        action=actions.AUTH_DENIED,
        data={
            "reason": "locked_out",
            "route": ROUTE,
            **who,
            "failures": LOCK_AFTER,
            "locked_until": format_at(until),
            "client": client_key(client),
        },
    )


def _succeeded(s, member: Staff, password: str, client: str) -> None:
    """Reset the count, refresh an outdated hash and audit the sign-in."""
    member.failed_sign_ins = 0
    member.locked_until = None
    if member.password_hash and passwords.needs_rehash(member.password_hash):
        member.password_hash = passwords.hash_password(password)
    record(
        s,
        actor=member.actor,
        action=actions.AUTH_SIGNED_IN,
        data={"method": "password", "client": client_key(client)},
    )


def sign_in_external(candidates: list[str], method: str, client: str) -> Staff:
    """The active member an identity provider vouched for, or SignInRefused.

    `candidates` are the member names the provider's identity may stand for (already
    checked by the caller: a verified email, a username); the first active person among
    them signs in. Unknown identities are refused and audited like any failed sign-in,
    without the identity itself.
    """
    tracker = _throttle(client)
    with db.unit_of_work() as s:
        names = [n for n in candidates if NAME_RE.match(n)]
        members = s.scalars(select(Staff).where(Staff.name.in_(names))).all() if names else []
        by_name = {m.name: m for m in members}
        for name in names:
            member = by_name.get(name)
            if member is not None and member.active and member.role != SERVICE:
                record(
                    s,
                    actor=member.actor,
                    action=actions.AUTH_SIGNED_IN,
                    data={"method": method, "client": client_key(client)},
                )
                return member
    refused_attempt(tracker, "unknown_identity", ROUTE, client)
    raise SignInRefused("This identity is not an active staff member here.")


def session_member(staff_id: object, epoch: object) -> Staff | None:
    """The member a console session names, while it may still act; else None."""
    if not isinstance(staff_id, int) or not isinstance(epoch, int):
        return None
    if not 1 <= staff_id <= MAX_ROW_ID:
        return None
    member = db.session.get(Staff, staff_id)
    if member is None or not member.active or member.role == SERVICE:
        return None
    return member if member.session_epoch == epoch else None


def sign_out(staff_id: int) -> None:
    """End every console session of the member (bump their epoch) and audit it."""
    with db.unit_of_work() as s:
        member = s.scalar(select(Staff).where(Staff.id == staff_id).with_for_update())
        if member is None:
            return
        member.session_epoch += 1
        record(s, actor=member.actor, action=actions.AUTH_SIGNED_OUT, data={})
