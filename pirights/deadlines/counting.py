"""Counting deadlines (SPEC §3.4) and moving them for pauses and extensions (SPEC §3.5).

Pure functions: the caller passes every instant; nothing here reads the clock.
"""

from __future__ import annotations

import calendar as _gregorian
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pirights.deadlines.calendars import WorkingCalendar
from pirights.deadlines.policy import Period, Policy

__all__ = [
    "Deadline",
    "ExtensionError",
    "end_of_day",
    "extend",
    "initial_deadline",
    "local_date",
    "move_due",
    "period_end",
    "provisional_between",
    "replay",
    "shift_for_pause",
    "working_days_between",
]

_END_OF_DAY = time(23, 59, 59)
# What counting saw, in order: each local date it looked at and whether it was a working
# day. The explanation of a due date (explain.py) is read from this, so it cannot drift
# from the arithmetic.
Trace = list[tuple[date, bool]]
# No real calendar goes a year without a working day; stop rather than loop on bad config.
_MAX_GAP = 366


class ExtensionError(ValueError):
    """An extension the policy does not allow; the message says what would be allowed."""


@dataclass(frozen=True)
class Deadline:
    """A computed due instant with what an auditor needs to recompute it."""

    due_at: datetime
    provisional: bool
    rule: str
    calendar_data: str


def _zone(tz: ZoneInfo | str) -> ZoneInfo:
    """Accept a ``ZoneInfo`` or an IANA name."""
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def local_date(instant: datetime, tz: ZoneInfo | str) -> date:
    """The calendar date of ``instant`` in ``tz``; naive datetimes are refused as ambiguous."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{instant.isoformat()} has no time zone; pass an aware datetime")
    return instant.astimezone(_zone(tz)).date()


def end_of_day(d: date, tz: ZoneInfo | str) -> datetime:
    """23:59:59 local time on ``d``, the instant a period ending on ``d`` ends."""
    return datetime.combine(d, _END_OF_DAY, tzinfo=_zone(tz))


def _next_working_day(
    d: date, cal: WorkingCalendar, trace: Trace | None = None
) -> tuple[date, bool]:
    """``d`` if it is a working day, else the next one; and whether any day seen is provisional.

    With ``trace``, every day looked at is appended to it with its working-day status.
    """
    provisional = cal.is_provisional_day(d)
    for _ in range(_MAX_GAP):
        working = cal.is_working_day(d)
        if trace is not None:
            trace.append((d, working))
        if working:
            return d, provisional
        d += timedelta(days=1)
        provisional = provisional or cal.is_provisional_day(d)
    raise ValueError(f"calendar {cal.name!r} has no working day for a year after {d}")


def _add_working_days(
    d: date, n: int, cal: WorkingCalendar, trace: Trace | None = None
) -> tuple[date, bool]:
    """The n-th working day after ``d`` (``d`` itself if n == 0), and provisional-ness.

    With ``trace``, every day counted over is appended to it with its working-day status.
    """
    provisional = False
    gap = 0
    while n > 0:
        d += timedelta(days=1)
        provisional = provisional or cal.is_provisional_day(d)
        working = cal.is_working_day(d)
        if trace is not None:
            trace.append((d, working))
        if working:
            n -= 1
            gap = 0
        else:
            gap += 1
            if gap > _MAX_GAP:
                raise ValueError(f"calendar {cal.name!r} has no working day for a year after {d}")
    return d, provisional


def _add_months(d: date, months: int) -> date:
    """The same date ``months`` later, or that month's last day where there is no such date."""
    index = d.month - 1 + months
    year, month = d.year + index // 12, index % 12 + 1
    return date(year, month, min(d.day, _gregorian.monthrange(year, month)[1]))


def _end_day(
    start_day: date, period: Period, cal: WorkingCalendar, trace: Trace | None = None
) -> tuple[date, bool]:
    """Last day of ``period`` counted from the day after ``start_day`` (SPEC §3.4).

    With ``trace``: for working days, every day counted over; for calendar days and months,
    the nominal last day and any days it rolled over to reach a working day.
    """
    if period.unit == "working_days":
        return _add_working_days(start_day, period.amount, cal, trace)
    if period.unit == "calendar_days":
        last = start_day + timedelta(days=period.amount)
    else:
        last = _add_months(start_day, period.amount)
    return _next_working_day(last, cal, trace)


