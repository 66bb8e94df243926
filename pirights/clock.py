"""The one place the application reads the wall clock.

Services call `now()` once per unit of work and pass the value down; pure functions
(calendars, deadlines, policies) never read the clock. Tests replace `now`.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """Current time, aware, in UTC."""
    return datetime.now(UTC)
