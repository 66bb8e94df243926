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
    move_due,
    period_end,
    provisional_between,
    replay,
    shift_for_pause,
    working_days_between,
)
from pirights.deadlines.explain import Day, Explanation, Stretch, explain
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
    "Day",
    "Deadline",
    "Explanation",
    "ExtensionError",
    "Period",
    "Policies",
    "Policy",
    "PolicyError",
    "Stretch",
    "Unit",
    "UnknownJurisdictionError",
    "WeekendCalendar",
    "WorkingCalendar",
    "build_calendars",
    "end_of_day",
    "explain",
    "extend",
    "initial_deadline",
    "load_policies",
    "local_date",
    "move_due",
    "package_schedule_years",
    "parse_policies",
    "period_end",
    "provisional_between",
    "replay",
    "shift_for_pause",
    "working_days_between",
]
