"""The subject blocklist the generation service reads (§9)."""

from __future__ import annotations

import json
import time
from typing import Any

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from pirights import clock
from pirights.audit import actions
from pirights.audit.recorder import record
from pirights.complaints.matching import Matcher, fold
from pirights.complaints.models import BlocklistEntry, BlocklistState
from pirights.errors import Conflict, Invalid, NotFound
from pirights.extensions import db
from pirights.requests import lifecycle as lc
from pirights.requests.models import Request
from pirights.requests.queries import load
from pirights.staff.models import Staff

# Requests that may put a person on the blocklist (§9): a block request, or a complaint
# about portrait or reputation.
BLOCKING_TYPES = ("block", "portrait_complaint", "reputation_complaint")
STATE_ID = 1

CACHE = "pirights_blocklist_matcher"  # app.extensions key: (version, Matcher, read at)
# How long a check trusts the version it last read (time.monotonic seconds). Reading it is a
# transaction of its own, and on the check's hot path it cost more than the matching: so a
# change made by another process reaches this one's checks within this bound; a change made
# in this process, at its commit.
VERSION_TTL = 1.0
CHANGED = "pirights.blocklist.changed"  # session.info: this unit of work bumped the version
GENERATION = "pirights_blocklist_generation"  # app.extensions: changes committed here


def version(s: Session) -> int:
    """The list's version; changes with every add and delete."""
    state = s.get(BlocklistState, STATE_ID)
    return state.version if state else 0


