"""Failed staff authentication: a budget per client address and a bounded audit record.

Without a bound, a flood of garbage bearer tokens wrote one `auth.denied` event per
request, each taking the audit chain's head lock, on routes no rate limit covered. Here:

- each client address may fail `limits.staff_auth_failures` times (moving window, e.g.
  `10/minute`); past that its staff requests get 429 with Retry-After before any token
  is looked up, until the window frees up ("off" removes the budget);
- refusals are audited at most once per address per AUDIT_PERIOD: the first refusal of a
  period writes `auth.denied` with `count`, the number of refusals from that address since
  its previous event (this one included), so a flood costs one event a minute per address
  and the trail still says how many attempts there were.

Counters live in the rate-limit storage (`limits.storage`: Redis shared by every server,
else this process's memory). A storage outage fails open for the budget and audits every
refusal: losing the record would be worse than its cost.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import current_app
from limits import parse as parse_limit
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

AUDIT_PERIOD = 60  # seconds
PENDING_TTL = 24 * 3600  # unrecorded refusals older than a day are forgotten
EXTENSION = "pirights_auth_failures"
NAMESPACE = "staff-auth-failures"

log = logging.getLogger(__name__)
_making = threading.Lock()


class AuthFailures:
    """The per-address failure budget and audit bound, over one counter storage."""

    def __init__(self, storage_uri: str, rate: str) -> None:
        self._storage = storage_from_string(storage_uri or "memory://")
        self._window = MovingWindowRateLimiter(self._storage)
        self._item = None if rate.lower() == "off" else parse_limit(rate)

    def retry_after(self, address: str) -> float | None:
        """Seconds until `address` may try again, or None while its budget lasts."""
        if self._item is None:
            return None
        try:
            if self._window.test(self._item, NAMESPACE, address):
                return None
            reset_at, _remaining = self._window.get_window_stats(self._item, NAMESPACE, address)
        except Exception:
            log.warning("rate-limit storage unavailable", exc_info=True)
            return None
        return max(1.0, reset_at - time.time())

    def refused(self, address: str, now: float) -> int | None:
        """Count one refusal; the count to audit now, or None if this period has its event."""
        pending_key = f"pirights/{NAMESPACE}/pending/{address}"
        period_key = f"pirights/{NAMESPACE}/period/{address}/{int(now // AUDIT_PERIOD)}"
        try:
            if self._item is not None:
                self._window.hit(self._item, NAMESPACE, address)
            pending = self._storage.incr(pending_key, PENDING_TTL)
            if self._storage.incr(period_key, 2 * AUDIT_PERIOD) != 1:
                return None
            # Subtract what this event reports rather than clearing the counter, so a
            # refusal counted concurrently is kept for the next event.
            self._storage.incr(pending_key, PENDING_TTL, amount=-pending)
            return pending
        except Exception:
            log.warning("rate-limit storage unavailable", exc_info=True)
            return 1

    def name_locked_for(self, key: str) -> float | None:
        """Seconds left of the lock on a name kept here (see strike), or None."""
        lock_key = f"pirights/{NAMESPACE}/name-lock/{key}"
        try:
            if self._storage.get(lock_key) <= 0:
                return None
            return max(1.0, self._storage.get_expiry(lock_key) - time.time())
        except Exception:
            log.warning("rate-limit storage unavailable", exc_info=True)
            return None

    def strike(self, key: str, limit: int, seconds: int) -> float | None:
        """Count a failed sign-in for a name kept here; at the `limit`-th within `seconds`,
        lock it for `seconds` and return them (else None).

        For names that are no member's (members' counts live on their rows), so a name
        locks after as many failures whether or not it exists.
        """
        count_key = f"pirights/{NAMESPACE}/name/{key}"
        try:
            if self._storage.incr(count_key, seconds) < limit:
                return None
            self._storage.clear(count_key)
            self._storage.incr(f"pirights/{NAMESPACE}/name-lock/{key}", seconds)
            return float(seconds)
        except Exception:
            log.warning("rate-limit storage unavailable", exc_info=True)
            return None


def failures() -> AuthFailures:
    """This application's tracker, made on first use from its settings."""
    tracker = current_app.extensions.get(EXTENSION)
    if tracker is None:
        with _making:  # one tracker per app, or threads would count in separate memories
            tracker = current_app.extensions.get(EXTENSION)
            if tracker is None:
                settings = current_app.config["PIRIGHTS"]
                tracker = AuthFailures(settings.ratelimit_storage, settings.staff_auth_failures)
                current_app.extensions[EXTENSION] = tracker
    return tracker
