"""How a due date was counted (SPEC §3.4-3.5), for the console's request page (§13).

The explanation is not a second computation: ``explain`` runs the counting functions that
compute due dates (``counting.replay``) with a trace, and reads the rule, the days counted
and the days skipped from what they recorded. Pure: no database, no clock, no Flask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from pirights.deadlines.calendars import WorkingCalendar
from pirights.deadlines.counting import Trace, local_date, replay
from pirights.deadlines.policy import Period, Policy, Unit

__all__ = ["Day", "DayKind", "Explanation", "Stretch", "explain"]

# working: an ordinary working weekday; working_weekend: a Saturday or Sunday made a working
# day (调休); holiday: a day off that is a weekday or has a holiday's name; weekend: an
# ordinary Saturday or Sunday off.
DayKind = Literal["working", "working_weekend", "holiday", "weekend"]
StretchKind = Literal["period", "pause", "extension"]


@dataclass(frozen=True)
class Day:
    """One local date the counting looked at, and what it was."""

    day: date
    kind: DayKind
    name: str | None = None  # the calendar's name for a holiday or moved day off

    @property
    def working(self) -> bool:
        """Whether the counting treated this day as a working day."""
        return self.kind in ("working", "working_weekend")


@dataclass(frozen=True)
class Stretch:
    """One piece of the count: the response period, or a pause or extension that moved it.

    For working days, ``days`` are every day counted over after ``from_day``; for calendar
    days and months, the nominal last day and the days it rolled over to reach a working day.
    """

    kind: StretchKind
    amount: int
    unit: Unit
    from_day: date  # counting starts the day after
    to_day: date  # the due day this stretch ends on
    days: tuple[Day, ...]

    @property
    def working_days(self) -> int:
        """Working days counted (every working day looked at, for a working-day stretch)."""
        return sum(d.working for d in self.days) if self.unit == "working_days" else 0

    @property
    def nominal_last_day(self) -> date | None:
        """Calendar days and months: the last day before rolling to a working day."""
        if self.unit == "working_days" or not self.days:
            return None
        return self.days[0].day

    @property
    def holidays(self) -> tuple[Day, ...]:
        """Holidays and moved days off this stretch skipped."""
        return tuple(d for d in self.days if d.kind == "holiday")

    @property
    def working_weekends(self) -> tuple[Day, ...]:
        """Weekend days worked (调休) that this stretch counted."""
        return tuple(d for d in self.days if d.kind == "working_weekend")

    @property
    def weekends(self) -> tuple[Day, ...]:
        """Ordinary weekend days this stretch skipped."""
        return tuple(d for d in self.days if d.kind == "weekend")


@dataclass(frozen=True)
class Explanation:
    """A due date and how it was counted."""

    rule: str
    calendar_data: str
    timezone: str
    received_at: datetime
    received_day: date
    due_at: datetime
    provisional: bool
    stretches: tuple[Stretch, ...]

    @property
    def period(self) -> Stretch:
        """The response period counted from receipt."""
        return self.stretches[0]

    @property
    def moves(self) -> tuple[Stretch, ...]:
        """The pauses and extensions that moved the due date, in order."""
        return self.stretches[1:]

    @property
    def holidays(self) -> tuple[Day, ...]:
        """Every holiday or moved day off that moved the due date."""
        return tuple(d for s in self.stretches for d in s.holidays)

    @property
    def working_weekends(self) -> tuple[Day, ...]:
        """Every weekend working day (调休) that was counted."""
        return tuple(d for s in self.stretches for d in s.working_weekends)

    @property
    def working_days(self) -> int:
        """Working days counted over all working-day stretches."""
        return sum(s.working_days for s in self.stretches)


def _day(d: date, working: bool, cal: WorkingCalendar, language: str) -> Day:
    """Classify one traced day; ``working`` is what the counting decided."""
    weekend = d.weekday() >= 5
    if working:
        return Day(d, "working_weekend" if weekend else "working")
    name = cal.day_name(d, language)
    if weekend and name is None:
        return Day(d, "weekend")
    return Day(d, "holiday", name)


def _stretch(
    kind: StretchKind,
    period: Period,
    from_day: date,
    trace: Trace,
    cal: WorkingCalendar,
    language: str,
) -> Stretch:
    """A stretch from its trace; a move of 0 days looked at no day and ends where it began."""
    days = tuple(_day(d, working, cal, language) for d, working in trace)
    to_day = days[-1].day if days else from_day
    return Stretch(kind, period.amount, period.unit, from_day, to_day, days)


def explain(
    received_at: datetime,
    policy: Policy,
    cal: WorkingCalendar,
    steps: Sequence[tuple[str, int]] = (),
    language: str = "en_US",
) -> Explanation:
    """Count the due date of a request as the engine does, and say how it was counted.

    ``steps`` are the pauses and extensions that moved it, as ``replay`` takes them
    (("pause", days) or ("extension", days), in order). ``language`` names holidays
    (``en_US`` or ``zh_CN``). The due date is ``replay``'s, computed in this call.
    """
    traces: list[Trace] = []
    deadline = replay(received_at, policy, cal, steps, traces)
    tz = policy.tz
    received_day = local_date(received_at, tz)
    stretches = [_stretch("period", policy.respond, received_day, traces[0], cal, language)]
    # A pause or extension moves the due date in the unit of the response period (§3.5).
    unit: Unit = "working_days" if policy.respond.unit == "working_days" else "calendar_days"
    for (kind, days), trace in zip(steps, traces[1:], strict=True):
        move_kind: StretchKind = "pause" if kind == "pause" else "extension"
        start = stretches[-1].to_day
        stretches.append(_stretch(move_kind, Period(days, unit), start, trace, cal, language))
    return Explanation(
        rule=deadline.rule,
        calendar_data=deadline.calendar_data,
        timezone=policy.timezone,
        received_at=received_at,
        received_day=received_day,
        due_at=deadline.due_at,
        provisional=deadline.provisional,
        stretches=tuple(stretches),
    )
