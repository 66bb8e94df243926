"""When to try a failed delivery again: pure arithmetic, no clock or database inside."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, bounded by a number of attempts and an age.

    The defaults retry after about 30 s, 1, 2, 4, … minutes, at most an hour apart, and
    give up after 24 hours (SPEC §14) or 30 attempts, whichever comes first.
    """

    base_seconds: float = 30.0
    max_delay_seconds: float = 3600.0
    max_attempts: int = 30
    max_age: timedelta = timedelta(hours=24)
    jitter: float = 0.2  # ± this fraction, so workers that failed together spread out

    def delay(self, attempts: int, unit_random: float) -> timedelta:
        """The wait after the `attempts`-th failure; `unit_random` is uniform in [0, 1)."""
        raw = min(self.base_seconds * 2 ** max(attempts - 1, 0), self.max_delay_seconds)
        spread = 1 + self.jitter * (2 * unit_random - 1)
        return timedelta(seconds=raw * spread)

    def next_attempt(
        self, attempts: int, window_from: datetime, now: datetime, unit_random: float
    ) -> datetime | None:
        """When to try again after a failure, or None when it is time to give up."""
        if attempts >= self.max_attempts:
            return None
        at = now + self.delay(attempts, unit_random)
        return at if at - window_from <= self.max_age else None
