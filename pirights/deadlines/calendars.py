"""Working-day calendars: which local dates count as working days, and on what data.

Two kinds exist: China's official calendar (State Council schedule, via the ``holidays``
package plus schedules supplied by hand in config) and a plain Monday-Friday calendar with
optional configured days off (used for the EU and US-CA).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date
from functools import lru_cache

import holidays

__all__ = [
    "ChinaCalendar",
    "WeekendCalendar",
    "WorkingCalendar",
    "build_calendars",
    "package_schedule_years",
]

CHINA = "CN"
WEEKENDS = "weekends"
# The State Council's notice for year Y+1 has moved days in the last week of December of Y
# (2001-12-29/30, 2005-12-31, 2006-12-30/31, 2011-12-31 were working weekends for the next
# New Year), so those days are only settled once the next year's schedule is known.
_LATE_DECEMBER_FROM = 25


class WorkingCalendar:
    """A named calendar answering whether a local date is a working day."""

    name: str

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` (a local date in the jurisdiction's time zone) is a working day."""
        raise NotImplementedError

    def is_provisional(self, year: int) -> bool:
        """Whether the official schedule for ``year`` is not known, so results may change."""
        return False

    def is_provisional_day(self, d: date) -> bool:
        """Whether the working-day status of ``d`` may still change when a schedule arrives."""
        return self.is_provisional(d.year)

    def describe(self) -> str:
        """The calendar data in use, recorded with each deadline so an auditor can recompute."""
        raise NotImplementedError

    def day_name(self, d: date, language: str = "en_US") -> str | None:
        """The name of the holiday or moved day off on ``d``, when the calendar knows one.

        Only for explaining a due date; it never decides whether ``d`` is a working day.
        """
        return None


