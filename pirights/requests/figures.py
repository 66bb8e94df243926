"""Figures of the staff dashboard (SPEC §13): the open queue and the weekly on-time rate.

Every figure is an aggregate query, so the database does the counting and Python only
reads a few hundred grouped rows however many requests there are: the open queue is one
GROUP BY over open requests (status, type, assignee, and whether each is overdue or due
this week, summed), the on-time rate one GROUP BY over the requests closed in the last
weeks, bucketed by a CASE on `closed_at` that both SQLite and PostgreSQL evaluate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, false, func, or_, select

from pirights.deadlines.runtime import book
from pirights.extensions import db
from pirights.requests import lifecycle as lc
from pirights.requests.models import Request
from pirights.staff.models import Staff

WEEKS = 26


@dataclass
class Load:
    """One assignee's open requests (assignee None: nobody's yet)."""

    assignee: str | None
    open: int = 0
    overdue: int = 0
    due_this_week: int = 0


@dataclass
class OpenQueue:
    """The open requests now, counted every way the dashboard shows them."""

    total: int = 0
    overdue: int = 0
    due_this_week: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_type: dict[str, int] = field(default_factory=dict)
    load: list[Load] = field(default_factory=list)


@dataclass(frozen=True)
class Week:
    """Requests closed in the week starting `start` (a local Monday), and how many on time."""

    start: datetime
    closed: int
    on_time: int

    @property
    def rate(self) -> float | None:
        """The on-time share, or None for a week with nothing closed."""
        return self.on_time / self.closed if self.closed else None


def week_end(now: datetime, tz: ZoneInfo) -> datetime:
    """The next local Monday 00:00 after `now` (UTC): the end of "this week"."""
    local = now.astimezone(tz)
    monday = local.date() + timedelta(days=7 - local.weekday())
    return datetime(monday.year, monday.month, monday.day, tzinfo=tz).astimezone(UTC)


def week_starts(now: datetime, tz: ZoneInfo, weeks: int = WEEKS) -> list[datetime]:
    """The local Mondays 00:00 (UTC) of the last `weeks` weeks, oldest first; the last one
    starts the current week. Counted on local dates, so a DST change cannot shift a week."""
    local = now.astimezone(tz).date()
    this_monday = local - timedelta(days=local.weekday())
    days = [this_monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    return [datetime(d.year, d.month, d.day, tzinfo=tz).astimezone(UTC) for d in days]


def week_ends(now: datetime) -> dict[str, datetime]:
    """Per configured jurisdiction, the end of its local week at `now`."""
    return {j: week_end(now, book().timezone(j)) for j in book().policies.jurisdictions()}


def _due_this_week(now: datetime, ends: Mapping[str, datetime]):
    """SQL: the clock runs, not yet overdue, and due before its jurisdiction's week ends."""
    per_jurisdiction = [
        and_(Request.jurisdiction == j, Request.due_at < end) for j, end in ends.items()
    ]
    return and_(
        Request.status.in_(lc.RUNNING),
        Request.due_at >= now,
        or_(*per_jurisdiction) if per_jurisdiction else false(),
    )


def open_queue(now: datetime) -> OpenQueue:
    """Open requests by status and type, overdue, due this week, and each assignee's load."""
    overdue = func.sum(case((Request.is_overdue(now), 1), else_=0))
    this_week = func.sum(case((_due_this_week(now, week_ends(now)), 1), else_=0))
    rows = db.session.execute(
        select(Request.status, Request.type, Request.assignee_id, func.count(), overdue, this_week)
        .where(Request.status.in_(lc.OPEN))
        .group_by(Request.status, Request.type, Request.assignee_id)
    ).all()
    queue = OpenQueue()
    loads: dict[int | None, Load] = {}
    for status, rtype, assignee_id, count, late, soon in rows:
        late, soon = int(late or 0), int(soon or 0)
        queue.total += count
        queue.overdue += late
        queue.due_this_week += soon
        queue.by_status[status] = queue.by_status.get(status, 0) + count
        queue.by_type[rtype] = queue.by_type.get(rtype, 0) + count
        load = loads.setdefault(assignee_id, Load(None))
        load.open += count
        load.overdue += late
        load.due_this_week += soon
    names = _names([i for i in loads if i is not None])
    for assignee_id, load in loads.items():
        load.assignee = names.get(assignee_id) if assignee_id is not None else None
    queue.load = sorted(
        loads.values(), key=lambda x: (x.assignee is None, -x.overdue, -x.open, x.assignee or "")
    )
    return queue


def _names(ids: Sequence[int]) -> dict[int, str]:
    """Staff names by id, for the few assignees the load table shows."""
    if not ids:
        return {}
    return dict(db.session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(ids))).all())


def on_time_by_week(now: datetime, tz: ZoneInfo, weeks: int = WEEKS) -> list[Week]:
    """For each of the last `weeks` local weeks, the requests closed in it and how many of
    them on time (closed by their due date), oldest first."""
    starts = week_starts(now, tz, weeks)
    week = case(
        *[(Request.closed_at < start, n - 1) for n, start in enumerate(starts[1:], start=1)],
        else_=len(starts) - 1,
    )
    # Grouped in an outer query by the inner column: PostgreSQL would not see that a
    # GROUP BY repeating the CASE (with its own parameters) is the selected expression.
    closed = (
        select(week.label("week"), Request.on_time).where(Request.closed_at >= starts[0]).subquery()
    )
    rows = db.session.execute(
        select(
            closed.c.week,
            func.count(),
            func.coalesce(func.sum(case((closed.c.on_time.is_(True), 1), else_=0)), 0),
        ).group_by(closed.c.week)
    ).all()
    counts = {int(n): (count, int(on_time)) for n, count, on_time in rows}
    return [Week(start, *counts.get(n, (0, 0))) for n, start in enumerate(starts)]
