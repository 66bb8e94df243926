"""Deadline policies (SPEC §3.3): periods per jurisdiction and request type, read from config."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pirights.deadlines.calendars import WorkingCalendar, build_calendars

__all__ = [
    "Period",
    "Policies",
    "Policy",
    "PolicyError",
    "Unit",
    "UnknownJurisdictionError",
    "load_policies",
    "parse_policies",
]

Unit = Literal["working_days", "calendar_days", "months"]
_SUFFIX_UNIT: dict[str, Unit] = {"wd": "working_days", "d": "calendar_days", "m": "months"}
_UNIT_SUFFIX = {unit: suffix for suffix, unit in _SUFFIX_UNIT.items()}
_PERIOD = re.compile(r"([1-9][0-9]{0,3})(wd|d|m)")


class PolicyError(ValueError):
    """Bad policy configuration, or a lookup that no policy answers."""


class UnknownJurisdictionError(PolicyError, LookupError):
    """No policy is configured for the jurisdiction asked for."""


@dataclass(frozen=True)
class Period:
    """A length of time counted by SPEC §3.4: working days, calendar days or months."""

    amount: int
    unit: Unit

    def code(self) -> str:
        """Short form used in rule names and config: ``15wd``, ``30d`` or ``1m``."""
        return f"{self.amount}{_UNIT_SUFFIX[self.unit]}"

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``15wd``, ``30d`` or ``1m``; ``ValueError`` for anything else."""
        match = _PERIOD.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"{text!r} is not a period like 15wd, 30d or 1m")
        return cls(int(match.group(1)), _SUFFIX_UNIT[match.group(2)])


@dataclass(frozen=True)
class Policy:
    """The deadline rules for one jurisdiction (and optionally one request type)."""

    jurisdiction: str
    request_type: str | None
    timezone: str
    calendar: str
    respond: Period
    extension: Period | None
    extension_times: int
    outer_limit: Period | None
    acknowledge: Period | None

    def rule(self) -> str:
        """Name of the rule a deadline came from, e.g. ``CN:15wd`` or ``CN.delete:10wd``."""
        scope = self.jurisdiction
        if self.request_type is not None:
            scope += f".{self.request_type}"
        return f"{scope}:{self.respond.code()}"

    @property
    def tz(self) -> ZoneInfo:
        """The policy's time zone as a ``ZoneInfo``."""
        return ZoneInfo(self.timezone)


class Policies:
    """All configured policies, plus the calendar data config supplies."""

    def __init__(
        self,
        defaults: Mapping[str, Policy],
        overrides: Mapping[tuple[str, str], Policy],
        default_jurisdiction: str,
        schedules: Mapping,
        holidays_extra: Mapping,
    ) -> None:
        """Hold parsed policies; use ``parse_policies`` rather than calling this directly."""
        self._defaults = dict(defaults)
        self._overrides = dict(overrides)
        self.default_jurisdiction = default_jurisdiction
        self.schedules = schedules
        self.holidays_extra = holidays_extra

    def get(self, jurisdiction: str, request_type: str) -> Policy:
        """The type-specific policy if configured, else the jurisdiction's default."""
        if jurisdiction not in self._defaults:
            known = ", ".join(self.jurisdictions())
            raise UnknownJurisdictionError(
                f"no deadline policy for jurisdiction {jurisdiction!r} (configured: {known})"
            )
        return self._overrides.get((jurisdiction, request_type), self._defaults[jurisdiction])

    def jurisdictions(self) -> list[str]:
        """Configured jurisdiction codes, sorted."""
        return sorted(self._defaults)

    def build_calendars(self) -> dict[str, WorkingCalendar]:
        """The calendars these policies refer to, built with the config's calendar data."""
        return build_calendars(self.schedules, self.holidays_extra)


_FIELDS = {
    "timezone",
    "calendar",
    "respond",
    "extension",
    "extension_times",
    "outer_limit",
    "acknowledge",
}
_PERIOD_FIELDS = ("respond", "extension", "outer_limit", "acknowledge")


def _table(value: Any, where: str) -> Mapping:
    """``value`` if it is a table, else a ``PolicyError`` naming ``where``."""
    if not isinstance(value, Mapping):
        raise PolicyError(f"{where}: expected a table")
    return value