def period_end(
    start: datetime,
    period: Period,
    tz: ZoneInfo | str,
    cal: WorkingCalendar,
    trace: Trace | None = None,
) -> tuple[datetime, bool]:
    """When ``period`` counted from the event at ``start`` ends (SPEC §3.4).

    The day of the event is ``start``'s local date in ``tz``; counting begins the next day.
    Returns (23:59:59 local on the last day, whether any day that decided it is provisional).
    """
    day, provisional = _end_day(local_date(start, tz), period, cal, trace)
    return end_of_day(day, tz), provisional


def initial_deadline(
    received_at: datetime, policy: Policy, cal: WorkingCalendar, trace: Trace | None = None
) -> Deadline:
    """The due date for answering a request received at ``received_at`` under ``policy``."""
    due_at, provisional = period_end(received_at, policy.respond, policy.tz, cal, trace)
    return Deadline(due_at, provisional, policy.rule(), cal.describe())


def _counts_working_days(policy: Policy) -> bool:
    """Whether pauses and extensions move this policy's due date in working days."""
    return policy.respond.unit == "working_days"


def _move(
    due_day: date, days: int, policy: Policy, cal: WorkingCalendar, trace: Trace | None = None
) -> date:
    """``due_day`` moved ``days`` later in the policy's unit, landing on a working day."""
    if _counts_working_days(policy):
        return _add_working_days(due_day, days, cal, trace)[0]
    return _next_working_day(due_day + timedelta(days=days), cal, trace)[0]


def move_due(
    due_at: datetime,
    days: int,
    policy: Policy,
    cal: WorkingCalendar,
    trace: Trace | None = None,
) -> datetime:
    """``due_at`` moved ``days`` later in the policy's unit, as a pause or extension moves it.

    The same move ``shift_for_pause`` and ``extend`` make once they know the days; replaying
    a request's pauses and extensions with it gives the due date they gave (SPEC §3.5).
    """
    if days <= 0:
        return due_at
    tz = policy.tz
    return end_of_day(_move(local_date(due_at, tz), days, policy, cal, trace), tz)


def replay(
    received_at: datetime,
    policy: Policy,
    cal: WorkingCalendar,
    steps: Sequence[tuple[str, int]],
    traces: list[Trace] | None = None,
) -> Deadline:
    """The due date counted from receipt, then moved by each step in order.

    ``steps`` are ("pause", paused days) and ("extension", days), as they moved the due date.
    With ``traces``, one trace per stretch counted is appended: the initial period first,
    then one per step (empty for a step of 0 days).
    """
    first_trace: Trace | None = [] if traces is not None else None
    first = initial_deadline(received_at, policy, cal, first_trace)
    if first_trace is not None and traces is not None:
        traces.append(first_trace)
    due_at, provisional = first.due_at, first.provisional
    for _kind, days in steps:
        trace: Trace | None = [] if traces is not None else None
        moved = move_due(due_at, days, policy, cal, trace)
        if trace is not None and traces is not None:
            traces.append(trace)
        provisional = provisional or provisional_between(
            local_date(due_at, policy.tz), local_date(moved, policy.tz), cal
        )
        due_at = moved
    return Deadline(due_at, provisional, first.rule, first.calendar_data)


def working_days_between(start: date, end: date, cal: WorkingCalendar) -> int:
    """Number of working days d with ``start < d <= end`` (0 when ``end <= start``)."""
    count = 0
    d = start + timedelta(days=1)
    while d <= end:
        count += cal.is_working_day(d)
        d += timedelta(days=1)
    return count


def provisional_between(start: date, end: date, cal: WorkingCalendar) -> bool:
    """Whether any day d with ``start < d <= end`` may change when a schedule arrives.

    For callers that moved a due date (pause, extension) and must refresh its provisional flag.
    """
    d = start + timedelta(days=1)
    while d <= end:
        if cal.is_provisional_day(d):
            return True
        d += timedelta(days=1)
    return False