class WeekendCalendar(WorkingCalendar):
    """Monday to Friday are working days, except the configured days off."""

    def __init__(self, name: str = WEEKENDS, days_off: Iterable[date] = ()) -> None:
        """Make a Monday-Friday calendar called ``name`` with extra ``days_off``."""
        self.name = name
        self._days_off = frozenset(days_off)

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` is a weekday that is not a configured day off."""
        return d.weekday() < 5 and d not in self._days_off

    def describe(self) -> str:
        """``weekends``, plus the configured days off when there are any."""
        if not self._days_off:
            return WEEKENDS
        days = ", ".join(d.isoformat() for d in sorted(self._days_off))
        return f"{WEEKENDS} + config days off ({self.name}) {days}"


@lru_cache(maxsize=1)
def package_schedule_years() -> frozenset[int]:
    """Years for which the installed ``holidays`` package carries China's official schedule.

    Every State Council notice since 2001 moves at least one day (调休 or 补假), and the package
    encodes each notice as that year's entry in ``special_public_holidays`` (the source of its
    ``weekend_workdays``). A year without an entry has only the statutory holidays the package
    derives by rule, silently, so we treat exactly the years with an entry as official.
    """
    return frozenset(holidays.China().special_public_holidays)


@lru_cache(maxsize=256)
def _package_days_off(year: int, observed: bool) -> frozenset[date]:
    """Weekday days off and weekend working days in ``year`` according to the package.

    Returned as one set of dates whose status differs from the plain Monday-Friday rule, so a
    lookup is one set membership test; cached because a sweep counts many deadlines.
    """
    cal = holidays.China(years=year, observed=observed)
    exceptions = {d for d in cal if d.year == year and d.weekday() < 5}
    exceptions |= {d for d in cal.weekend_workdays if d.year == year}
    return frozenset(exceptions)


@lru_cache(maxsize=64)
def _package_day_names(year: int, language: str, observed: bool) -> dict[date, str]:
    """Names of China's holidays and moved days off in ``year``, in ``language``."""
    if language not in holidays.China.supported_languages:
        language = "en_US"
    return dict(holidays.China(years=year, observed=observed, language=language))


def _as_dates(values: Iterable[object], where: str) -> frozenset[date]:
    """Parse ISO date strings (or dates) from config, naming ``where`` when one is bad."""
    out = set()
    for value in values:
        if isinstance(value, date):
            out.add(value)
            continue
        try:
            out.add(date.fromisoformat(str(value)))
        except ValueError:
            raise ValueError(f"{where}: {value!r} is not a date like 2027-01-01") from None
    return frozenset(out)


class ChinaCalendar(WorkingCalendar):
    """China's working days: the ``holidays`` package, overridden by hand-supplied schedules.

    A hand-supplied schedule for a year (``{"off": [...], "on": [...]}``) makes that year
    official: its days off are the statutory holidays the package derives (without its computed
    补假, since the notice itself says which days are moved) plus the listed ``off`` days, and
    the listed ``on`` days are working days even on a weekend or holiday.
    """

    def __init__(self, schedules: Mapping[str | int, Mapping] | None = None) -> None:
        """Make the CN calendar; ``schedules`` maps a year to its ``off``/``on`` date lists."""
        self.name = CHINA
        self._config_years: set[int] = set()
        self._on: set[date] = set()
        self._off: set[date] = set()
        for key, schedule in (schedules or {}).items():
            where = f"calendars.CN.schedules.{key}"
            try:
                year = int(key)
            except ValueError:
                raise ValueError(f"{where}: {key!r} is not a year") from None
            if not isinstance(schedule, Mapping) or set(schedule) - {"off", "on"}:
                raise ValueError(f"{where}: expected a table with only 'off' and 'on' lists")
            self._config_years.add(year)
            self._off |= _as_dates(schedule.get("off", ()), f"{where}.off")
            self._on |= _as_dates(schedule.get("on", ()), f"{where}.on")
        both = self._on & self._off
        if both:
            raise ValueError(f"calendars.CN.schedules: {min(both)} is listed as both on and off")
        self._fingerprint = hashlib.sha256(
            json.dumps(
                {"on": sorted(map(str, self._on)), "off": sorted(map(str, self._off))}
            ).encode()
        ).hexdigest()[:12]

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` is a working day on the State Council schedule (or our best estimate)."""
        if d in self._on:
            return True
        if d in self._off:
            return False
        if d.year in self._config_years:
            flips = _package_days_off(d.year, False)
        else:
            flips = _package_days_off(d.year, True)
        return (d.weekday() < 5) != (d in flips)

    def is_provisional(self, year: int) -> bool:
        """True unless the package or config carries the official schedule for ``year``."""
        return year not in self._config_years and year not in package_schedule_years()

    def is_provisional_day(self, d: date) -> bool:
        """Provisional year, or late December before the next year's schedule is known."""
        if self.is_provisional(d.year):
            return True
        return d.month == 12 and d.day >= _LATE_DECEMBER_FROM and self.is_provisional(d.year + 1)

    def day_name(self, d: date, language: str = "en_US") -> str | None:
        """The ``holidays`` package's name for ``d`` in ``language`` (en_US, zh_CN...)."""
        return _package_day_names(d.year, language, d.year not in self._config_years).get(d)

    def describe(self) -> str:
        """E.g. ``holidays 0.109 CN`` or ``holidays 0.109 CN + config schedule 2027 (sha...)``."""
        text = f"holidays {holidays.__version__} CN"
        if self._config_years:
            years = ", ".join(str(y) for y in sorted(self._config_years))
            text += f" + config schedule {years} (sha256:{self._fingerprint})"
        return text


def build_calendars(
    schedules: Mapping | None = None, holidays_extra: Mapping | None = None
) -> dict[str, WorkingCalendar]:
    """Build every calendar by id: ``CN``, ``weekends`` and one per ``holidays_extra`` key.

    ``schedules`` is ``{"CN": {"2027": {"off": [...], "on": [...]}}}``; ``holidays_extra`` is
    ``{"EU": ["2026-12-25"]}`` and yields a Monday-Friday calendar ``EU`` with those days off.
    Raises ``ValueError`` naming the bad entry.
    """
    schedules = dict(schedules or {})
    unknown = set(schedules) - {CHINA}
    if unknown:
        raise ValueError(f"calendars.{min(unknown)}.schedules: only the CN calendar has schedules")
    calendars: dict[str, WorkingCalendar] = {
        CHINA: ChinaCalendar(schedules.get(CHINA)),
        WEEKENDS: WeekendCalendar(),
    }
    for name, days in (holidays_extra or {}).items():
        if name in calendars:
            raise ValueError(f"calendars.{name}.holidays: {name!r} is a built-in calendar")
        if isinstance(days, str | bytes) or not isinstance(days, Iterable):
            raise ValueError(f"calendars.{name}.holidays: expected a list of dates")
        calendars[name] = WeekendCalendar(name, _as_dates(days, f"calendars.{name}.holidays"))
    return calendars