def _policy(fields: Mapping, jurisdiction: str, request_type: str | None, where: str) -> Policy:
    """Build and check one ``Policy`` from its merged config ``fields``."""
    unknown = set(fields) - _FIELDS - {"types"}
    if unknown:
        raise PolicyError(f"{where}.{min(unknown)}: unknown setting")
    for key in ("timezone", "calendar", "respond"):
        if key not in fields:
            raise PolicyError(f"{where}.{key}: required")
    periods: dict[str, Period | None] = {}
    for key in _PERIOD_FIELDS:
        value = fields.get(key)
        try:
            periods[key] = None if value is None else Period.parse(value)
        except ValueError as exc:
            raise PolicyError(f"{where}.{key}: {exc}") from None
    timezone = fields["timezone"]
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise PolicyError(f"{where}.timezone: {timezone!r} is not an IANA time zone") from None
    times = fields.get("extension_times", 1 if periods["extension"] else 0)
    if isinstance(times, bool) or not isinstance(times, int) or times < 0:
        raise PolicyError(f"{where}.extension_times: {times!r} is not a whole number >= 0")
    if times and periods["extension"] is None:
        raise PolicyError(f"{where}.extension: required when extension_times > 0")
    calendar = fields["calendar"]
    if not isinstance(calendar, str):
        raise PolicyError(f"{where}.calendar: {calendar!r} is not a calendar id")
    return Policy(
        jurisdiction=jurisdiction,
        request_type=request_type,
        timezone=timezone,
        calendar=calendar,
        respond=periods["respond"],
        extension=periods["extension"],
        extension_times=times,
        outer_limit=periods["outer_limit"],
        acknowledge=periods["acknowledge"],
    )


def _calendar_config(data: Mapping) -> tuple[dict, dict]:
    """Split ``[calendars]`` into ``build_calendars``' ``schedules`` and ``holidays_extra``."""
    schedules: dict = {}
    extra: dict = {}
    for name, table in _table(data.get("calendars", {}), "calendars").items():
        table = _table(table, f"calendars.{name}")
        unknown = set(table) - {"schedules", "holidays"}
        if unknown:
            raise PolicyError(f"calendars.{name}.{min(unknown)}: unknown setting")
        if "schedules" in table:
            schedules[name] = _table(table["schedules"], f"calendars.{name}.schedules")
        if "holidays" in table:
            extra[name] = table["holidays"]
    return schedules, extra


def parse_policies(data: Mapping, request_types: Collection[str] | None = None) -> Policies:
    """Check and parse the TOML of ``config/policies.toml`` (or a dict of that shape).

    ``request_types`` are the names allowed under ``types`` (the app passes
    pirights.requests.lifecycle.TYPES; this engine does not import the lifecycle): an
    override under a misspelt type would silently never apply. None skips that check.

    Raises ``PolicyError`` whose message starts with the bad key path, e.g.
    ``policies.CN.respond: '15x' is not a period like 15wd, 30d or 1m``.
    """
    unknown = set(_table(data, "policies.toml")) - {"policies", "calendars", "default_jurisdiction"}
    if unknown:
        raise PolicyError(f"{min(unknown)}: unknown top-level setting")
    schedules, extra = _calendar_config(data)
    try:
        calendar_ids = set(build_calendars(schedules, extra))
    except ValueError as exc:
        raise PolicyError(str(exc)) from None
    defaults: dict[str, Policy] = {}
    overrides: dict[tuple[str, str], Policy] = {}
    for code, table in _table(data.get("policies"), "policies").items():
        where = f"policies.{code}"
        table = _table(table, where)
        defaults[code] = _policy(table, code, None, where)
        for rtype, over in _table(table.get("types", {}), f"{where}.types").items():
            twhere = f"{where}.types.{rtype}"
            if request_types is not None and rtype not in request_types:
                raise PolicyError(f"{twhere}: {rtype!r} is not a request type")
            over = _table(over, twhere)
            if "types" in over:
                raise PolicyError(f"{twhere}.types: unknown setting")
            merged = {k: v for k, v in table.items() if k != "types"} | dict(over)
            overrides[(code, rtype)] = _policy(merged, code, rtype, twhere)
    if not defaults:
        raise PolicyError("policies: no jurisdiction configured")
    for policy in [*defaults.values(), *overrides.values()]:
        if policy.calendar not in calendar_ids:
            where = f"policies.{policy.jurisdiction}"
            if policy.request_type:
                where += f".types.{policy.request_type}"
            known = ", ".join(sorted(calendar_ids))
            raise PolicyError(f"{where}.calendar: {policy.calendar!r} is not one of {known}")
    default = data.get("default_jurisdiction", "CN" if "CN" in defaults else min(defaults))
    if default not in defaults:
        raise PolicyError(f"default_jurisdiction: {default!r} has no policy")
    return Policies(defaults, overrides, default, schedules, extra)


def load_policies(path: str | Path) -> Policies:
    """Read and parse a policies TOML file (e.g. ``config/policies.toml``)."""
    with open(path, "rb") as fh:
        try:
            data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError(f"{path}: {exc}") from None
    return parse_policies(data)
