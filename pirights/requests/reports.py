"""The SLA report (SPEC §5 `GET /api/v1/reports/sla`) for requests received in a window.

Counts, the on-time rate and the open-overdue count are GROUP BY / aggregate queries. The
median working days to close needs each jurisdiction's working-day calendar, which lives in
Python (holidays package + config), so closed requests of the window are streamed (three
columns each, `yield_per`) and counted here: memory grows by one integer per closed request
in the window.

Figures other packages own (open overdue requests, the §9 complaint figures) are added
with `add_figure`: the alert kinds bring theirs (pirights.alerts.kinds), features theirs,
so the report imports neither.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select

from pirights.deadlines.runtime import book
from pirights.extensions import db
from pirights.requests.models import Request

STREAM_BATCH = 1000

Window = tuple[ColumnElement[bool], ...]  # conditions on Request: received in the window


@dataclass(frozen=True)
class Figure:
    """One count in the report: `count(window, now)` under `key`, at the top level
    (section None) or inside the dict named `section` (e.g. "complaints")."""

    section: str | None
    key: str
    count: Callable[[Window, datetime], int]


_FIGURES: dict[tuple[str | None, str], Figure] = {}


def add_figure(figure: Figure) -> None:
    """Add a figure to every report (once: apps are created many times in a process)."""
    _FIGURES.setdefault((figure.section, figure.key), figure)


def sla_report(since: datetime, until: datetime, now: datetime) -> dict[str, Any]:
    """Figures for requests with since <= received_at < until."""
    s = db.session
    window = (Request.received_at >= since, Request.received_at < until)
    by_type: dict[str, int] = {}
    by_status: dict[str, int] = {}
    cells = []
    for rtype, status, count in s.execute(
        select(Request.type, Request.status, func.count())
        .where(*window)
        .group_by(Request.type, Request.status)
        .order_by(Request.type, Request.status)
    ):
        cells.append({"type": rtype, "status": status, "count": count})
        by_type[rtype] = by_type.get(rtype, 0) + count
        by_status[status] = by_status.get(status, 0) + count
    closed, on_time = s.execute(
        select(
            func.count(Request.closed_at),
            func.coalesce(func.sum(case((Request.on_time.is_(True), 1), else_=0)), 0),
        ).where(*window, Request.closed_at.is_not(None))
    ).one()
    report: dict[str, Any] = {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "total": sum(by_type.values()),
        "by_type": by_type,
        "by_status": by_status,
        "by_type_status": cells,
        "closed": closed,
        "on_time": int(on_time),
        "on_time_rate": round(on_time / closed, 4) if closed else None,
        "median_working_days_to_close": _median_days_to_close(window),
    }
    for (section, key), figure in sorted(_FIGURES.items(), key=lambda i: (i[0][0] or "", i[0][1])):
        target = report if section is None else report.setdefault(section, {})
        target[key] = figure.count(window, now) or 0
    return report


def _median_days_to_close(window) -> float | None:
    """Median working days from receipt to closing, on each request's own calendar."""
    rows = db.session.execute(
        select(Request.received_at, Request.closed_at, Request.jurisdiction)
        .where(*window, Request.closed_at.is_not(None))
        .execution_options(yield_per=STREAM_BATCH)
    )
    days = [book().working_days(received, closed, j) for received, closed, j in rows]
    return float(statistics.median(days)) if days else None
