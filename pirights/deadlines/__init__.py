"""Deadline computation (SPEC §3.3-3.5): policies, working-day calendars and counting.

Everything here is pure: no database, no clock, no Flask.
"""

from pirights.deadlines.calendars import (
    ChinaCalendar,
    WeekendCalendar,
    WorkingCalendar,
    build_calendars,
    package_schedule_years,
)
from pirights.deadlines.counting import (
    Deadline,
    ExtensionError,
    end_of_day,
    extend,
    initial_deadline,
    local_date,
    period_end,
    provisional_between,
    shift_for_pause,
    working_days_between,
)
from pirights.deadlines.policy import (
    Period,
    Policies,
    Policy,
    PolicyError,
    Unit,
    UnknownJurisdictionError,
    load_policies,
    parse_policies,
)

__all__ = [
    "ChinaCalendar",
    "Deadline",
    "ExtensionError",
    "Period",
    "Policies",
    "Policy",
    "PolicyError",
    "Unit",
    "UnknownJurisdictionError",
    "WeekendCalendar",
    "WorkingCalendar",
    "build_calendars",
    "end_of_day",
    "extend",
    "initial_deadline",
    "load_policies",
    "local_date",
    "package_schedule_years",
    "parse_policies",
    "period_end",
    "provisional_between",
    "shift_for_pause",
    "working_days_between",
]
