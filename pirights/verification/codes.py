"""One-time codes (SPEC §12.1) as pure rules: making, hashing, checking and pacing them.

Nothing here reads the clock or the database; the service passes `now` and the rows.
"""

from __future__ import annotations

import hmac
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pirights import randomness

DIGITS = 6
SHAPE = re.compile(r"^[0-9]{6}$")


@dataclass(frozen=True)
class CodeRules:
    """How long a code lives, how many wrong tries void it, how often a new one may go out."""

    lifetime: timedelta = timedelta(minutes=15)
    tries: int = 5
    resend_gap: timedelta = timedelta(minutes=1)
    resends_per_day: int = 5
    day: timedelta = timedelta(hours=24)


def new_code() -> str:
    """Six decimal digits from the operating system's CSPRNG, leading zeros kept."""
    return f"{randomness.randbelow(10**DIGITS):0{DIGITS}d}"


def code_hash(keyed: Callable[[str], str], request_id: int, code: str) -> str:
    """The stored form of a code: a keyed hash, bound to its request.

    A plain hash of six digits is reversed by trying a million values; under a key held
    only by the application the stored value reveals nothing without that key.
    """
    return keyed(f"verification-code:{request_id}:{code}")


def matches(keyed: Callable[[str], str], request_id: int, code: str, stored: str) -> bool:
    """Constant-time comparison of a presented code with the stored hash."""
    return hmac.compare_digest(code_hash(keyed, request_id, code), stored)


def resend_wait(
    last_sent: datetime | None,
    resends: Sequence[datetime],
    now: datetime,
    rules: CodeRules,
) -> float | None:
    """Seconds to wait before another code may be sent, or None when one may go now.

    `last_sent` is when the newest code went out (the receipt's included); `resends` are
    the instants of the requester's own requests for a new code, which the daily limit
    counts over a sliding 24 hours.
    """
    waits: list[float] = []
    if last_sent is not None and now < last_sent + rules.resend_gap:
        waits.append((last_sent + rules.resend_gap - now).total_seconds())
    recent = sorted(t for t in resends if t > now - rules.day)
    if len(recent) >= rules.resends_per_day:
        # The window frees a slot when the oldest counted resend leaves it.
        oldest = recent[len(recent) - rules.resends_per_day]
        waits.append((oldest + rules.day - now).total_seconds())
    return max(1.0, math.ceil(max(waits))) if waits else None