def shift_for_pause(
    due_at: datetime,
    paused_at: datetime,
    resumed_at: datetime,
    policy: Policy,
    cal: WorkingCalendar,
) -> tuple[datetime, int]:
    """The due date after a pause (SPEC §3.5), and the number of paused days counted.

    Paused days are the local dates d with pause day < d <= resume day that are working days
    (any day for calendar-day and month policies); the due date moves later by that many days
    of the same kind. A pause and resume on the same day counts 0 and leaves ``due_at`` as is.
    """
    tz = policy.tz
    pause_day, resume_day = local_date(paused_at, tz), local_date(resumed_at, tz)
    if resume_day < pause_day:
        raise ValueError(f"resumed at {resumed_at.isoformat()} before paused at {paused_at}")
    if _counts_working_days(policy):
        paused = working_days_between(pause_day, resume_day, cal)
    else:
        paused = (resume_day - pause_day).days
    if paused == 0:
        return due_at, 0
    return end_of_day(_move(local_date(due_at, tz), paused, policy, cal), tz), paused


def _unit_word(policy: Policy) -> str:
    """How extension days are counted under ``policy``, for messages."""
    return "working days" if _counts_working_days(policy) else "calendar days"


def extend(
    received_at: datetime,
    due_at: datetime,
    days: int,
    extensions_so_far: int,
    days_so_far: int,
    policy: Policy,
    cal: WorkingCalendar,
) -> datetime:
    """The due date after extending by ``days`` (SPEC §3.5), or ``ExtensionError``.

    ``days`` are working days under a working-day policy, calendar days otherwise.
    ``due_at`` is the current due date (already including earlier extensions and pauses);
    ``extensions_so_far`` and ``days_so_far`` are the earlier extensions' count and total days.
    Limits: the policy's number of extensions; its extension length (in the same unit a count
    of days, otherwise the end of the extension period counted by §3.4 from the due date before
    any extension); and its outer limit counted by §3.4 from receipt (CN: 30 calendar days).
    """
    unit = _unit_word(policy)
    if days < 1:
        raise ExtensionError(f"an extension must be at least 1 day, not {days}")
    ext = policy.extension
    if ext is None or policy.extension_times < 1:
        raise ExtensionError(f"the {policy.rule()} rule allows no extension")
    if extensions_so_far >= policy.extension_times:
        raise ExtensionError(
            f"the {policy.rule()} rule allows {policy.extension_times} extension(s) and "
            f"{extensions_so_far} have been made"
        )
    tz = policy.tz
    due_day = local_date(due_at, tz)
    new_day = _move(due_day, days, policy, cal)
    same_unit = ext.unit == ("working_days" if _counts_working_days(policy) else "calendar_days")
    if same_unit and days_so_far + days > ext.amount:
        left = ext.amount - days_so_far
        raise ExtensionError(
            f"the {policy.rule()} rule allows at most {ext.amount} {unit} of extension in total; "
            f"{days_so_far} used, so at most {left} more"
        )
    limits: list[tuple[date, str]] = []
    if not same_unit:
        base_day = due_day - timedelta(days=days_so_far)
        if _counts_working_days(policy):
            base_day = _back_working_days(due_day, days_so_far, cal)
        limits.append((_end_day(base_day, ext, cal)[0], f"extension limit of {ext.code()}"))
    if policy.outer_limit is not None:
        outer_day = _end_day(local_date(received_at, tz), policy.outer_limit, cal)[0]
        limits.append((outer_day, f"outer limit of {policy.outer_limit.code()} after receipt"))
    for limit_day, label in limits:
        if new_day > limit_day:
            if _counts_working_days(policy):
                most = working_days_between(due_day, limit_day, cal)
            else:
                most = max(0, (limit_day - due_day).days)
            room = f"at most {most} {unit} can be added" if most else "no extension is possible"
            raise ExtensionError(
                f"extending by {days} {unit} would make the due date {new_day}, past the {label} "
                f"({limit_day}); {room}"
            )
    return end_of_day(new_day, tz)


def _back_working_days(d: date, n: int, cal: WorkingCalendar) -> date:
    """The day n working days before ``d`` (``d`` itself if n == 0)."""
    while n > 0:
        d -= timedelta(days=1)
        n -= cal.is_working_day(d)
    return d
