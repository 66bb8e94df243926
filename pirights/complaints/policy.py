"""Complaint deadlines (§9), pure: no database, no clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pirights.deadlines.calendars import WorkingCalendar
from pirights.deadlines.counting import period_end
from pirights.deadlines.policy import Period


def measure_due(received_at: datetime, hours: int) -> datetime:
    """The first measure is due `hours` after receipt (a policy choice; default 24)."""
    return received_at + timedelta(hours=hours)


def remediation_due(
    completed_at: datetime, period: Period, tz: ZoneInfo, cal: WorkingCalendar
) -> datetime:
    """Model optimisation is due `period` (default 3 months) after the complaint is upheld,
    counted as §3.4 counts (draft GenAI Measures Art 15)."""
    end, _provisional = period_end(completed_at, period, tz, cal)
    return end
