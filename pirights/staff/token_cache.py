"""A short-lived, in-process memory of tokens that authenticated (SPEC §10, issue 17).

Looking a token up costs two round trips to the database (the pool's ping and the query),
which on the generation service's hot path (`POST /api/v1/blocklist/check`) was most of a
request. A token that authenticated is therefore remembered for TTL seconds, by its hash:
later requests with it within that time are answered from memory, expiry still checked
against the clock. Only successes are remembered, so a wrong token always takes the
database path (and its throttle and audit).

The bound: a token revoked, or a member deactivated, in *another* process stops working
within TTL seconds; in this process at once, since revoking clears the memory here. Time is
read from `pirights.clock` (tests move it).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from pirights.staff.identity import Identity

TTL = timedelta(seconds=5)
MAX_ENTRIES = 10_000  # a bound on memory; only valid tokens get in, so rarely reached

_lock = threading.Lock()


@dataclass(frozen=True)
class Entry:
    """What a hit needs: the member, the token's expiry, when it was looked up."""

    staff: Identity
    expires_at: datetime | None
    looked_up: datetime


_entries: dict[tuple[str, str], Entry] = {}
# Bumped by every clear(): a lookup that began before a revocation in this process must
# not put back what the revocation cleared (it read the token before the revoke committed).
_generation = 0


def generation() -> int:
    """Note this before reading a token from the database; hand it to put()."""
    return _generation


def get(database: str, token_hash: str, now: datetime) -> Identity | None:
    """The member if this token authenticated less than TTL ago and has not expired
    since; else None (look it up)."""
    entry = _entries.get((database, token_hash))
    if entry is None or not (entry.looked_up <= now < entry.looked_up + TTL):
        return None
    if entry.expires_at is not None and entry.expires_at <= now:
        return None
    return entry.staff


def put(
    database: str,
    token_hash: str,
    staff: Identity,
    expires_at: datetime | None,
    now: datetime,
    seen: int,
) -> None:
    """Remember a token that has just authenticated, unless the memory was cleared since
    `seen` (generation() before the lookup)."""
    with _lock:
        if seen != _generation:
            return
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[(database, token_hash)] = Entry(staff, expires_at, now)


def clear() -> None:
    """Forget every token (a revocation in this process takes effect at once)."""
    global _generation
    with _lock:
        _generation += 1
        _entries.clear()