def lock_state(s: Session) -> BlocklistState:
    """The list's state row, locked until the unit of work ends.

    The row is seeded by a migration, so concurrent first additions wait on one row lock
    instead of racing to insert it. Every writer of the list takes this lock before the
    audit chain's head (record() takes that one last), so they cannot deadlock.
    """
    return s.execute(
        select(BlocklistState)
        .where(BlocklistState.id == STATE_ID)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _bump(s: Session) -> int:
    """Advance the list's version (the ETag pollers compare) under its row lock."""
    state = lock_state(s)
    state.version += 1
    s.info[CHANGED] = True
    return state.version


@event.listens_for(Session, "after_commit")
def _forget_version(session: Session) -> None:
    """After a change commits, this process's next check reads the version again, and a
    check that read the version before the commit does not store what it built."""
    if session.info.pop(CHANGED, False):
        current_app.extensions[GENERATION] = current_app.extensions.get(GENERATION, 0) + 1
        cached = current_app.extensions.get(CACHE)
        if cached is not None:
            current_app.extensions[CACHE] = (cached[0], cached[1], float("-inf"))


@event.listens_for(Session, "after_rollback")
def _keep_version(session: Session) -> None:
    """A change rolled back changed nothing."""
    session.info.pop(CHANGED, None)


def add_entry(
    s: Session, terms: list[str], req: Request, reason: str, staff: Staff
) -> BlocklistEntry:
    """Add an entry inside the caller's unit of work (also used by completing a request)."""
    clean = [t.strip() for t in terms if fold(t)]
    if not clean:
        raise Invalid(
            "Give at least one term that is not blank.", errors={"terms": ["no usable term"]}
        )
    if req.type not in BLOCKING_TYPES:
        raise Conflict(
            f"A {req.type} request cannot add blocklist entries; only "
            f"{', '.join(BLOCKING_TYPES)} can.",
            slug="type-cannot-block",
        )
    if req.status in (lc.REFUSED, lc.WITHDRAWN):
        raise Conflict(
            f"The request is {req.status}; it cannot block anyone.", slug="request-closed"
        )
    new_version = _bump(s)
    entry = BlocklistEntry(
        terms=json.dumps(clean, ensure_ascii=False),
        request_id=req.id,
        reason=reason,
        created_by=staff.id,
        created_at=clock.now(),
    )
    s.add(entry)
    s.flush()
    # The terms are PII: the audit names the entry and counts its terms, nothing more.
    record(
        s,
        actor=staff.actor,
        action=actions.BLOCKLIST_ADDED,
        request_ref=req.reference,
        data={"entry_id": entry.id, "terms": len(clean), "version": new_version},
    )
    return entry


def lock_for_completion(
    s: Session, _req: Request, action: str, fields: dict[str, Any], _staff: Staff, _now
) -> dict[str, Any]:
    """Before a completion that will add an entry, take the list's lock (hook
    after_transition, which runs before the transition's event): writers of the list
    take it before the chain head's, so completing and POST /blocklist cannot deadlock."""
    if action == "complete" and fields.get("blocklist_terms"):
        lock_state(s)
    return {}


def block_on_completion(
    s: Session, req: Request, action: str, fields: dict[str, Any], staff: Staff, _now
) -> None:
    """Completing a block request (or upholding a complaint) with `blocklist_terms` blocks
    its subject in the same step (§9); the entry is audited on its own (hook
    on_transitioned, so its event follows the transition's)."""
    terms = fields.get("blocklist_terms")
    if action == "complete" and terms:
        add_entry(s, terms, req, req.resolution or "", staff)


def add(
    terms: list[str], request_ref: str, reason: str, staff: Staff
) -> tuple[BlocklistEntry, str]:
    """POST /blocklist: one unit of work; returns the entry and its request's reference."""
    with db.unit_of_work() as s:
        req = load(s, request_ref)
        return add_entry(s, terms, req, reason, staff), req.reference


def remove(entry_id: int, staff: Staff) -> None:
    """DELETE /blocklist/{id}: deactivate an entry (kept for the record)."""
    with db.unit_of_work() as s:
        # Locked and re-read: of concurrent deletes of one entry, the first removes it
        # and the others then see it removed (404), so each removal is audited once.
        entry = s.scalar(
            select(BlocklistEntry)
            .where(BlocklistEntry.id == entry_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if entry is None or entry.deleted_at is not None:
            raise NotFound(f"No active blocklist entry {entry_id}.")
        entry.deleted_at = clock.now()
        ref = s.get(Request, entry.request_id).reference if entry.request_id else None
        new_version = _bump(s)
        record(
            s,
            actor=staff.actor,
            action=actions.BLOCKLIST_REMOVED,
            request_ref=ref,
            data={"entry_id": entry_id, "version": new_version},
        )


def present(entry: BlocklistEntry, reference: str | None) -> dict[str, Any]:
    """One entry as the API shows it."""
    return {
        "id": entry.id,
        "terms": json.loads(entry.terms),
        "request_ref": reference,
        "created_at": entry.created_at.isoformat(),
    }


def active() -> tuple[int, list[dict[str, Any]]]:
    """(version, every active entry) read in one transaction."""
    with db.unit_of_work() as s:
        rows = s.execute(
            select(BlocklistEntry, Request.reference)
            .outerjoin(Request, Request.id == BlocklistEntry.request_id)
            .where(BlocklistEntry.deleted_at.is_(None))
            .order_by(BlocklistEntry.id)
        ).all()
        return version(s), [present(e, ref) for e, ref in rows]


def current_version() -> int:
    """The version alone, for a cheap If-None-Match check."""
    with db.unit_of_work() as s:
        return version(s)


def matcher() -> Matcher:
    """The automaton for the current version, built once per app per version; the version
    is read again at most every VERSION_TTL seconds.

    Cached on the app rather than per process and database URL: a database emptied or
    restored under a running process (tests do it between cases) numbers its versions
    again, and a process-wide cache would then answer with another list's terms.
    """
    cached = current_app.extensions.get(CACHE)
    now = time.monotonic()
    if cached is not None and 0 <= now - cached[2] < VERSION_TTL:
        return cached[1]
    seen = current_app.extensions.get(GENERATION, 0)
    with db.unit_of_work() as s:
        v = version(s)
        if cached is not None and cached[0] == v:
            current_app.extensions[CACHE] = (v, cached[1], _read_at(seen, now))
            return cached[1]
        rows = s.execute(
            select(BlocklistEntry.id, BlocklistEntry.terms).where(
                BlocklistEntry.deleted_at.is_(None)
            )
        ).all()
    built = Matcher((entry_id, json.loads(terms)) for entry_id, terms in rows)
    # One assignment: threads racing here each store a whole (version, matcher, time).
    current_app.extensions[CACHE] = (v, built, _read_at(seen, now))
    return built


def _read_at(seen: int, now: float) -> float:
    """When the stored version counts as read: now, unless a change committed in this
    process since the check noted `seen`; then never, so the next check reads again
    instead of trusting a version from before that change for VERSION_TTL."""
    return now if current_app.extensions.get(GENERATION, 0) == seen else float("-inf")


def check(text: str) -> list[dict[str, Any]]:
    """Entries whose terms occur in `text` (NFKC, case- and space-insensitive)."""
    return matcher().matches(text)
